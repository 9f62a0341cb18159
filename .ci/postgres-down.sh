#!/usr/bin/env bash
# Stops the throwaway PostgreSQL started by .ci/postgres-up.sh (found by its data directory,
# BATCHHUB_PG_DIR, default $TMPDIR/batchhub-postgres) and deletes its directory.
# Idempotent: nothing to stop is not an error.
set -euo pipefail

dir="${BATCHHUB_PG_DIR:-${TMPDIR:-/tmp}/batchhub-postgres}"

if [ ! -d "$dir" ]; then
    echo "postgres-down: nothing in $dir" >&2
    exit 0
fi

pg_ctl="$(command -v pg_ctl || ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -n "$pg_ctl" ] && [ -f "$dir/data/postmaster.pid" ]; then
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$pg_ctl" -D "$dir/data" -m fast -w stop >&2
    else
        "$pg_ctl" -D "$dir/data" -m fast -w stop >&2
    fi
fi
rm -rf "$dir"
echo "postgres-down: stopped and removed $dir" >&2

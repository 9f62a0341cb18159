#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the hub's database tests and prints, on stdout, the one
# line to evaluate:
#   export BATCHHUB_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:<port>/batchhub_test
# Use:  eval "$(.ci/postgres-up.sh)"; cargo test -p hub -- --ignored postgres; .ci/postgres-down.sh
#
# Idempotent: installs PostgreSQL (apt) only when initdb is missing, and when the instance is
# already running just prints its URL again. The cluster is private: its own data directory
# (BATCHHUB_PG_DIR, default $TMPDIR/batchhub-postgres), listening on 127.0.0.1 only on a free
# port, and on a Unix socket inside that directory; trust authentication, so it must never
# hold anything but test data. The server runs as the `postgres` OS user when this script
# runs as root (initdb refuses root).
set -euo pipefail

dir="${BATCHHUB_PG_DIR:-${TMPDIR:-/tmp}/batchhub-postgres}"
database=batchhub_test

log() { echo "postgres-up: $*" >&2; }

# The directory holding initdb and its siblings (pg_ctl, createdb, psql): PATH first
# (through symlinks, which may point at only a few of them), else Debian's versioned
# directory (newest).
find_bindir() {
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    local candidate
    candidate="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -n "$candidate" ] && [ -x "$candidate/initdb" ]; then
        echo "$candidate"
        return 0
    fi
    return 1
}

if ! bindir="$(find_bindir)"; then
    log "initdb not found: installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    bindir="$(find_bindir)"
fi

# Runs a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Creates the test database unless it exists (a previous run may have stopped short).
ensure_database() {
    local port
    port="$(cat "$dir/port")"
    if ! as_owner "$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
        as_owner "$bindir/createdb" -h "$dir" -p "$port" -U postgres "$database"
    fi
}

print_url() {
    echo "export BATCHHUB_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$(cat "$dir/port")/$database"
}

if [ -f "$dir/port" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    log "already running in $dir"
    ensure_database
    print_url
    exit 0
fi

# A stale directory (stopped server, half-made cluster): start over.
if [ -d "$dir" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
fi
mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
fi
chmod 0700 "$dir"

# A free port: bind port 0 and read what the kernel chose (the tiny race with another
# process taking it before the server does is acceptable for a test instance).
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_owner sh -c "echo $port > '$dir/port'"

log "initdb in $dir/data"
as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }

log "starting on 127.0.0.1:$port"
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >&2 ||
    { cat "$dir/server.log" >&2; exit 1; }

ensure_database
print_url

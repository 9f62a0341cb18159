#!/usr/bin/env bash
# The PBS driver's `status` for 2,000 tracked jobs against pbs-sim, side by side with one
# qstat per job (batchspawner's way), in one run. Everything local; about 2 minutes.
#   benches/pbs-driver/run.sh          # ROUNDS=3 JOBS=2000
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS="${ROUNDS:-3}"
JOBS="${JOBS:-2000}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p pbs-sim
cargo build --release -q -p drivers --example status_bench
SIM="$(cd "$TARGET_DIR/release" && pwd)/pbs-sim"
BENCH="$(cd "$TARGET_DIR/release/examples" && pwd)/status_bench"

WORK="$(mktemp -d)"
DAEMON=""
cleanup() { [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK"
export PBS_SIM_SOCKET="$WORK/pbs.sock" TZ=UTC
"$SIM" install-shims bin >/dev/null
"$SIM" serve --state-dir state --tmpdir "$WORK" 2>serve.log & DAEMON=$!
for _ in $(seq 200); do "$SIM" status >/dev/null 2>&1 && break; sleep 0.05; done
# Jobs no node can hold: they stay queued, with a comment, for the whole run.
printf '#PBS -l select=1:ncpus=4096\n#PBS -l walltime=01:00:00\ntrue\n' > job.sh
for _ in $(seq "$JOBS"); do bin/qsub job.sh; done > ids.txt
echo "$(wc -l < ids.txt) jobs queued; qstat -f -F json of them is $(bin/qstat -f -F json -x $(cat ids.txt) | wc -c) bytes"
"$BENCH" "$WORK/bin" ids.txt "$ROUNDS"

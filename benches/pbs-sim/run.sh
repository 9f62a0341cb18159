#!/usr/bin/env bash
# pbs-sim's shims against a running daemon, side by side with the cost of starting a
# process at all, in one run:
#   - qsub latency: `qsub -h job.sh` through the shim and the socket (target < 5 ms);
#   - `qstat -f -F json` with 5,000 jobs in the table (target < 50 ms), beside `cat` of the
#     same bytes.
# Installs hyperfine (apt) if missing. Everything is local (a Unix socket); about 2 minutes.
#   benches/pbs-sim/run.sh          # ROUNDS=3 by default
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS="${ROUNDS:-3}"
JOBS="${JOBS:-5000}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
cargo build --release -q -p pbs-sim
BIN="$(cd "$TARGET_DIR/release" && pwd)/pbs-sim"

WORK="$(mktemp -d)"
DAEMON=""
cleanup() { [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK"
export PBS_SIM_SOCKET="$WORK/pbs.sock" TZ=UTC
"$BIN" install-shims bin >/dev/null
"$BIN" serve --state-dir state --tmpdir "$WORK" 2>serve.log & DAEMON=$!
for _ in $(seq 200); do "$BIN" status >/dev/null 2>&1 && break; sleep 0.05; done
printf '#!/bin/bash\n#PBS -l select=1:ncpus=4:mem=8gb\n#PBS -l walltime=04:00:00\n#PBS -N bench\nsleep 600\n' > job.sh

median() { python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"]*1000))' "$@"; }

echo "== qsub latency (held jobs, ${ROUNDS} rounds of 200)"
for r in $(seq "$ROUNDS"); do
  hyperfine -N --warmup 10 --runs 200 --export-json "qsub-$r.json" \
    "bin/qsub -h job.sh" "/bin/true" "cat job.sh" >/dev/null 2>&1
  echo "round $r: qsub $(median "qsub-$r.json" 0) ms, true $(median "qsub-$r.json" 1) ms, cat $(median "qsub-$r.json" 2) ms"
done

have=$(bin/qstat | tail -n +3 | wc -l)
echo "== filling the table to $JOBS jobs (has $have)"
for _ in $(seq $((JOBS - have))); do bin/qsub -h job.sh >/dev/null; done
bin/qstat -f -F json > all.json
echo "table: $(python3 -c 'import json; print(len(json.load(open("all.json"))["Jobs"]))') jobs, $(wc -c < all.json) bytes of JSON"

echo "== qstat -f -F json (${ROUNDS} rounds of 30)"
for r in $(seq "$ROUNDS"); do
  hyperfine -N --warmup 3 --runs 30 --export-json "qstat-$r.json" \
    "bin/qstat -f -F json" "cat all.json" >/dev/null 2>&1
  echo "round $r: qstat -f -F json $(median "qstat-$r.json" 0) ms, cat $(median "qstat-$r.json" 1) ms"
done
echo "== qstat (default table) and qsub with $JOBS jobs in the table"
hyperfine -N --warmup 3 --runs 30 --export-json "table.json" "bin/qstat" "bin/qsub -h job.sh" >/dev/null 2>&1
echo "qstat $(median table.json 0) ms, qsub $(median table.json 1) ms"

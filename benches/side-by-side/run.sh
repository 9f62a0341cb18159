#!/usr/bin/env bash
# batchhub against JupyterHub + batchspawner, side by side on the same simulated cluster.
#
# For each hub in HUBS and each N in SIZES, one after the other: a fresh `pbs-sim serve`
# cluster (2,000 nodes, no background load, jobs run as real processes), the hub with its
# proxy submitting through the cluster's qsub/qstat/qdel shims, and `spawn-storm`: N users
# start their servers at once through the hub's REST API, are held STEADY seconds, then all
# stopped. Both hubs' jobs run the same notebook stand-in (`hub-singleuser --builtin`: it
# reports its port to `/hub/api/batchspawner` as batchspawner's wrapper does and answers the
# readiness check), so the hubs are compared, not notebook servers.
#
#   benches/side-by-side/run.sh                          # SIZES="50 200 1000", both hubs
#   SIZES=200 OUTAGE=600 benches/side-by-side/run.sh     # plus a 10-minute qstat outage
#
#   batchhub:   hub serve + hub-proxy, [spawner] scheduler = "pbs", every default kept
#               (poll_interval 30 s, concurrent_spawn_limit 100)
#   JupyterHub: jupyterhub==6.1.1 + batchspawner==1.3.0 (PBSSpawner) from PyPI in a venv,
#               configurable-http-proxy@5.3.0 from npm (both installed here, in SBS_CACHE),
#               configured by benches/side-by-side/jupyterhub_config.py
#
# Settings (environment): HUBS ("batchhub jupyterhub"), SIZES ("50 200 1000"), STEADY
# (seconds held after all are routed, 65: two 30 s poll intervals), OUTAGE (seconds of
# failing qstat after the steady phase, 0: none), RECOVER (seconds after it before counting,
# 75), SEED (1), OUT (where the CSVs, logs, summary and plot go), RUN_TIMEOUT (seconds per
# run, 1500 plus the outage and recovery; the storm itself gets at most 900 s of it).
#
# Bounded: each run is killed after RUN_TIMEOUT; at its end the hub and the cluster get
# SIGTERM and every process whose command line or environment names the run's directory
# (the jobs carry TMPDIR under it) is killed; the directory is removed. 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO="$(pwd)"

HUBS="${HUBS:-batchhub jupyterhub}"
SIZES="${SIZES:-50 200 1000}"
STEADY="${STEADY:-65}"
OUTAGE="${OUTAGE:-0}"
RECOVER="${RECOVER:-75}"
SEED="${SEED:-1}"
RUN_TIMEOUT="${RUN_TIMEOUT:-$((1500 + OUTAGE + RECOVER))}"
OUT="${OUT:-/tmp/side-by-side-$(date -u +%Y%m%dT%H%M%SZ)}"
SBS_CACHE="${SBS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/batchhub-side-by-side}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
JUPYTERHUB_VERSION=6.1.1
BATCHSPAWNER_VERSION=1.3.0
CHP_VERSION=5.3.0

mkdir -p "$OUT" "$SBS_CACHE"
OUT="$(cd "$OUT" && pwd)"
log() { echo "== $*" | tee -a "$OUT/summary.txt"; }

# --- the software under test --------------------------------------------------------------
cargo build --release -q -p hub -p proxy -p pbs-sim -p batchhub-benches
BIN="$(cd "$TARGET_DIR/release" && pwd)"
VENV="$SBS_CACHE/venv"
if ! "$VENV/bin/python" -c "import jupyterhub, batchspawner, sys
sys.exit(jupyterhub.__version__ != '$JUPYTERHUB_VERSION' or batchspawner.__version__ != '$BATCHSPAWNER_VERSION')" 2>/dev/null; then
  echo "installing jupyterhub==$JUPYTERHUB_VERSION batchspawner==$BATCHSPAWNER_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check \
    "jupyterhub==$JUPYTERHUB_VERSION" "batchspawner==$BATCHSPAWNER_VERSION"
fi
CHP="$SBS_CACHE/chp/node_modules/.bin/configurable-http-proxy"
if [ "$("$CHP" --version 2>/dev/null)" != "$CHP_VERSION" ]; then
  echo "installing configurable-http-proxy@$CHP_VERSION into $SBS_CACHE/chp"
  npm install --silent --no-fund --no-audit --prefix "$SBS_CACHE/chp" "configurable-http-proxy@$CHP_VERSION"
fi
"$VENV/bin/pip" freeze --disable-pip-version-check > "$OUT/venv-freeze.txt"

log "side by side: HUBS=\"$HUBS\" SIZES=\"$SIZES\" STEADY=$STEADY OUTAGE=$OUTAGE SEED=$SEED"
log "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
log "versions: batchhub $(git rev-parse --short HEAD); jupyterhub $JUPYTERHUB_VERSION, batchspawner $BATCHSPAWNER_VERSION, configurable-http-proxy $("$CHP" --version), $("$VENV/bin/python" --version), node $(node --version)"

export BIN VENV CHP OUT REPO SEED STEADY OUTAGE RECOVER RUN_TIMEOUT
# `timeout` runs each run in a process group of its own: pass an interrupt on to it.
child=""
trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait; exit 143' INT TERM
failed=0
for n in $SIZES; do
  for hub in $HUBS; do
    timeout -k 30 "$RUN_TIMEOUT" "$REPO/benches/side-by-side/one-run.sh" "$hub" "$n" &
    child=$!
    wait "$child" || { echo "  $hub N=$n failed (exit $?)" | tee -a "$OUT/summary.txt"; failed=1; }
    child=""
  done
done
# The table and the plot.
"$BIN/storm-plot" --out "$OUT/time-to-ready.svg" \
  --title "Servers routed after N users start at once ($(nproc) cores, pbs-sim 2,000 nodes)" \
  $(for n in $SIZES; do for hub in $HUBS; do
      f="$OUT/$hub-$n-timeline.csv"; [ -s "$f" ] && echo "$([ "$hub" = batchhub ] && echo batchhub || echo JupyterHub+batchspawner):$n=$f"
    done; done) || echo "no plot"
python3 "$REPO/benches/side-by-side/table.py" "$OUT" | tee -a "$OUT/summary.txt"
echo "results in $OUT"
exit "$failed"

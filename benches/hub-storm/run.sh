#!/usr/bin/env bash
# The hub's spawn storm: USERS users start their servers at once through the hub's REST API,
# against the simulated 2000-node PBS Pro cluster inside the hub (free nodes, no background
# load, speedup 1.0: cluster time = wall time). Each job is a real local process
# (`hub job-wrapper` + `hub-singleuser --builtin`). Reports time to all ready and routed,
# the API's latency under the storm and the hub's peak memory (see spawn-storm's doc).
#
#   benches/hub-storm/run.sh          # USERS=2000 CONCURRENCY=64 SPAWN_LIMIT=100 POLL=5s
#
# Bounded: the whole run is killed after RUN_TIMEOUT seconds (default 300). At the end every
# server is stopped through the API, the hub gets SIGTERM, the proxy it leaves serving (as
# `hub serve` does) gets SIGTERM, and any other process left whose command line or working
# directory is in the run's temporary directory is reported and killed; the directory is
# removed.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUN_TIMEOUT="${RUN_TIMEOUT:-300}"
if [ -z "${HUB_STORM_BOUNDED:-}" ]; then
  export HUB_STORM_BOUNDED=1
  exec timeout -k 15 "$RUN_TIMEOUT" "$0" "$@"
fi

USERS="${USERS:-2000}"
CONCURRENCY="${CONCURRENCY:-64}"
SPAWN_LIMIT="${SPAWN_LIMIT:-100}"
POLL="${POLL:-5s}"
DEADLINE="${DEADLINE:-150}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

cargo build --release -q -p hub -p proxy -p batchhub-benches
BIN="$(cd "$TARGET_DIR/release" && pwd)"
DIR="$(mktemp -d "${TMPDIR:-/tmp}/hub-storm.XXXXXX")"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

HUB_PID=""
# Every process of this run: the hub, its proxy, the jobs' wrappers (their command line
# names $DIR) and the jobs (they run in $DIR/sim/work).
run_pids() {
  { grep -alsF -- "$DIR" /proc/[0-9]*/cmdline | cut -d/ -f3
    find /proc -mindepth 2 -maxdepth 2 -name cwd -lname "$DIR*" 2>/dev/null | cut -d/ -f3
  } | sort -un | while read -r p; do [ "$p" != "$$" ] && [ -e "/proc/$p" ] && echo "$p"; done || true
}
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$HUB_PID" ] && kill -0 "$HUB_PID" 2>/dev/null; then
    kill -TERM "$HUB_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$HUB_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  # `hub serve` leaves the proxy it started serving (users' connections outlive a hub
  # restart; the next hub adopts it), so it is not a leftover: stop it here.
  local proxy; proxy="$(run_pids | xargs -r ps -o pid=,comm= -p 2>/dev/null | awk '$2 == "hub-proxy" {print $1}')"
  if [ -n "$proxy" ]; then
    kill -TERM $proxy 2>/dev/null || true
    for _ in $(seq 50); do kill -0 $proxy 2>/dev/null || break; sleep 0.1; done
    echo "hub-proxy (left serving by hub serve, by design): stopped"
  fi
  local left; left="$(run_pids | wc -l)"
  if [ "$left" -gt 0 ]; then
    echo "leftover processes of this run: $left (killing them):"
    run_pids | xargs -r ps -o pid=,etimes=,args= -p 2>/dev/null | cut -c1-200 | sed 's/^/  /' || true
    # The jobs die of TERM and their wrappers (which shield TERM) then record it and exit.
    run_pids | xargs -r kill -TERM 2>/dev/null || true
    for _ in $(seq 50); do [ "$(run_pids | wc -l)" -gt 0 ] || break; sleep 0.2; done
    run_pids | xargs -r kill -KILL 2>/dev/null || true
    sleep 0.5
    echo "left after TERM and KILL: $(run_pids | wc -l)"
  else
    echo "leftover processes of this run: 0"
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
hex_secret() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }

PUBLIC=$(free_port); HUBP=$(free_port); PAPI=$(free_port)
(umask 077; hex_secret > "$DIR/svc_token"; hex_secret > "$DIR/proxy_token"; echo storm-pw > "$DIR/shared_pw")
mkdir -p "$DIR/tmp"
cat > "$DIR/hub.toml" <<TOML
[hub]
bind_url = "http://127.0.0.1:$PUBLIC/"
hub_bind_url = "http://127.0.0.1:$HUBP/"
db_url = "sqlite://$DIR/hub.sqlite?mode=rwc"
cookie_secret_file = "$DIR/cookie_secret"
concurrent_spawn_limit = $SPAWN_LIMIT
[proxy]
command = ["$BIN/hub-proxy"]
api_url = "http://127.0.0.1:$PAPI/"
auth_token_file = "$DIR/proxy_token"
[auth]
authenticator = "shared-password"
shared_password_file = "$DIR/shared_pw"
[spawner]
scheduler = "sim"
exec_prefix = []
cmd = ["$BIN/hub-singleuser", "--builtin"]
poll_interval = "$POLL"
[sim]
state_dir = "$DIR/sim"
node_count = 2000
background_load = 0.0
[[services]]
name = "bench"
api_token_file = "$DIR/svc_token"
roles = ["admin"]
TOML

echo "== hub-storm: USERS=$USERS CONCURRENCY=$CONCURRENCY concurrent_spawn_limit=$SPAWN_LIMIT poll_interval=$POLL ($(nproc) cores, $(date -u +%FT%TZ), $(git rev-parse --short HEAD))"
# The jobs' TMPDIRs go under $DIR too (the cluster makes them under the hub's temp dir).
(cd "$DIR" && TMPDIR="$DIR/tmp" exec "$BIN/hub" serve -f "$DIR/hub.toml" --log-level warn > "$DIR/hub.log" 2>&1) &
HUB_PID=$!
wait_port "$HUBP"; wait_port "$PAPI"; wait_port "$PUBLIC"
PROXY_PID=""
for c in $(pgrep -P "$HUB_PID" || true); do
  [ "$(readlink "/proc/$c/exe" 2>/dev/null)" = "$BIN/hub-proxy" ] && PROXY_PID=$c
done

status=0
"$BIN/spawn-storm" \
  --hub-api "http://127.0.0.1:$HUBP/hub/api" --token-file "$DIR/svc_token" \
  --proxy-api "http://127.0.0.1:$PAPI" --proxy-token-file "$DIR/proxy_token" \
  --public "http://127.0.0.1:$PUBLIC" --users "$USERS" --concurrency "$CONCURRENCY" \
  --hub-pid "$HUB_PID" ${PROXY_PID:+--proxy-pid "$PROXY_PID"} --jobs-under "$DIR" \
  --deadline "$DEADLINE" || status=$?

echo "hub log: $(wc -l < "$DIR/hub.log") lines, $(grep -c ' WARN ' "$DIR/hub.log" || true) warnings, $(grep -c ' ERROR ' "$DIR/hub.log" || true) errors; first of them:"
grep -m 5 -E ' (WARN|ERROR) ' "$DIR/hub.log" | cut -c1-300 || true
exit "$status"

#!/usr/bin/env bash
# One run of the side-by-side benchmark: hub $1 (batchhub or jupyterhub), N=$2 users, in a
# fresh directory with a fresh `pbs-sim serve` cluster. Started by run.sh (which exports
# BIN VENV CHP OUT REPO SEED STEADY OUTAGE RECOVER RUN_TIMEOUT and bounds it with timeout).
set -euo pipefail
log() { echo "== $*" | tee -a "$OUT/summary.txt"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
hex_secret() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }

# Every process of a run: those whose command line or environment names its directory.
run_pids() {
  grep -alsF -- "$1" /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 |
    sort -un | while read -r p; do [ "$p" != "$$" ] && [ "$p" != "$BASHPID" ] && [ -e "/proc/$p" ] && echo "$p"; done || true
}
stop_pid() {
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 150); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}

# One run: hub $1, N=$2, in a fresh directory and cluster.
hub="$1" n="$2" hub_pid="" sim_pid="" proxy_pid="" status=0
dir="$(mktemp -d "${TMPDIR:-/tmp}/sbs.XXXXXX")"
chmod 755 "$dir"
mkdir -p "$dir/home" "$dir/tmp"
cleanup_run() {
  trap '' INT TERM
  # The proxies outlive their hubs on purpose (routes survive a hub restart): stop them too.
  [ -n "$hub_pid" ] && stop_pid "$hub_pid"
  [ -n "$proxy_pid" ] && stop_pid "$proxy_pid"
  [ -n "$sim_pid" ] && stop_pid "$sim_pid"
  local left; left="$(run_pids "$dir" | wc -l)"
  echo "  processes of the run left after the hub, its proxy and the cluster stopped: $left" | tee -a "$OUT/summary.txt"
  run_pids "$dir" | xargs -r kill -TERM 2>/dev/null || true
  sleep 1
  run_pids "$dir" | xargs -r kill -KILL 2>/dev/null || true
  cp "$dir"/*.log "$OUT/" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup_run EXIT
trap 'exit 143' INT TERM

public=$(free_port); hubp=$(free_port); papi=$(free_port)
(umask 077; hex_secret > "$dir/svc_token"; hex_secret > "$dir/proxy_token"; echo storm-pw > "$dir/shared_pw")

# The cluster: the same flags for both hubs.
"$BIN/pbs-sim" install-shims "$dir/bin" --socket "$dir/pbs.sock" > /dev/null
(cd "$dir" && TZ=UTC exec "$BIN/pbs-sim" serve --socket "$dir/pbs.sock" --state-dir "$dir/state" \
   --tmpdir "$dir/tmp" --seed "$SEED" > "$dir/pbs-sim-$hub-$n.log" 2>&1) &
sim_pid=$!
for _ in $(seq 200); do [ -S "$dir/pbs.sock" ] && break; sleep 0.1; done

case "$hub" in
  batchhub)
    cat > "$dir/hub.toml" <<TOML
[hub]
bind_url = "http://127.0.0.1:$public/"
hub_bind_url = "http://127.0.0.1:$hubp/"
db_url = "sqlite://$dir/hub.sqlite?mode=rwc"
cookie_secret_file = "$dir/cookie_secret"
[proxy]
command = ["$BIN/hub-proxy"]
api_url = "http://127.0.0.1:$papi/"
auth_token_file = "$dir/proxy_token"
[auth]
authenticator = "shared-password"
shared_password_file = "$dir/shared_pw"
[spawner]
scheduler = "pbs"
exec_prefix = []
cmd = ["$BIN/hub-singleuser", "--builtin"]
# The benchmark's users have no home directory.
working_dir = "$dir/home"
[[services]]
name = "bench"
api_token_file = "$dir/svc_token"
roles = ["admin"]
TOML
    (cd "$dir" && PATH="$dir/bin:$PATH" exec "$BIN/hub" serve -f "$dir/hub.toml" --log-level warn \
       > "$dir/hub-$hub-$n.log" 2>&1) &
    hub_pid=$!
    ;;
  jupyterhub)
    (cd "$dir" && PATH="$dir/bin:$PATH" SBS_DIR="$dir" SBS_PUBLIC_PORT="$public" SBS_HUB_PORT="$hubp" \
       SBS_PROXY_API_PORT="$papi" SBS_CHP="$CHP" SBS_STANDIN="$BIN/hub-singleuser" SBS_PBS_BIN="$dir/bin" \
       exec "$VENV/bin/jupyterhub" -f "$REPO/benches/side-by-side/jupyterhub_config.py" \
       > "$dir/hub-$hub-$n.log" 2>&1) &
    hub_pid=$!
    ;;
  *) echo "unknown hub $hub (batchhub or jupyterhub)" >&2; exit 2 ;;
esac
wait_port "$hubp" && wait_port "$papi" && wait_port "$public" || { tail -20 "$dir/hub-$hub-$n.log"; exit 1; }
for c in $(pgrep -P "$hub_pid" || true); do
  case "$(readlink "/proc/$c/exe" 2>/dev/null)" in
    */hub-proxy | */node) proxy_pid=$c ;;
  esac
done

# What is left of RUN_TIMEOUT for the storm once the later phases and the stop are counted.
deadline=$((RUN_TIMEOUT - STEADY - OUTAGE - (OUTAGE > 0 ? RECOVER : 0) - 420))
[ "$deadline" -le 900 ] || deadline=900
[ "$deadline" -ge 60 ] || { echo "RUN_TIMEOUT=$RUN_TIMEOUT leaves the storm under 60 s" >&2; exit 2; }
log "$hub N=$n (load $(cut -d' ' -f1-3 /proc/loadavg))"
"$BIN/spawn-storm" \
  --hub-api "http://127.0.0.1:$hubp/hub/api" --token-file "$dir/svc_token" \
  --proxy-api "http://127.0.0.1:$papi" --proxy-token-file "$dir/proxy_token" \
  --public "http://127.0.0.1:$public" --users "$n" --concurrency "$n" \
  --hub-pid "$hub_pid" ${proxy_pid:+--proxy-pid "$proxy_pid"} --clk-tck "$(getconf CLK_TCK)" \
  --pbs-sim "$BIN/pbs-sim" --pbs-socket "$dir/pbs.sock" --seed "$SEED" \
  --reads-per-sec 20 --steady "$STEADY" --outage "$OUTAGE" --recover "$RECOVER" \
  --deadline "$deadline" --stop-deadline 180 \
  --timeline "$OUT/$hub-$n-timeline.csv" --per-user "$OUT/$hub-$n-users.csv" \
  > "$OUT/$hub-$n.txt" 2> "$OUT/$hub-$n.progress" || status=$?
cat "$OUT/$hub-$n.txt" | tee -a "$OUT/summary.txt"
echo "  $hub log: $(grep -ciE 'warn|error' "$dir/hub-$hub-$n.log" || true) warning or error lines; first:" | tee -a "$OUT/summary.txt"
grep -m 3 -iE 'warn|error' "$dir/hub-$hub-$n.log" | cut -c1-240 | sed 's/^/    /' | tee -a "$OUT/summary.txt" || true
exit "$status"


#!/usr/bin/env bash
# hub-proxy vs the backend hit directly vs configurable-http-proxy@5, side by side, one run,
# with nginx (2 workers, pooled upstream connections) as a reference for what a mature C
# proxy reaches on the same machine. Installs wrk and nginx (apt) and configurable-http-proxy
# (npm, into $BENCH_DIR) if missing. Everything runs on 127.0.0.1; about 16 minutes.
#   benches/proxy/run.sh            # ROUNDS=5 DURATION=8 ADD_ROUNDS=5 by default
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-8}"
ADD_ROUNDS="${ADD_ROUNDS:-5}"
BENCH_DIR="${BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hub-proxy-bench}"
export CONFIGPROXY_AUTH_TOKEN=bench-token
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

for tool in wrk nginx; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
done
CHP="$BENCH_DIR/node_modules/configurable-http-proxy/bin/configurable-http-proxy"
if [ ! -f "$CHP" ]; then
  mkdir -p "$BENCH_DIR" && (cd "$BENCH_DIR" && npm install --silent configurable-http-proxy@5 >/dev/null)
fi
cargo build --release -q -p proxy --bin hub-proxy --example proxy-bench
HP="$TARGET_DIR/release/hub-proxy"
PB="$TARGET_DIR/release/examples/proxy-bench"
ulimit -n 65536 2>/dev/null || true

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ -n "${NGX_DIR:-}" ]; then rm -rf "$NGX_DIR"; fi
}
trap cleanup EXIT

BACK=$(free_port); NODE=$(free_port); NOTHING=$(free_port)
HPP=$(free_port); HPA=$(free_port); CHPP=$(free_port); CHPA=$(free_port); NGX=$(free_port)
"$PB" backend "$BACK" & PIDS+=($!)
"$PB" nothing "$NOTHING" & PIDS+=($!)
# A second backend, Node's http module: about as fast as the backend behind the issue's
# reference figures (configurable-http-proxy at 0.11-0.15x of it).
node -e "require('http').createServer((q,s)=>{q.resume();q.on('end',()=>s.end('Hello, world!'))}).listen($NODE,'127.0.0.1')" & PIDS+=($!)
"$HP" --ip 127.0.0.1 --port "$HPP" --api-ip 127.0.0.1 --api-port "$HPA" --log-level error \
  --default-target "http://127.0.0.1:$BACK" & HP_PID=$!; PIDS+=($HP_PID)
node "$CHP" --ip 127.0.0.1 --port "$CHPP" --api-ip 127.0.0.1 --api-port "$CHPA" --log-level error \
  --default-target "http://127.0.0.1:$BACK" & CHP_PID=$!; PIDS+=($CHP_PID)
# nginx configured as hub-proxy behaves: upstream keep-alive, streaming (no buffering),
# X-Forwarded-* added; / to the hyper backend, /node/ to Node's.
# Under /tmp: its workers run as nobody when the script runs as root.
NGX_DIR=$(mktemp -d /tmp/hub-proxy-bench-nginx.XXXXXX); chmod 755 "$NGX_DIR"
cat > "$NGX_DIR/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $NGX_DIR/nginx.pid;
error_log $NGX_DIR/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $NGX_DIR/body; proxy_temp_path $NGX_DIR/proxy;
  fastcgi_temp_path $NGX_DIR/fastcgi; uwsgi_temp_path $NGX_DIR/uwsgi; scgi_temp_path $NGX_DIR/scgi;
  upstream hyper { server 127.0.0.1:$BACK; keepalive 256; }
  upstream node { server 127.0.0.1:$NODE; keepalive 256; }
  server {
    listen 127.0.0.1:$NGX;
    keepalive_requests 100000000;
    proxy_http_version 1.1;
    proxy_buffering off;
    proxy_set_header Connection "";
    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto \$scheme;
    proxy_set_header X-Forwarded-Host \$host;
    location / { proxy_pass http://hyper; }
    location /node/ { proxy_pass http://node; }
  }
}
EOF
nginx -c "$NGX_DIR/nginx.conf" & PIDS+=($!)
for p in $BACK $NODE $NOTHING $HPP $HPA $CHPP $CHPA $NGX; do wait_port "$p"; done
for api in $HPA $CHPA; do
  curl -sf -X POST -H "Authorization: token $CONFIGPROXY_AUTH_TOKEN" \
    -d "{\"target\": \"http://127.0.0.1:$NODE\"}" "http://127.0.0.1:$api/api/routes/node" >/dev/null
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# The median over the rounds of an awk expression of one row of $rounds (set per cell below).
ratio() { echo "$rounds" | awk "{print $1}" | median; }
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v*=1000}; printf "%.2f\n", v}'; }
# wrk prints "Requests/sec: N" and, with --latency, "99% X"
run_wrk() { # url conns -> "rps p99ms"
  local out; out=$(wrk -t2 -c"$2" -d"${DURATION}s" --latency "$1")
  echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1=="99%" {print $2}' | to_ms)"
}

echo "== HTTP throughput (wrk -t2, ${DURATION}s, $ROUNDS rounds, medians)"
echo "   Each round runs direct, hub-proxy, chp and nginx back to back; a ratio is taken within"
echo "   each round, then its median over the rounds (this machine's speed drifts between rounds)."
printf "%-7s %-5s %-10s %12s %10s\n" backend conns target req/s p99_ms
for backend in hyper node; do
  if [ $backend = hyper ]; then direct=$BACK; path=/; else direct=$NODE; path=/node/; fi
  for c in 50 200; do
    for name in direct hub-proxy chp nginx; do : > "$BENCH_DIR/$backend.$name.$c"; done
    for r in $(seq "$ROUNDS"); do
      for name in direct hub-proxy chp nginx; do
        case $name in direct) port=$direct;; hub-proxy) port=$HPP;; chp) port=$CHPP;; nginx) port=$NGX;; esac
        run_wrk "http://127.0.0.1:$port$path" "$c" >> "$BENCH_DIR/$backend.$name.$c"
      done
    done
    for name in direct hub-proxy chp nginx; do
      f="$BENCH_DIR/$backend.$name.$c"
      printf "%-7s %-5s %-10s %12.0f %10.2f   (rounds: %s)\n" $backend "$c" "$name" \
        "$(awk '{print $1}' "$f" | median)" "$(awk '{print $2}' "$f" | median)" "$(tr '\n' ';' < "$f")"
    done
    # Line r of each file is round r: one row per round, "direct hub-proxy chp nginx" req/s
    # then the same four p99s.
    rounds=$(paste -d' ' "$BENCH_DIR/$backend.direct.$c" "$BENCH_DIR/$backend.hub-proxy.$c" \
      "$BENCH_DIR/$backend.chp.$c" "$BENCH_DIR/$backend.nginx.$c" \
      | awk '{print $1, $3, $5, $7, $2, $4, $6, $8}')
    printf "%s c=%s, per-round medians: hub-proxy/direct %.2fx (>=0.55)  nginx/direct %.2fx  chp/direct %.2fx  hub-proxy/chp %.2fx (>=4)  p99 hub-proxy/direct %.2fx (<=3)  p99 chp/direct %.2fx\n" \
      $backend "$c" "$(ratio '$2/$1')" "$(ratio '$4/$1')" "$(ratio '$3/$1')" "$(ratio '$2/$3')" \
      "$(ratio '$6/$5')" "$(ratio '$7/$5')"
    printf "%s c=%s, hub-proxy/direct per round: %s\n" $backend "$c" \
      "$(echo "$rounds" | awk '{printf "%.2f ", $2/$1}')"
  done
done

echo "== Adding 10,000 routes (one keep-alive client per server, sequential POSTs, batches of"
echo "   100 alternating with the same client against a do-nothing server; $ADD_ROUNDS rounds, medians)"
echo "-- hub-proxy vs do-nothing (per round: do-nothing s, hub-proxy s)"
"$PB" add-routes-vs "127.0.0.1:$NOTHING" "127.0.0.1:$HPA" 10000 "$ADD_ROUNDS" | tee "$BENCH_DIR/add.hub-proxy"
echo "-- chp vs do-nothing"
"$PB" add-routes-vs "127.0.0.1:$NOTHING" "127.0.0.1:$CHPA" 10000 "$ADD_ROUNDS" | tee "$BENCH_DIR/add.chp"
awk '/^median/ {printf "hub-proxy/do-nothing %.2fx (<=1.1)  ", $5}' "$BENCH_DIR/add.hub-proxy"
awk '/^median/ {printf "chp/do-nothing %.2fx\n", $5}' "$BENCH_DIR/add.chp"

echo "== GET /api/routes with 10,001 routes (50 requests): p50 p99 ms, bytes"
echo "hub-proxy $("$PB" get-routes "127.0.0.1:$HPA" 50)"
echo "chp       $("$PB" get-routes "127.0.0.1:$CHPA" 50)"

echo "== 2,000 idle WebSockets, opened and closed twice: resident memory at each step"
echo "-- hub-proxy"; "$PB" ws-hold "127.0.0.1:$HPP" 2000 "$HP_PID"
echo "-- chp";       "$PB" ws-hold "127.0.0.1:$CHPP" 2000 "$CHP_PID"

echo "== 1 GB upload through the proxy: s, MB/s, peak RSS KB before, peak RSS KB after, RSS KB after"
echo "hub-proxy $("$PB" upload "127.0.0.1:$HPP" 1024 "$HP_PID")"
echo "chp       $("$PB" upload "127.0.0.1:$CHPP" 1024 "$CHP_PID")"

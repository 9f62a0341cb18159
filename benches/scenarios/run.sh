#!/usr/bin/env bash
# The scenario runner's speed: a simulated 24-hour Palmetto-like day (2,000 nodes, 50,000
# background jobs, 500 notebook users; target under 60 s), side by side with the same
# cluster and background jobs without the hub (the baseline), alternated, ROUNDS times.
#   benches/scenarios/run.sh          # ROUNDS=3 by default
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS="${ROUNDS:-3}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p scenarios
BIN="$TARGET_DIR/release/scenarios"

DAY=scenarios/suite/palmetto-day.toml
BASE=benches/scenarios/palmetto-day-background-only.toml
run() { /usr/bin/time -f "%e %M" "$BIN" run "$1" --quiet 2>&1 >/dev/null | tail -1; }

day=(); base=()
for r in $(seq "$ROUNDS"); do
  read -r d dm < <(run "$DAY")
  read -r b bm < <(run "$BASE")
  day+=("$d"); base+=("$b")
  echo "round $r: day ${d} s (${dm} KB peak), baseline ${b} s (${bm} KB peak)"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
md=$(median "${day[@]}"); mb=$(median "${base[@]}")
echo "median: day ${md} s, baseline ${mb} s, ratio $(awk -v a="$md" -v b="$mb" 'BEGIN {printf "%.2f", a/b}')"
summary=$("$BIN" run "$DAY" --quiet || true); echo "${summary%%$'\n'*}"

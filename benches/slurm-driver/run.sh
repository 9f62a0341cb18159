#!/usr/bin/env bash
# The Slurm driver's `status` for 500 tracked jobs on a real, private Slurm 22.05 (Debian's
# packages, .ci/slurm-cluster.sh), side by side with one squeue per job (batchspawner's
# SlurmSpawner's way), in one run. Everything local; about a minute. Needs root (or the
# Slurm packages installed) to start the cluster.
#   benches/slurm-driver/run.sh          # ROUNDS=5 JOBS=500 NODES=8
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS="${ROUNDS:-5}"
JOBS="${JOBS:-500}"
NODES="${NODES:-8}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
.ci/slurm-cluster.sh install
cargo build --release -q -p drivers --example slurm_status_bench
BENCH="$(cd "$TARGET_DIR/release/examples" && pwd)/slurm_status_bench"

export SLURM_DIR
SLURM_DIR="$(mktemp -d)"
chmod 755 "$SLURM_DIR"
cleanup() { .ci/slurm-cluster.sh down --clean >/dev/null 2>&1 || true; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export SLURM_NODES="$NODES" SLURM_CTLD_PORT
SLURM_CTLD_PORT="$(port)"
export SLURM_NODE_PORT_BASE=$((30000 + RANDOM % 20000))
eval "$(.ci/slurm-cluster.sh up)"
# Held jobs: they stay pending (reason JobHeldUser) for the whole run.
for _ in $(seq "$JOBS"); do
  sbatch --parsable --hold --output=/dev/null --wrap=true
done > "$SLURM_DIR/ids.txt"
echo "$(wc -l < "$SLURM_DIR/ids.txt") held jobs on $NODES nodes ($(sbatch --version))"
"$BENCH" "$SLURM_DIR/ids.txt" "$ROUNDS"

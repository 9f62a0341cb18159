#!/usr/bin/env bash
# A private, throwaway Slurm cluster on this one host, for the Slurm driver's real-peer tests.
#
#   .ci/slurm-cluster.sh install                 # apt: munge slurmctld slurmd slurm-client
#   eval "$(SLURM_DIR=/tmp/s .ci/slurm-cluster.sh up)"   # prints `export SLURM_CONF=...`
#   SLURM_DIR=/tmp/s .ci/slurm-cluster.sh stop-ctld      # a slurmctld outage ...
#   SLURM_DIR=/tmp/s .ci/slurm-cluster.sh start-ctld     # ... and its end (jobs survive)
#   SLURM_DIR=/tmp/s .ci/slurm-cluster.sh down --clean
#
# Run with --help for the environment it reads. Everything lives in $SLURM_DIR: its own munge
# key and munged, slurm.conf, state, spool, logs and PID files; nothing under /etc is used,
# so several clusters (different SLURM_DIR and ports) run side by side. Processes are stopped
# by their PID files only, never by name: other Slurm clusters may run on the same machine.
#
# Why the configuration is what it is (Debian 12, Slurm 22.05):
# * one slurmd per node (`slurmd -N nodeXXXX`), each on its own port: the front-end
#   emulator build (slurm-wlm-emulator) is broken on Debian 12, and installing it repoints
#   /usr/sbin/slurmctld and slurmd through alternatives, so the daemons are called by their
#   `-wlm` names and the emulator is never installed;
# * SlurmdParameters=config_overrides lets the nodes claim more CPUs and memory than the
#   host has (otherwise they are `inval`);
# * DefMemPerCPU: with CR_Core_Memory and no default, a job is given a whole node's memory;
# * ReturnToService=1: a node an admin (or a test) sets DOWN stays down; 2 would bring it
#   back at its slurmd's next registration, within seconds;
# * bf_interval=1: the backfill scheduler sets a pending job's expected start (squeue %S)
#   within a second or two, not after the default 30 s;
# * SlurmUser is whoever runs this (root in CI): as root, jobs run as their submitters, so
#   the munge socket, slurm.conf and the directories leading to them are world-readable.
set -euo pipefail

readonly SLURMCTLD=/usr/sbin/slurmctld-wlm
readonly SLURMD=/usr/sbin/slurmd-wlm
readonly PACKAGES=(munge slurmctld slurmd slurm-client)

log() { echo "slurm-cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    cat <<'EOF'
Usage: .ci/slurm-cluster.sh COMMAND

Commands:
  install         apt-get install munge slurmctld slurmd slurm-client (only what is missing;
                  sudo -n when not root). Never installs slurm-wlm-emulator.
  up              start a private cluster in $SLURM_DIR and print, on stdout, the lines to
                  evaluate (export SLURM_CONF=...)
  down [--clean]  stop it (by PID files); --clean also removes $SLURM_DIR
  stop-ctld       stop slurmctld only (a controller outage); state is kept
  start-ctld      start slurmctld again over the same state (jobs survive)
  --help          this text

Environment:
  SLURM_DIR             the cluster's directory (required; created by `up`)
  SLURM_CTLD_PORT       slurmctld's port (default 6817)
  SLURM_NODE_PORT_BASE  node i's slurmd listens on BASE+i (default 20000)
  SLURM_NODES           number of nodes, node0001... (default 4)
  SLURM_CPUS            CPUs per node (default 4)
  SLURM_MEM_MB          memory per node in MB (default 8000)
  SLURM_MIN_JOB_AGE     seconds a finished job stays visible (default 300)
  SLURM_CLUSTER_NAME    ClusterName (default batchhub)
  SLURM_WAIT_SECS       how long up/down/start-ctld wait (default 60)

Partitions: batch (default, no time limit) and debug (MaxTime=00:30:00), both over all nodes.
Accounting is off (sacct says so). Run as root, jobs run as whoever submits them; run as
another user, the daemons run as that user and so do all jobs. `up` over a directory left
by an earlier cluster resumes its state (jobs, munge key): use `down --clean` for a fresh one.
EOF
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

cmd_install() {
    local missing=() pkg
    for pkg in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    log "installing ${missing[*]}"
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2
}

# --- the cluster's layout ---------------------------------------------------------------

require_dir() {
    [ -n "${SLURM_DIR:-}" ] || die "SLURM_DIR is not set (the cluster's directory)"
    case "$SLURM_DIR" in /*) ;; *) SLURM_DIR="$(pwd)/$SLURM_DIR" ;; esac
    D="$SLURM_DIR"
    CONF="$D/etc/slurm.conf"
    MUNGE_SOCKET="$D/munge/munge.socket.2"
    WAIT_SECS="${SLURM_WAIT_SECS:-60}"
}

# The nodes as the config names them (from the config once `up` wrote it).
node_names() {
    local n
    n="$(cat "$D/etc/nodes" 2>/dev/null)" || die "$D is not a cluster made by 'up' (no etc/nodes)"
    seq -f 'node%04g' 1 "$n"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

# Runs a Slurm client against this cluster.
client() { SLURM_CONF="$CONF" "$@"; }

# Something listens on TCP port $1 (slurmd and slurmctld bind 0.0.0.0).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits up to WAIT_SECS for `$@` to succeed; 0 if it did.
wait_for() {
    local deadline=$((SECONDS + WAIT_SECS))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

log_tail() {
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        echo "--- last lines of $f" >&2
        tail -n 25 "$f" >&2
    done
}

# Signals the process in PID file $2 with $1 (no-op when missing or dead).
signal_pidfile() {
    local sig="$1" file="$2"
    if pid_alive "$file"; then
        kill "-$sig" "$(cat "$file" 2>/dev/null)" 2>/dev/null || true
    fi
}

any_alive() {
    local f
    for f in "$@"; do
        if pid_alive "$f"; then return 0; fi
    done
    return 1
}
none_alive() { ! any_alive "$@"; }

# SIGTERM the PID files' processes, wait; SIGKILL what is left after WAIT_SECS.
stop_pidfiles() {
    local f
    for f in "$@"; do signal_pidfile TERM "$f"; done
    if ! wait_for none_alive "$@"; then
        log "still running after ${WAIT_SECS}s: sending SIGKILL"
        for f in "$@"; do signal_pidfile KILL "$f"; done
        wait_for none_alive "$@" || die "could not stop: $*"
    fi
    rm -f "$@"
}

ctld_answers() { client scontrol ping 2>/dev/null | grep -q 'is UP'; }

all_nodes_idle() {
    local idle
    idle="$(client sinfo --noheader --partition=batch --states=idle --format=%D 2>/dev/null |
        awk '{ s += $1 } END { print s + 0 }')"
    [ "$idle" -ge "$NODES" ]
}

start_ctld() {
    "$SLURMCTLD" -f "$CONF" -i >>"$D/log/slurmctld.start" 2>&1 ||
        { log_tail "$D/log/slurmctld.start" "$D/log/slurmctld.log"; die "slurmctld did not start"; }
    wait_for ctld_answers ||
        { log_tail "$D/log/slurmctld.log"; die "slurmctld does not answer scontrol ping after ${WAIT_SECS}s"; }
}

write_conf() {
    local last=$((PORT_BASE + NODES)) width
    width="$(printf '%04d' "$NODES")"
    cat >"$CONF" <<EOF
# Written by .ci/slurm-cluster.sh up: a private test cluster in $D.
ClusterName=$CLUSTER
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmUser=$USER_NAME
SlurmdUser=$USER_NAME
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool/%n
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd-%n.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$((MEM_MB / CPUS))
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1
MpiDefault=none
MailProg=/bin/true
ReturnToService=1
SlurmdParameters=config_overrides
MinJobAge=$MIN_JOB_AGE
SlurmdTimeout=300
InactiveLimit=0
KillWait=5
NodeName=node[0001-$width] NodeHostname=localhost NodeAddr=127.0.0.1 Port=[$((PORT_BASE + 1))-$last] CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=batch Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=debug Nodes=ALL MaxTime=00:30:00 State=UP
EOF
    chmod 0644 "$CONF"
}

print_env() {
    echo "export SLURM_CONF=$CONF"
}

cmd_up() {
    require_dir
    NODES="${SLURM_NODES:-4}"
    CPUS="${SLURM_CPUS:-4}"
    MEM_MB="${SLURM_MEM_MB:-8000}"
    MIN_JOB_AGE="${SLURM_MIN_JOB_AGE:-300}"
    CTLD_PORT="${SLURM_CTLD_PORT:-6817}"
    PORT_BASE="${SLURM_NODE_PORT_BASE:-20000}"
    CLUSTER="${SLURM_CLUSTER_NAME:-batchhub}"
    USER_NAME="$(id -un)"
    local v
    for v in NODES CPUS MEM_MB MIN_JOB_AGE CTLD_PORT PORT_BASE; do
        [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a number, not '${!v}'"
    done
    [ "$NODES" -ge 1 ] && [ "$NODES" -le 9999 ] || die "SLURM_NODES must be 1..9999"
    [ -x "$SLURMCTLD" ] && [ -x "$SLURMD" ] && command -v munged >/dev/null && command -v sbatch >/dev/null ||
        die "Slurm is not installed: run .ci/slurm-cluster.sh install"

    if pid_alive "$D/run/slurmctld.pid"; then
        die "a cluster is already running in $D (run 'down' first)"
    fi
    local port i
    for port in "$CTLD_PORT" $(seq $((PORT_BASE + 1)) $((PORT_BASE + NODES))); do
        if port_busy "$port"; then die "port $port is in use (choose SLURM_CTLD_PORT / SLURM_NODE_PORT_BASE)"; fi
    done

    local started=$SECONDS
    mkdir -p "$D"/{etc,munge,state,spool,run,log}
    # Jobs run as their (non-root) submitters: they need to reach the munge socket, the config
    # and their job script in the spool. The state directory stays private.
    chmod 0755 "$D" "$D/etc" "$D/munge" "$D/spool" "$D/run" "$D/log"
    chmod 0700 "$D/state"
    echo "$NODES" >"$D/etc/nodes"

    # munge: our own key and socket (nothing in /etc/munge or /run/munge).
    if [ ! -f "$D/munge/munge.key" ]; then
        dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none
        chmod 0400 "$D/munge/munge.key"
    fi
    if ! pid_alive "$D/munge/munged.pid"; then
        # --force: the key's directory is world-readable (see above), which munged dislikes.
        munged --force --key-file="$D/munge/munge.key" --socket="$MUNGE_SOCKET" \
            --pid-file="$D/munge/munged.pid" --log-file="$D/munge/munged.log" \
            --seed-file="$D/munge/munged.seed" 2>>"$D/log/munged.start" ||
            { log_tail "$D/log/munged.start" "$D/munge/munged.log"; die "munged did not start"; }
    fi
    wait_for test -S "$MUNGE_SOCKET" || die "munged made no socket at $MUNGE_SOCKET"

    write_conf
    start_ctld
    for i in $(node_names); do
        mkdir -p "$D/spool/$i"
        "$SLURMD" -f "$CONF" -N "$i" >>"$D/log/slurmd.start" 2>&1 ||
            { log_tail "$D/log/slurmd.start" "$D/log/slurmd-$i.log"; die "slurmd $i did not start"; }
    done
    if ! wait_for all_nodes_idle; then
        client sinfo >&2 || true
        log_tail "$D/log/slurmctld.log" "$D/log/slurmd-node0001.log"
        die "not all $NODES nodes are idle after ${WAIT_SECS}s"
    fi
    log "up in $((SECONDS - started))s: $NODES nodes x $CPUS CPUs, ${MEM_MB} MB; slurmctld on port $CTLD_PORT, slurmd on $((PORT_BASE + 1))-$((PORT_BASE + NODES)); $D"
    print_env
}

# The PID files of the node daemons (also those of a config with more nodes than now).
slurmd_pidfiles() {
    local f
    for f in "$D"/run/slurmd-*.pid; do
        [ -e "$f" ] && echo "$f"
    done
    return 0
}

# PIDs of what this cluster's jobs left behind once its daemons are gone (a `down` while
# slurmctld was stopped, or a job slurmd could not kill in time): each slurmstepd listening
# on a socket in our spool, and each job process (SLURM_JOB_ID set, and SLURM_CONF ours:
# slurmstepd puts both in the job's environment). Never matches by name.
leftover_pids() {
    local inodes pid fd link environ
    inodes="$(awk -v spool="$D/spool/" 'index($8, spool) == 1 { print "socket:[" $7 "]" }' /proc/net/unix)"
    for pid in /proc/[0-9]*; do
        pid="${pid#/proc/}"
        [ "$pid" != "$$" ] || continue
        if [ -n "$inodes" ]; then
            for fd in /proc/"$pid"/fd/*; do
                link="$(readlink "$fd" 2>/dev/null)" || continue
                if grep -qxF "$link" <<<"$inodes"; then
                    echo "$pid"
                    continue 2
                fi
            done
        fi
        environ="$( { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null)" || continue
        if grep -qxF "SLURM_CONF=$CONF" <<<"$environ" && grep -q '^SLURM_JOB_ID=' <<<"$environ"; then
            echo "$pid"
        fi
    done
}

kill_leftovers() {
    local pids
    pids="$(leftover_pids | tr '\n' ' ')"
    [ -n "${pids// /}" ] || return 0
    log "killing what the jobs left: $pids"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
}

cmd_down() {
    require_dir
    local clean=false
    case "${1:-}" in
        --clean) clean=true ;;
        "") ;;
        *) die "down: unknown option '$1' (only --clean)" ;;
    esac
    if [ ! -d "$D" ]; then
        log "nothing in $D"
        return 0
    fi
    # Jobs first: their processes (slurmstepd and below) outlive slurmd. Cancelled through the
    # controller; slurmd then kills them (KillWait=5 before SIGKILL).
    if [ -f "$CONF" ] && pid_alive "$D/run/slurmctld.pid" && ctld_answers; then
        local jobs
        jobs="$(client squeue --noheader --all --states=running,suspended,completing,configuring,pending --format=%i 2>/dev/null || true)"
        if [ -n "$jobs" ]; then
            # shellcheck disable=SC2086
            client scancel $jobs 2>/dev/null || true
            local deadline=$((SECONDS + 15))
            while [ "$SECONDS" -lt "$deadline" ] &&
                [ -n "$(client squeue --noheader --all --states=running,suspended,completing,configuring --format=%i 2>/dev/null)" ]; do
                sleep 0.2
            done
        fi
    fi
    local pidfiles
    mapfile -t pidfiles < <(slurmd_pidfiles)
    stop_pidfiles "${pidfiles[@]}" "$D/run/slurmctld.pid"
    kill_leftovers
    stop_pidfiles "$D/munge/munged.pid"
    if $clean; then
        rm -rf "$D"
        log "stopped and removed $D"
    else
        log "stopped (state kept in $D)"
    fi
}

cmd_stop_ctld() {
    require_dir
    pid_alive "$D/run/slurmctld.pid" || die "slurmctld is not running in $D"
    local port
    port="$(sed -n 's/^SlurmctldPort=//p' "$CONF")"
    stop_pidfiles "$D/run/slurmctld.pid"
    # Its listening socket goes with it; a new one must be able to bind.
    wait_for eval '! port_busy "$port"' || die "port $port still answers after slurmctld stopped"
    log "slurmctld stopped"
}

cmd_start_ctld() {
    require_dir
    [ -f "$CONF" ] || die "no $CONF: run 'up' first"
    if pid_alive "$D/run/slurmctld.pid"; then
        die "slurmctld is already running in $D"
    fi
    start_ctld
    log "slurmctld started"
}

main() {
    local command="${1:-}"
    [ $# -gt 0 ] && shift
    case "$command" in
        install) cmd_install ;;
        up) cmd_up ;;
        down) cmd_down "$@" ;;
        stop-ctld) cmd_stop_ctld ;;
        start-ctld) cmd_start_ctld ;;
        -h | --help | help) usage ;;
        "") usage >&2; exit 2 ;;
        *) log "unknown command '$command'"; usage >&2; exit 2 ;;
    esac
}

main "$@"

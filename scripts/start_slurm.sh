#!/bin/sh
# A single-node SLURM on this machine, for the cluster tests and for trying the SLURM profile:
#
#     sudo scripts/start_slurm.sh [--no-install]
#
# Debian/Ubuntu slurm-wlm + munge, run as root. Installs the packages when they are missing (apt-get; --no-install
# refuses instead), writes /etc/slurm/slurm.conf for this node (its cpus and memory from `slurmd -C`, else nproc and
# /proc/meminfo; one partition `debug`; no accounting database, so `sacct` has nothing to say and job status comes
# from squeue), starts munged, slurmctld and slurmd, and waits until the node takes jobs.
# Idempotent: a SLURM that already answers is left as it is; a slurm.conf this script did not write is never
# overwritten. Exits non-zero with the reason on stderr whenever SLURM cannot be started.
set -eu

MARKER="# written by hipdrop scripts/start_slurm.sh"
CONF=/etc/slurm/slurm.conf
PARTITION=debug
INSTALL=yes
[ "${1:-}" = "--no-install" ] && INSTALL=no

fail() { echo "start_slurm.sh: $*" >&2; exit 1; }
say() { echo "start_slurm.sh: $*" >&2; }

node_ready() {
    # a node that is idle, mixed or allocated takes jobs; down, drained or unknown ones do not
    sinfo --noheader --partition "$PARTITION" --format %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated|completing)'
}

if command -v sinfo >/dev/null 2>&1 && sinfo --noheader >/dev/null 2>&1 && [ -n "$(sinfo --noheader --format %T 2>/dev/null)" ]; then
    if node_ready || ! grep -qF "$MARKER" "$CONF" 2>/dev/null; then
        say "SLURM already answers: $(sinfo --noheader --format '%P %D %T %c cpus %m MB' | head -1)"
        exit 0
    fi
fi

[ "$(id -u)" -eq 0 ] || fail "must run as root (it installs packages, writes $CONF and starts daemons); try: sudo $0"

for daemon in slurmctld slurmd munged; do
    if ! command -v "$daemon" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$daemon" ]; then
        [ "$INSTALL" = yes ] || fail "$daemon is not installed (apt-get install slurm-wlm munge), and --no-install was given"
        command -v apt-get >/dev/null 2>&1 || fail "$daemon is not installed and there is no apt-get here: install SLURM (slurmctld, slurmd) and munge by hand"
        say "installing slurm-wlm and munge"
        # a fresh machine has no package lists yet
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || fail "apt-get update failed (no package mirror reachable?)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge >&2 \
            || fail "apt-get install slurm-wlm munge failed"
        break
    fi
done
PATH="/usr/sbin:$PATH"

# munge: every SLURM message is signed with the key the package made
[ -s /etc/munge/munge.key ] || fail "/etc/munge/munge.key is missing (reinstall munge, or create it with mungekey)"
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    runuser -u munge -- munged || fail "munged did not start (see /var/log/munge/munged.log)"
    sleep 1
    munge -n | unmunge >/dev/null 2>&1 || fail "munged runs but credentials do not verify (see /var/log/munge/munged.log)"
fi

if [ -e "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
    fail "$CONF exists and was not written by this script; start that SLURM with its own tools (not touching it)"
fi

HOST=$(hostname -s)
# the node's hardware as slurmd itself sees it, so that slurmd does not drain the node for a mismatch
HARDWARE=$(slurmd -C 2>/dev/null | head -1 | sed -n 's/^NodeName=[^ ]* //p')
if [ -z "$HARDWARE" ]; then
    HARDWARE="CPUs=$(nproc) RealMemory=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)"
fi
mkdir -p /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm /run/slurm
cat > "$CONF.new" <<EOF
$MARKER
# A single-node cluster for tests. No accounting database: sacct cannot answer, squeue keeps finished jobs for
# MinJobAge (300 s), which is where job status comes from.
ClusterName=hipdrop
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
# no cgroups (containers rarely delegate them): processes tracked through /proc, tasks not pinned
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# cores and memory are both scheduled, so a job asking more than the node has is refused at submission
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=300
NodeName=$HOST $HARDWARE State=UNKNOWN
PartitionName=$PARTITION Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
if ! cmp -s "$CONF.new" "$CONF" 2>/dev/null; then
    mv "$CONF.new" "$CONF"
    say "wrote $CONF ($HOST: $HARDWARE)"
    # a running daemon keeps the configuration it started with
    if [ -f /run/slurm/slurmctld.pid ]; then kill "$(cat /run/slurm/slurmctld.pid)" 2>/dev/null || true; fi
    if [ -f /run/slurm/slurmd.pid ]; then kill "$(cat /run/slurm/slurmd.pid)" 2>/dev/null || true; fi
    sleep 1
else
    rm -f "$CONF.new"
fi

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
alive /run/slurm/slurmctld.pid || slurmctld || fail "slurmctld did not start (see /var/log/slurm/slurmctld.log)"
alive /run/slurm/slurmd.pid || slurmd || fail "slurmd did not start (see /var/log/slurm/slurmd.log)"

# the node registers within a few seconds; one left down or drained by an earlier run is resumed
waited=0
until node_ready; do
    state=$(sinfo --noheader --partition "$PARTITION" --format %T 2>/dev/null | head -1)
    case "$state" in
        down*|drain*|fail*) scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    waited=$((waited + 1))
    [ "$waited" -le 30 ] || fail "the node is '$state' after 30 s (see /var/log/slurm/slurmd.log and slurmctld.log)"
    sleep 1
done
say "SLURM is up: $(sinfo --noheader --format '%P %D %T %c cpus %m MB' | head -1)"

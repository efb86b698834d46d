#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, used for what README's Slurm section
# shows: array jobs of sharded sweeps, sensitivity analyses and plan searches, each with
# a dependent merge job. Checks that each merged folder equals the same command run
# unsharded, byte for byte.
#
#   scripts/slurm-local.sh            (from anywhere; needs root or sudo for apt-get)
#
# On Debian it installs slurm-wlm (slurmctld + slurmd) and munge with apt-get if they are
# missing. Everything it starts lives in a scratch folder: munged on its own socket and
# key, slurmctld and slurmd with their own config, spool, state and logs, on free ports.
# It stops exactly the daemons it started, by the process ids in their pid files, and
# fails loudly (exit 1) if the cluster cannot start: it never skips silently.
#
# Environment: RETROFIT_BIN (default target/debug/retrofit, built if missing),
# SLURM_RUNS (default 200 sweep runs), SLURM_TASKS (default 4 array tasks),
# SLURM_SAMPLES (default 32 Sobol' rows of the sensitivity), SLURM_FUTURES (default 5
# futures per optimize candidate).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${SLURM_RUNS:-200}
tasks=${SLURM_TASKS:-4}
bin=${RETROFIT_BIN:-$root/target/debug/retrofit}
world=$root/worlds/reference.ron
plan=$root/worlds/reference-plan.ron
samples=${SLURM_SAMPLES:-32}
futures=${SLURM_FUTURES:-5}

say() { echo "slurm-local: $*"; }
die() { echo "slurm-local: error: $*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root or sudo to run: $*"; fi; }
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null \
        || { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null; } \
        || die "apt-get could not install slurm-wlm and munge"
fi
[ "$(id -u)" = 0 ] || die "run as root: slurmd must run as root to launch jobs on this one-node cluster"
[ -x "$bin" ] || { say "building $bin"; cargo build --quiet; }

dir=$(mktemp -d /tmp/retrofit-slurm.XXXXXX)
chmod 755 "$dir"
pids=()
stop() {
    local code=$?
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
        [ -s "$pidfile" ] || continue
        local pid; pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ $code -ne 0 ]; then
        for log in "$dir"/*.log "$dir"/munge/*.log; do [ -f "$log" ] && { echo "--- $log"; tail -n 20 "$log"; }; done >&2
    fi
    rm -rf "$dir"
    exit $code
}
trap stop EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# munge: its own key, socket, pid and log in the scratch folder, owned by the munge user.
mkdir -p "$dir/munge"
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$dir/munge"; chmod 700 "$dir/munge"; chmod 400 "$dir/munge/munge.key"
runuser -u munge -- /usr/sbin/munged --force \
    --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
    --seed-file="$dir/munge/munged.seed" || die "munged did not start"
# The socket's folder must be reachable by slurm (running as root: fine).

host=$(hostname -s)
mem_mb=$(awk '/MemAvailable/ {print int($2/1024/2)}' /proc/meminfo)
mkdir -p "$dir/spool" "$dir/state"
cat >"$dir/slurm.conf" <<CONF
ClusterName=retrofit-local
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
SlurmdUser=root
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmdSpoolDir=$dir/spool
StateSaveLocation=$dir/state
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=$host CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
/usr/sbin/slurmctld -c -f "$SLURM_CONF" || die "slurmctld did not start"
/usr/sbin/slurmd -c -f "$SLURM_CONF" || die "slurmd did not start"
for i in $(seq 100); do
    sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)' && break
    [ "$i" = 100 ] && die "the node did not come up within 20 s (sinfo: $(sinfo -h 2>&1))"
    sleep 0.2
done
say "one-node cluster up ($host, $(nproc) CPUs)"

# README's array jobs and dependent merge jobs, for real: one array of shards per
# command (sweep, sensitivity, optimize), each merged by a job that waits for its array,
# and each merge compared byte for byte with the same command run unsharded.
# shards NAME "COMMAND ARGS" submits both jobs; the shard's --shard/--out are appended.
shards() {
    local name=$1 cmd=$2 last=$((tasks - 1))
    mkdir -p "$dir/$name"
    local array merge parts
    array=$(sbatch --parsable --array=0-$last --cpus-per-task=1 --chdir="$root" \
        --output="$dir/$name/task-%a.log" \
        --wrap "'$bin' $cmd --jobs 1 --shard \${SLURM_ARRAY_TASK_ID}/$tasks --out '$dir/$name/part'\${SLURM_ARRAY_TASK_ID}") \
        || die "sbatch of the $name array job failed"
    parts=$(for k in $(seq 0 $last); do printf "'%s' " "$dir/$name/part$k"; done)
    merge=$(sbatch --parsable --dependency=afterok:$array --chdir="$root" \
        --output="$dir/$name/merge.log" \
        --wrap "'$bin' merge $parts --out '$dir/$name/merged'") \
        || die "sbatch of the $name merge job failed"
    say "submitted $name: array job $array ($tasks tasks) and merge job $merge"
    jobs_submitted="$jobs_submitted,$array,$merge"
}

# Compares NAME's merged folder with COMMAND run unsharded, file by file.
compare_whole() {
    local name=$1 cmd=$2 n=0
    [ -f "$dir/$name/merged/retrofit-manifest.json" ] \
        || { cat "$dir/$name"/*.log >&2 2>/dev/null; die "the $name merge job wrote no outputs"; }
    eval "'$bin' $cmd --jobs 2 --out '$dir/$name/whole'" >/dev/null
    for f in "$dir/$name"/whole/*; do
        local base; base=$(basename "$f")
        # report.html of a sweep holds the world's assumptions table, read from the world
        # file; merge has only the parts, so its report lacks that table, and the manifest
        # lists that file's checksum. Both are checked for presence, the rest byte for byte.
        if [ "$base" = report.html ] || [ "$base" = retrofit-manifest.json ]; then
            [ -f "$dir/$name/merged/$base" ] || die "merged $name wrote no $base"
            continue
        fi
        cmp -s "$f" "$dir/$name/merged/$base" || die "merged $name: $base differs from the unsharded run's"
        n=$((n + 1))
    done
    say "merged $name of $tasks Slurm tasks equals the unsharded run byte for byte ($n files)"
}

jobs_submitted=""
sweep_cmd="sweep '$world' --runs $runs --seed 1"
# The teaching world keeps the debug-build check short; byte identity does not depend
# on the world's size.
sens_cmd="sensitivity '$root/worlds/teaching.ron' --samples $samples --seed 1"
opt_cmd="optimize '$plan' --futures $futures --seed 1"
shards sweep "$sweep_cmd"
shards sensitivity "$sens_cmd"
shards optimize "$opt_cmd"
for i in $(seq 900); do
    [ -z "$(squeue -h -j "${jobs_submitted#,}" 2>/dev/null)" ] && break
    [ "$i" = 900 ] && die "jobs still queued or running after 15 minutes: $(squeue -h 2>&1)"
    sleep 1
done
compare_whole sweep "$sweep_cmd"
compare_whole sensitivity "$sens_cmd"
compare_whole optimize "$opt_cmd"

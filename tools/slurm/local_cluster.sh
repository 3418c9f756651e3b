#!/usr/bin/env bash
# A throw-away one-node Slurm cluster on localhost for tests (munged + slurmctld + slurmd, all state
# in one temporary folder, ports chosen free, nothing installed or changed system-wide).
#
#   tools/slurm/local_cluster.sh check   exits 0 when a local cluster can be started here
#   tools/slurm/local_cluster.sh start   prints the folder; `export SLURM_CONF=<folder>/slurm.conf`
#   tools/slurm/local_cluster.sh stop <folder>   stops exactly the daemons it started (pid files)
#
# Needs Debian's slurm-wlm and munge, and root (slurmd runs jobs as their submitting user).
set -euo pipefail

die() { echo "local_cluster.sh: $*" >&2; exit 1; }

stop() {
  local dir="$1"
  for p in slurmd slurmctld munged; do
    if [ -f "$dir/$p.pid" ]; then kill "$(cat "$dir/$p.pid")" 2>/dev/null || true; fi
  done
  sleep 1
  for p in slurmd slurmctld munged; do
    if [ -f "$dir/$p.pid" ]; then kill -9 "$(cat "$dir/$p.pid")" 2>/dev/null || true; fi
  done
  rm -rf "$dir"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

check() {
  for b in munged munge slurmctld slurmd sbatch sinfo; do
    command -v "$b" >/dev/null 2>&1 || die "$b not found: apt-get install slurm-wlm munge"
  done
  [ "$(id -u)" = 0 ] || die "needs root (slurmd and slurmctld run as SlurmUser=root here)"
}

start() {
  check
  local dir host p1 p2
  dir="$(mktemp -d /tmp/ghostlab-slurm.XXXXXX)"
  chmod 700 "$dir"
  host="$(hostname -s)"
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 700 "$dir/munge"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 600 "$dir/munge/munge.key"
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/sock" \
    --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" ||
    { stop "$dir"; die "munged did not start"; }
  p1="$(free_port)"
  p2="$(free_port)"
  cat >"$dir/slurm.conf" <<CONF
ClusterName=ghostlab-test
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${p1}
SlurmdPort=${p2}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${dir}/munge/sock
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
NodeName=${host} NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld || { stop "$dir"; die "slurmctld did not start (see $dir/log)"; }
  slurmd || { stop "$dir"; die "slurmd did not start (see $dir/log)"; }
  for _ in $(seq 1 60); do
    if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix)'; then echo "$dir"; return 0; fi
    sleep 0.5
  done
  cat "$dir"/log/*.log >&2 || true
  stop "$dir"
  die "the node did not become idle within 30 s"
}

case "${1:-}" in
  check) check ;;
  start) start ;;
  stop) [ -n "${2:-}" ] || die "stop needs the folder printed by start"; stop "$2" ;;
  *) die "usage: $0 check | start | stop <folder>" ;;
esac

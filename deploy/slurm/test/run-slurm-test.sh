#!/usr/bin/env bash
# run-slurm-test.sh — runs deploy/slurm's scripts on a real Slurm cluster of one node,
# made on this machine: it installs Debian's slurm-wlm and munge (when missing), starts
# munged, slurmctld and slurmd as root (no systemd, no cgroups: proctrack/linuxproc,
# task/none), builds critsweep, submits critsweep-sweep.sbatch with a small sweep
# (Ising, 2 sizes × 3 β × 2 boundaries) and, beside it, a one-task
# critsweep-workers.sbatch array that joins it, waits for both jobs, and checks that
# every grid point has exactly one result. Then it stops everything it started.
#
#   sudo deploy/slurm/test/run-slurm-test.sh      (Debian or Ubuntu, as root)
#
# Re-running is safe: each run starts from a clean state directory, and the daemons of an
# earlier run that was killed are stopped first (by their recorded pids). It leaves
# nothing running. Its own Slurm listens on ports 16817/16818 with its configuration in
# the state directory (SLURM_CONF), so a Slurm installed on the machine is not touched;
# a munged already running is used as it is.
#
# Settings: CRITSWEEP_SLURM_TEST_DIR (state directory, default /var/tmp/critsweep-slurm-test),
# CRITSWEEP_SLURM_TEST_TIMEOUT (seconds for the jobs, default 300).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
base=${CRITSWEEP_SLURM_TEST_DIR:-/var/tmp/critsweep-slurm-test}
timeout=${CRITSWEEP_SLURM_TEST_TIMEOUT:-300}
began=$SECONDS

say() { printf '== [%3ds] %s\n' "$((SECONDS - began))" "$*"; }
die() {
	printf 'run-slurm-test: FAIL: %s\n' "$*" >&2
	exit 1
}

[[ $(id -u) == 0 ]] || die "run as root: it installs packages and starts munged, slurmctld and slurmd"
[[ $base == /* && $base != / ]] || die "CRITSWEEP_SLURM_TEST_DIR must be an absolute directory, not $base"
# One run at a time on a machine (the daemons do not inherit the lock).
exec 9>"/run/lock/critsweep-slurm-test.lock"
flock -n 9 || die "another run-slurm-test.sh is running"

# --- packages --------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null ||
	! command -v munged >/dev/null || ! command -v unmunge >/dev/null; then
	say "installing slurm-wlm and munge (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
command -v go >/dev/null || die "go is not installed"

# --- processes of this test, by recorded pid --------------------------------------------
pids=$base/pids # lines: NAME PID EXE
# stop_recorded stops the processes an earlier or this run recorded, if they still run the
# recorded executable (a pid may have been reused).
stop_recorded() {
	[[ -f $pids ]] || return 0
	local name pid exe i
	while read -r name pid exe; do
		if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]]; then
			kill -TERM "$pid" 2>/dev/null || true
			for ((i = 0; i < 100; i++)); do
				[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]] || break
				sleep 0.1
			done
			if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]]; then
				kill -KILL "$pid" 2>/dev/null || true
			fi
			wait "$pid" 2>/dev/null || true
			say "stopped $name (pid $pid)"
		fi
	done < <(tac "$pids")
	rm -f "$pids"
}
# record NAME PID EXE notes a process this run started (EXE: what it runs once started).
record() { echo "$1 $2 $(readlink -f "$3")" >>"$pids"; }

# running NAME reports whether the recorded process NAME runs.
running() {
	local name pid exe
	[[ -f $pids ]] || return 1
	while read -r name pid exe; do
		[[ $name == "$1" && $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]] && return 0
	done <"$pids"
	return 1
}

# stop_jobs cancels every job of the test cluster and waits for their processes, so that
# no critsweep process outlives the test.
stop_jobs() {
	[[ -f $base/etc/slurm.conf ]] || return 0
	export SLURM_CONF=$base/etc/slurm.conf
	if running slurmctld && running slurmd && timeout 10 squeue -h >/dev/null 2>&1; then
		timeout 10 scancel --user=root 2>/dev/null || true
		for ((i = 0; i < 60; i++)); do
			[[ -z $(timeout 10 squeue -h 2>/dev/null) ]] && break
			sleep 1
		done
	fi
	# Anything still running our binary was started by our jobs.
	local exe=$base/shared/critsweep p
	for p in /proc/[0-9]*; do
		if [[ $(readlink "$p/exe" 2>/dev/null) == "$exe" ]]; then
			kill -KILL "${p#/proc/}" 2>/dev/null || true
		fi
	done
}

teardown() {
	local status=$?
	set +e
	stop_jobs
	if running slurmctld; then
		timeout 10 scontrol shutdown >/dev/null 2>&1 # slurmctld and slurmd, gracefully
	fi
	stop_recorded
	if ((status == 0)); then
		say "PASS in $((SECONDS - began)) s"
	else
		echo "--- logs (in $base) ---" >&2
		tail -n 40 "$base"/log/*.log "$base"/*.out "$base"/shared/run/*.log 2>/dev/null >&2
		say "FAIL after $((SECONDS - began)) s"
	fi
	exit "$status"
}

say "cleaning up after earlier runs"
stop_jobs
stop_recorded
rm -rf "$base"
mkdir -p "$base"/{etc,log,ctld,spool,shared}
trap teardown EXIT
trap 'exit 130' INT TERM

# --- munge ------------------------------------------------------------------------------
# munge_works reports whether a munged answers.
munge_works() {
	[[ -S /run/munge/munge.socket.2 ]] && timeout 5 munge -n 2>/dev/null | timeout 5 unmunge >/dev/null 2>&1
}
if munge_works; then
	say "using the munged already running"
else
	if [[ ! -s /etc/munge/munge.key ]]; then
		say "creating the munge key"
		mungekey --create --keyfile /etc/munge/munge.key 2>/dev/null ||
			dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
		chown munge:munge /etc/munge/munge.key
		chmod 0400 /etc/munge/munge.key
	fi
	install -d -o munge -g munge -m 0755 /run/munge
	setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground >"$base/log/munged.out" 2>&1 9>&- &
	record munged $! "$(command -v munged)"
	for ((i = 0; i < 100; i++)); do
		munge_works && break
		sleep 0.1
	done
	munge_works || die "munged does not work (see $base/log/munged.out)"
	say "started munged"
fi

# --- slurm ------------------------------------------------------------------------------
node=$(hostname -s)
cpus=$(nproc)
memory=$(slurmd -C 2>/dev/null | sed -nE 's/.*RealMemory=([0-9]+).*/\1/p')
[[ -n $memory ]] || memory=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
export SLURM_CONF=$base/etc/slurm.conf
cat >"$SLURM_CONF" <<EOF
# Written by deploy/slurm/test/run-slurm-test.sh: a one-node cluster for the test.
ClusterName=critsweep-test
SlurmctldHost=$node
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
KillWait=30
StateSaveLocation=$base/ctld
SlurmdSpoolDir=$base/spool
SlurmctldPidFile=$base/slurmctld.pid
SlurmdPidFile=$base/slurmd.pid
SlurmctldLogFile=$base/log/slurmctld.log
SlurmdLogFile=$base/log/slurmd.log
NodeName=$node CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=60 State=UP
EOF
slurmctld -D -f "$SLURM_CONF" >"$base/log/slurmctld.out" 2>&1 9>&- &
record slurmctld $! "$(command -v slurmctld)"
slurmd -D -f "$SLURM_CONF" >"$base/log/slurmd.out" 2>&1 9>&- &
record slurmd $! "$(command -v slurmd)"
for ((i = 0; ; i++)); do
	state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
	[[ $state == idle ]] && break
	((i < 300)) || die "node $node is not idle after 30 s (state '$state'; see $base/log)"
	if [[ $state == down* || $state == drain* ]]; then
		scontrol update nodename="$node" state=resume 2>/dev/null || true
	fi
	sleep 0.1
done
say "slurm up: node $node, $cpus CPUs, ${memory} MiB (slurm $(sinfo -V | awk '{print $2}'))"

# --- critsweep --------------------------------------------------------------------------
bin=$base/shared/critsweep
(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$bin" ./cmd/critsweep)
say "built $("$bin" version)"
cat >"$base/shared/sweep.yaml" <<'EOF'
name: slurm test
model: {kind: ising}
boundary: [periodic, twisted]
grid:
  beta: [0.40, 0.42, 0.44]
  size: [6, 8]
  tau: [1.0]
network: {hidden: [8]}
training: {steps: 1500, batch: 64, learning_rate: 1e-2, seed: 7}
EOF

export CRITSWEEP_BIN=$bin
export CRITSWEEP_DIR=$base/shared/run
export CRITSWEEP_POLL=1
export CRITSWEEP_GIVE_UP=30
export CRITSWEEP_LOG_FORMAT=json
export CRITSWEEP_WORKER_ARGS="--estimate-samples 2048 --heartbeat 1s"
cd "$base"
main=$(sbatch --parsable --nodes=1 --cpus-per-task=1 --time=10 --output="$base/sweep-%j.out" \
	"$root/deploy/slurm/critsweep-sweep.sbatch" "$base/shared/sweep.yaml")
array=$(sbatch --parsable --array=0-0 --cpus-per-task=1 --time=10 --output="$base/workers-%A_%a.out" \
	"$root/deploy/slurm/critsweep-workers.sbatch")
say "submitted job $main (coordinator and a worker) and job array $array (a worker that joins)"

for ((i = 0; ; i++)); do
	left=$(squeue -h -j "$main,$array" -o '%i %T %r' 2>/dev/null || true)
	[[ -z $left ]] && break
	((i < timeout)) || die "jobs still queued or running after $timeout s: $left"
	((i % 10 == 0)) && say "waiting: ${left//$'\n'/, }"
	sleep 1
done
say "jobs done"

# --- checks -----------------------------------------------------------------------------
for j in "$main" "$array"; do
	info=$(scontrol show job "$j")
	states=$(grep -o 'JobState=[A-Z_]*' <<<"$info" | sort -u)
	codes=$(grep -o ' ExitCode=[0-9:]*' <<<"$info" | sort -u)
	[[ $states == JobState=COMPLETED && $codes == " ExitCode=0:0" ]] ||
		die "job $j: $states,$codes (want COMPLETED, 0:0); output in $base/*.out"
done
db=$CRITSWEEP_DIR/critsweep.db
sweep=$(<"$CRITSWEEP_DIR/sweep")
status=$("$bin" status "$sweep" --db "$db" --json)
[[ $status == *'"total":12,'* && $status == *'"done":12,'* && $status == *'"failed":0,'* ]] ||
	die "status of $sweep: $status (want 12 tasks, 12 done, none failed)"
"$bin" results "$sweep" --db "$db" --format csv >"$base/results.csv"
missing=$(awk -F, '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{ seen[sprintf("%.2f/%d/%s", $col["beta"], $col["size"], $col["boundary"])]++ }
	END {
		split("0.40 0.42 0.44", betas, " "); split("6 8", sizes, " "); split("periodic twisted", bs, " ")
		for (b in betas) for (s in sizes) for (k in bs) {
			key = betas[b] "/" sizes[s] "/" bs[k]
			if (seen[key] != 1) printf "%s has %d results\n", key, seen[key]
			delete seen[key]
		}
		for (key in seen) printf "unexpected point %s\n", key
	}' "$base/results.csv")
[[ -z $missing ]] || die "results: $missing"
rows=$(($(wc -l <"$base/results.csv") - 1))
((rows == 12)) || die "results: $rows rows, want 12"
by_main=$(grep -c '"msg":"task done"' "$CRITSWEEP_DIR/workers-$main.log" || true)
by_array=$(grep -c '"msg":"task done"' "$base/workers-${array}_0.out" || true)
say "all 12 grid points have one result: $by_main trained by job $main's worker, $by_array by array job ${array}_0's"
((by_array >= 1)) || die "the array's worker trained no task: it did not join the sweep in time"
grep -q 'joining coordinator' "$base/workers-${array}_0.out" || die "the array job did not join the coordinator"
# Both workers were stopped by SIGTERM, not killed: they logged their graceful stop.
for log in "$CRITSWEEP_DIR/workers-$main.log" "$base/workers-${array}_0.out"; do
	grep -q '"msg":"worker stopped"' "$log" || die "the worker of $log did not stop gracefully"
done
grep -q '"msg":"coordinator stopped"' "$CRITSWEEP_DIR/coordinator-$main.log" || die "the coordinator did not stop gracefully"

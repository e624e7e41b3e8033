# Two "nodes" on one machine, sourced by tests/run.sh and bench/run.sh: network namespaces $NSA
# and $NSB joined by veth; the page server and the seeds live in node A, restorers run in node B.
# The caller sets BUILD, T (its temp dir, removed on exit), NSA, NSB, IPA, IPB, and may set SHM
# (a dir on a tmpfs, removed on exit). Everything started here is stopped on exit.

# Seconds a restorer may run: a hang fails the run (timeout's exit 124) instead of blocking it.
RESTORE_TIMEOUT=${RESTORE_TIMEOUT:-60}
declare -a PIDS=() FDS=() SEEDS=()

# until_true SECONDS CMD...: polls CMD every 50 ms until it succeeds; fails after SECONDS.
until_true() {
	local tries=$(($1 * 20))
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || return 1
		sleep 0.05
	done
}

# running PID: the process exists and is no zombie.
running() {
	[ -r "/proc/$1/status" ] && awk '/^State:/ {exit $2 == "Z" || $2 == "X"}' "/proc/$1/status" 2>/dev/null
}

none_running() {
	local pid
	for pid; do ! running "$pid" || return 1; done
}

nodes_cleanup() {
	local fd pid
	# A seed ends (revoking its handle) once its stdin closes; only then goes the page server.
	for fd in "${FDS[@]}"; do eval "exec $fd>&-" 2>/dev/null; done
	until_true 5 none_running "${SEEDS[@]}"
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	ip netns del $NSA 2>/dev/null
	ip netns del $NSB 2>/dev/null
	rm -rf "$T"
	[ -z "${SHM:-}" ] || rm -rf "$SHM"
}
trap nodes_cleanup EXIT
trap "exit 130" INT TERM

# make_nodes: the two namespaces, joined by the veth pair ${NSA}0 -- ${NSB}0.
make_nodes() {
	ip netns del $NSA 2>/dev/null
	ip netns del $NSB 2>/dev/null
	ip netns add $NSA && ip netns add $NSB &&
		ip link add ${NSA}0 type veth peer name ${NSB}0 &&
		ip link set ${NSA}0 netns $NSA && ip link set ${NSB}0 netns $NSB &&
		ip -n $NSA addr add $IPA/24 dev ${NSA}0 && ip -n $NSB addr add $IPB/24 dev ${NSB}0 &&
		ip -n $NSA link set ${NSA}0 up && ip -n $NSB link set ${NSB}0 up &&
		ip -n $NSA link set lo up && ip -n $NSB link set lo up
}

# start_server [ARGS...]: the page server in node A on a free port; sets SERVER (its pid), PORT
# (empty when it did not come up within 5 s) and SERVER_ADDR.
start_server() {
	rm -f "$T/port"
	(
		for f in "${FDS[@]}"; do eval "exec $f>&-"; done
		umask 000 # the server's sockets must not depend on its caller's umask
		exec ip netns exec $NSA "$BUILD/cleave-pageserver" --bind $IPA --port 0 \
			--sock "$T/ps.sock" --port-file "$T/port" "$@" 2>>"$T/ps.log"
	) &
	SERVER=$!
	PIDS+=($SERVER)
	until_true 5 test -s "$T/port"
	PORT=$(cat "$T/port" 2>/dev/null)
	SERVER_ADDR=$IPA:$PORT
}

# start_seed NAME CMD...: runs a seed in node A with stdin held open (closing it ends the seed);
# sets H_NAME and K_NAME from its HANDLE line (0 when it printed none within 20 s),
# SEEDPID_NAME and SEEDFD_NAME.
start_seed() {
	local name=$1
	shift
	mkfifo "$T/$name.in"
	(
		# other seeds' stdin writers must not leak into this one, or they never see EOF
		for f in "${FDS[@]}"; do eval "exec $f>&-"; done
		exec ip netns exec $NSA "$@" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err"
	) &
	local pid=$!
	PIDS+=($pid)
	SEEDS+=($pid)
	eval "SEEDPID_$name=$pid"
	local fd
	exec {fd}>"$T/$name.in"
	FDS+=($fd)
	eval "SEEDFD_$name=$fd"
	until_true 20 seed_answered "$T/$name.out" $pid
	read -r _ h k < <(grep '^HANDLE' "$T/$name.out")
	eval "H_$name=${h:-0} K_$name=${k:-0}"
}

# seed_answered OUT PID: the seed printed its handle, or it is gone and never will.
seed_answered() { grep -q '^HANDLE' "$1" || ! running "$2"; }

stop_seed() {
	local fd pid
	eval "fd=\$SEEDFD_$1 pid=\$SEEDPID_$1"
	eval "exec $fd>&-"
	wait "$pid"
}

# restore_b ARGS...: a restorer in node B, bounded by RESTORE_TIMEOUT. Every restore gets a
# cache dir under $T (a later --cache overrides it): nothing in /dev/shm.
restore_b() {
	timeout -k 5 "$RESTORE_TIMEOUT" ip netns exec $NSB "$BUILD/cleave-restore" --cache "$T/cache-default" "$@"
}

# restore_bg ARGS...: restore_b in the background; $! is its timeout, whose exit status is the
# restorer's (restorer_of finds the restorer itself: ip netns exec execs it).
restore_bg() {
	(
		for f in "${FDS[@]}"; do eval "exec $f>&-"; done
		exec timeout -k 5 "$RESTORE_TIMEOUT" ip netns exec $NSB "$BUILD/cleave-restore" \
			--cache "$T/cache-default" "$@"
	) &
}

# restorer_of PID: the pid of the process PID (a timeout) runs, once it has forked it (proc
# files have no size: read, do not test -s); fails when there is none within 5 s.
restorer_of() {
	until_true 5 first_child "$1" && echo "$CHILD"
}

# first_child PID: sets CHILD to the first child of PID's main thread; fails when it has none.
first_child() {
	CHILD=
	read -r CHILD _ 2>/dev/null <"/proc/$1/task/$1/children"
	[ -n "$CHILD" ]
}

# the restorer's child sleeps in nanosleep (seed_c --sleep-ms): it runs, and has not answered
# yet; sets CHILD to its pid
child_sleeps() {
	local s
	first_child "$1" || return 1
	read -r s _ 2>/dev/null <"/proc/$CHILD/syscall"
	[ "${s:-}" = 230 ] || [ "${s:-}" = 35 ] # clock_nanosleep, nanosleep
}

# live (non-zombie) processes with this name
count_comm() {
	# cat, not awk on the files: processes vanish while the list is read
	cat /proc/[0-9]*/status 2>/dev/null | awk -v want="$1" '/^Name:/ {n = $2}
		/^State:/ {if (n == want && $2 != "Z") c++} END {print c + 0}'
}

# ref_of NAME: the REF line a seed started by start_seed NAME printed
ref_of() { sed -n 's/^REF //p' "$T/$1.out"; }

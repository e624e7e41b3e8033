#!/bin/bash
# Remote fork through the kernel module (its page server and its resume, faults served in the
# kernel; pages by RDMA READ over soft-RoCE, and again over TCP with rdma=0) vs the user-space twin (cleave-pageserver, cleave-restore with userfaultfd), in one qemu guest
# (make -C kmod vm-bench runs this there). Both page servers and all seeds live in node A,
# restorers in node B. The guest sees this machine's root read-only, so the summary goes to
# the console between CLEAVE-SUMMARY markers; the host writes it to summary.json.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$(pwd)/build}
N=${N:-10} ROUNDS=${ROUNDS:-5} # runs per variant, interleaved in rounds (load hits all alike)
PY=/usr/bin/python3
NSA=cleave-ba NSB=cleave-bb IPA=10.233.0.1 IPB=10.233.0.2
T=$(mktemp -d /tmp/cleave-vm-bench.XXXXXX)
OUT=$T/out
. tests/nodes.sh
. tests/vm_rdma.sh
mkdir -p "$OUT"
[ -c /dev/cleave_fork ] || { echo "no /dev/cleave_fork"; exit 1; }
make_nodes || { echo "netns setup failed"; exit 1; }
make_rdma_wire || { echo "soft-RoCE setup failed"; exit 1; }
start_server
[ -n "$PORT" ] || { echo "page server did not start"; exit 1; }
MOD=$IPA:$(cat /sys/module/cleave_fork/parameters/port)
R="$BUILD/cleave-restore"
runb() { ip netns exec $NSB "$@"; }
spawn() { # CSV N CMD...
	local csv=$1 n=$2; shift 2
	runb timeout -k 5 $((n * RESTORE_TIMEOUT)) "$BUILD/tests/spawnbench" "$n" "$T/runs.csv" -- "$@" ||
		echo "  (some runs of $csv failed)"
	[ -s "$OUT/$csv" ] || head -1 "$T/runs.csv" >"$OUT/$csv"
	tail -n +2 "$T/runs.csv" >>"$OUT/$csv"
}

for impl in module twin; do
	for kind in hello image; do
		name=${impl}_$kind
		off=$([ $impl = twin ] && echo 1 || echo 0)
		start_seed $name env CLEAVE_NO_MODULE=$off $PY tests/py/seed.py $kind server "$T/ps.sock"
		eval "H=\$H_$name K=\$K_$name"
		addr=$([ $impl = twin ] && echo "$SERVER_ADDR" || echo "$MOD")
		eval "A_$name=\"--server $addr --handle $H --key $K\""
		eval "E_$name=CLEAVE_NO_MODULE=$off"
		eval "A=\$A_$name"
		# shellcheck disable=SC2086
		CLEAVE_NO_MODULE=$off restore_b $A --cache none --stats "$OUT/${name}_lazy_stats.json" >/dev/null
		# shellcheck disable=SC2086
		restore_b $A --cache none --record "$T/$name.ws" >/dev/null
		# shellcheck disable=SC2086
		CLEAVE_NO_MODULE=$off restore_b $A --cache "$T/cache-$impl" >/dev/null # warms the twin's node cache
		echo "== $name prepared ($(grep '^PREPARED' "$T/$name.out"))"
	done
done
# the module's seeds again, resumed over TCP (module_tcp: the same handles, rdma=0), and with
# faults by RDMA but the working set's prefetch over TCP (module_bulk_tcp: rdma_bulk=0)
for kind in hello image; do
	eval "A_module_bulk_tcp_$kind=\$A_module_$kind E_module_bulk_tcp_$kind=\$E_module_$kind"
	cp "$T/module_$kind.ws" "$T/module_bulk_tcp_$kind.ws"
	eval "A_module_tcp_$kind=\$A_module_$kind E_module_tcp_$kind=\$E_module_$kind"
	eval "A=\$A_module_$kind"
	set_rdma 0
	# shellcheck disable=SC2086
	restore_b $A --cache none --stats "$OUT/module_tcp_${kind}_lazy_stats.json" >/dev/null
	set_rdma 1
	cp "$T/module_$kind.ws" "$T/module_tcp_$kind.ws"
done
for round in $(seq "$ROUNDS"); do
	echo "== round $round"
	for kind in hello image; do
		for impl in module module_tcp module_bulk_tcp twin; do
			name=${impl}_$kind
			eval "A=\$A_$name E=\$E_$name"
			set_rdma "$([ $impl = module_tcp ] && echo 0 || echo 1)"
			echo "$([ $impl = module_bulk_tcp ] && echo 0 || echo 1)" >/sys/module/cleave_fork/parameters/rdma_bulk
			# shellcheck disable=SC2086
			spawn "${name}_remote_fork.csv" $((N / ROUNDS)) /usr/bin/env $E $R $A --cache "$T/cache-$impl" --prefetch "$T/$name.ws"
			# its lazy children fault by RDMA, as module's do
			[ $impl = module_bulk_tcp ] && continue
			# shellcheck disable=SC2086
			spawn "${name}_lazy.csv" $((N / ROUNDS)) /usr/bin/env $E $R $A --cache none
		done
	done
done
set_rdma 1
echo 1 >/sys/module/cleave_fork/parameters/rdma_bulk
for f in "$T"/*.out; do grep -H '^PREPARED' "$f"; done | sed 's|.*/||; s|\.out:PREPARED||' >"$OUT/prepared.txt"
echo "CLEAVE-SUMMARY-BEGIN"
$PY bench/vm_summarize.py "$OUT"
echo "CLEAVE-SUMMARY-END"

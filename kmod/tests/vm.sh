#!/bin/bash
# Checks of the kernel module (make -C kmod vm-test runs this inside a qemu guest whose kernel
# has cleave_fork.ko loaded): the checks of tests/run.sh that concern prepare, revoke, stats and
# page serving, through /dev/cleave_fork. Seeds and both page servers (the module's, in the
# kernel, and the user-space twin's) live in node A; restorers run in node B.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$(pwd)/build}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/cleave-vm-test.XXXXXX)
NSA=cleave-va NSB=cleave-vb IPA=10.232.0.1 IPB=10.232.0.2
PASS=0 FAIL=0
FULL=${VM_FULL:-0}
RESUMES=${RESUMES:-$([ "$FULL" = 1 ] && echo 200 || echo 5)}
. tests/nodes.sh
. tests/vm_rdma.sh

say() { printf "%s\n" "$*"; }
section() { say "[${SECONDS}s] $*"; }
ok() { PASS=$((PASS + 1)); say "  ok   $* [${SECONDS}s]"; }
bad() { FAIL=$((FAIL + 1)); say "  FAIL $* [${SECONDS}s]"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
param() { cat "/sys/module/cleave_fork/parameters/$1"; }
param_is() { test "$(param "$1")" = "$2"; }
mem_avail() { awk '/MemAvailable/ {print $2}' /proc/meminfo; }
# Memory (kB) none of these counters of /proc/meminfo accounts for: where a page the module took
# and never gave back stays. MemAvailable also moves with the files the checks leave on the
# guest's tmpfs and the caches they warm, 7-39 MB between runs of the same build, not a leak;
# this moved 7-20 MB (socket buffers, vmalloc). Free pages on the per-cpu lists (which soft-RoCE's
# traffic fills) are counted as free.
mem_unaccounted() {
  local pcp
  pcp=$(awk '$1 == "count:" {c += $2} END {print c * 4}' /proc/zoneinfo)
  awk -v pcp="$pcp" '/^MemTotal:/ {t = $2} /^(MemFree|Buffers|Cached|SwapCached|AnonPages|Slab|KernelStack|PageTables|Percpu):/ {u += $2}
       END {print t - u - pcp}' /proc/meminfo
}
# the kernel's RDMA objects (protection domains, queues, memory regions) per device
rdma_objects() { rdma res show | sed 's/^[0-9]*: //' | sort; }

# transport_is rdma|tcp STATS.JSON: the resume's pages came that way only
transport_is() {
	if [ "$1" = rdma ]; then
		grep -q '"net_pages": 0,.*"transport": "rdma", "rdma_pages": [1-9]' "$2"
	else
		grep -q '"net_pages": [1-9].*"transport": "tcp", "rdma_pages": 0,' "$2"
	fi
}

[ -c /dev/cleave_fork ] || { say "no /dev/cleave_fork: the module is not loaded"; exit 1; }
make_nodes || { say "cannot create network namespaces"; exit 1; }
make_rdma_wire || { say "cannot create the soft-RoCE devices"; exit 1; }
rdma0=$(rdma_objects)
start_server
[ -n "${PORT:-}" ] || { say "twin page server did not start"; cat "$T/ps.log"; exit 1; }
MOD=$IPA:$(param port)
SEED_C=$BUILD/tests/seed_c
mm_structs() { awk '$1 == "mm_struct" {print $2}' /proc/slabinfo; }
mms0=$(mm_structs)
mem0=$(mem_avail)
lost0=$(mem_unaccounted)

section "C seed prepared through the module, children resumed through the module (RDMA)"
check "the module uses both soft-RoCE devices ($(param rdma_devices))" param_is rdma_devices 2
# the full C seed's checks (400 mappings, malloc churn...) take a while under TCG
start_seed c $SEED_C server "$T/ps.sock" $([ "$FULL" = 1 ] || echo --quick)
check "prepare through the module gives a handle" test "${H_c:-0}" != 0
check "the module holds one snapshot" param_is handles 1
check "the holder process is gone (the module keeps its memory)" test "$(count_comm seed_c)" = 1
MODES=("--cache none" "--eager")
[ "$FULL" = 1 ] && MODES+=("--cache $T/cache" "--record $T/c.ws --cache none" "--prefetch $T/c.ws --cache none")
for mode in "${MODES[@]}"; do
	# shellcheck disable=SC2086
	restore_b --server $MOD --handle $H_c --key $K_c $mode --stats "$T/st.json" >"$T/r.out" 2>"$T/r.err"
	check "module seed, remote $mode: all child checks pass" grep -q "CHILD PASS" "$T/r.out"
	[ "$mode" = "--cache none" ] && check "its pages came by RDMA READ, none by TCP ($(grep -o '"rdma_pages": [0-9]*' "$T/st.json"))" \
		eval 'grep -q "\"module\": true" "$T/st.json" && transport_is rdma "$T/st.json"'
done
check "the RDMA queue pairs went with the child ($(param rdma_qps) open)" until_true 5 param_is rdma_qps 0
set_rdma 0
restore_b --server $MOD --handle $H_c --key $K_c --cache none --stats "$T/st.json" >"$T/r.out" 2>"$T/r.err"
check "with rdma=0 the same seed resumes over TCP ($(grep -o '"net_pages": [0-9]*' "$T/st.json"))" \
	eval 'grep -q "CHILD PASS" "$T/r.out" && transport_is tcp "$T/st.json"'
set_rdma 1
CLEAVE_NO_MODULE=1 restore_b --server $MOD --handle $H_c --key $K_c --cache none --stats "$T/st.json" >"$T/r.out" 2>"$T/r.err"
check "the user-space restorer still resumes it (CLEAVE_NO_MODULE=1)" \
	eval 'grep -q "CHILD PASS" "$T/r.out" && ! grep -q module "$T/st.json"'

section "refusals, as the twin makes them"
restore_b --server $MOD --handle $H_c --key 00000000000000000000000000000000 >"$T/r.out" 2>"$T/r.err"
rc=$?
check "bad key refused (exit $rc)" test $rc = 65 -a ! -s "$T/r.out"
check "bad key message" grep -q "wrong key" "$T/r.err"
restore_b --server $MOD --handle 999999 --key $K_c >/dev/null 2>"$T/r.err"
check "unknown handle refused" grep -q "unknown or revoked handle" "$T/r.err"
$PY - "$BUILD/libcleave.so" $H_c >"$T/ioc.out" 2>&1 <<'PYEOF'
import ctypes, fcntl, os, struct, sys, threading, time
os.environ["CLEAVE_LIB"] = sys.argv[1]
sys.path.insert(0, "python")
import cleave_fork
try:
    cleave_fork.stats(cleave_fork.Prepared(int(sys.argv[2]), "00" * 16, "", 0, 0, 0, 0))
    print("stats answered")
except cleave_fork.CleaveError as e:
    print("stats refused", e.code)
t = threading.Thread(target=time.sleep, args=(2,), daemon=True)
t.start()
try:
    cleave_fork.prepare()
    print("prepared")
except cleave_fork.CleaveError as e:
    print("prepare refused", e.code)
t.join()
# memory no other node could map (a memfd): the seed's state cannot be forked
import mmap
mfd = os.memfd_create("cleave-vm")
os.ftruncate(mfd, 4096)
m = mmap.mmap(mfd, 4096)
m[0] = 1
try:
    cleave_fork.prepare()
    print("memfd prepared")
except cleave_fork.CleaveError as e:
    print("memfd prepare refused", e.code)
PYEOF
check "stats with a bad key refused (CLEAVE_E_KEY)" grep -q "stats refused 5" "$T/ioc.out"
check "multi-threaded caller refused (CLEAVE_E_THREADS)" grep -q "prepare refused 2" "$T/ioc.out"
check "a seed mapping a memfd refused (CLEAVE_E_UNSUPPORTED)" grep -q "memfd prepare refused 11" "$T/ioc.out"

section "hostile clients of the kernel page server and the device"
ip netns exec $NSB $PY tests/vm_hostile.py $MOD $H_c $K_c $([ "$FULL" = 1 ] && echo --silent) >"$T/hostile.out" 2>&1
[ "$FULL" = 1 ] && check "a client that sends no hello is dropped after the timeout" grep -qx "silent 4" "$T/hostile.out"
check "garbage instead of a hello: protocol error (CLEAVE_E_SERVER)" grep -qx "garbage 4" "$T/hostile.out"
check "read outside the seed's content refused (CLEAVE_E_INVAL)" grep -qx "read_outside 1" "$T/hostile.out"
check "oversized read request refused" grep -qx "too_many_ranges 4" "$T/hostile.out"
check "a client gone mid-message is survived" grep -qx "half_header_then_close ok" "$T/hostile.out"
check "prepare naming a process that is not the caller's child refused (CLEAVE_E_INVAL)" \
	grep -qx "foreign_holder 1" "$T/hostile.out"
check "truncated descriptor refused (CLEAVE_E_DESC)" grep -qx "truncated_desc 7" "$T/hostile.out"
check "resume: bad version refused (CLEAVE_E_INVAL)" grep -qx "resume_bad_version 1" "$T/hostile.out"
check "resume: no server refused (CLEAVE_E_SERVER)" grep -qx "resume_no_server 4" "$T/hostile.out"
check "resume: bad key refused (CLEAVE_E_KEY)" grep -qx "resume_bad_key 5" "$T/hostile.out"
check "resume: unknown handle refused (CLEAVE_E_NOHANDLE)" grep -qx "resume_no_handle 6" "$T/hostile.out"
check "resume: mapping a file with no session refused (EINVAL)" grep -qx "mmap_without_session 22" "$T/hostile.out"
check "resume: read() gives the descriptor" grep -qx "resume_desc ok" "$T/hostile.out"
check "resume: mapping away from the seed's address refused (EINVAL)" grep -qx "mmap_elsewhere 22" "$T/hostile.out"
check "resume: a second resume on one file refused" grep -qx "resume_twice 1" "$T/hostile.out"
check "RDMA asked before a hello: protocol error, no offer" grep -qx "rdma_before_hello 4 no_offer" "$T/hostile.out"
check "the module's descriptor answer offers RDMA" grep -qx "desc_offers_rdma 1" "$T/hostile.out"
check "an authenticated client's queue pair gets an offer, and TCP requests are still answered" \
	eval 'grep -q "^rdma_queue_pair_offer 0 " "$T/hostile.out" && grep -qx "tcp_after_rdma 1" "$T/hostile.out"'
check "no connection left open" until_true 10 param_is connections 0
restore_b --server $MOD --handle $H_c --key $K_c --cache none >"$T/r.out" 2>"$T/r.err"
check "the server still serves children" grep -q "CHILD PASS" "$T/r.out"

section "seed revoked while a lazy child runs"
start_seed slow $SEED_C server "$T/ps.sock" --sleep-ms 1500 --quick --rss 32
restore_bg --server $MOD --handle $H_slow --key $K_slow --cache none --stats "$T/rv.json" >"$T/r.out" 2>"$T/r.err"
TPID=$!
RPID=$(restorer_of $TPID) || RPID=none
check "lazy child runs" until_true 30 child_sleeps $RPID
stop_seed slow
wait $TPID
rc=$?
check "restorer reports the lost seed (exit $rc)" test $rc = 70
check "child killed" until_true 10 none_running ${CHILD:-none}
check "child never ran on zero pages" test ! -s "$T/r.out"
check "... it read its pages by RDMA" grep -q '"transport": "rdma", "rdma_pages": [1-9]' "$T/rv.json"

section "a page server that fails a resume through the module (TCP: the proxy relays it)"
set_rdma 0
PX=7399
proxy() {
	ip netns exec $NSA $PY tests/vm_proxy.py $PX "$@" >"$T/px.out" 2>&1 &
	PXPID=$!
	until_true 10 grep -q listening "$T/px.out"
}
proxy cut $MOD 1048576
restore_b --server $IPA:$PX --handle $H_c --key $K_c --cache none >"$T/r.out" 2>"$T/r.err"
rc=$?
wait $PXPID
check "server gone mid-restore: the child is killed, the restorer exits 70 (exit $rc)" test $rc = 70
check "... and the child never finished on zero pages" test "$(grep -c "CHILD PASS" "$T/r.out")" = 0
proxy baddesc
restore_b --server $IPA:$PX --handle $H_c --key $K_c --cache none >"$T/r.out" 2>"$T/r.err"
rc=$?
wait $PXPID
check "corrupt descriptor from the server refused (exit $rc)" \
	eval 'test $rc = 65 && grep -q "corrupt descriptor" "$T/r.err"'
# a seed from another kernel or CPU: the same refusals, before any child exists
proxy damage $MOD "$BUILD/tests/tamper" vdso cpu
for damage in "vdso:vDSO differs" "cpu:lacks features"; do
	restore_b --server $IPA:$PX --handle $H_c --key $K_c --cache none >"$T/r.out" 2>"$T/r.err"
	rc=$?
	check "a descriptor whose ${damage%%:*} is not this node's refused through the module (exit $rc: ${damage#*:}), no child" \
		eval 'test $rc = 65 -a ! -s "$T/r.out" && grep -q "${damage#*:}" "$T/r.err"'
done
wait $PXPID
set_rdma 1

section "module and twin side by side"
CLEAVE_NO_MODULE=1 start_seed twin $SEED_C server "$T/ps.sock" --quick
restore_b --server $SERVER_ADDR --handle $H_twin --key $K_twin --cache none --stats "$T/st.json" >"$T/r.out" 2>"$T/r.err"
check "a twin seed (CLEAVE_NO_MODULE=1) resumes from the twin's server through the module, over TCP" \
	eval 'grep -q "CHILD PASS" "$T/r.out" && transport_is tcp "$T/st.json"'
restore_b --server $MOD --handle $H_twin --key $K_twin --cache none >"$T/r.out" 2>"$T/r.err"
check "the module does not serve the twin's handle" test ! -s "$T/r.out"
stop_seed twin

section "Python 3.11 seed through the module"
start_seed hello $PY tests/py/seed.py hello server "$T/ps.sock"
# keys are per handle: the C seed's key opens nothing of the hello seed's
restore_b --server $MOD --handle $H_hello --key $K_c >"$T/r.out" 2>"$T/r.err"
rc=$?
check "the hello handle resumed with the C seed's key: refused (exit $rc, wrong key)" \
	eval 'test $rc = 65 -a ! -s "$T/r.out" && grep -q "wrong key" "$T/r.err"'
# and an rkey is worth nothing on another handle's queue pair (each handle has its own domain)
ip netns exec $NSB "$BUILD/tests/rkey_cross" $MOD $IPB $H_c $K_c $H_hello $K_hello >"$T/rk.out" 2>&1
check "a user-space verbs client reads the C seed's page with its rkey, and not through the hello handle's queue pair ($(tail -1 "$T/rk.out"))" \
	eval 'grep -qx "own_read ok" "$T/rk.out" && grep -q "^cross_read refused" "$T/rk.out"'
for mode in "--cache none" "--eager"; do
	# shellcheck disable=SC2086
	out=$(restore_b --server $MOD --handle $H_hello --key $K_hello $mode --stats "$T/st.json" 2>"$T/r.err")
	check "hello $mode answers like the seed, by RDMA" \
		eval 'test "$out" = "$(ref_of hello)" && transport_is rdma "$T/st.json"'
done
set_rdma 0
out=$(restore_b --server $MOD --handle $H_hello --key $K_hello --cache none --stats "$T/st.json" 2>"$T/r.err")
check "hello --cache none answers like the seed, by TCP (rdma=0)" \
	eval 'test "$out" = "$(ref_of hello)" && transport_is tcp "$T/st.json"'
set_rdma 1
# a working set recorded by the twin's restorer, prefetched through the module: its pages are
# mapped into the child before it runs (as the twin's UFFDIO_COPY does), so they never fault
restore_b --server $MOD --handle $H_hello --key $K_hello --record "$T/hello.ws" --cache none >/dev/null 2>"$T/r.err"
inst0=$(param pages_installed)
out=$(restore_b --server $MOD --handle $H_hello --key $K_hello --prefetch "$T/hello.ws" --cache none --stats "$T/st.json" 2>"$T/r.err")
stat_of() { grep -o "\"$1\": [0-9]*" "$T/st.json" | cut -d' ' -f2; }
inst=$(($(param pages_installed) - inst0))
check "hello --prefetch answers like the seed; its $(stat_of prefetched) prefetched pages were mapped before it ran ($inst installed, $(stat_of faults) faults)" \
	eval 'test "$out" = "$(ref_of hello)" && transport_is rdma "$T/st.json" && test "$inst" -gt 0 &&
	      test "$inst" -le "$(stat_of prefetched)" && test "$(stat_of faults)" -lt "$inst"'
# rdma_bulk=0: the prefetch comes over the session's TCP, the faults still by RDMA
echo 0 >/sys/module/cleave_fork/parameters/rdma_bulk
out=$(restore_b --server $MOD --handle $H_hello --key $K_hello --prefetch "$T/hello.ws" --cache none --stats "$T/st.json" 2>"$T/r.err")
echo 1 >/sys/module/cleave_fork/parameters/rdma_bulk
check "with rdma_bulk=0 its prefetch came over TCP ($(stat_of net_pages) pages), its faults by RDMA ($(stat_of rdma_pages))" \
	eval 'test "$out" = "$(ref_of hello)" && test "$(stat_of net_pages)" -gt 0 && test "$(stat_of rdma_pages)" -gt 0 &&
	      grep -q "\"transport\": \"rdma\"" "$T/st.json"'
stop_seed hello
# the handle's own counters: TCP page batches only (RDMA reads do not reach the seed's CPU)
check "stats from the module count the hello handle's 6 children and the verbs client" grep -q "^STATS 7 [1-9]" "$T/hello.out"
if [ "$FULL" = 1 ]; then
	section "numpy+PIL seed through the module"
	start_seed image $PY tests/py/seed.py image server "$T/ps.sock"
	for mode in "--cache none" "--eager"; do
		# shellcheck disable=SC2086
		out=$(restore_b --server $MOD --handle $H_image --key $K_image $mode 2>"$T/r.err")
		check "numpy+PIL $mode computes what the seed computes" test "$out" = "$(ref_of image)"
	done
	stop_seed image
fi

section "$RESUMES restores in a row"
# the seed maps a library of its own (LD_PRELOAD), which the restores find unchanged
rm -f "$T/libx.so" && cp "$BUILD/tests/libx1.so" "$T/libx.so"
LD_PRELOAD="$T/libx.so" start_seed many $SEED_C server "$T/ps.sock" --quick
fails=0 by_rdma=0 by_tcp=0
# by RDMA and over TCP in turn
for i in $(seq "$RESUMES"); do
	set_rdma $((i % 2))
	restore_b --server $MOD --handle $H_many --key $K_many --cache none --stats "$T/st.json" >"$T/r.out" 2>"$T/r.err" || fails=$((fails + 1))
	grep -q "CHILD PASS" "$T/r.out" || fails=$((fails + 1))
	if transport_is rdma "$T/st.json"; then by_rdma=$((by_rdma + 1)); elif transport_is tcp "$T/st.json"; then by_tcp=$((by_tcp + 1)); fi
done
set_rdma 1
check "$RESUMES restores all pass ($fails failures; $by_rdma by RDMA, $by_tcp over TCP; the seed maps its own library)" \
	test $fails = 0 -a $by_rdma = $(((RESUMES + 1) / 2)) -a $by_tcp = $((RESUMES / 2))
rm "$T/libx.so" && cp "$BUILD/tests/libx2.so" "$T/libx.so"
restore_b --server $MOD --handle $H_many --key $K_many --cache none >"$T/r.out" 2>"$T/r.err"
rc=$?
check "that library rebuilt here: refused (exit $rc, CLEAVE_E_LIBRARY), no child" \
	eval 'test $rc = 65 -a ! -s "$T/r.out" && grep -q "libx.so differs from the seed'"'"'s" "$T/r.err"'

section "the RDMA wire cut while a lazy child reads by RDMA (its TCP session stays)"
start_seed cut $SEED_C server "$T/ps.sock" --sleep-ms 1500 --quick --rss 32
restore_bg --server $MOD --handle $H_cut --key $K_cut --cache none --stats "$T/cut.json" >"$T/r.out" 2>"$T/r.err"
TPID=$!
RPID=$(restorer_of $TPID) || RPID=none
check "lazy child runs" until_true 30 child_sleeps $RPID
ip link set cleave-rb down
wait $TPID
rc=$?
check "its reads fail: the child is killed, the restorer exits 70 (exit $rc)" test $rc = 70
check "... the child never ran on zero pages" test ! -s "$T/r.out"
check "... it read by RDMA until then" grep -q '"transport": "rdma", "rdma_pages": [1-9]' "$T/cut.json"
ip link set cleave-rb up
stop_seed cut
check "no page server connection left open" until_true 5 param_is connections 0
section "the RDMA devices removed under lazy children reading by RDMA (rdma link delete)"
start_seed gone $SEED_C server "$T/ps.sock" --sleep-ms 3000 --quick
# removing a device ends what uses it there and then; it waits for no revoke and no child
remove_device() { timeout -k 5 60 rdma link delete "$1"; }
restore_bg --server $MOD --handle $H_gone --key $K_gone --cache none --stats "$T/gone.json" >"$T/r.out" 2>"$T/r.err"
TPID=$!
RPID=$(restorer_of $TPID) || RPID=none
check "lazy child runs" until_true 30 child_sleeps $RPID
remove_device rxe-b
rc_del=$?
wait $TPID
rc=$?
# the removal tore down a queue pair in use (the session's), it did not wait for it to go
torn_down() { dmesg | grep -q "cleave_fork: $1 removed: [1-9][0-9]* queue pairs in use torn down"; }
check "the resume node's device removed under it (exit $rc_del): it tears down the session's queue pair, the child is killed, the restorer exits 70 (exit $rc)" \
	eval 'test $rc_del = 0 -a $rc = 70 && torn_down rxe-b'
check "... the child never ran on zero pages" test ! -s "$T/r.out"
check "... it read by RDMA until then" grep -q '"transport": "rdma", "rdma_pages": [1-9]' "$T/gone.json"
check "... the module uses the one device left ($(param rdma_devices))" param_is rdma_devices 1
rdma link add rxe-b type rxe netdev cleave-rb
restore_bg --server $MOD --handle $H_gone --key $K_gone --cache none --stats "$T/gone.json" >"$T/r.out" 2>"$T/r.err"
TPID=$!
RPID=$(restorer_of $TPID) || RPID=none
check "a device added back is used: a lazy child reads by RDMA again" \
	eval 'param_is rdma_devices 2 && until_true 30 child_sleeps $RPID'
remove_device rxe-a
rc_del=$?
wait $TPID
rc=$?
check "the seed node's device removed (exit $rc_del): it tears down the seed's queue pair and closes the child's page connection, the child is killed, the restorer exits 70 (exit $rc)" \
	eval 'test $rc_del = 0 -a $rc = 70 && torn_down rxe-a'
check "... the child never ran on zero pages" test ! -s "$T/r.out"
check "... every handle's pages registered there are unpinned, the handles stay ($(param rdma_pinned) pinned, $(param handles) held)" \
	eval 'param_is rdma_pinned 0 && param_is handles 3'
rdma link add rxe-a type rxe netdev cleave-ra
restore_b --server $MOD --handle $H_gone --key $K_gone --cache none --stats "$T/gone.json" >"$T/r.out" 2>"$T/r.err"
check "with the device added back the handle registers there again: a child resumes by RDMA" \
	eval 'grep -q "CHILD PASS" "$T/r.out" && transport_is rdma "$T/gone.json"'
stop_seed gone
stop_seed many
# while another snapshot keeps the listener up (with none left, it stops: connection refused)
restore_b --server $MOD --handle $H_many --key $K_many --cache none >/dev/null 2>"$T/r.err"
check "revoked handle refused" grep -q "unknown or revoked handle" "$T/r.err"
stop_seed c
check "every snapshot freed after revoke ($(param handles) held)" param_is handles 0
check "every resume session freed ($(param sessions) open)" until_true 5 param_is sessions 0
check "no fetched page left waiting ($(param pages_held) held)" param_is pages_held 0
check "no RDMA queue pair left ($(param rdma_qps) open; $(param rdma_pages) pages read by RDMA)" \
	eval 'param_is rdma_qps 0 && test "$(param rdma_pages)" -gt 0'
check "no seed page left registered for RDMA ($(param rdma_pinned))" param_is rdma_pinned 0
check "the devices hold the RDMA objects they held before ($(rdma_objects | tr '\n' ' '))" test "$(rdma_objects)" = "$rdma0"
check "no restored child left behind" test "$(count_comm seed_c)" = 0
listening() { ip netns exec $NSA cat /proc/net/tcp | awk -v p="$(printf ':%04X' "$(param port)")" '$2 ~ p"$" && $4 == "0A"' | grep -q .; }
check "the module's listener stopped with the last snapshot" until_true 5 eval '! listening'
rm -rf "$T"/cache*
sync; echo 3 >/proc/sys/vm/drop_caches
mem1=$(mem_avail)
lost1=$(mem_unaccounted)

check "no page kept after revoke (unaccounted ${lost0} kB -> ${lost1} kB)" test $((lost1 - lost0)) -lt 32768
# a snapshot kept would stay as the seed's anonymous memory (tens of MB), which MemAvailable shows
check "memory back after revoke (MemAvailable ${mem0} kB -> ${mem1} kB)" test $((mem0 - mem1)) -lt 65536
check "no address space left behind (mm_struct objects: ${mms0} -> $(mm_structs))" test "$(mm_structs)" -le "$mms0"

check "the module unloads (no reference left)" rmmod cleave_fork
# libcleave takes the module only where /dev/cleave_fork exists: now the twin prepares, whose
# holder process stays beside the seed (the module's ends)
start_seed after $SEED_C server "$T/ps.sock" --quick
check "without /dev/cleave_fork a prepare goes to the user-space twin (handle ${H_after:-0}, its holder stays)" \
	eval 'test ! -e /dev/cleave_fork -a "${H_after:-0}" != 0 -a "$(count_comm seed_c)" = 2'
stop_seed after

say "vm tests: $PASS passed, $FAIL failed"
[ $FAIL = 0 ]

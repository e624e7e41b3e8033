#!/bin/bash
# Tests of the user-space fork primitive (make -C kmod test).  Needs root: it creates two
# network namespaces joined by veth ("two nodes"): the page server and the seeds live in
# cleave-ta, every restorer runs in cleave-tb.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$(pwd)/build}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/cleave-kmod-test.XXXXXX)
NSA=cleave-ta NSB=cleave-tb IPA=10.231.0.1 IPB=10.231.0.2
PASS=0 FAIL=0
. tests/nodes.sh

say() { printf '%s\n' "$*"; }
ok() { PASS=$((PASS + 1)); say "  ok   $*"; }
bad() { FAIL=$((FAIL + 1)); say "  FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

ensure_deps() {
	local need=()
	command -v ip >/dev/null || need+=(iproute2)
	$PY -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
	$PY -c 'import PIL' 2>/dev/null || need+=(python3-pil)
	command -v gcc >/dev/null || need+=(gcc)
	if [ ${#need[@]} -gt 0 ]; then
		say "installing ${need[*]}"
		apt-get install -y "${need[@]}" >/dev/null 2>&1 ||
			{ apt-get update >/dev/null 2>&1 && apt-get install -y "${need[@]}" >/dev/null 2>&1; } ||
			{ say "cannot install ${need[*]}"; exit 1; }
	fi
}

comm_count_is() { test "$(count_comm "$1")" = "$2"; }
server_fds() { ls /proc/$SERVER/fd | wc -l; }
server_fds_at_most() { test "$(server_fds)" -le "$1"; }

ensure_deps
[ "$(id -u)" = 0 ] || { say "tests need root (namespaces, userfaultfd)"; exit 1; }
make_nodes || { say "cannot create network namespaces"; exit 1; }
start_server --verbose
[ -n "${PORT:-}" ] || { say "page server did not start"; cat "$T/ps.log"; exit 1; }
check "page server's unix socket is 0600 under umask 000" test "$(stat -c %a "$T/ps.sock")" = 600
SEED_C=$BUILD/tests/seed_c

say "checkpoint to file, eager restore (C seed)"
$SEED_C file "$T/c.ckpt" >"$T/cfile.out" 2>&1
restore_b --cache "$T/cache" --file "$T/c.ckpt" >"$T/r.out" 2>"$T/r.err"
check "file restore: malloc churn, vdso, signals, tls, fork, sparse heap, 400 mappings" \
	grep -q "CHILD PASS" "$T/r.out"

say "remote fork of a C seed between two network namespaces"
start_seed c $SEED_C server "$T/ps.sock"
HC=$H_c KC=$K_c
n=0
for mode in "--eager" "--cache none" "--cache $T/cache" "--cache $T/cache" "--record $T/c.ws --cache none" "--prefetch $T/c.ws --cache none"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	restore_b --server $SERVER_ADDR --handle $HC --key $KC $mode --stats "$T/s$n.json" >"$T/r.out" 2>"$T/r.err"
	check "remote $mode: all child checks pass" grep -q "CHILD PASS" "$T/r.out"
done
check "the second cached child reads pages from the node cache" grep -q '"cache_pages": [1-9]' "$T/s4.json"
restore_b --server $SERVER_ADDR --handle $HC --key $KC --cache "$T/cache" --stats "$T/s.json" >/dev/null 2>&1
check "second child of a handle is served from the node cache" grep -q '"net_pages": 0,' "$T/s.json"

say "children sharing the node cache on a tmpfs (their views of the cache file)"
SHM=$(mktemp -d /dev/shm/cleave-kmod-test.XXXXXX)
n=0
for mode in "--record $T/sh.ws" "" "--prefetch $T/sh.ws" "--eager"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	restore_b --server $SERVER_ADDR --handle $HC --key $KC --cache "$SHM/c" $mode --stats "$T/sh$n.json" >"$T/r.out" 2>"$T/r.err"
	check "shared cache ${mode:-lazy}: all child checks pass (dropped pages zero, fork, mremap)" grep -q "CHILD PASS" "$T/r.out"
done
check "the cache file on the tmpfs is the shared layout" test -n "$(ls "$SHM/c/" | grep '_shared\.pages$')"
check "a later sharing child maps its pages from the cache" grep -q '"cache_pages": [1-9]' "$T/sh2.json"
check "a prefetching sharing child fetches nothing" grep -q '"net_pages": 0,' "$T/sh3.json"
# A child's private memory: what it wrote (and page tables), not the seed pages it only read.
start_seed big $SEED_C server "$T/ps.sock" --rss 64 --quick --linger-ms 20000
anon_kb() { awk '/^Anonymous:/ {print $2}' "/proc/$1/smaps_rollup"; }
child_pid() { sed -n 's/^CHILD PASS \([0-9]*\).*/\1/p' "$T/big$1.out"; }
for n in 1 2 3; do
	mode=""
	[ $n = 3 ] && mode="--no-share"
	# shellcheck disable=SC2086
	restore_bg --server $SERVER_ADDR --handle $H_big --key $K_big --cache "$SHM/big" $mode >"$T/big$n.out" 2>"$T/big$n.err"
	BPID[$n]=$!
	until_true 30 grep -q "CHILD" "$T/big$n.out"
	KB[$n]=$(anon_kb "$(child_pid $n)" 2>/dev/null || echo none)
	kill "$(child_pid $n)" 2>/dev/null
	wait "${BPID[$n]}" 2>/dev/null
done
check "64 MB of seed heap read by a sharing child: under 16 MB anonymous (${KB[2]} kB)" test "${KB[2]:-none}" != none -a "${KB[2]:-0}" -lt 16384
check "the same child with --no-share owns its copy: over 64 MB anonymous (${KB[3]} kB)" test "${KB[3]:-none}" != none -a "${KB[3]:-0}" -gt 65536
stop_seed big

say "a restorer held before its child exists (--hold)"
# A writer's non-blocking open of the FIFO succeeds only while the held restorer waits on it.
fifo_has_reader() { /usr/bin/python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK))' "$1" 2>/dev/null; }
rm -f "$T/go" && mkfifo -m 600 "$T/go"
restore_bg --server $SERVER_ADDR --handle $HC --key $KC --cache "$T/cache" --hold "$T/go" --stats "$T/h.json" >"$T/r.out" 2>"$T/r.err"
TPID=$!
check "held restorer waits on its FIFO" until_true 10 fifo_has_reader "$T/go"
RPID=$(restorer_of $TPID) || RPID=none
check "no child while it is held" test "$RPID" != none -a -z "$(pgrep -P "$RPID")" -a ! -s "$T/r.out"
printf g >"$T/go"
wait $TPID
check "let go, it restores the child: all child checks pass" grep -q "CHILD PASS" "$T/r.out"
check "its stats count from the go (descriptor time 0)" grep -q '"desc_ms": 0.000' "$T/h.json"

say "refusals before the child runs"
restore_b --server $SERVER_ADDR --handle $HC --key 00000000000000000000000000000000 >"$T/r.out" 2>"$T/r.err"
rc=$?
check "bad key refused (exit $rc)" test $rc = 65 -a ! -s "$T/r.out"
check "bad key message" grep -q "wrong key" "$T/r.err"
restore_b --server $SERVER_ADDR --handle 999999 --key $KC >/dev/null 2>"$T/r.err"
check "unknown handle refused" grep -q "unknown or revoked handle" "$T/r.err"
cp "$T/c.ckpt" "$T/t.ckpt" && $BUILD/tests/tamper "$T/t.ckpt" truncate-desc
restore_b --cache "$T/cache" --file "$T/t.ckpt" >"$T/r.out" 2>"$T/r.err"
check "truncated descriptor refused" grep -q "truncated" "$T/r.err"
cp "$T/c.ckpt" "$T/t.ckpt" && $BUILD/tests/tamper "$T/t.ckpt" vdso
restore_b --cache "$T/cache" --file "$T/t.ckpt" >"$T/r.out" 2>"$T/r.err"
check "different vDSO refused" grep -q "vDSO differs" "$T/r.err"
cp "$T/c.ckpt" "$T/t.ckpt" && $BUILD/tests/tamper "$T/t.ckpt" cpu
restore_b --cache "$T/cache" --file "$T/t.ckpt" >"$T/r.out" 2>"$T/r.err"
check "missing CPU features refused" grep -q "lacks features" "$T/r.err"
check "no child ran for any refusal" test ! -s "$T/r.out"
# wrong library file: the seed maps libx.so, which is rebuilt before the restore
printf 'int cleave_x(void) { return %s; }\n' 1 >"$T/x.c" && gcc -shared -fPIC -o "$T/libx.so" "$T/x.c"
LD_PRELOAD="$T/libx.so" $SEED_C file "$T/x.ckpt" >/dev/null 2>&1
restore_b --cache "$T/cache" --file "$T/x.ckpt" >"$T/r.out" 2>"$T/r.err"
check "seed with a preloaded library restores" grep -q "CHILD PASS" "$T/r.out"
printf 'int cleave_x(void) { return %s; }\n' 2 >"$T/x.c" && gcc -shared -fPIC -o "$T/libx.so" "$T/x.c"
restore_b --cache "$T/cache" --file "$T/x.ckpt" >"$T/r.out" 2>"$T/r.err"
check "different library file refused" grep -q "libx.so differs from the seed's" "$T/r.err"
$PY - "$BUILD/libcleave.so" >"$T/thr.out" 2>&1 <<'EOF'
import os, sys, threading, time
os.environ["CLEAVE_LIB"] = sys.argv[1]
sys.path.insert(0, "python")
import cleave_fork
threading.Thread(target=time.sleep, args=(2,), daemon=True).start()
try:
    cleave_fork.prepare(checkpoint="/nonexistent/never")
    print("prepared")
except cleave_fork.CleaveError as e:
    print("refused", e.code, e)
EOF
check "multi-threaded caller refused" grep -q "refused 2 .*threads" "$T/thr.out"

say "page server killed while a lazy child runs"
start_seed slow $SEED_C server "$T/ps.sock" --sleep-ms 600 --quick --rss 64
restore_bg --server $SERVER_ADDR --handle $H_slow --key $K_slow --cache none >"$T/r.out" 2>"$T/r.err"
TPID=$!
RPID=$(restorer_of $TPID) || RPID=none
# asleep before it touches its 64 MiB heap: the pages it needs are still on the server
check "lazy child runs" until_true 10 child_sleeps $RPID
kill -9 $SERVER
wait $SERVER 2>/dev/null # reap it here, so bash does not report the expected "Killed"
wait $TPID
rc=$?
check "restorer reports the lost server (exit $rc)" test $rc = 70
check "lost-server message" grep -q "page server .* lost" "$T/r.err"
check "child killed" until_true 10 none_running ${CHILD:-none}
check "child never ran on zero pages" test ! -s "$T/r.out"
stop_seed slow
start_server
SLOW_SRV=$SERVER_ADDR
start_seed slow2 $SEED_C server "$T/ps.sock" --sleep-ms 600 --quick
with_seed=$(count_comm seed_c)
restore_bg --server $SLOW_SRV --handle $H_slow2 --key $K_slow2 --cache none --record "$T/live.ws" >"$T/r.out" 2>"$T/r.err"
TPID=$!
RPID=$(restorer_of $TPID) || RPID=none
check "lazy child runs" until_true 10 child_sleeps $RPID
# a warm child may live for minutes: the node's next children need its working set before it ends
check "a recording child's working set is written while it runs" until_true 5 test -s "$T/live.ws"
# timeout dies of its restorer's SIGKILL in turn: reap it quietly (no "Killed" from bash)
{ [ "$RPID" = none ] || kill -9 $RPID; wait $TPID; } 2>/dev/null
check "restorer killed: its child dies with it" until_true 10 comm_count_is seed_c "$with_seed"
check "restorer killed: child never answered" test ! -s "$T/r.out"
say "concurrent children of one seed"
start_seed par $SEED_C server "$T/ps.sock"
for i in 1 2 3 4 5 6 7 8; do
	restore_bg --server $SLOW_SRV --handle $H_par --key $K_par --cache none >"$T/par$i.out" 2>&1
	PAR[$i]=$!
done
for i in 1 2 3 4 5 6 7 8; do wait ${PAR[$i]}; done
check "8 concurrent lazy children all pass" test "$(cat "$T"/par*.out | grep -c "CHILD PASS")" = 8
stop_seed slow2
stop_seed par
stop_seed c
check "no restored child left behind" test "$(count_comm seed_c)" = 0

say "Python 3.11 seeds (Debian /usr/bin/python3)"
start_seed hello $PY tests/py/seed.py hello server "$T/ps.sock"
for mode in "--cache none" "--eager"; do
	# shellcheck disable=SC2086
	out=$(restore_b --server $SERVER_ADDR --handle $H_hello --key $K_hello $mode 2>"$T/r.err")
	check "hello $mode answers like the seed" test "$out" = "$(ref_of hello)"
done
out=$(timeout -k 5 "$RESTORE_TIMEOUT" ip netns exec $NSB env CLEAVE_LIB="$BUILD/libcleave.so" CLEAVE_RESTORE="$BUILD/cleave-restore" \
	$PY -c 'import sys; sys.path.insert(0, "python"); import cleave_fork
cleave_fork.resume(sys.argv[1], int(sys.argv[2]), sys.argv[3])' $SERVER_ADDR $H_hello $K_hello 2>"$T/r.err")
check "cleave_resume from Python becomes a child" test "$out" = "$(ref_of hello)"
start_seed image $PY tests/py/seed.py image server "$T/ps.sock"
IR=$(ref_of image)
for mode in "--cache none" "--eager" "--record $T/i.ws --cache none" "--prefetch $T/i.ws --cache $T/cache"; do
	# shellcheck disable=SC2086
	out=$(restore_b --server $SERVER_ADDR --handle $H_image --key $K_image $mode 2>"$T/r.err")
	check "numpy+PIL $mode computes what the seed computes" test "$out" = "$IR"
done
$PY tests/py/seed.py image file "$T/i.ckpt" >/dev/null 2>&1
out=$(restore_b --cache "$T/cache" --file "$T/i.ckpt" 2>"$T/r.err")
check "numpy+PIL from a checkpoint file" test "$out" = "$IR"
stop_seed hello
stop_seed image
check "stats count the 3 children of the hello handle" grep -q "^STATS 3 [1-9]" "$T/hello.out"

say "200 restores in a row"
start_seed many $SEED_C server "$T/ps.sock" --quick
before_procs=$(count_comm seed_c)
fds_before=$(server_fds)
rss_before=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
fails=0
for i in $(seq 200); do
	restore_b --server $SERVER_ADDR --handle $H_many --key $K_many --cache "$T/cache200" >"$T/r.out" 2>"$T/r.err" || fails=$((fails + 1))
	grep -q "CHILD PASS" "$T/r.out" || fails=$((fails + 1))
done
# the server closes a connection a moment after its restorer exits
until_true 5 server_fds_at_most "$fds_before"
fds_after=$(server_fds)
rss_after=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
check "200 restores all pass ($fails failures)" test $fails = 0
check "no leaked processes ($before_procs before, $(count_comm seed_c) after)" test "$(count_comm seed_c)" = "$before_procs"
check "no leaked page server fds ($fds_before before, $fds_after after)" test "$fds_after" -le "$fds_before"
check "page server memory stable (${rss_before} kB -> ${rss_after} kB)" test $((rss_after - rss_before)) -lt 8192
check "one node cache file for the handle" test "$(ls "$T/cache200" | grep -c "\.pages$")" = 1
rm -f "$T/go" && mkfifo -m 600 "$T/go"
restore_bg --server $SERVER_ADDR --handle $H_many --key $K_many --cache "$T/cache200" --hold "$T/go" >"$T/r.out" 2>"$T/r.err"
TPID=$!
check "a restorer held for the handle waits" until_true 10 fifo_has_reader "$T/go"
stop_seed many
wait $TPID
rc=$?
check "revoking the handle ends its held restorer (exit $rc)" test $rc = 70
check "held restorer's message names the lost server" grep -q "page server .* lost while this restorer was held" "$T/r.err"
check "a held restorer never made a child" test ! -s "$T/r.out"
check "revoke frees the holder (no seed_c left)" test "$(count_comm seed_c)" = 0
restore_b --server $SERVER_ADDR --handle $H_many --key $K_many --cache "$T/cache200" >/dev/null 2>"$T/r.err"
check "revoked handle refused" grep -q "unknown or revoked handle" "$T/r.err"
check "revoked handle's node cache dropped" test "$(ls "$T/cache200" | grep -c "\.pages$")" = 0

say "kmod tests: $PASS passed, $FAIL failed"
[ $FAIL = 0 ]

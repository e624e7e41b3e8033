#!/bin/bash
# Remote fork benchmark (make -C kmod bench [OUT=dir]).  Two nodes = two network namespaces
# joined by veth: page server + seeds in cleave-ba, restorers and cold starts in cleave-bb.
# Writes CSVs, summary.json and summary.png to $OUT and prints the ratios.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$(pwd)/build}
OUT=${OUT:-$BUILD/bench}
N=${N:-40}          # runs per remote-fork variant
NCOLD=${NCOLD:-15}  # runs per cold-start variant (both multiples of 5)
PY=/usr/bin/python3
NSA=cleave-ba NSB=cleave-bb IPA=10.232.0.1 IPB=10.232.0.2
T=$(mktemp -d /tmp/cleave-kmod-bench.XXXXXX)
. tests/nodes.sh
mkdir -p "$OUT"
rm -f "$OUT"/*.csv "$OUT"/*.json

[ "$(id -u)" = 0 ] || { echo "bench needs root"; exit 1; }
$PY -c 'import numpy, PIL' 2>/dev/null || apt-get install -y python3-numpy python3-pil >/dev/null 2>&1 ||
	{ apt-get update >/dev/null 2>&1 && apt-get install -y python3-numpy python3-pil >/dev/null 2>&1; }
make_nodes || { echo "netns setup failed"; exit 1; }
start_server
[ -n "$PORT" ] || { echo "page server did not start"; cat "$T/ps.log"; exit 1; }

runb() { ip netns exec $NSB "$@"; }
spawn() { # CSV N CMD...   (appends N runs to OUT/CSV; a batch that hangs is cut after N * RESTORE_TIMEOUT)
	local csv=$1 n=$2; shift 2
	runb timeout -k 5 $((n * RESTORE_TIMEOUT)) "$BUILD/tests/spawnbench" "$n" "$T/runs.csv" -- "$@" ||
		echo "  (some runs of $csv failed)"
	[ -s "$OUT/$csv" ] || head -1 "$T/runs.csv" >"$OUT/$csv"
	tail -n +2 "$T/runs.csv" >>"$OUT/$csv"
}
R="$BUILD/cleave-restore"

echo "== prepare time against seed RSS"
echo "rss_mb,prepare_ms,rss_bytes,fetch_bytes,desc_bytes" >"$OUT/prepare.csv"
for mb in 0 32 128 512; do
	start_seed "p$mb" "$BUILD/tests/seed_c" server "$T/ps.sock" --quick --rss $mb
	read -r _ ns _ rss _ fetch _ _ _ desc < <(grep '^PREPARE_NS' "$T/p$mb.out")
	echo "$mb,$(awk "BEGIN {print $ns / 1e6}"),$rss,$fetch,$desc" >>"$OUT/prepare.csv"
done

echo "== resume time to first instruction (C seed, 64 MiB heap)"
start_seed stamp "$BUILD/tests/seed_c" server "$T/ps.sock" --stamp --quick --rss 64
for v in "lazy:--cache none" "eager:--eager --cache none"; do
	# shellcheck disable=SC2086
	spawn "resume_${v%%:*}.csv" $N $R --server $SERVER_ADDR --handle $H_stamp --key $K_stamp ${v#*:}
done

for kind in hello image; do
	echo "== $kind seed"
	start_seed $kind $PY tests/py/seed.py $kind server "$T/ps.sock"
	eval "H=\$H_$kind K=\$K_$kind"
	A="--server $SERVER_ADDR --handle $H --key $K"
	# shellcheck disable=SC2086
	restore_b $A --cache none --stats "$OUT/${kind}_lazy_stats.json" >/dev/null
	# shellcheck disable=SC2086
	restore_b $A --cache none --record "$T/$kind.ws" >/dev/null
	# shellcheck disable=SC2086
	restore_b $A --cache "$T/cache" >/dev/null # warms this node's cache for the handle
	ip netns exec $NSA $PY tests/py/seed.py $kind file "$T/$kind.ckpt" >/dev/null
	# Rounds interleave the variants so load from other work on the machine hits all alike.
	ROUNDS=5
	for _ in $(seq $ROUNDS); do
		# shellcheck disable=SC2086
		{
			spawn "${kind}_remote_fork.csv" $((N / ROUNDS)) $R $A --cache "$T/cache" --prefetch "$T/$kind.ws"
			spawn "${kind}_lazy_prefetch.csv" $((N / ROUNDS)) $R $A --cache none --prefetch "$T/$kind.ws"
			spawn "${kind}_lazy_cache.csv" $((N / ROUNDS)) $R $A --cache "$T/cache"
			spawn "${kind}_lazy.csv" $((N / ROUNDS)) $R $A --cache none
			spawn "${kind}_eager.csv" $((N / ROUNDS)) $R $A --eager --cache none
			spawn "${kind}_restore_file.csv" $((N / ROUNDS)) $R --cache "$T/cache" --file "$T/$kind.ckpt"
			spawn "${kind}_cold.csv" $((NCOLD / ROUNDS)) $PY tests/py/seed.py $kind cold
		}
	done
done

$PY bench/summarize.py "$OUT"

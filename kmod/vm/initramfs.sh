#!/bin/bash
# initramfs.sh KVER OUT.cpio MODULE...: a busybox initramfs for Debian's kernel KVER holding the
# named modules of /lib/modules/KVER (with their dependencies, in load order) plus any extra .ko
# files given by path, and guest-init.sh as /init.
set -euo pipefail
KVER=$1 OUT=$2
shift 2
MODDIR=/lib/modules/$KVER
D=$(mktemp -d /tmp/cleave-initramfs.XXXXXX)
trap 'rm -rf "$D"' EXIT
mkdir -p "$D"/{bin,dev,proc,sys,host,modules}
cp /bin/busybox "$D/bin/busybox"
for a in sh mount umount insmod mkdir cat echo poweroff chroot sleep dmesg grep sed; do
	ln -s busybox "$D/bin/$a"
done
cp "$(dirname "$0")/guest-init.sh" "$D/init"
chmod 755 "$D/init"

# deps NAME: the module's dependencies first, then the module (paths relative to MODDIR)
declare -A seen=()
order=()
deps() {
	local path line dep
	line=$(grep -E "(^|/)$1\.ko:" "$MODDIR/modules.dep") || { echo "no module $1 in $MODDIR" >&2; exit 1; }
	path=${line%%:*}
	[ -z "${seen[$path]:-}" ] || return 0
	for dep in ${line#*:}; do
		dep=$(basename "$dep" .ko)
		deps "$dep"
	done
	seen[$path]=1
	order+=("$MODDIR/$path")
}
extra=()
for m; do
	case $m in
	*.ko) extra+=("$m") ;;
	*) deps "$m" ;;
	esac
done
n=0
for f in "${order[@]}" "${extra[@]}"; do
	n=$((n + 1))
	cp "$f" "$D/modules/$(printf %02d $n)-$(basename "$f")"
done
(cd "$D" && find . | cpio -o -H newc --quiet) >"$OUT"

#!/bin/bash
# run.sh [--timeout S] [--log FILE] [--modules "m1 m2"] [--ko FILE.ko]... -- COMMAND
# Boots Debian's 6.1 kernel in qemu (KVM or TCG, CLEAVE_VM_ACCEL below) with a busybox initramfs, mounts this machine's root
# read-only over 9p, runs COMMAND (bash) in it, and fails when COMMAND fails, when the guest
# does not power off within the timeout (it is killed), or when the kernel log shows an oops,
# BUG, WARNING or call trace. The serial console goes to the log.
set -uo pipefail
TIMEOUT=90 LOG= MODS="virtio_pci 9pnet_virtio 9p veth" KOS=()
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) TIMEOUT=$2; shift 2 ;;
	--log) LOG=$2; shift 2 ;;
	--modules) MODS="$MODS $2"; shift 2 ;;
	--ko) KOS+=("$2"); shift 2 ;;
	--) shift; break ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
CMD=$*
# kmod/ itself is shared apart from the root: a checkout under /tmp or /run would be hidden by the
# guest's fresh tmpfs there; the guest mounts it back at the same absolute path.
KMOD=$(cd "$(dirname "$0")/.." && pwd)
KVER=$(cd /boot && ls vmlinuz-6.1.* 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -1)
[ -n "$KVER" ] || { echo "run.sh: no Debian 6.1 kernel in /boot (apt-get install linux-image-amd64)" >&2; exit 2; }
W=$(mktemp -d /tmp/cleave-vm.XXXXXX)
trap 'rm -rf "$W"' EXIT
LOG=${LOG:-$W/serial.log}
# shellcheck disable=SC2086
"$(dirname "$0")/initramfs.sh" "$KVER" "$W/initrd" $MODS "${KOS[@]}" || exit 2
# CLEAVE_VM_ACCEL=auto (default): KVM when /dev/kvm is there and hardware-assisted (kvm_intel or
# kvm_amd), TCG otherwise. A KVM without them (kvm_pvm, the pagetable-based KVM of a guest without
# VMX, as on the machine this was written on) runs only PVM guest kernels: Debian's stops at
# instructions it cannot emulate (cmpxchg16b, xrstor, int3).
ACCEL=${CLEAVE_VM_ACCEL:-auto}
if [ "$ACCEL" = auto ]; then
	ACCEL=tcg
	[ -r /dev/kvm ] && [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; } && ACCEL=kvm
fi
case $ACCEL in
kvm) CPU=${CLEAVE_VM_CPU:-host} ;;
# PCLMULQDQ (and SSE4.1, which it uses too) lets crc32-pclmul compute soft-RoCE's per-packet ICRC (a NIC's work) instead of
# crc32_generic's byte loop, which under TCG made bulk RDMA reads slower than TCP
tcg) CPU=${CLEAVE_VM_CPU:-qemu64,+pclmulqdq,+ssse3,+sse4.1,+sse4.2} ;;
*) echo "run.sh: CLEAVE_VM_ACCEL is auto, kvm or tcg, not $ACCEL" >&2; exit 2 ;;
esac
echo "run.sh: accelerator $ACCEL, cpu $CPU" >"$W/qemu.out"
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel $ACCEL -cpu $CPU -smp 2 -m 1536 -nographic -no-reboot -net none \
	-kernel "/boot/vmlinuz-$KVER" -initrd "$W/initrd" \
	-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4 cleave.cmd=$(printf 'export CLEAVE_VM_ACCEL=%s\n%s' "$ACCEL" "$CMD" | base64 -w0) cleave.kmod=$(printf '%s' "$KMOD" | base64 -w0)" \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$KMOD",mount_tag=kmod,security_model=none,readonly=on,multidevs=remap \
	-serial "file:$LOG" -monitor none -display none </dev/null >>"$W/qemu.out" 2>&1
qrc=$?
sed -i 's/\r$//' "$LOG"
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "run.sh: guest hung: killed after ${TIMEOUT}s (serial log $LOG)" >&2
	tail -20 "$LOG" >&2
	exit 1
fi
if grep -nE 'Oops|BUG:|WARNING:|Call Trace|Kernel panic' "$LOG" >&2; then
	echo "run.sh: kernel oops/bug/warning in the guest (serial log $LOG)" >&2
	exit 1
fi
# not anchored: the firmware's escape sequences may share the marker's line
rc=$(grep -ao 'CLEAVE-VM-EXIT [0-9]*' "$LOG" | tail -1 | cut -d' ' -f2)
if [ -z "$rc" ]; then
	echo "run.sh: guest ended without an exit code (qemu exit $qrc)" >&2
	cat "$W/qemu.out" >&2
	tail -20 "$LOG" >&2
	exit 1
fi
exit "$rc"

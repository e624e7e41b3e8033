#!/bin/sh
# /init of the test guest: loads the modules, mounts the host's root (9p, read-only) with fresh
# /proc, /sys, /dev, /tmp and /run and the checkout's kmod/ at its own path, runs the command given as cleave.cmd= (base64) in it, prints
# its exit code on the console and powers off.
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /modules/*.ko; do
	insmod "$m" || echo "CLEAVE-VM: insmod $m failed"
done
cmd= kmod=
for a in $(cat /proc/cmdline); do
	case $a in
	cleave.cmd=*) cmd=${a#cleave.cmd=} ;;
	cleave.kmod=*) kmod=$(echo "${a#cleave.kmod=}" | busybox base64 -d) ;;
	esac
done
rc=1
if mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 host /host; then
	mount -t proc proc /host/proc
	mount -t sysfs sys /host/sys
	mount -t devtmpfs dev /host/dev
	mount -t tmpfs tmp /host/tmp
	mount -t tmpfs run /host/run
	ln -s /proc/self/fd /host/dev/fd
	ln -s fd/0 /host/dev/stdin; ln -s fd/1 /host/dev/stdout; ln -s fd/2 /host/dev/stderr
	mkdir -p /host/dev/shm && mount -t tmpfs shm /host/dev/shm
	# the checkout's kmod/ at its own path, also when that path lies under the fresh /tmp or /run
	[ -d "/host$kmod" ] || mkdir -p "/host$kmod"
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 kmod "/host$kmod" ||
		echo "CLEAVE-VM: cannot mount $kmod"
	echo "$cmd" | busybox base64 -d >/host/tmp/cleave-vm-cmd
	chroot /host /bin/bash /tmp/cleave-vm-cmd </dev/console >/dev/console 2>&1
	rc=$?
else
	echo "CLEAVE-VM: cannot mount the host root"
fi
# The console shows only errors (loglevel=4): a WARNING and its call trace are logged a level
# below. The whole log goes through the same patterns run.sh looks for, onto the console.
dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace|Kernel panic' | sed 's/^/CLEAVE-VM-KERNEL: /'
printf '\nCLEAVE-VM-EXIT %s\n' "$rc"
poweroff -f

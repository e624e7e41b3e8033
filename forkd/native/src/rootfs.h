/*
 * The lean container's file system view: a minimal root, never the host's. Prepared ahead (in the
 * pool): a read-only tmpfs skeleton holding only what the Python runtime needs from the host, bound
 * read-only, nosuid, nodev (the interpreter /usr/bin/python3*, /usr/lib/python3*,
 * /usr/local/lib/python3*, the JDKs under /usr/lib/jvm, /usr/lib/x86_64-linux-gnu, /usr/lib64 with the loader, the usr-merge
 * links /bin /lib /lib64 /sbin, /usr/lib/ssl, /usr/share/zoneinfo, and from /etc: ld.so.cache,
 * localtime, alternatives, ssl, java-17-openjdk); a small /etc tmpfs; a private size-limited /tmp and /dev/shm; a minimal /dev (null, zero,
 * full, random, urandom); /proc of the container's pid namespace; the function runtime read-only at
 * /cleave/sdk-python, the Java runtime jar's dir (when given) read-only at /cleave/sdk-java, and forkd's copy of the fork primitive (when given) read-only at /cleave/kmod.
 * Nothing else of the host (checkouts, data dirs, /home, /root, /sys, /var, /run) is in it.
 * Entered per instance: /etc/passwd, /etc/group and /etc/hosts written for the instance's uid and
 * hostname (then /etc turns read-only), the bundle at /function (read-only), the run dir at
 * /cleave/run, a seed's children dir at /cleave/children, a prepared seed's page server socket dir
 * at /cleave/pageserver (read-only), a remote child's page cache at /cleave/pagecache, then
 * pivot_root so the host tree is gone.
 */
#ifndef CLEAVE_ROOTFS_H
#define CLEAVE_ROOTFS_H

#include "order.h"

void rootfs_prepare(const char *root, unsigned long long tmp_bytes, const char *runtime, const char *java_runtime,
                    const char *kmod);

void rootfs_enter(const char *root, const struct order *o);

#endif

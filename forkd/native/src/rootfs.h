/*
 * The lean container's file system view. Prepared ahead (in the pool): a tmpfs skeleton at the
 * staging directory with every top-level host directory bind-mounted read-only, nosuid, nodev;
 * masked host directories (forkd's data dir) covered by empty read-only tmpfs; a private /tmp; a
 * minimal /dev; /proc of the container's pid namespace; the function runtime (when given) read-only
 * at /cleave/sdk-python, so instances find it whatever the host path's permissions; forkd's copy of
 * the fork primitive (when given) read-only at /cleave/kmod. Entered per instance: the bundle at
 * /function (read-only), the run dir at /cleave/run, a seed's children dir at /cleave/children, a
 * prepared seed's page server socket dir at /cleave/pageserver (read-only), a remote child's page
 * cache at /cleave/pagecache, then pivot_root so the host tree is gone.
 */
#ifndef CLEAVE_ROOTFS_H
#define CLEAVE_ROOTFS_H

#include <stddef.h>

#include "order.h"

void rootfs_prepare(const char *root, unsigned long long tmp_bytes, const char *runtime, const char *kmod,
                    const char *const *masks, size_t nmasks);

void rootfs_enter(const char *root, const struct order *o);

#endif

/* cleave-restore, inside: the refusals made before the child exists, and the child's side. */
#ifndef CLEAVE_RESTORE_INT_H
#define CLEAVE_RESTORE_INT_H

#include "desc.h"
#include "pager.h"

#include <stdint.h>
#include <sys/types.h>

/* Where the seed's vDSO pages are here and where the child moves them (refusals.c). */
struct vdso_plan {
	uint64_t cur[3], len[3], tgt[3];
};

/* refusals.c: everything the child would silently depend on, checked before it exists */
int rs_check_cpu(const struct desc *d);
int rs_check_vdso(const struct desc *d, struct vdso_plan *vp);
int rs_check_files(const struct desc *d, int *fds, const char *cache_dir);

/* restore_child.c: the child prepares the blob and jumps into the seed's code; never returns */
__attribute__((noreturn)) void rs_child_main(const struct desc *d, const int *files, const struct vdso_plan *vp, int ctl, int eager, pid_t parent, int uffd_dev, int modfd, const struct pager *pg);

#endif

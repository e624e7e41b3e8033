/* Messages between the restorer's fault handler and the child it restores (a socketpair). */
#ifndef CLEAVE_CTL_H
#define CLEAVE_CTL_H

#include <stdint.h>

enum ctl_type {
	CTL_READY = 1,    /* child: address space built, ranges registered */
	CTL_GO = 2,       /* handler: eager pages are in, enter the seed's code */
	CTL_ERR = 3,      /* child: restore step a failed with errno b */
	CTL_POPULATE = 4, /* child (before fork): make every page with content resident */
	CTL_DONE = 5,     /* handler: populate finished (a = 0) or failed (a = CLEAVE_E_*); b: the
			   * inode of the cache file the child's shared views map, 0 if none */
};

struct ctl_msg {
	uint32_t type;
	int32_t a;
	uint64_t b;
};

/* Child flags passed to the landing in rdx. */
#define CHILD_LAZY 0x1u

#endif

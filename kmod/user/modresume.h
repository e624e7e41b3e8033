/* cleave-restore's resume through the kernel module: the module connects to the seed's page
 * server and serves the child's faults in the kernel; this process only waits (and prefetches). */
#ifndef CLEAVE_MODRESUME_H
#define CLEAVE_MODRESUME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Whether to resume through /dev/cleave_fork: present, not CLEAVE_NO_MODULE=1, and a server the
 * module can reach (an IPv4 literal). */
int modresume_usable(const char *server);
/* Opens a session; *fd gets the device (the child maps its lazy VMAs from it), *desc a malloc'd
 * copy of the descriptor. Refusals return the module's CLEAVE_E_* with a message. */
int modresume_open(const char *server, uint64_t handle, const uint8_t key[16], int *fd,
		   void **desc, size_t *len);
struct modresume_opts {
	int eager;
	const char *prefetch;   /* working-set file ("" or NULL = none) */
	const char *stats_file; /* JSON counters at exit (NULL = none) */
	uint64_t seed_rss_pages, seed_fetch_pages, t_start;
};
/* Lets the child run (after its READY on ctl) and returns the code cleave-restore exits with:
 * the child's, 70 when the page server was lost while the child ran (the child is killed). */
int modresume_run(int fd, pid_t child, int pidfd, int ctl, const struct modresume_opts *o);

#endif

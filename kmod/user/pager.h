/* The restorer's fault handler: page sources (page server, checkpoint file, node cache). */
#ifndef CLEAVE_PAGER_H
#define CLEAVE_PAGER_H

#include "desc.h"
#include <stdint.h>
#include <sys/types.h>

struct pager_opts {
	int eager;
	int no_share;            /* copy cached pages into the child even on a tmpfs cache */
	uint32_t batch;          /* pages fetched per fault (fault page + read-ahead) */
	const char *prefetch;    /* working-set file to load before the child runs */
	const char *record;      /* write the pages this child faulted in here */
	const char *cache_dir;   /* per-node page cache ("none" = off) */
	const char *stats_file;  /* JSON counters at exit */
	int server_fd;           /* a connection to --server made by the caller (-1: connect here) */
	uint64_t t_start;
};

struct pager;

int pager_open_server(struct pager **out, const char *server, uint64_t handle,
		      const uint8_t key[16], const struct pager_opts *o);
int pager_open_file(struct pager **out, const char *path, const struct pager_opts *o);
const struct desc *pager_desc(const struct pager *p);
/*
 * The node cache file holds seed page at address a at offset PAGER_CACHE_BASE + a, so a child's
 * VMA can be a private mapping of it (BM_SHARED): pages in the file are shared by the node's
 * children until one writes them.  The bitmap of pages present is at offset 0.
 */
#define PAGER_CACHE_BASE (1ull << 47)
/* The cache file when the child's anonymous VMAs with seed pages map it (see pageropen.c), else -1. */
int pager_share_fd(const struct pager *p);
/* Whether VMA vi of the descriptor is such a view of the cache file. */
int pager_shares(const struct pager *p, uint32_t vi);
/* Local files of the descriptor (opened and checked by the restorer), indexed like d->files. */
void pager_set_files(struct pager *p, const int *fds);
/* The page server connection (-1: none), which a held restorer watches while it waits. */
int pager_server_fd(const struct pager *p);
/* Counts the stats' times from t (a held restorer's go) instead of the restorer's start. */
void pager_restart_clock(struct pager *p, uint64_t t);
/* Serves the child until it exits; returns the exit code cleave-restore should end with. */
int pager_run(struct pager *p, pid_t child, int pidfd, int ctl);

#endif

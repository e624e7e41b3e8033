/* The restorer's fault handler: page sources (page server, checkpoint file, node cache). */
#ifndef CLEAVE_PAGER_H
#define CLEAVE_PAGER_H

#include "desc.h"
#include <stdint.h>
#include <sys/types.h>

struct pager_opts {
	int eager;
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
/* Local files of the descriptor (opened and checked by the restorer), indexed like d->files. */
void pager_set_files(struct pager *p, const int *fds);
/* The page server connection (-1: none), which a held restorer watches while it waits. */
int pager_server_fd(const struct pager *p);
/* Counts the stats' times from t (a held restorer's go) instead of the restorer's start. */
void pager_restart_clock(struct pager *p, uint64_t t);
/* Serves the child until it exits; returns the exit code cleave-restore should end with. */
int pager_run(struct pager *p, pid_t child, int pidfd, int ctl);

#endif

/*
 * The restorer's fault handler, inside: its state and the parts it is cut into (one file per
 * concern).  Only the pager's own files include this; others use pager.h.
 */
#ifndef CLEAVE_PAGER_INT_H
#define CLEAVE_PAGER_INT_H

#include "pager.h"
#include "net.h"

#include <linux/userfaultfd.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum { ST_MISSING = 0, ST_RESIDENT = 1, ST_DROPPED = 2 };
enum { PC_ZERO = 0, PC_FETCH = 1, PC_FILE = 2 };

struct vstate {
	uint8_t *st;    /* per seed page */
	uint32_t *rank; /* fetch pages before each 64-page block */
	int lazy;
	int shared;     /* the child maps the node cache file here (BM_SHARED) */
};

/* A page wanted in the child: page pg of VMA vi, placed at its seed address + delta. */
struct want {
	uint32_t vi;
	uint64_t pg;
	int64_t delta;
};

struct region {
	uint64_t cur, len, seed;
	uint32_t vi;
};

struct pager {
	struct pager_opts o;
	void *descbuf;
	struct desc d;
	struct vstate *vs;
	struct region *rg;
	size_t nrg, caprg;
	int uffd;
	pid_t child;
	/* sources */
	int net;
	char server[160];
	uint64_t handle;
	const char *ckpt_map;
	size_t ckpt_len;
	uint64_t ckpt_data_off;
	uint8_t *cache_map; /* the cache file's bitmap */
	size_t cache_len;
	int cache_fd;
	uint64_t cache_data_off; /* dense layout: where the pages start */
	int share;          /* anonymous VMAs with seed pages are views of the cache file */
	int share_exec;     /* ... executable ones too (the cache is not on a noexec mount) */
	const int *files;
	/* scratch */
	char *buf;
	char *filebuf;
	struct msg_range *ranges;
	uint64_t *batch_addr;
	/* queued faults seen while draining events */
	struct uffd_msg *pending;
	size_t npending, cappending;
	uint64_t *record;
	size_t nrecord, caprecord;
	struct want *pf; /* prefetch list, installed from ipf on */
	size_t npf, ipf;
	int lost;
	struct {
		uint64_t faults, net_pages, net_batches, net_bytes, cache_pages, ckpt_pages,
			file_pages, zero_pages, prefetched, eager_pages, events;
		uint64_t t_desc, t_ready, t_go, t_exit;
	} s;
	uint64_t stats_written_at, stats_written_sum; /* the last rewrite while the child ran */
	uint64_t record_last_at;  /* when the last page was recorded */
	size_t record_written_n; /* pages in the working-set file last written */
	int stats_failed;
};

/* pager.c: the page classes of the descriptor */
int pg_page_class(const struct pager *p, uint32_t vi, uint64_t pg);
uint64_t pg_fetch_index(const struct pager *p, uint32_t vi, uint64_t pg);

/* pagesrc.c: page sources, the page server and the node cache */
int pg_net_send_read(struct pager *p, const struct msg_range *r, uint32_t n);
int pg_net_recv_data(struct pager *p, void *dst, uint64_t bytes);
int pg_net_read(struct pager *p, const struct msg_range *r, uint32_t n, void *dst, uint64_t bytes);
int pg_cache_has(const struct pager *p, uint64_t idx);
void pg_cache_put(struct pager *p, uint64_t idx, uint64_t seed_addr, const void *src);
int pg_cache_read(struct pager *p, uint64_t idx, uint64_t seed_addr, void *dst, uint32_t n);

/* uffdio.c: userfaultfd operations on the child */
int pg_uffd_copy(struct pager *p, uint64_t dst, const void *src, uint64_t len);
void pg_uffd_zero(struct pager *p, uint64_t dst, uint64_t len);
int pg_land(struct pager *p, uint32_t vi, uint64_t dst, const char *src, uint64_t len);

/* regions.c: the child's current addresses of seed pages, after its munmap/mremap/madvise */
struct region *pg_find_region(struct pager *p, uint64_t addr);
void pg_handle_event(struct pager *p, const struct uffd_msg *m);
int pg_seed_delta(const struct pager *p, uint32_t vi, uint64_t pg, int64_t *delta);

/* install.c: resolving faults and installing pages */
int pg_want_next(const struct want *a, const struct want *b);
int pg_install_fetch(struct pager *p, const struct want *w, uint32_t n, int recording);
void pg_install_file(struct pager *p, uint32_t vi, uint64_t pg, uint32_t n, int64_t delta);
int pg_handle_fault(struct pager *p, uint64_t addr);
int pg_fill_all(struct pager *p, int stack_only, uint64_t *count);

/* workingset.c: the recorded working set, written and prefetched */
void pg_prefetch_load(struct pager *p);
int pg_prefetch_step(struct pager *p);
void pg_write_record(struct pager *p);
int pg_record_tick(struct pager *p);

/* pagerstats.c: the counters file */
void pg_write_stats(struct pager *p, int code, int running);
int pg_stats_tick(struct pager *p);

#endif

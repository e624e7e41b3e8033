/*
 * The restorer's fault handler.  It runs in the parent of the restored child and owns the
 * child's userfaultfd: missing pages come from the node cache, the checkpoint file or the page
 * server (batched with read-ahead), pages the seed never wrote come from local files or the
 * zero page.  It follows the child's munmap/mremap/madvise through uffd events so a page the
 * child dropped is never refilled with the seed's content.
 */
#define _GNU_SOURCE
#include "pager.h"
#include "../include/cleave_fork.h"
#include "blob.h"
#include "ctl.h"
#include "net.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

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

const struct desc *pager_desc(const struct pager *p) { return &p->d; }
int pager_share_fd(const struct pager *p) { return p->share ? p->cache_fd : -1; }
int pager_shares(const struct pager *p, uint32_t vi)
{
	const struct desc_vma *v = &p->d.vmas[vi];
	/* A file on a noexec mount cannot be mapped executable: such VMAs stay anonymous. */
	return p->share && v->kind == VK_ANON && v->fetch_pages &&
	       (p->share_exec || !(v->prot & PROT_EXEC));
}
void pager_set_files(struct pager *p, const int *fds) { p->files = fds; }
int pager_server_fd(const struct pager *p) { return p->net; }
void pager_restart_clock(struct pager *p, uint64_t t)
{
	p->o.t_start = t;
	p->s.t_desc = t;
}

static int page_class(const struct pager *p, uint32_t vi, uint64_t pg)
{
	const struct desc_vma *v = &p->d.vmas[vi];
	if (v->fetch_pages && bit_get(p->d.bitmap + v->bitmap_off, pg))
		return PC_FETCH;
	return v->kind == VK_FILEANON ? PC_FILE : PC_ZERO;
}

/* Index of a fetch page in checkpoint/cache order. */
static uint64_t fetch_index(const struct pager *p, uint32_t vi, uint64_t pg)
{
	const struct desc_vma *v = &p->d.vmas[vi];
	const uint8_t *bm = p->d.bitmap + v->bitmap_off;
	uint64_t r = p->vs[vi].rank[pg / 64];
	for (uint64_t i = pg & ~63ull; i < pg; i++)
		r += (uint64_t)bit_get(bm, i);
	return v->data_index + r;
}

static int setup_state(struct pager *p)
{
	const struct desc *d = &p->d;
	p->vs = calloc(d->h->nvmas ? d->h->nvmas : 1, sizeof *p->vs);
	p->buf = malloc((size_t)MAX_READ_PAGES * PAGE_SZ);
	p->filebuf = malloc((size_t)MAX_READ_PAGES * PAGE_SZ);
	p->ranges = malloc(sizeof(struct msg_range) * MAX_READ_RANGES);
	p->batch_addr = malloc(sizeof(uint64_t) * MAX_READ_PAGES);
	if (!p->vs || !p->buf || !p->filebuf || !p->ranges || !p->batch_addr)
		return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
	for (uint32_t i = 0; i < d->h->nvmas; i++) {
		const struct desc_vma *v = &d->vmas[i];
		int lazy = v->kind == VK_STACK || (v->kind == VK_ANON && v->fetch_pages) ||
			   (v->kind == VK_FILEANON && v->fetch_pages);
		if (!lazy)
			continue;
		uint64_t np = (v->end - v->start) / PAGE_SZ;
		struct vstate *s = &p->vs[i];
		s->lazy = 1;
		s->shared = pager_shares(p, i);
		s->st = calloc(np, 1);
		s->rank = calloc(np / 64 + 1, sizeof(uint32_t));
		if (!s->st || !s->rank)
			return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
		const uint8_t *bm = d->bitmap + v->bitmap_off;
		uint32_t acc = 0;
		for (uint64_t b = 0; b <= np / 64; b++) {
			s->rank[b] = acc;
			for (uint64_t q = b * 64; q < np && q < b * 64 + 64; q++)
				acc += (uint32_t)bit_get(bm, q);
		}
		if (p->nrg == p->caprg) {
			p->caprg = p->caprg ? p->caprg * 2 : 64;
			p->rg = realloc(p->rg, p->caprg * sizeof *p->rg);
			if (!p->rg)
				return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
		}
		p->rg[p->nrg++] = (struct region){v->start, v->end - v->start, v->start, i};
	}
	return 0;
}

/* ---- sources ---- */

static int net_send_read(struct pager *p, const struct msg_range *r, uint32_t n)
{
	if (msg_send(p->net, M_READ, 0, r, n * (uint32_t)sizeof *r, NULL, 0) != 0) {
		p->lost = 1;
		fprintf(stderr, "cleave-restore: page server %s lost: %s\n", p->server,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int net_recv_data(struct pager *p, void *dst, uint64_t bytes)
{
	struct msg_hdr h;
	if (msg_recv_hdr(p->net, &h, NULL, 0, NULL) != 0) {
		p->lost = 1;
		fprintf(stderr, "cleave-restore: page server %s lost: %s\n", p->server,
			errno ? strerror(errno) : "connection closed");
		return -1;
	}
	if (h.status != 0 || h.type != M_DATA || h.len != bytes) {
		char msg[200] = "";
		if (h.status && h.len < sizeof msg && read_full(p->net, msg, h.len) != 0)
			msg[0] = 0;
		p->lost = 1;
		fprintf(stderr, "cleave-restore: page server %s refused a page batch: %s (%s)\n",
			p->server, cleave_strerror(h.status ? h.status : CLEAVE_E_SERVER), msg);
		return -1;
	}
	if (read_full(p->net, dst, bytes) != 0) {
		p->lost = 1;
		fprintf(stderr, "cleave-restore: page server %s lost mid-batch: %s\n", p->server,
			errno ? strerror(errno) : "connection closed");
		return -1;
	}
	p->s.net_batches++;
	p->s.net_bytes += bytes;
	return 0;
}

static int net_read(struct pager *p, const struct msg_range *r, uint32_t n, void *dst,
		    uint64_t bytes)
{
	return net_send_read(p, r, n) != 0 ? -1 : net_recv_data(p, dst, bytes);
}

static int cache_has(const struct pager *p, uint64_t idx)
{
	return p->cache_map &&
	       ((__atomic_load_n(&p->cache_map[idx >> 3], __ATOMIC_ACQUIRE) >> (idx & 7)) & 1);
}

/* Where the cached page of fetch index idx (seed address seed_addr) is in the cache file. */
static off_t cache_off(const struct pager *p, uint64_t idx, uint64_t seed_addr)
{
	return (off_t)(p->share ? PAGER_CACHE_BASE + seed_addr : p->cache_data_off + idx * PAGE_SZ);
}

/*
 * Adds the seed page at seed_addr (fetch index idx) to the node cache.  A whole-page write: a
 * child mapping the file meanwhile finds the page absent or complete, never half written (the
 * kernel holds the page locked while it is filled).
 */
static void cache_put(struct pager *p, uint64_t idx, uint64_t seed_addr, const void *src)
{
	if (!p->cache_map)
		return;
	if (pwrite(p->cache_fd, src, PAGE_SZ, cache_off(p, idx, seed_addr)) != PAGE_SZ)
		return; /* not cached: the next child fetches it again */
	__atomic_fetch_or(&p->cache_map[idx >> 3], (uint8_t)(1u << (idx & 7)), __ATOMIC_RELEASE);
}

/* Reads n cached pages from fetch index idx (seed address seed_addr) on; 0 when all were read. */
static int cache_read(struct pager *p, uint64_t idx, uint64_t seed_addr, void *dst, uint32_t n)
{
	size_t len = (size_t)n * PAGE_SZ;
	return pread(p->cache_fd, dst, len, cache_off(p, idx, seed_addr)) == (ssize_t)len
		       ? 0
		       : -1;
}

/* ---- uffd primitives ---- */

static void handle_event(struct pager *p, const struct uffd_msg *m);

static int drain_events(struct pager *p)
{
	struct uffd_msg msgs[16];
	for (;;) {
		ssize_t n = read(p->uffd, msgs, sizeof msgs);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -1;
		}
		for (size_t i = 0; i < (size_t)n / sizeof msgs[0]; i++) {
			if (msgs[i].event == UFFD_EVENT_PAGEFAULT) {
				if (p->npending == p->cappending) {
					p->cappending = p->cappending ? p->cappending * 2 : 64;
					p->pending = realloc(p->pending, p->cappending * sizeof *p->pending);
					if (!p->pending)
						return -1;
				}
				p->pending[p->npending++] = msgs[i];
			} else {
				handle_event(p, &msgs[i]);
			}
		}
	}
}

/*
 * Copies len bytes to dst in the child.  Returns 1 when every page of the run is present
 * afterwards (copied now, or EEXIST), 0 when some page had no mapping there any more (the
 * child unmapped or moved it meanwhile): then the caller must not mark the run resident.
 */
static int uffd_copy(struct pager *p, uint64_t dst, const void *src, uint64_t len)
{
	uint64_t done = 0;
	int all = 1;
	while (done < len) {
		struct uffdio_copy c = {dst + done, (uint64_t)(uintptr_t)src + done, len - done, 0, 0};
		if (ioctl(p->uffd, UFFDIO_COPY, &c) == 0)
			break;
		int e = errno;
		if (c.copy > 0) {
			done += (uint64_t)c.copy;
			continue;
		}
		if (e == EAGAIN) { /* the child's layout is changing: read its events first */
			if (drain_events(p) != 0)
				return 0;
			continue;
		}
		if (e != EEXIST)
			all = 0;
		if (e == ESRCH)
			break;
		done += PAGE_SZ;
	}
	return all;
}

static void uffd_zero(struct pager *p, uint64_t dst, uint64_t len)
{
	for (int tries = 0; tries < 64; tries++) {
		struct uffdio_zeropage z = {{dst, len}, 0, 0};
		if (ioctl(p->uffd, UFFDIO_ZEROPAGE, &z) == 0)
			return;
		if (errno == EAGAIN) {
			if (drain_events(p) != 0)
				return;
			continue;
		}
		if (z.zeropage > 0 && (uint64_t)z.zeropage < len) {
			dst += (uint64_t)z.zeropage;
			len -= (uint64_t)z.zeropage;
			continue;
		}
		break;
	}
	/* Whatever is left is present or unmapped: let the faulting thread retry. */
	struct uffdio_range w = {dst, len};
	ioctl(p->uffd, UFFDIO_WAKE, &w);
}

/*
 * Maps len bytes at dst in a BM_SHARED VMA to the cache file's pages there (read-only until the
 * child writes one, which then gets its private copy).  Returns like uffd_copy, or -1 when a page
 * is not in the file (*done: the bytes mapped before it).
 */
static int uffd_continue(struct pager *p, uint64_t dst, uint64_t len, uint64_t *done)
{
	int all = 1;
	*done = 0;
	while (*done < len) {
		struct uffdio_continue c = {{dst + *done, len - *done}, 0, 0};
		if (ioctl(p->uffd, UFFDIO_CONTINUE, &c) == 0)
			break;
		int e = errno;
		if (c.mapped > 0) {
			*done += (uint64_t)c.mapped;
			continue;
		}
		if (e == EAGAIN) {
			if (drain_events(p) != 0)
				return 0;
			continue;
		}
		if (e == EFAULT)
			return -1;
		if (e != EEXIST)
			all = 0;
		if (e == ESRCH)
			break;
		*done += PAGE_SZ;
	}
	return all;
}

/*
 * Puts seed content at dst: in a shared VMA the cache file's pages (src, when given, is the same
 * content, copied privately if the file lacks it: a failed cache write), elsewhere a copy of src.
 */
static int land(struct pager *p, uint32_t vi, uint64_t dst, const char *src, uint64_t len)
{
	if (!p->vs[vi].shared)
		return uffd_copy(p, dst, src, len);
	uint64_t done;
	int r = uffd_continue(p, dst, len, &done);
	if (r >= 0)
		return r;
	if (!src)
		return -2; /* the bitmap says cached, the file has no such page */
	return uffd_copy(p, dst + done, src + done, len - done);
}

/* ---- regions ---- */

static struct region *find_region(struct pager *p, uint64_t addr)
{
	for (size_t i = 0; i < p->nrg; i++)
		if (addr >= p->rg[i].cur && addr < p->rg[i].cur + p->rg[i].len)
			return &p->rg[i];
	return NULL;
}

/* Cuts [start,end) out of the current-address view; dropped pieces are returned via cb. */
static void cut_regions(struct pager *p, uint64_t start, uint64_t end,
			void (*cb)(struct pager *, struct region *, void *), void *ctx)
{
	for (size_t i = 0; i < p->nrg; i++) {
		struct region r = p->rg[i];
		uint64_t rs = r.cur, re = r.cur + r.len;
		if (re <= start || rs >= end)
			continue;
		uint64_t cs = rs > start ? rs : start, ce = re < end ? re : end;
		struct region mid = {cs, ce - cs, r.seed + (cs - rs), r.vi};
		if (cb)
			cb(p, &mid, ctx);
		/* keep head and tail */
		struct region head = {rs, cs - rs, r.seed, r.vi};
		struct region tail = {ce, re - ce, r.seed + (ce - rs), r.vi};
		p->rg[i] = p->rg[--p->nrg];
		if (head.len || tail.len) {
			size_t need = p->nrg + 2;
			if (need > p->caprg) {
				p->caprg = need * 2;
				p->rg = realloc(p->rg, p->caprg * sizeof *p->rg);
				if (!p->rg) {
					fprintf(stderr, "cleave-restore: out of memory\n");
					exit(1);
				}
			}
			if (head.len)
				p->rg[p->nrg++] = head;
			if (tail.len)
				p->rg[p->nrg++] = tail;
		}
		i--; /* re-examine the slot we filled */
	}
}

static void mark_dropped(struct pager *p, struct region *r, void *ctx)
{
	(void)ctx;
	const struct desc_vma *v = &p->d.vmas[r->vi];
	uint64_t first = (r->seed - v->start) / PAGE_SZ;
	for (uint64_t i = 0; i < r->len / PAGE_SZ; i++)
		p->vs[r->vi].st[first + i] = ST_DROPPED;
}

struct moved {
	struct region *out;
	size_t n, cap;
	uint64_t from, to;
};

static void collect_moved(struct pager *p, struct region *r, void *ctx)
{
	(void)p;
	struct moved *m = ctx;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->out = realloc(m->out, m->cap * sizeof *m->out);
		if (!m->out) {
			fprintf(stderr, "cleave-restore: out of memory\n");
			exit(1);
		}
	}
	struct region n = *r;
	n.cur = r->cur - m->from + m->to;
	m->out[m->n++] = n;
}

static void handle_event(struct pager *p, const struct uffd_msg *m)
{
	p->s.events++;
	switch (m->event) {
	case UFFD_EVENT_REMOVE: {
		/* madvise(DONTNEED): the range reads as zeros from now on; keep the view. */
		struct region tmp;
		for (size_t i = 0; i < p->nrg; i++) {
			struct region *r = &p->rg[i];
			uint64_t s = m->arg.remove.start, e = m->arg.remove.end;
			uint64_t rs = r->cur, re = r->cur + r->len;
			if (re <= s || rs >= e)
				continue;
			uint64_t cs = rs > s ? rs : s, ce = re < e ? re : e;
			tmp = (struct region){cs, ce - cs, r->seed + (cs - rs), r->vi};
			mark_dropped(p, &tmp, NULL);
		}
		break;
	}
	case UFFD_EVENT_UNMAP:
		cut_regions(p, m->arg.remove.start, m->arg.remove.end, NULL, NULL);
		break;
	case UFFD_EVENT_REMAP: {
		struct moved mv = {NULL, 0, 0, m->arg.remap.from, m->arg.remap.to};
		cut_regions(p, m->arg.remap.from, m->arg.remap.from + m->arg.remap.len,
			    collect_moved, &mv);
		for (size_t i = 0; i < mv.n; i++) {
			if (p->nrg == p->caprg) {
				p->caprg = p->caprg * 2 + 8;
				p->rg = realloc(p->rg, p->caprg * sizeof *p->rg);
				if (!p->rg) {
					fprintf(stderr, "cleave-restore: out of memory\n");
					exit(1);
				}
			}
			p->rg[p->nrg++] = mv.out[i];
		}
		free(mv.out);
		break;
	}
	default:
		break;
	}
}

/* ---- installing pages ---- */

static void record_page(struct pager *p, uint64_t seed_addr)
{
	if (!p->o.record)
		return;
	if (p->nrecord == p->caprecord) {
		p->caprecord = p->caprecord ? p->caprecord * 2 : 1024;
		uint64_t *n = realloc(p->record, p->caprecord * sizeof *n);
		if (!n)
			return;
		p->record = n;
	}
	p->record[p->nrecord++] = seed_addr;
	p->record_last_at = now_ns();
}

static uint64_t want_dst(const struct pager *p, const struct want *w)
{
	return (uint64_t)((int64_t)(p->d.vmas[w->vi].start + w->pg * PAGE_SZ) + w->delta);
}

static int want_next(const struct want *a, const struct want *b)
{
	return a->vi == b->vi && b->pg == a->pg + 1 && a->delta == b->delta;
}

/*
 * Installs fetch pages (grouped by VMA, ascending): local copies (checkpoint or node cache)
 * go straight in, the rest comes from the page server in one batch.  -1: server lost.
 */
static int install_fetch(struct pager *p, const struct want *w, uint32_t n, int recording)
{
	static struct want net[MAX_READ_PAGES];
	uint32_t nnet = 0;
	for (uint32_t i = 0; i < n;) {
		uint64_t idx = fetch_index(p, w[i].vi, w[i].pg);
		if (!p->ckpt_map && !cache_has(p, idx)) {
			net[nnet++] = w[i++];
			continue;
		}
		uint32_t j = i + 1;
		while (j < n && want_next(&w[j - 1], &w[j]) &&
		       fetch_index(p, w[j].vi, w[j].pg) == idx + (j - i) &&
		       (p->ckpt_map || cache_has(p, idx + (j - i))))
			j++;
		/* a shared VMA maps the cached pages where they are; elsewhere they are copied */
		const char *src = NULL;
		uint64_t seed_addr = p->d.vmas[w[i].vi].start + w[i].pg * PAGE_SZ;
		if (p->ckpt_map)
			src = p->ckpt_map + p->ckpt_data_off + idx * PAGE_SZ;
		else if (!p->vs[w[i].vi].shared) {
			if (cache_read(p, idx, seed_addr, p->filebuf, j - i) != 0) {
				/* unreadable cache: fetch this run from the server instead */
				while (i < j)
					net[nnet++] = w[i++];
				continue;
			}
			src = p->filebuf;
		}
		int landed = land(p, w[i].vi, want_dst(p, &w[i]), src, (uint64_t)(j - i) * PAGE_SZ);
		if (landed == -2) { /* fetch them after all, and cache them again */
			for (; i < j; i++) {
				uint64_t x = fetch_index(p, w[i].vi, w[i].pg);
				__atomic_fetch_and(&p->cache_map[x >> 3], (uint8_t)~(1u << (x & 7)),
						   __ATOMIC_RELEASE);
				net[nnet++] = w[i];
			}
			continue;
		}
		for (uint32_t k = i; k < j; k++) {
			if (landed)
				p->vs[w[k].vi].st[w[k].pg] = ST_RESIDENT;
			if (recording)
				record_page(p, p->d.vmas[w[k].vi].start + w[k].pg * PAGE_SZ);
		}
		if (p->ckpt_map)
			p->s.ckpt_pages += j - i;
		else
			p->s.cache_pages += j - i;
		i = j;
	}
	if (!nnet)
		return 0;
	uint32_t nr = 0;
	for (uint32_t i = 0; i < nnet; i++) {
		uint64_t a = p->d.vmas[net[i].vi].start + net[i].pg * PAGE_SZ;
		if (nr && i && want_next(&net[i - 1], &net[i]))
			p->ranges[nr - 1].npages++;
		else if (nr < MAX_READ_RANGES)
			p->ranges[nr++] = (struct msg_range){a, 1, 0};
		else {
			nnet = i; /* the caller's next fault picks up the rest */
			break;
		}
	}
	if (net_read(p, p->ranges, nr, p->buf, (uint64_t)nnet * PAGE_SZ) != 0)
		return -1;
	p->s.net_pages += nnet;
	/* cached first: a shared VMA maps the pages from the cache file */
	for (uint32_t i = 0; i < nnet; i++) {
		uint64_t seed_addr = p->d.vmas[net[i].vi].start + net[i].pg * PAGE_SZ;
		cache_put(p, fetch_index(p, net[i].vi, net[i].pg), seed_addr,
			  p->buf + (uint64_t)i * PAGE_SZ);
		if (recording)
			record_page(p, seed_addr);
	}
	for (uint32_t i = 0; i < nnet;) {
		uint32_t j = i + 1;
		while (j < nnet && want_next(&net[j - 1], &net[j]))
			j++;
		int landed = land(p, net[i].vi, want_dst(p, &net[i]), p->buf + (uint64_t)i * PAGE_SZ,
				  (uint64_t)(j - i) * PAGE_SZ);
		for (uint32_t k = i; k < j; k++)
			if (landed)
				p->vs[net[k].vi].st[net[k].pg] = ST_RESIDENT;
		i = j;
	}
	return 0;
}

/* Pages of a written private file mapping that the seed never changed: read the local file. */
static void install_file(struct pager *p, uint32_t vi, uint64_t pg, uint32_t n, int64_t delta)
{
	const struct desc_vma *v = &p->d.vmas[vi];
	size_t len = (size_t)n * PAGE_SZ;
	ssize_t got = pread(p->files[v->file], p->filebuf, len, (off_t)(v->file_off + pg * PAGE_SZ));
	if (got < 0)
		got = 0;
	if ((size_t)got < len)
		memset(p->filebuf + got, 0, len - (size_t)got); /* beyond end of file */
	if (!uffd_copy(p, (uint64_t)((int64_t)(v->start + pg * PAGE_SZ) + delta), p->filebuf, len))
		return;
	for (uint32_t k = 0; k < n; k++)
		p->vs[vi].st[pg + k] = ST_RESIDENT;
	p->s.file_pages += n;
}

/* Pages of a shared VMA that read as zeros: dropped by the child, or never written by the seed. */
static int reads_zero(const struct pager *p, uint32_t vi, uint64_t pg)
{
	return p->vs[vi].st[pg] == ST_DROPPED || page_class(p, vi, pg) != PC_FETCH;
}

/*
 * A fault in a view of the cache file, missing (the file lacks the page) or minor (the file has
 * it, the child does not map it).  Either way this side decides: zeros for a page the child
 * dropped (madvise) or the seed never wrote, even when the file holds the seed's content there;
 * else the cached page, fetched into the file first when it is not there.  A page mapped before
 * and unmapped by the kernel since (reclaim) is mapped again the same way.
 */
static int shared_fault(struct pager *p, uint64_t addr, uint32_t vi, uint64_t pg, uint64_t last,
			int64_t delta)
{
	struct vstate *s = &p->vs[vi];
	if (reads_zero(p, vi, pg)) {
		uint64_t q = pg + 1;
		while (q < last && q - pg < 512 && reads_zero(p, vi, q))
			q++;
		uffd_zero(p, addr, (q - pg) * PAGE_SZ);
		p->s.zero_pages += q - pg;
		return 0;
	}
	static struct want list[MAX_READ_PAGES];
	uint32_t n = 0;
	list[n++] = (struct want){vi, pg, delta};
	uint64_t span_end = pg + (uint64_t)p->o.batch * 4;
	for (uint64_t q = pg + 1; q < last && q < span_end && n < p->o.batch; q++)
		if (s->st[q] == ST_MISSING && page_class(p, vi, q) == PC_FETCH)
			list[n++] = (struct want){vi, q, delta};
	return install_fetch(p, list, n, 1);
}

/* Resolves one fault at a current address. */
static int handle_fault(struct pager *p, uint64_t addr)
{
	addr &= ~(PAGE_SZ - 1);
	p->s.faults++;
	struct region *r = find_region(p, addr);
	if (!r) {
		uffd_zero(p, addr, PAGE_SZ);
		p->s.zero_pages++;
		return 0;
	}
	struct region rr = *r;
	uint32_t vi = rr.vi;
	const struct desc_vma *v = &p->d.vmas[vi];
	struct vstate *s = &p->vs[vi];
	int64_t delta = (int64_t)rr.cur - (int64_t)rr.seed;
	uint64_t pg = (addr - rr.cur + rr.seed - v->start) / PAGE_SZ;
	uint64_t last = (rr.seed + rr.len - v->start) / PAGE_SZ; /* exclusive, in seed pages */
	if (s->shared)
		return shared_fault(p, addr, vi, pg, last, delta);
	if (s->st[pg] == ST_RESIDENT) {
		struct uffdio_range w = {addr, PAGE_SZ};
		ioctl(p->uffd, UFFDIO_WAKE, &w);
		return 0;
	}
	int cls = s->st[pg] == ST_DROPPED ? PC_ZERO : page_class(p, vi, pg);
	if (cls == PC_ZERO) {
		uint64_t q = pg + 1;
		while (q < last && q - pg < 512 && s->st[q] == s->st[pg] &&
		       (s->st[q] == ST_DROPPED || page_class(p, vi, q) == PC_ZERO))
			q++;
		uffd_zero(p, addr, (q - pg) * PAGE_SZ);
		for (uint64_t k = pg; k < q; k++)
			s->st[k] = ST_RESIDENT;
		p->s.zero_pages += q - pg;
		return 0;
	}
	if (cls == PC_FILE) {
		uint64_t q = pg + 1;
		while (q < last && q - pg < p->o.batch && s->st[q] == ST_MISSING &&
		       page_class(p, vi, q) == PC_FILE)
			q++;
		install_file(p, vi, pg, (uint32_t)(q - pg), delta);
		return 0;
	}
	/* fetch: the faulting page plus read-ahead over the following fetch pages */
	static struct want list[MAX_READ_PAGES];
	uint32_t n = 0;
	uint64_t span_end = pg + (uint64_t)p->o.batch * 4;
	for (uint64_t q = pg; q < last && q < span_end && n < p->o.batch; q++)
		if (s->st[q] == ST_MISSING && page_class(p, vi, q) == PC_FETCH)
			list[n++] = (struct want){vi, q, delta};
	return install_fetch(p, list, n, 1);
}

struct wantlist {
	struct want *w;
	size_t n, cap;
};

static int wl_push(struct wantlist *l, struct want w)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		struct want *n = realloc(l->w, l->cap * sizeof *n);
		if (!n)
			return -1;
		l->w = n;
	}
	l->w[l->n++] = w;
	return 0;
}

/* Builds the batch starting at w[0]: at most MAX_READ_PAGES pages and MAX_READ_RANGES ranges. */
static uint32_t make_batch(struct pager *p, const struct want *w, size_t n, uint32_t *nranges)
{
	uint32_t cnt = 0, nr = 0;
	for (; cnt < n && cnt < MAX_READ_PAGES; cnt++) {
		uint64_t a = p->d.vmas[w[cnt].vi].start + w[cnt].pg * PAGE_SZ;
		if (nr && want_next(&w[cnt - 1], &w[cnt])) {
			p->ranges[nr - 1].npages++;
			continue;
		}
		if (nr == MAX_READ_RANGES)
			break;
		p->ranges[nr++] = (struct msg_range){a, 1, 0};
	}
	*nranges = nr;
	return cnt;
}

/*
 * Installs many fetch pages: local copies directly, the rest from the page server with two
 * batches in flight so the server reads the next one while this side copies.
 */
static int install_many(struct pager *p, const struct want *w, size_t n)
{
	struct wantlist net = {NULL, 0, 0};
	for (size_t i = 0; i < n;) {
		uint64_t idx = fetch_index(p, w[i].vi, w[i].pg);
		if (!p->ckpt_map && !cache_has(p, idx)) {
			if (wl_push(&net, w[i++]) != 0) {
				free(net.w);
				return -1;
			}
			continue;
		}
		size_t j = i + 1;
		while (j < n && j - i < MAX_READ_PAGES &&
		       (p->ckpt_map || cache_has(p, fetch_index(p, w[j].vi, w[j].pg))))
			j++;
		if (install_fetch(p, w + i, (uint32_t)(j - i), 0) != 0) {
			free(net.w);
			return -1;
		}
		i = j;
	}
	/* One buffer is enough: the next batch waits in the socket while this one is copied. */
	size_t starts[2], counts[2], sent = 0, done = 0, next = 0;
	int r = 0;
	while (r == 0 && (done < sent || next < net.n)) {
		while (sent - done < 2 && next < net.n) {
			uint32_t nr, cnt = make_batch(p, net.w + next, net.n - next, &nr);
			starts[sent % 2] = next;
			counts[sent % 2] = cnt;
			if (net_send_read(p, p->ranges, nr) != 0) {
				r = -1;
				break;
			}
			next += cnt;
			sent++;
		}
		if (r)
			break;
		const struct want *bw = net.w + starts[done % 2];
		size_t cnt = counts[done % 2];
		if (net_recv_data(p, p->buf, cnt * PAGE_SZ) != 0) {
			r = -1;
			break;
		}
		for (size_t q = 0; q < cnt; q++)
			cache_put(p, fetch_index(p, bw[q].vi, bw[q].pg),
				  p->d.vmas[bw[q].vi].start + bw[q].pg * PAGE_SZ, p->buf + q * PAGE_SZ);
		for (size_t i = 0; i < cnt;) {
			size_t j = i + 1;
			while (j < cnt && want_next(&bw[j - 1], &bw[j]))
				j++;
			int landed = land(p, bw[i].vi, want_dst(p, &bw[i]), p->buf + i * PAGE_SZ,
					  (j - i) * PAGE_SZ);
			for (size_t q = i; q < j; q++)
				if (landed)
					p->vs[bw[q].vi].st[bw[q].pg] = ST_RESIDENT;
			i = j;
		}
		p->s.net_pages += cnt;
		done++;
	}
	free(net.w);
	return r;
}
/* Makes every page with content resident (fetch + file classes), or only the stack's. */
static int fill_all(struct pager *p, int stack_only, uint64_t *count)
{
	struct wantlist l = {NULL, 0, 0};
	for (size_t ri = 0; ri < p->nrg; ri++) {
		struct region rr = p->rg[ri];
		uint32_t vi = rr.vi;
		if (stack_only && p->d.vmas[vi].kind != VK_STACK)
			continue;
		const struct desc_vma *v = &p->d.vmas[vi];
		struct vstate *s = &p->vs[vi];
		int64_t delta = (int64_t)rr.cur - (int64_t)rr.seed;
		uint64_t first = (rr.seed - v->start) / PAGE_SZ, last = first + rr.len / PAGE_SZ;
		for (uint64_t q = first; q < last; q++) {
			if (s->st[q] != ST_MISSING)
				continue;
			int cls = page_class(p, vi, q);
			if (cls == PC_FILE) {
				uint64_t e = q + 1;
				while (e < last && e - q < MAX_READ_PAGES && s->st[e] == ST_MISSING &&
				       page_class(p, vi, e) == PC_FILE)
					e++;
				install_file(p, vi, q, (uint32_t)(e - q), delta);
				*count += e - q;
				q = e - 1;
			} else if (cls == PC_FETCH && wl_push(&l, (struct want){vi, q, delta}) != 0) {
				free(l.w);
				return -1;
			}
		}
	}
	int r = install_many(p, l.w, l.n);
	*count += l.n;
	free(l.w);
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Current address offset of a seed page, or 0 when the child no longer maps it. */
static int seed_delta(const struct pager *p, uint32_t vi, uint64_t pg, int64_t *delta)
{
	uint64_t a = p->d.vmas[vi].start + pg * PAGE_SZ;
	for (size_t i = 0; i < p->nrg; i++) {
		const struct region *r = &p->rg[i];
		if (r->vi == vi && a >= r->seed && a < r->seed + r->len) {
			*delta = (int64_t)r->cur - (int64_t)r->seed;
			return 1;
		}
	}
	return 0;
}

/*
 * Working-set prefetch (REAP): the recorded pages (seed addresses) are installed before the
 * child runs.  (Installing them while the child runs was measured slower on 2 busy cores.)
 */
static void prefetch_load(struct pager *p)
{
	int fd = open(p->o.prefetch, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cleave-restore: prefetch file %s: %s (continuing without)\n",
			p->o.prefetch, strerror(errno));
		return;
	}
	struct stat st;
	uint32_t hdr[2];
	uint64_t *addrs = NULL;
	size_t n = 0;
	if (fstat(fd, &st) == 0 && read_full(fd, hdr, sizeof hdr) == 0 && hdr[0] == 0x52564c43u &&
	    (uint64_t)hdr[1] * 8 + 8 == (uint64_t)st.st_size) {
		n = hdr[1];
		addrs = malloc((n ? n : 1) * 8);
		p->pf = malloc((n ? n : 1) * sizeof *p->pf);
		if (!addrs || !p->pf || read_full(fd, addrs, n * 8) != 0)
			n = 0;
	} else {
		fprintf(stderr, "cleave-restore: %s is not a working-set file (ignored)\n",
			p->o.prefetch);
	}
	close(fd);
	qsort(addrs, n, 8, cmp_u64);
	for (size_t i = 0; i < n; i++) {
		struct region *rg = find_region(p, addrs[i]);
		if (!rg)
			continue;
		uint32_t vi = rg->vi;
		uint64_t pg = (addrs[i] - p->d.vmas[vi].start) / PAGE_SZ;
		if (p->npf && p->pf[p->npf - 1].vi == vi && p->pf[p->npf - 1].pg == pg)
			continue;
		if (page_class(p, vi, pg) != PC_ZERO)
			p->pf[p->npf++] = (struct want){vi, pg, 0};
	}
	free(addrs);
}

/* Installs the next batch of the prefetch list; -1 when the page server is lost. */
static int prefetch_step(struct pager *p)
{
	static struct want chunk[MAX_READ_PAGES];
	uint32_t n = 0, ranges = 0;
	while (p->ipf < p->npf && n < MAX_READ_PAGES) {
		struct want w = p->pf[p->ipf];
		if (p->vs[w.vi].st[w.pg] != ST_MISSING || !seed_delta(p, w.vi, w.pg, &w.delta)) {
			p->ipf++;
			continue;
		}
		if (page_class(p, w.vi, w.pg) == PC_FILE) {
			install_file(p, w.vi, w.pg, 1, w.delta);
			p->ipf++;
			continue;
		}
		if ((!n || !want_next(&chunk[n - 1], &w)) && ++ranges > MAX_READ_RANGES)
			break;
		chunk[n++] = w;
		p->ipf++;
	}
	p->s.prefetched += n;
	return n ? install_fetch(p, chunk, n, 0) : 0;
}

static void write_record(struct pager *p)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", p->o.record, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	uint32_t hdr[2] = {0x52564c43u, (uint32_t)p->nrecord};
	if (fd < 0 || write_full(fd, hdr, sizeof hdr) != 0 ||
	    write_full(fd, p->record, p->nrecord * 8) != 0 || close(fd) != 0 ||
	    rename(tmp, p->o.record) != 0) {
		fprintf(stderr, "cleave-restore: write working set %s: %s\n", p->o.record,
			strerror(errno));
		unlink(tmp);
	}
}

/* Milliseconds from the restorer's start to a milestone, -1 when it was never reached. */
static double since(const struct pager *p, uint64_t t)
{
	return t ? (double)(t - p->o.t_start) * 1e-6 : -1.0;
}

/*
 * Writes the counters as one JSON line, replacing the file's content in a single write: a reader
 * sees the previous line, an empty file or the new line.  "exit" is null while the child runs.
 * Opened each time by name (a caller may make the file beforehand in a directory the restorer
 * cannot write to); a failure is reported once.
 */
static void write_stats(struct pager *p, int code, int running)
{
	char line[1024], exit_text[16];
	if (running)
		snprintf(exit_text, sizeof exit_text, "null");
	else
		snprintf(exit_text, sizeof exit_text, "%d", code);
	int n = snprintf(line, sizeof line,
		"{\"exit\": %s, \"desc_ms\": %.3f, \"ready_ms\": %.3f, \"go_ms\": %.3f, "
		"\"run_ms\": %.3f, "
		"\"faults\": %llu, \"net_pages\": %llu, \"net_batches\": %llu, \"net_bytes\": %llu, "
		"\"cache_pages\": %llu, \"ckpt_pages\": %llu, \"file_pages\": %llu, "
		"\"zero_pages\": %llu, \"prefetched\": %llu, \"eager_pages\": %llu, "
		"\"events\": %llu, \"seed_rss_pages\": %llu, \"seed_fetch_pages\": %llu}\n",
		exit_text, since(p, p->s.t_desc), since(p, p->s.t_ready), since(p, p->s.t_go),
		since(p, p->s.t_exit), (unsigned long long)p->s.faults,
		(unsigned long long)p->s.net_pages, (unsigned long long)p->s.net_batches,
		(unsigned long long)p->s.net_bytes,
		(unsigned long long)p->s.cache_pages, (unsigned long long)p->s.ckpt_pages,
		(unsigned long long)p->s.file_pages, (unsigned long long)p->s.zero_pages,
		(unsigned long long)p->s.prefetched, (unsigned long long)p->s.eager_pages,
		(unsigned long long)p->s.events, (unsigned long long)(p->d.h->rss_bytes / PAGE_SZ),
		(unsigned long long)p->d.h->fetch_pages);
	if (n < 0 || (size_t)n >= sizeof line) {
		fprintf(stderr, "cleave-restore: stats line too long\n");
		return;
	}
	int fd = open(p->o.stats_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int ok = fd >= 0 && write_full(fd, line, (size_t)n) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (!ok && !p->stats_failed) {
		p->stats_failed = 1;
		fprintf(stderr, "cleave-restore: write stats %s: %s\n", p->o.stats_file,
			strerror(errno));
	}
}

/* Changes whenever a counter or milestone does (every counter only grows). */
static uint64_t stats_sum(const struct pager *p)
{
	return p->s.faults + p->s.net_pages + p->s.net_batches + p->s.cache_pages +
	       p->s.ckpt_pages + p->s.file_pages + p->s.zero_pages + p->s.prefetched +
	       p->s.eager_pages + p->s.events + !!p->s.t_ready + !!p->s.t_go;
}

/*
 * While the child runs, the stats file is rewritten once the counters changed, at most every
 * STATS_EVERY_NS, so the node sees a long-lived child's fetches without waiting for its exit.
 * Returns the poll timeout in ms until the next rewrite is due, -1 when none is.
 */
#define STATS_EVERY_NS 1000000000ull
static int stats_tick(struct pager *p)
{
	if (!p->o.stats_file)
		return -1;
	uint64_t sum = stats_sum(p);
	if (sum == p->stats_written_sum && p->stats_written_at)
		return -1;
	uint64_t now = now_ns();
	if (p->stats_written_at && now - p->stats_written_at < STATS_EVERY_NS)
		return (int)((STATS_EVERY_NS - (now - p->stats_written_at)) / 1000000ull) + 1;
	write_stats(p, 0, 1);
	p->stats_written_at = now;
	p->stats_written_sum = sum;
	return -1;
}

/*
 * A recording child's working set is written while it runs too (a warm child may live for
 * minutes, and the node's next children prefetch from it): once it grew and the child then
 * touched no new page for RECORD_QUIET_NS (its call is done), so a reader sees whole calls'
 * working sets.  Returns the poll timeout in ms until the next write is due, -1 when none is.
 */
#define RECORD_QUIET_NS 150000000ull
static int record_tick(struct pager *p)
{
	if (!p->o.record || p->lost || p->nrecord == p->record_written_n)
		return -1;
	uint64_t quiet = now_ns() - p->record_last_at;
	if (quiet < RECORD_QUIET_NS)
		return (int)((RECORD_QUIET_NS - quiet) / 1000000ull) + 1;
	write_record(p);
	p->record_written_n = p->nrecord;
	return -1;
}

/* The sooner of two poll timeouts (-1: none). */
static int sooner(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static const char *step_name(int s)
{
	static const char *n[] = {"?", "unregister the restorer's rseq", "unmap the restorer",
				  "park the vDSO", "map the seed's memory", "move the vDSO",
				  "register userfaultfd ranges", "prctl(PR_SET_MM_MAP)",
				  "install signal handlers", "register rseq", "set_robust_list",
				  "control channel", "unregister userfaultfd ranges"};
	return s > 0 && s <= BS_UNREGISTER ? n[s] : n[0];
}

static int finish(struct pager *p, int code)
{
	p->s.t_exit = now_ns();
	if (p->o.record && !p->lost)
		write_record(p);
	if (p->o.stats_file)
		write_stats(p, code, 0);
	return code;
}

static int kill_child(struct pager *p)
{
	kill(p->child, SIGKILL);
	int status;
	while (waitpid(p->child, &status, 0) < 0 && errno == EINTR)
		;
	return finish(p, p->lost ? 70 : 1);
}

int pager_run(struct pager *p, pid_t child, int pidfd, int ctl)
{
	p->child = child;
	int have_ctl = 1, code = 1;
	/* The uffd arrives first, by SCM_RIGHTS on the control socket. */
	struct msg_hdr mh;
	int fds[1], nfds = 0;
	if (msg_recv_hdr(ctl, &mh, fds, 1, &nfds) != 0 || nfds != 1) {
		int status;
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		fprintf(stderr, "cleave-restore: the child could not set up userfaultfd\n");
		return finish(p, 1);
	}
	p->uffd = fds[0];
	for (;;) {
		while (p->npending) {
			struct uffd_msg m = p->pending[--p->npending];
			if (handle_fault(p, m.arg.pagefault.address) != 0)
				return kill_child(p);
		}
		/* The server never speaks unasked: readable or hung up while idle means it is gone
		 * (killed, or the handle revoked), and a lazy child must not outlive it. */
		int watch_net = p->net >= 0 && !p->o.eager;
		struct pollfd pf[4] = {{p->uffd, POLLIN, 0}, {ctl, have_ctl ? POLLIN : 0, 0},
				       {pidfd, POLLIN, 0}, {watch_net ? p->net : -1, POLLIN, 0}};
		if (poll(pf, 4, sooner(stats_tick(p), record_tick(p))) < 0) {
			if (errno == EINTR)
				continue;
			perror("cleave-restore: poll");
			return kill_child(p);
		}
		if (pf[0].revents & POLLIN) {
			struct uffd_msg msgs[16];
			ssize_t n = read(p->uffd, msgs, sizeof msgs);
			for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof msgs[0]; i++) {
				if (msgs[i].event == UFFD_EVENT_PAGEFAULT) {
					if (handle_fault(p, msgs[i].arg.pagefault.address) != 0)
						return kill_child(p);
				} else {
					handle_event(p, &msgs[i]);
				}
			}
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct ctl_msg m;
			if (read_full(ctl, &m, sizeof m) != 0) {
				have_ctl = 0;
			} else if (m.type == CTL_READY) {
				p->s.t_ready = now_ns();
				uint64_t cnt = 0;
				int r = fill_all(p, !p->o.eager, &cnt);
				p->s.eager_pages += cnt;
				if (r == 0 && p->o.prefetch && !p->o.eager) {
					prefetch_load(p);
					while (r == 0 && p->ipf < p->npf)
						r = prefetch_step(p);
				}
				if (r != 0)
					return kill_child(p);
				p->s.t_go = now_ns();
				struct ctl_msg go = {CTL_GO, 0, 0};
				if (write_full(ctl, &go, sizeof go) != 0)
					have_ctl = 0;
			} else if (m.type == CTL_POPULATE) {
				uint64_t cnt = 0;
				int r = fill_all(p, 0, &cnt);
				struct stat cst;
				uint64_t ino = p->share && fstat(p->cache_fd, &cst) == 0 ? cst.st_ino : 0;
				p->s.eager_pages += cnt;
				struct ctl_msg done = {CTL_DONE, r == 0 ? 0 : CLEAVE_E_LOST, ino};
				if (r != 0)
					return kill_child(p);
				if (write_full(ctl, &done, sizeof done) != 0)
					have_ctl = 0;
			} else if (m.type == CTL_ERR) {
				errno = (int)m.b;
				fprintf(stderr, "cleave-restore: restore failed: %s: %s\n",
					step_name(m.a), strerror((int)m.b));
				return kill_child(p);
			}
		}
		if (pf[3].revents & (POLLIN | POLLHUP | POLLERR) && !(pf[2].revents & POLLIN)) {
			p->lost = 1;
			fprintf(stderr, "cleave-restore: page server %s lost: it closed the connection "
					"(handle %llu revoked or server gone); killing the child, whose "
					"memory is not all fetched\n",
				p->server, (unsigned long long)p->handle);
			return kill_child(p);
		}
		if (pf[2].revents & POLLIN) {
			int status;
			while (waitpid(child, &status, 0) < 0 && errno == EINTR)
				;
			code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			return finish(p, code);
		}
	}
}

/* ---- opening ---- */

static int alloc_pager(struct pager **out, const struct pager_opts *o)
{
	struct pager *p = calloc(1, sizeof *p);
	if (!p)
		return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
	p->o = *o;
	if (!p->o.batch)
		p->o.batch = 4;
	if (p->o.batch > MAX_READ_PAGES)
		p->o.batch = MAX_READ_PAGES;
	if (p->o.record)
		p->o.batch = 1; /* record the exact working set, not the read-ahead around it */
	p->net = -1;
	p->uffd = -1;
	p->cache_fd = -1;
	*out = p;
	return 0;
}

static void cache_drop_handle(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	size_t pl = strlen(prefix);
	while ((e = readdir(d)))
		if (strncmp(e->d_name, prefix, pl) == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static void open_cache(struct pager *p, const char *host, int port)
{
	const char *dir = p->o.cache_dir;
	if (!dir || !strcmp(dir, "none") || !p->d.h->fetch_pages)
		return;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "cleave-restore: cache dir %s: %s (no cache)\n", dir, strerror(errno));
		return;
	}
	/*
	 * On a tmpfs a lazy child maps the file itself (uffd minor faults need shmem): the node's
	 * children then share the seed pages they only read, as a local fork shares its seed's.
	 * An eager child has no handler after its start to keep dropped pages zero, so it copies.
	 */
	struct statfs sf;
	p->share = !p->o.eager && !p->o.no_share && statfs(dir, &sf) == 0 &&
		   sf.f_type == TMPFS_MAGIC;
	p->share_exec = p->share && !(sf.f_flags & ST_NOEXEC);
	/*
	 * The bitmap of cached pages, then the pages.  Shared: sparse, the seed page at address a at
	 * PAGER_CACHE_BASE + a, up to the end of user addresses (a child's view may grow past its
	 * seed VMA; the handler serves zeros there).  Else dense, in fetch order.
	 */
	char path[4096];
	snprintf(path, sizeof path, "%s/%s_%d_h%llu_%016llx%s.pages", dir, host, port,
		 (unsigned long long)p->handle, (unsigned long long)p->d.h->nonce,
		 p->share ? "_shared" : "");
	uint64_t bm = ((p->d.h->fetch_pages + 7) / 8 + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	uint64_t size = p->share ? PAGER_CACHE_BASE * 2 : bm + p->d.h->fetch_pages * PAGE_SZ;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "cleave-restore: cache %s: %s (no cache)\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		p->share = 0;
		return;
	}
	if ((uint64_t)st.st_size != size && (st.st_size != 0 || ftruncate(fd, (off_t)size) != 0)) {
		close(fd);
		p->share = 0;
		return;
	}
	void *m = mmap(NULL, bm, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "cleave-restore: map cache %s: %s (no cache)\n", path, strerror(errno));
		close(fd);
		p->share = 0;
		return;
	}
	p->cache_map = m;
	p->cache_len = bm;
	p->cache_fd = fd;
	p->cache_data_off = bm;
}

int pager_open_server(struct pager **out, const char *server, uint64_t handle,
		      const uint8_t key[16], const struct pager_opts *o)
{
	char host[128];
	int port;
	if (parse_hostport(server, host, sizeof host, &port) != 0)
		return cl_fail(CLEAVE_E_INVAL, "restore: --server wants HOST:PORT, got '%s'", server);
	int r = alloc_pager(out, o);
	if (r < 0)
		return r;
	struct pager *p = *out;
	snprintf(p->server, sizeof p->server, "%s", server);
	p->handle = handle;
	/* A sandboxed restorer has no route to the page server: its container's helper connects
	 * for it, from the node's network, and hands the connection down. */
	p->net = o->server_fd >= 0 ? o->server_fd : tcp_connect(host, port);
	if (p->net < 0)
		return cl_fail(CLEAVE_E_SERVER, "restore: connect to page server %s: %s", server,
			       errno == EINVAL ? "HOST must be an IPv4 address" : strerror(errno));
	struct msg_auth auth;
	auth.handle = handle;
	memcpy(auth.key, key, 16);
	struct msg_hdr h;
	if (msg_send(p->net, M_HELLO, 0, &auth, sizeof auth, NULL, 0) != 0 ||
	    msg_recv_hdr(p->net, &h, NULL, 0, NULL) != 0)
		return cl_fail(CLEAVE_E_SERVER, "restore: page server %s: %s", server,
			       errno ? strerror(errno) : "closed the connection");
	if (h.status != 0) {
		if (h.status == CLEAVE_E_NOHANDLE && o->cache_dir && strcmp(o->cache_dir, "none")) {
			char prefix[200];
			snprintf(prefix, sizeof prefix, "%s_%d_h%llu_", host, port,
				 (unsigned long long)handle);
			cache_drop_handle(o->cache_dir, prefix);
		}
		return cl_fail(h.status, "restore: page server %s refused handle %llu: %s", server,
			       (unsigned long long)handle, cleave_strerror(h.status));
	}
	if (h.type != M_DESC || h.len > DESC_MAX_BYTES)
		return cl_fail(CLEAVE_E_SERVER, "restore: unexpected reply from %s", server);
	p->descbuf = malloc(h.len ? h.len : 1);
	if (!p->descbuf)
		return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
	if (read_full(p->net, p->descbuf, h.len) != 0)
		return cl_fail(CLEAVE_E_DESC, "restore: descriptor truncated: page server %s closed "
					      "after sending part of %u bytes",
			       server, h.len);
	p->s.t_desc = now_ns();
	p->s.net_bytes += h.len;
	char err[256];
	r = desc_parse(p->descbuf, h.len, &p->d, err, sizeof err);
	if (r < 0)
		return cl_fail(-r, "restore: %s", err);
	open_cache(p, host, port); /* before the state: whether VMAs are shared depends on it */
	return setup_state(p);
}

int pager_open_file(struct pager **out, const char *path, const struct pager_opts *o)
{
	int r = alloc_pager(out, o);
	if (r < 0)
		return r;
	struct pager *p = *out;
	p->o.eager = 1;
	snprintf(p->server, sizeof p->server, "%s", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail_sys("restore: open checkpoint %s", path);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return cl_fail_sys("restore: stat checkpoint %s", path);
	}
	if ((uint64_t)st.st_size < sizeof(struct ckpt_hdr)) {
		close(fd);
		return cl_fail(CLEAVE_E_DESC, "restore: checkpoint %s truncated (%lld bytes)", path,
			       (long long)st.st_size);
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return cl_fail_sys("restore: map checkpoint %s", path);
	p->ckpt_map = m;
	p->ckpt_len = (size_t)st.st_size;
	const struct ckpt_hdr *h = m;
	if (h->magic != CKPT_MAGIC || h->version != DESC_VERSION)
		return cl_fail(CLEAVE_E_DESC, "restore: %s is not a cleave checkpoint", path);
	if (h->desc_bytes > p->ckpt_len - sizeof *h)
		return cl_fail(CLEAVE_E_DESC, "restore: checkpoint %s truncated inside its descriptor",
			       path);
	p->descbuf = malloc(h->desc_bytes ? h->desc_bytes : 1);
	if (!p->descbuf)
		return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
	memcpy(p->descbuf, (const char *)m + sizeof *h, h->desc_bytes);
	p->s.t_desc = now_ns();
	char err[256];
	r = desc_parse(p->descbuf, h->desc_bytes, &p->d, err, sizeof err);
	if (r < 0)
		return cl_fail(-r, "restore: checkpoint %s: %s", path, err);
	if (h->data_pages != p->d.h->fetch_pages ||
	    h->data_off + h->data_pages * PAGE_SZ > p->ckpt_len)
		return cl_fail(CLEAVE_E_DESC, "restore: checkpoint %s truncated: pages missing", path);
	p->ckpt_data_off = h->data_off;
	return setup_state(p);
}

/*
 * Where the child keeps each seed page now: regions of current addresses, cut and moved as the
 * child's munmap/mremap events arrive, and pages it dropped (madvise) marked so they read zeros.
 */
#define _GNU_SOURCE
#include "pager_int.h"

#include <stdio.h>
#include <stdlib.h>

struct region *pg_find_region(struct pager *p, uint64_t addr)
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

void pg_handle_event(struct pager *p, const struct uffd_msg *m)
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

/* Current address offset of a seed page, or 0 when the child no longer maps it. */
int pg_seed_delta(const struct pager *p, uint32_t vi, uint64_t pg, int64_t *delta)
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

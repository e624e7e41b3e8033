/* The pager's fault resolution: which pages a fault brings in, and installing them from each source. */
#define _GNU_SOURCE
#include "pager_int.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

int pg_want_next(const struct want *a, const struct want *b)
{
	return a->vi == b->vi && b->pg == a->pg + 1 && a->delta == b->delta;
}

/*
 * Installs fetch pages (grouped by VMA, ascending): local copies (checkpoint or node cache)
 * go straight in, the rest comes from the page server in one batch.  -1: server lost.
 */
int pg_install_fetch(struct pager *p, const struct want *w, uint32_t n, int recording)
{
	static struct want net[MAX_READ_PAGES];
	uint32_t nnet = 0;
	for (uint32_t i = 0; i < n;) {
		uint64_t idx = pg_fetch_index(p, w[i].vi, w[i].pg);
		if (!p->ckpt_map && !pg_cache_has(p, idx)) {
			net[nnet++] = w[i++];
			continue;
		}
		uint32_t j = i + 1;
		while (j < n && pg_want_next(&w[j - 1], &w[j]) &&
		       pg_fetch_index(p, w[j].vi, w[j].pg) == idx + (j - i) &&
		       (p->ckpt_map || pg_cache_has(p, idx + (j - i))))
			j++;
		/* a shared VMA maps the cached pages where they are; elsewhere they are copied */
		const char *src = NULL;
		uint64_t seed_addr = p->d.vmas[w[i].vi].start + w[i].pg * PAGE_SZ;
		if (p->ckpt_map)
			src = p->ckpt_map + p->ckpt_data_off + idx * PAGE_SZ;
		else if (!p->vs[w[i].vi].shared) {
			if (pg_cache_read(p, idx, seed_addr, p->filebuf, j - i) != 0) {
				/* unreadable cache: fetch this run from the server instead */
				while (i < j)
					net[nnet++] = w[i++];
				continue;
			}
			src = p->filebuf;
		}
		int landed = pg_land(p, w[i].vi, want_dst(p, &w[i]), src, (uint64_t)(j - i) * PAGE_SZ);
		if (landed == -2) { /* fetch them after all, and cache them again */
			for (; i < j; i++) {
				uint64_t x = pg_fetch_index(p, w[i].vi, w[i].pg);
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
		if (nr && i && pg_want_next(&net[i - 1], &net[i]))
			p->ranges[nr - 1].npages++;
		else if (nr < MAX_READ_RANGES)
			p->ranges[nr++] = (struct msg_range){a, 1, 0};
		else {
			nnet = i; /* the caller's next fault picks up the rest */
			break;
		}
	}
	if (pg_net_read(p, p->ranges, nr, p->buf, (uint64_t)nnet * PAGE_SZ) != 0)
		return -1;
	p->s.net_pages += nnet;
	/* cached first: a shared VMA maps the pages from the cache file */
	for (uint32_t i = 0; i < nnet; i++) {
		uint64_t seed_addr = p->d.vmas[net[i].vi].start + net[i].pg * PAGE_SZ;
		pg_cache_put(p, pg_fetch_index(p, net[i].vi, net[i].pg), seed_addr,
			  p->buf + (uint64_t)i * PAGE_SZ);
		if (recording)
			record_page(p, seed_addr);
	}
	for (uint32_t i = 0; i < nnet;) {
		uint32_t j = i + 1;
		while (j < nnet && pg_want_next(&net[j - 1], &net[j]))
			j++;
		int landed = pg_land(p, net[i].vi, want_dst(p, &net[i]), p->buf + (uint64_t)i * PAGE_SZ,
				  (uint64_t)(j - i) * PAGE_SZ);
		for (uint32_t k = i; k < j; k++)
			if (landed)
				p->vs[net[k].vi].st[net[k].pg] = ST_RESIDENT;
		i = j;
	}
	return 0;
}

/* Pages of a written private file mapping that the seed never changed: read the local file. */
void pg_install_file(struct pager *p, uint32_t vi, uint64_t pg, uint32_t n, int64_t delta)
{
	const struct desc_vma *v = &p->d.vmas[vi];
	size_t len = (size_t)n * PAGE_SZ;
	ssize_t got = pread(p->files[v->file], p->filebuf, len, (off_t)(v->file_off + pg * PAGE_SZ));
	if (got < 0)
		got = 0;
	if ((size_t)got < len)
		memset(p->filebuf + got, 0, len - (size_t)got); /* beyond end of file */
	if (!pg_uffd_copy(p, (uint64_t)((int64_t)(v->start + pg * PAGE_SZ) + delta), p->filebuf, len))
		return;
	for (uint32_t k = 0; k < n; k++)
		p->vs[vi].st[pg + k] = ST_RESIDENT;
	p->s.file_pages += n;
}

/* Pages of a shared VMA that read as zeros: dropped by the child, or never written by the seed. */
static int reads_zero(const struct pager *p, uint32_t vi, uint64_t pg)
{
	return p->vs[vi].st[pg] == ST_DROPPED || pg_page_class(p, vi, pg) != PC_FETCH;
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
		pg_uffd_zero(p, addr, (q - pg) * PAGE_SZ);
		p->s.zero_pages += q - pg;
		return 0;
	}
	static struct want list[MAX_READ_PAGES];
	uint32_t n = 0;
	list[n++] = (struct want){vi, pg, delta};
	uint64_t span_end = pg + (uint64_t)p->o.batch * 4;
	for (uint64_t q = pg + 1; q < last && q < span_end && n < p->o.batch; q++)
		if (s->st[q] == ST_MISSING && pg_page_class(p, vi, q) == PC_FETCH)
			list[n++] = (struct want){vi, q, delta};
	return pg_install_fetch(p, list, n, 1);
}

/* Resolves one fault at a current address. */
int pg_handle_fault(struct pager *p, uint64_t addr)
{
	addr &= ~(PAGE_SZ - 1);
	p->s.faults++;
	struct region *r = pg_find_region(p, addr);
	if (!r) {
		pg_uffd_zero(p, addr, PAGE_SZ);
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
	int cls = s->st[pg] == ST_DROPPED ? PC_ZERO : pg_page_class(p, vi, pg);
	if (cls == PC_ZERO) {
		uint64_t q = pg + 1;
		while (q < last && q - pg < 512 && s->st[q] == s->st[pg] &&
		       (s->st[q] == ST_DROPPED || pg_page_class(p, vi, q) == PC_ZERO))
			q++;
		pg_uffd_zero(p, addr, (q - pg) * PAGE_SZ);
		for (uint64_t k = pg; k < q; k++)
			s->st[k] = ST_RESIDENT;
		p->s.zero_pages += q - pg;
		return 0;
	}
	if (cls == PC_FILE) {
		uint64_t q = pg + 1;
		while (q < last && q - pg < p->o.batch && s->st[q] == ST_MISSING &&
		       pg_page_class(p, vi, q) == PC_FILE)
			q++;
		pg_install_file(p, vi, pg, (uint32_t)(q - pg), delta);
		return 0;
	}
	/* fetch: the faulting page plus read-ahead over the following fetch pages */
	static struct want list[MAX_READ_PAGES];
	uint32_t n = 0;
	uint64_t span_end = pg + (uint64_t)p->o.batch * 4;
	for (uint64_t q = pg; q < last && q < span_end && n < p->o.batch; q++)
		if (s->st[q] == ST_MISSING && pg_page_class(p, vi, q) == PC_FETCH)
			list[n++] = (struct want){vi, q, delta};
	return pg_install_fetch(p, list, n, 1);
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
		if (nr && pg_want_next(&w[cnt - 1], &w[cnt])) {
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
		uint64_t idx = pg_fetch_index(p, w[i].vi, w[i].pg);
		if (!p->ckpt_map && !pg_cache_has(p, idx)) {
			if (wl_push(&net, w[i++]) != 0) {
				free(net.w);
				return -1;
			}
			continue;
		}
		size_t j = i + 1;
		while (j < n && j - i < MAX_READ_PAGES &&
		       (p->ckpt_map || pg_cache_has(p, pg_fetch_index(p, w[j].vi, w[j].pg))))
			j++;
		if (pg_install_fetch(p, w + i, (uint32_t)(j - i), 0) != 0) {
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
			if (pg_net_send_read(p, p->ranges, nr) != 0) {
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
		if (pg_net_recv_data(p, p->buf, cnt * PAGE_SZ) != 0) {
			r = -1;
			break;
		}
		for (size_t q = 0; q < cnt; q++)
			pg_cache_put(p, pg_fetch_index(p, bw[q].vi, bw[q].pg),
				  p->d.vmas[bw[q].vi].start + bw[q].pg * PAGE_SZ, p->buf + q * PAGE_SZ);
		for (size_t i = 0; i < cnt;) {
			size_t j = i + 1;
			while (j < cnt && pg_want_next(&bw[j - 1], &bw[j]))
				j++;
			int landed = pg_land(p, bw[i].vi, want_dst(p, &bw[i]), p->buf + i * PAGE_SZ,
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
int pg_fill_all(struct pager *p, int stack_only, uint64_t *count)
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
			int cls = pg_page_class(p, vi, q);
			if (cls == PC_FILE) {
				uint64_t e = q + 1;
				while (e < last && e - q < MAX_READ_PAGES && s->st[e] == ST_MISSING &&
				       pg_page_class(p, vi, e) == PC_FILE)
					e++;
				pg_install_file(p, vi, q, (uint32_t)(e - q), delta);
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

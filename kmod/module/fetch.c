/*
 * Fetching a resume's pages from the seed (under the session's lock): by RDMA READ when the
 * session has a queue pair, else one M_READ exchange on its TCP connection per batch. A fault's
 * pages (the faulting one and the next unrequested pages with content, cf_fault_batch in all)
 * go to the fault, the others wait in the session's cache for theirs. Pages are charged to the
 * memory cgroup of the process that faults or prefetches them. A failed exchange loses the
 * session: its child is killed.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "cf.h"

#define READ_AHEAD_WINDOW 64

int cf_fault_batch = 4;
bool cf_rdma_bulk = true;

/* One M_READ of n pages in nr ranges (under s->lock); pages[] get the data. */
static int read_batch(struct cf_session *s, const struct msg_range *ranges, u32 nr,
		      struct page **pages, u32 n)
{
	struct msg_hdr h = { .magic = MSG_MAGIC, .type = M_READ, .len = nr * sizeof(*ranges) };
	u32 i;

	if (cf_client_send(s, &h, sizeof(h)) || cf_client_send(s, ranges, h.len))
		return -EIO;
	if (cf_client_recv(s, &h, sizeof(h), MAX_SCHEDULE_TIMEOUT))
		return -EIO;
	if (h.magic != MSG_MAGIC || h.type != M_DATA || h.status || h.len != n * PAGE_SZ)
		return -EIO;
	for (i = 0; i < n; i++) {
		void *p = kmap_local_page(pages[i]);
		int r = cf_client_recv(s, p, PAGE_SIZE, MAX_SCHEDULE_TIMEOUT);

		kunmap_local(p);
		if (r)
			return r;
	}
	atomic64_inc(&s->net_batches);
	atomic64_add(n, &s->net_pages);
	return 0;
}

static void cache_put(struct cf_session *s, u64 pgno, struct page *p)
{
	if (xa_insert(&s->cache, pgno, p, GFP_KERNEL))
		put_page(p); /* already there (or no memory for the entry): the page is not needed */
	else
		atomic_long_inc(&cf_pages_held);
}

static bool vma_start(struct cf_session *s, u64 pg)
{
	int vi = cf_desc_find(&s->d, pg * PAGE_SZ);

	return vi >= 0 && s->d.vmas[vi].start == pg * PAGE_SZ;
}

int cf_fetch(struct cf_session *s, const u64 *pgs, u32 n, struct page **first)
{
	struct msg_range *ranges = kmalloc_array(MAX_READ_RANGES, sizeof(*ranges), GFP_KERNEL);
	struct page **pages = kvmalloc_array(MAX_READ_PAGES, sizeof(*pages), GFP_KERNEL);
	u32 done = 0, i;
	int r = 0;
	/* a fault's pages (first set) by RDMA; bulk (prefetch, eager, stack) too unless rdma_bulk=0 */
	bool by_rdma = s->rdma && (first || READ_ONCE(cf_rdma_bulk));

	if (!ranges || !pages) {
		r = -ENOMEM;
		goto out;
	}
	if (READ_ONCE(s->lost)) {
		r = -EIO;
		goto out;
	}
	while (done < n && !r) {
		u32 k = 0, nr = 0;

		while (done + k < n && k < MAX_READ_PAGES) {
			u64 pg = pgs[done + k];

			/* a range may not cross into the next VMA (the server refuses that) */
			if (nr && ranges[nr - 1].addr + (u64)ranges[nr - 1].npages * PAGE_SZ ==
					  pg * PAGE_SZ && !vma_start(s, pg)) {
				ranges[nr - 1].npages++;
			} else {
				if (nr == MAX_READ_RANGES)
					break;
				ranges[nr].addr = pg * PAGE_SZ;
				ranges[nr].npages = 1;
				ranges[nr].pad = 0;
				nr++;
			}
			pages[k] = alloc_page(CF_PAGE_GFP);
			if (!pages[k]) {
				r = -ENOMEM;
				break;
			}
			k++;
		}
		if (!r)
			r = by_rdma ? cf_rdma_read(s, pgs + done, pages, k) :
				      read_batch(s, ranges, nr, pages, k);
		for (i = 0; i < k; i++) {
			if (r)
				put_page(pages[i]);
			else if (first && done == 0 && i == 0)
				*first = pages[i];
			else
				cache_put(s, pgs[done + i], pages[i]);
		}
		done += k;
	}
	/* a failed exchange leaves the stream out of step: the connection is done for */
	if (r == -EIO || r == -EINTR) {
		WRITE_ONCE(s->lost, true);
		wake_up_all(&s->wq);
	}
out:
	kfree(ranges);
	kvfree(pages);
	return r;
}


/* Marks pg requested; true when it was not yet. */
bool cf_ask(struct cf_session *s, u32 vi, u64 pg)
{
	return s->asked[vi] && !test_and_set_bit(pg, s->asked[vi]);
}

/* The faulting page and the next content pages not requested yet (under s->lock). */
int cf_fetch_around(struct cf_session *s, u32 vi, u64 pg, struct page **page)
{
	const struct desc_vma *v = &s->d.vmas[vi];
	u64 np = (v->end - v->start) / PAGE_SZ, base = v->start / PAGE_SZ, q;
	u64 list[32];
	u32 n = 0, want = clamp(cf_fault_batch, 1, 32);

	cf_ask(s, vi, pg);
	list[n++] = base + pg;
	for (q = pg + 1; q < np && q < pg + READ_AHEAD_WINDOW && n < want; q++)
		if (cf_desc_content(&s->d, v, q) && cf_ask(s, vi, q))
			list[n++] = base + q;
	return cf_fetch(s, list, n, page);
}

/*
 * The resuming side of the RDMA transport: asks the seed for its pages after the descriptor,
 * then reads them by one-sided RDMA READ into the pages the faults give it.
 */
#include <linux/inet.h>
#include <linux/ipv6.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_verbs.h>

#include "cf.h"
#include "rdma.h"

int cf_rdma_window = 128;

/* The resuming side: its queue pair, the seed's chunks and the page numbering. */
struct cf_rsess {
	struct cf_rep *ep;
	u32 chunk_pages, nchunks;
	struct msg_rdma_chunk *chunks;
	struct cf_ranks *ranks;
};

void cf_rdma_session_close(struct cf_session *s)
{
	struct cf_rsess *x = s->rdma;

	if (!x)
		return;
	cf_ep_release(x->ep);
	kvfree(x->chunks);
	cf_ranks_free(x->ranks);
	kfree(x);
	s->rdma = NULL;
}

/* The device under the session's queue pair went (rdma.c, under the queue pair's lock): the
 * session is lost, its restorer kills the child, its faults kill. */
static void session_lost(void *arg)
{
	struct cf_session *s = arg;

	WRITE_ONCE(s->lost, true);
	wake_up_all(&s->wq);
}

/*
 * After the descriptor (resume.c): asks the seed for RDMA. 0: pages come by RDMA; 1: they stay
 * on TCP; negative: the TCP session broke.
 */
int cf_rdma_session_open(struct cf_session *s)
{
	struct msg_hdr h = { .magic = MSG_MAGIC, .type = M_RDMA, .len = sizeof(struct msg_rdma_ep) };
	struct msg_rdma_offer o;
	struct msg_rdma_ep me;
	struct cf_rsess *x;
	size_t clen;
	int r;

	if (!READ_ONCE(cf_rdma_on))
		return 1;
	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return 1;
	x->ep = cf_ep_open(s->sock, NULL);
	if (IS_ERR(x->ep)) {
		kfree(x);
		return 1;
	}
	s->rdma = x;
	if (cf_ep_lock(x->ep)) {
		r = 1;
		goto fail;
	}
	cf_ep_addr(x->ep, &me);
	cf_ep_unlock(x->ep);
	if (cf_client_send(s, &h, sizeof(h)) || cf_client_send(s, &me, sizeof(me)) ||
	    cf_client_recv(s, &h, sizeof(h), 10 * HZ) || h.magic != MSG_MAGIC || h.type != M_RDMA) {
		r = -EIO;
		goto fail;
	}
	if (h.status) { /* refused (message follows): TCP it is */
		char why[64] = "";
		u32 n = min_t(u32, h.len, sizeof(why) - 1);

		r = h.len > 256 || cf_client_recv(s, why, n, 10 * HZ) ? -EIO : 1;
		if (r == 1 && h.len > n) {
			char rest[256];

			r = cf_client_recv(s, rest, h.len - n, 10 * HZ) ? -EIO : 1;
		}
		if (r == 1)
			pr_info_ratelimited("cleave_fork: seed refused RDMA (%s); pages go by TCP\n", why);
		goto fail;
	}
	if (h.len < sizeof(o) || cf_client_recv(s, &o, sizeof(o), 10 * HZ)) {
		r = -EIO;
		goto fail;
	}
	clen = (size_t)o.nchunks * sizeof(*x->chunks);
	if (o.nchunks == 0 || o.nchunks > MAX_RDMA_CHUNKS || o.chunk_pages == 0 ||
	    h.len != sizeof(o) + clen) {
		r = -EIO;
		goto fail;
	}
	x->chunks = kvmalloc(clen, GFP_KERNEL);
	if (!x->chunks) {
		r = -ENOMEM;
		goto fail;
	}
	if (cf_client_recv(s, x->chunks, clen, 10 * HZ)) {
		r = -EIO;
		goto fail;
	}
	x->chunk_pages = o.chunk_pages;
	x->nchunks = o.nchunks;
	x->ranks = cf_ranks_build(&s->d);
	if (!x->ranks || x->ranks->total > (u64)o.chunk_pages * o.nchunks) {
		r = 1; /* its numbering is not ours: the stream is fine, stay on TCP */
		goto fail;
	}
	/* a removal of the device before this point leaves the session on TCP, one after it
	 * loses the session */
	r = cf_ep_lock(x->ep);
	if (!r) {
		r = cf_ep_connect(x->ep, &o.ep);
		if (!r) {
			x->ep->lost = session_lost;
			x->ep->arg = s;
		}
		cf_ep_unlock(x->ep);
	}
	if (r) {
		pr_info_ratelimited("cleave_fork: queue pair to the seed not connected (%d); pages go by TCP\n", r);
		r = 1;
		goto fail;
	}
	return 0;
fail:
	cf_rdma_session_close(s);
	return r == -ENOMEM ? 1 : r;
}

/*
 * Reads seed pages pgs[0..n) (page numbers, ascending) into pages[] by RDMA READ (under s->lock):
 * consecutive numbers of one chunk share a work request, and up to SQ_DEPTH requests are in
 * flight, a new one posted as each completes. -EIO when a read fails.
 */
int cf_rdma_read(struct cf_session *s, const u64 *pgs, struct page **pages, u32 n)
{
	struct cf_rsess *x = s->rdma;
	struct cf_rep *e = x->ep;
	struct ib_device *dev;
	u32 lkey, max_sge;
	struct ib_sge *sges = kcalloc(n, sizeof(*sges), GFP_KERNEL);
	u32 done = 0, mapped = 0, inflight = 0, i;
	u64 pages_out = 0; /* in flight: each request's wr_id is its page count */
	u32 window = clamp(READ_ONCE(cf_rdma_window), 1, 4096);
	int r = 0, err = 0;

	if (!sges)
		return -ENOMEM;
	/* the device is gone: the session was lost with it */
	if (cf_ep_lock(e)) {
		kfree(sges);
		return -EIO;
	}
	dev = e->rd->dev;
	lkey = e->rd->pd->local_dma_lkey;
	max_sge = min_t(u32, MAX_SGE, dev->attrs.max_sge_rd);
	for (i = 0; i < n; i++) {
		u64 a = ib_dma_map_page(dev, pages[i], 0, PAGE_SIZE, DMA_FROM_DEVICE);

		if (ib_dma_mapping_error(dev, a)) {
			r = -ENOMEM;
			goto out;
		}
		sges[i].addr = a;
		sges[i].length = PAGE_SIZE;
		sges[i].lkey = lkey;
		mapped++;
	}
	while ((done < n || inflight) && !r && !err) {
		while (done < n && inflight < SQ_DEPTH && pages_out < window) {
			/* the driver copies the request: it need not outlive the post */
			struct ib_rdma_wr w = { .wr = { .opcode = IB_WR_RDMA_READ,
							.send_flags = IB_SEND_SIGNALED } };
			u64 rank = 0, prev = 0;
			u32 k = 0;

			while (done + k < n && k < max_sge) {
				u64 pg = pgs[done + k];
				int vi = cf_desc_find(&s->d, pg * PAGE_SZ);
				u64 rk, off;

				if (vi < 0 || !cf_readable_kind(&s->d.vmas[vi])) {
					r = -EIO;
					break;
				}
				off = pg - s->d.vmas[vi].start / PAGE_SZ;
				if (!cf_desc_content(&s->d, &s->d.vmas[vi], off)) {
					r = -EIO;
					break;
				}
				rk = cf_rank_of(x->ranks, &s->d, vi, off);
				if (k && (rk != prev + 1 || rk / x->chunk_pages != rank / x->chunk_pages))
					break;
				if (!k)
					rank = rk;
				prev = rk;
				k++;
			}
			if (!r && rank / x->chunk_pages >= x->nchunks)
				r = -EIO;
			if (r)
				break;
			w.wr.wr_id = k;
			w.wr.sg_list = &sges[done];
			w.wr.num_sge = k;
			w.remote_addr = x->chunks[rank / x->chunk_pages].iova +
					(rank % x->chunk_pages) * PAGE_SIZE;
			w.rkey = x->chunks[rank / x->chunk_pages].rkey;
			if (ib_post_send(e->qp, &w.wr, NULL)) {
				r = -EIO;
				break;
			}
			inflight++;
			pages_out += k;
			done += k;
		}
		if (inflight && !r) {
			u64 ids = 0;
			int k = cf_ep_reap(e, inflight, &err, &ids);

			if (k < 0) {
				r = k;
			} else {
				inflight -= k;
				pages_out -= ids;
			}
		}
	}
	if (!r)
		r = err;
	if (inflight)
		cf_ep_flush(e, inflight);
	if (!r) {
		atomic64_add(n, &s->rdma_pages);
		atomic64_inc(&s->rdma_reads);
		atomic64_add(n, &cf_rdma_pages);
	}
out:
	for (i = 0; i < mapped; i++)
		ib_dma_unmap_page(dev, sges[i].addr, PAGE_SIZE, DMA_FROM_DEVICE);
	cf_ep_unlock(e);
	kfree(sges);
	return r;
}

/*
 * The seed's side of the RDMA transport: the handle's readable pages, numbered in descriptor
 * order (the resuming side numbers them alike), pinned and fast-registered for remote read in
 * the handle's protection domain, and the answer to a client's M_RDMA.
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

/* A handle's pages registered for remote read on one device. */
struct cf_mrset {
	struct list_head node; /* in its device's mrsets while listed, under cf_rdev_lock */
	struct cf_handle *h;   /* whose h->mrs it is (no reference: the handle frees it) */
	struct cf_hpd *hpd;
	u32 chunk_pages, nchunks;
	u64 npages;
	struct page **pages;
	struct sg_table *sgt;  /* per chunk, mapped */
	struct ib_mr **mrs;    /* per chunk */
	struct msg_rdma_chunk *offer;
};

/* ---- page numbering (both sides compute it from the descriptor) ---- */

bool cf_readable_kind(const struct desc_vma *v)
{
	return v->kind == VK_ANON || v->kind == VK_FILEANON || v->kind == VK_STACK;
}

/* Set bits of bm in [from, to), from a multiple of 8. */
static u64 bits_between(const u8 *bm, u64 from, u64 to)
{
	u64 n = 0, i;

	for (i = from / 8; i < to / 8; i++)
		n += hweight8(bm[i]);
	if (to % 8)
		n += hweight8(bm[to / 8] & ((1u << (to % 8)) - 1));
	return n;
}

void cf_ranks_free(struct cf_ranks *r)
{
	u32 i;

	if (!r)
		return;
	if (r->blk)
		for (i = 0; i < r->nvmas; i++)
			kvfree(r->blk[i]);
	kvfree(r->blk);
	kvfree(r->base);
	kfree(r);
}

struct cf_ranks *cf_ranks_build(const struct cf_desc *d)
{
	struct cf_ranks *r = kzalloc(sizeof(*r), GFP_KERNEL);
	u32 i;

	if (!r)
		return NULL;
	r->nvmas = d->h->nvmas;
	r->base = kvcalloc(r->nvmas, sizeof(*r->base), GFP_KERNEL);
	r->blk = kvcalloc(r->nvmas, sizeof(*r->blk), GFP_KERNEL);
	if (!r->base || !r->blk)
		goto fail;
	for (i = 0; i < r->nvmas; i++) {
		const struct desc_vma *v = &d->vmas[i];
		u64 np = (v->end - v->start) / PAGE_SZ, b, nb = DIV_ROUND_UP(np, RANK_BLOCK), n = 0;

		r->base[i] = r->total;
		if (!cf_readable_kind(v))
			continue;
		if (v->kind == VK_FILEANON) {
			r->total += np;
			continue;
		}
		r->blk[i] = kvmalloc_array(nb, sizeof(u32), GFP_KERNEL);
		if (!r->blk[i])
			goto fail;
		for (b = 0; b < nb; b++) {
			u64 end = min((b + 1) * RANK_BLOCK, np);

			r->blk[i][b] = (u32)n;
			n += bits_between(d->bitmap + v->bitmap_off, b * RANK_BLOCK, end);
		}
		r->total += n;
	}
	return r;
fail:
	cf_ranks_free(r);
	return NULL;
}

/* The number of readable page pg of VMA vi (which must be readable there). */
u64 cf_rank_of(const struct cf_ranks *r, const struct cf_desc *d, u32 vi, u64 pg)
{
	const struct desc_vma *v = &d->vmas[vi];
	u64 b = pg / RANK_BLOCK;

	if (v->kind == VK_FILEANON)
		return r->base[vi] + pg;
	return r->base[vi] + r->blk[vi][b] +
	       bits_between(d->bitmap + v->bitmap_off, b * RANK_BLOCK, pg);
}

/* ---- the seed's side ---- */

static void mrset_free(struct cf_mrset *m)
{
	u32 c;
	u64 i;

	if (!m)
		return;
	mutex_lock(&cf_rdev_lock);
	list_del_init(&m->node);
	mutex_unlock(&cf_rdev_lock);
	for (c = 0; c < m->nchunks; c++) {
		if (m->mrs && m->mrs[c]) {
			int r = ib_dereg_mr(m->mrs[c]);

			if (r)
				pr_warn("cleave_fork: memory region not deregistered (%d)\n", r);
		}
		if (m->sgt && m->sgt[c].sgl) {
			if (m->sgt[c].nents)
				ib_dma_unmap_sg(m->hpd->rd->dev, m->sgt[c].sgl, m->sgt[c].orig_nents,
						DMA_BIDIRECTIONAL);
			sg_free_table(&m->sgt[c]);
		}
	}
	if (m->pages)
		for (i = 0; i < m->npages && m->pages[i]; i++) {
			put_page(m->pages[i]);
			atomic64_dec(&cf_rdma_pinned);
		}
	kvfree(m->pages);
	kvfree(m->sgt);
	kvfree(m->mrs);
	kvfree(m->offer);
	cf_hpd_put(m->hpd);
	kfree(m);
}

/* The handle's readable pages in numbering order, each with a reference. */
static int pin_all(struct cf_handle *h, const struct cf_desc *d, struct page **pages, u64 total)
{
	u64 got = 0;
	u32 vi;
	int r = 0;

	mmap_read_lock(h->mm);
	for (vi = 0; vi < d->h->nvmas && !r; vi++) {
		const struct desc_vma *v = &d->vmas[vi];
		u64 np = (v->end - v->start) / PAGE_SZ, pg = 0;

		if (!cf_readable_kind(v))
			continue;
		while (pg < np && !r) {
			u64 run = 0;
			long k;

			if (!cf_desc_content(d, v, pg)) {
				pg++;
				continue;
			}
			while (pg + run < np && run < 512 && cf_desc_content(d, v, pg + run))
				run++;
			if (got + run > total) {
				r = -EINVAL;
				break;
			}
			k = get_user_pages_remote(h->mm, v->start + pg * PAGE_SZ, run, FOLL_FORCE,
						  pages + got, NULL, NULL);
			if (k <= 0) {
				r = -EFAULT;
				break;
			}
			got += k;
			pg += k;
			atomic64_add(k, &cf_rdma_pinned);
		}
	}
	mmap_read_unlock(h->mm);
	return r ? r : (got == total ? 0 : -EINVAL);
}

/* Registers the handle's pages in e's domain, posting the registrations on e. */
static struct cf_mrset *mrset_build(struct cf_handle *h, struct cf_rep *e)
{
	struct cf_mrset *m = kzalloc(sizeof(*m), GFP_KERNEL);
	struct ib_device *dev = e->rd->dev;
	struct cf_ranks *rk = NULL;
	struct cf_desc d;
	u32 c;
	int r;

	if (!m)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&m->node);
	m->h = h;
	kref_get(&e->hpd->ref);
	m->hpd = e->hpd;
	r = cf_desc_check(h->desc, h->desc_len, &d);
	if (r)
		goto fail;
	rk = cf_ranks_build(&d);
	r = -ENOMEM;
	if (!rk)
		goto fail;
	m->npages = rk->total;
	m->chunk_pages = min(dev->attrs.max_fast_reg_page_list_len, CHUNK_PAGES_MAX);
	m->nchunks = DIV_ROUND_UP(m->npages, m->chunk_pages);
	r = -E2BIG;
	if (m->nchunks > MAX_RDMA_CHUNKS || m->nchunks == 0)
		goto fail;
	r = -ENOMEM;
	m->pages = kvcalloc(m->npages, sizeof(*m->pages), GFP_KERNEL);
	m->sgt = kvcalloc(m->nchunks, sizeof(*m->sgt), GFP_KERNEL);
	m->mrs = kvcalloc(m->nchunks, sizeof(*m->mrs), GFP_KERNEL);
	m->offer = kvcalloc(m->nchunks, sizeof(*m->offer), GFP_KERNEL);
	if (!m->pages || !m->sgt || !m->mrs || !m->offer)
		goto fail;
	r = pin_all(h, &d, m->pages, m->npages);
	if (r)
		goto fail;
	for (c = 0; c < m->nchunks; c++) {
		u64 first = (u64)c * m->chunk_pages;
		u32 n = (u32)min_t(u64, m->chunk_pages, m->npages - first), i;
		struct scatterlist *sg;
		struct ib_reg_wr wr = {
			.wr = { .opcode = IB_WR_REG_MR, .send_flags = IB_SEND_SIGNALED },
			.access = IB_ACCESS_REMOTE_READ,
		};
		int nents;

		r = sg_alloc_table(&m->sgt[c], n, GFP_KERNEL);
		if (r)
			goto fail;
		for_each_sg(m->sgt[c].sgl, sg, n, i)
			sg_set_page(sg, m->pages[first + i], PAGE_SIZE, 0);
		nents = ib_dma_map_sg(dev, m->sgt[c].sgl, n, DMA_BIDIRECTIONAL);
		r = -EIO;
		if (nents <= 0)
			goto fail;
		m->sgt[c].nents = nents;
		m->mrs[c] = ib_alloc_mr(e->hpd->pd, IB_MR_TYPE_MEM_REG, n);
		if (IS_ERR(m->mrs[c])) {
			r = PTR_ERR(m->mrs[c]);
			m->mrs[c] = NULL;
			goto fail;
		}
		r = ib_map_mr_sg(m->mrs[c], m->sgt[c].sgl, nents, NULL, PAGE_SIZE);
		if (r != nents) {
			r = r < 0 ? r : -EIO;
			goto fail;
		}
		/* the peer sees chunk offsets, not kernel addresses */
		m->mrs[c]->iova = first * PAGE_SIZE;
		wr.mr = m->mrs[c];
		wr.key = m->mrs[c]->rkey;
		r = ib_post_send(e->qp, &wr.wr, NULL);
		if (r)
			goto fail;
		r = cf_ep_wait(e, 1);
		if (r)
			goto fail;
		m->offer[c].iova = first * PAGE_SIZE;
		m->offer[c].rkey = m->mrs[c]->rkey;
	}
	/* listed last: a removal of the device that began meanwhile makes this fail */
	mutex_lock(&cf_rdev_lock);
	r = m->hpd->rd->gone ? -ENODEV : 0;
	if (!r)
		list_add_tail(&m->node, &m->hpd->rd->mrsets);
	mutex_unlock(&cf_rdev_lock);
	if (r)
		goto fail;
	cf_ranks_free(rk);
	return m;
fail:
	pr_info_ratelimited("cleave_fork: handle %llu: pages not registered for RDMA (%d); they go by TCP\n",
			    h->id, r);
	cf_ranks_free(rk);
	mrset_free(m);
	return ERR_PTR(r);
}

void cf_rdma_handle_drop(struct cf_handle *h)
{
	mutex_lock(&h->rdma_lock);
	mrset_free(h->mrs);
	h->mrs = NULL;
	mutex_unlock(&h->rdma_lock);
}

/*
 * The device rd goes (rdma.c): every handle's registration on it is dropped, so reads with
 * their rkeys fail from now on and the pages are unpinned. A handle whose last reference is
 * going frees its own (the removal then waits for it through the device's users).
 */
void cf_mrsets_remove(struct cf_rdev *rd)
{
	for (;;) {
		struct cf_mrset *m;
		struct cf_handle *h = NULL;

		mutex_lock(&cf_rdev_lock);
		m = list_first_entry_or_null(&rd->mrsets, struct cf_mrset, node);
		if (m) {
			list_del_init(&m->node);
			h = kref_get_unless_zero(&m->h->ref) ? m->h : NULL;
		}
		mutex_unlock(&cf_rdev_lock);
		if (!m)
			return;
		if (!h)
			continue;
		/* m itself may be freed by now (a revoke): the handle's current set is looked at */
		mutex_lock(&h->rdma_lock);
		if (h->mrs && h->mrs->hpd->rd == rd) {
			mrset_free(h->mrs);
			h->mrs = NULL;
		}
		mutex_unlock(&h->rdma_lock);
		cf_handle_put(h);
	}
}

void cf_rdma_conn_close(struct cf_rep *e)
{
	cf_ep_release(e);
}

/*
 * The device under a page connection's queue pair went (rdma.c, under the queue pair's lock):
 * its client can read no more pages by RDMA, so its connection closes now, and the resuming
 * side kills its child at once instead of when a read times out.
 */
static void conn_lost(void *arg)
{
	kernel_sock_shutdown(arg, SHUT_RDWR);
}

static int send_refusal(struct socket *sock, const char *why)
{
	return cf_send_msg(sock, M_RDMA, CLEAVE_E_SERVER, 0, why, (u32)strlen(why));
}

/*
 * An M_RDMA request on a connection whose key was proven (serve.c): a queue pair connected to
 * the peer's and the handle's registered pages, or a refusal that keeps the session on TCP.
 * Nonzero when the connection cannot go on.
 */
int cf_rdma_serve(struct socket *sock, struct cf_handle *h, const struct msg_rdma_ep *peer,
		  struct cf_rep **conn_ep)
{
	struct msg_rdma_offer *o;
	struct msg_rdma_ep me;
	struct cf_hpd *hpd;
	struct cf_rep *e;
	const char *why;
	bool revoked;
	size_t len;
	int r;

	if (*conn_ep)
		return send_refusal(sock, "queue pair connected already") ?: -EINVAL;
	if (!READ_ONCE(cf_rdma_on))
		return send_refusal(sock, "RDMA off");
	mutex_lock(&h->rdma_lock);
	/* not under cf_lock (taken before rdma_lock when the last reference goes): a revoke that
	 * sets it after this read drops the registrations once this unlocks */
	revoked = READ_ONCE(h->revoked);
	hpd = h->mrs ? h->mrs->hpd : NULL;
	if (hpd)
		kref_get(&hpd->ref);
	else if (!revoked)
		hpd = cf_hpd_for(sock);
	e = revoked ? ERR_PTR(-ENOENT) : !hpd ? ERR_PTR(-ENODEV) : cf_ep_open(sock, hpd);
	r = IS_ERR(e) ? PTR_ERR(e) : cf_ep_lock(e);
	if (!r) {
		r = cf_ep_connect(e, peer);
		e->lost = conn_lost; /* the socket outlives the queue pair (serve.c) */
		e->arg = sock;
		cf_ep_addr(e, &me); /* its device may go once this unlocks */
		if (!r && !h->mrs) {
			struct cf_mrset *m = mrset_build(h, e);

			if (IS_ERR(m))
				r = PTR_ERR(m);
			else
				h->mrs = m;
		}
		cf_ep_unlock(e);
	}
	cf_hpd_put(hpd);
	if (r) {
		mutex_unlock(&h->rdma_lock);
		if (!IS_ERR(e))
			cf_ep_release(e);
		why = r == -ENOENT ? "revoked" : r == -ENODEV ? "no RDMA device here (or not the handle's)" :
			"queue pair or registration failed";
		return send_refusal(sock, why);
	}
	len = sizeof(*o) + (size_t)h->mrs->nchunks * sizeof(struct msg_rdma_chunk);
	o = kvmalloc(len, GFP_KERNEL);
	if (!o) {
		mutex_unlock(&h->rdma_lock);
		cf_ep_release(e);
		return send_refusal(sock, "no memory");
	}
	o->ep = me;
	o->chunk_pages = h->mrs->chunk_pages;
	o->nchunks = h->mrs->nchunks;
	memcpy(o + 1, h->mrs->offer, (size_t)o->nchunks * sizeof(struct msg_rdma_chunk));
	mutex_unlock(&h->rdma_lock);
	*conn_ep = e;
	r = cf_send_msg(sock, M_RDMA, 0, 0, o, (u32)len);
	kvfree(o);
	return r;
}

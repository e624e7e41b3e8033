/*
 * Pages by RDMA (kernel verbs through ib_core), as MITOSIS moves them: the resuming node reads
 * the seed's pages with one-sided RDMA READs, the seed's CPU takes no part in a read.
 *
 * A node's RDMA device for a page connection is the one whose RoCE GID is the IPv4 address the
 * connection uses on that node (RoCE carries the node's IP addresses). After the key was proven
 * on the TCP session, the resuming side sends its queue pair's address (M_RDMA); the seed's side
 * connects a queue pair to it and answers with its address and its pages: the handle's readable
 * pages registered once per handle (fast registration, IB_WR_REG_MR, remote read only, in
 * chunks of at most the device's page-list length). No key ever covers other memory. Revoke
 * deregisters them: later reads fail and the faulting child is killed. When either side has
 * no device, or anything in the exchange fails, the session keeps the TCP page protocol.
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

#define SQ_DEPTH 64
#define MAX_SGE 16
#define RD_ATOMIC 64
#define CHUNK_PAGES_MAX 4096u
#define READ_TIMEOUT (30 * HZ)
/* Pages in flight on a queue pair: more let the oldest request's retransmit timer fire while
 * its answer still waits behind the others' (soft-RoCE under emulation), and duplicates follow. */
#define INFLIGHT_PAGES 128

bool cf_rdma_on = true;
int cf_rdma_devices, cf_rdma_qps;
atomic64_t cf_rdma_pages = ATOMIC64_INIT(0);
atomic64_t cf_rdma_pinned = ATOMIC64_INIT(0);

/* A device the module uses: its protection domain, and how many queue pairs and page
 * registrations use it (its removal waits for them). */
struct cf_rdev {
	struct list_head node;
	struct ib_device *dev;
	struct ib_pd *pd;
	int users; /* under rdev_lock */
	bool gone;
};

static LIST_HEAD(rdevs);
static DEFINE_MUTEX(rdev_lock);
static DECLARE_WAIT_QUEUE_HEAD(rdev_idle);

/*
 * A handle's protection domain: its registrations and the seed's queue pairs serving them, so
 * that an rkey of one handle is worth nothing on a connection made for another. It goes with
 * the registrations and the last of those queue pairs.
 */
struct cf_hpd {
	struct kref ref;
	struct cf_rdev *rd;
	struct ib_pd *pd;
};

/* A queue pair and its completion queue (polled directly: a fault waits for its reads). */
struct cf_rep {
	struct cf_rdev *rd;
	struct cf_hpd *hpd; /* the seed's side: the handle's domain */
	const struct ib_gid_attr *sgid;
	struct ib_cq *cq;
	struct ib_qp *qp;
	u32 psn;
};

/* A handle's pages registered for remote read on one device. */
struct cf_mrset {
	struct cf_hpd *hpd;
	u32 chunk_pages, nchunks;
	u64 npages;
	struct page **pages;
	struct sg_table *sgt;  /* per chunk, mapped */
	struct ib_mr **mrs;    /* per chunk */
	struct msg_rdma_chunk *offer;
};

/* The resuming side: its queue pair, the seed's chunks and the page numbering. */
struct cf_rsess {
	struct cf_rep ep;
	u32 chunk_pages, nchunks;
	struct msg_rdma_chunk *chunks;
	struct cf_ranks *ranks;
};

/* ---- page numbering (both sides compute it from the descriptor) ---- */

#define RANK_BLOCK 512 /* pages per prefix count */

struct cf_ranks {
	u32 nvmas;
	u64 total;
	u64 *base;  /* per VMA: readable pages of the VMAs before it */
	u32 **blk;  /* per bitmap VMA: readable pages before each block */
};

static bool readable_kind(const struct desc_vma *v)
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

static void ranks_free(struct cf_ranks *r)
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

static struct cf_ranks *ranks_build(const struct cf_desc *d)
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
		if (!readable_kind(v))
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
	ranks_free(r);
	return NULL;
}

/* The number of readable page pg of VMA vi (which must be readable there). */
static u64 rank_of(const struct cf_ranks *r, const struct cf_desc *d, u32 vi, u64 pg)
{
	const struct desc_vma *v = &d->vmas[vi];
	u64 b = pg / RANK_BLOCK;

	if (v->kind == VK_FILEANON)
		return r->base[vi] + pg;
	return r->base[vi] + r->blk[vi][b] +
	       bits_between(d->bitmap + v->bitmap_off, b * RANK_BLOCK, pg);
}

/* ---- devices ---- */

static struct ib_client cf_ib_client;

static int rdev_add(struct ib_device *dev)
{
	struct cf_rdev *rd;
	u32 port;
	bool roce = false;

	rdma_for_each_port(dev, port)
		roce |= rdma_protocol_roce(dev, port);
	if (!roce || dev->attrs.max_fast_reg_page_list_len == 0)
		return -EOPNOTSUPP;
	rd = kzalloc(sizeof(*rd), GFP_KERNEL);
	if (!rd)
		return -ENOMEM;
	rd->dev = dev;
	rd->pd = ib_alloc_pd(dev, 0);
	if (IS_ERR(rd->pd)) {
		int e = PTR_ERR(rd->pd);

		pr_warn("cleave_fork: %s: no protection domain (%d); pages go by TCP\n",
			dev_name(&dev->dev), e);
		kfree(rd);
		return e;
	}
	ib_set_client_data(dev, &cf_ib_client, rd);
	mutex_lock(&rdev_lock);
	list_add_tail(&rd->node, &rdevs);
	cf_rdma_devices++;
	mutex_unlock(&rdev_lock);
	return 0;
}

/* Waits until no queue pair or registration uses the device (a revoke or a child's end). */
static void rdev_remove(struct ib_device *dev, void *data)
{
	struct cf_rdev *rd = data;

	mutex_lock(&rdev_lock);
	list_del(&rd->node);
	rd->gone = true;
	cf_rdma_devices--;
	mutex_unlock(&rdev_lock);
	wait_event(rdev_idle, READ_ONCE(rd->users) == 0);
	ib_dealloc_pd(rd->pd);
	kfree(rd);
}

static struct ib_client cf_ib_client = {
	.name = "cleave_fork",
	.add = rdev_add,
	.remove = rdev_remove,
};

static void rdev_put(struct cf_rdev *rd)
{
	mutex_lock(&rdev_lock);
	rd->users--;
	mutex_unlock(&rdev_lock);
	wake_up_all(&rdev_idle);
}

/* The device and GID carrying this IPv4 address, with a use; NULL when there is none. */
static struct cf_rdev *rdev_for(__be32 ip, const struct ib_gid_attr **sgid)
{
	struct cf_rdev *rd;
	union ib_gid gid;

	ipv6_addr_set_v4mapped(ip, (struct in6_addr *)gid.raw);
	mutex_lock(&rdev_lock);
	list_for_each_entry(rd, &rdevs, node) {
		const struct ib_gid_attr *a =
			rdma_find_gid(rd->dev, &gid, IB_GID_TYPE_ROCE_UDP_ENCAP, NULL);

		if (IS_ERR(a))
			continue;
		rd->users++;
		mutex_unlock(&rdev_lock);
		*sgid = a;
		return rd;
	}
	mutex_unlock(&rdev_lock);
	return NULL;
}

static void hpd_release(struct kref *ref)
{
	struct cf_hpd *p = container_of(ref, struct cf_hpd, ref);

	ib_dealloc_pd(p->pd);
	rdev_put(p->rd);
	kfree(p);
}

static void hpd_put(struct cf_hpd *p)
{
	if (p)
		kref_put(&p->ref, hpd_release);
}

static int sock_ip(struct socket *sock, __be32 *ip)
{
	struct sockaddr_in a;
	int r = kernel_getsockname(sock, (struct sockaddr *)&a);

	if (r < 0)
		return r;
	if (a.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	*ip = a.sin_addr.s_addr;
	return 0;
}

/* A new domain on the device of the connection's local address; NULL when there is none. */
static struct cf_hpd *hpd_for(struct socket *sock)
{
	const struct ib_gid_attr *sgid;
	struct cf_hpd *p;
	__be32 ip;

	if (sock_ip(sock, &ip))
		return NULL;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return NULL;
	p->rd = rdev_for(ip, &sgid);
	if (!p->rd) {
		kfree(p);
		return NULL;
	}
	rdma_put_gid_attr(sgid);
	p->pd = ib_alloc_pd(p->rd->dev, 0);
	if (IS_ERR(p->pd)) {
		pr_info_ratelimited("cleave_fork: no protection domain for a handle (%ld); pages go by TCP\n",
				    PTR_ERR(p->pd));
		rdev_put(p->rd);
		kfree(p);
		return NULL;
	}
	kref_init(&p->ref);
	return p;
}

/* ---- queue pairs ---- */

static void ep_close(struct cf_rep *e)
{
	if (e->qp) {
		int r = ib_destroy_qp(e->qp);

		if (r)
			pr_warn("cleave_fork: queue pair %u not destroyed (%d)\n", e->qp->qp_num, r);
		WRITE_ONCE(cf_rdma_qps, READ_ONCE(cf_rdma_qps) - 1);
	}
	if (e->cq)
		ib_free_cq(e->cq);
	hpd_put(e->hpd);
	if (e->sgid)
		rdma_put_gid_attr(e->sgid);
	if (e->rd)
		rdev_put(e->rd);
	memset(e, 0, sizeof(*e));
}

/*
 * A queue pair in INIT on the device of the connection's local address (-ENODEV: none), in the
 * handle's domain hpd on the seed's side (where peers may read), in the device's own (which
 * gives no remote access) on the resuming side.
 */
static int ep_open(struct cf_rep *e, struct socket *sock, struct cf_hpd *hpd)
{
	struct ib_qp_init_attr ia = {
		.qp_type = IB_QPT_RC,
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.cap = { .max_send_wr = SQ_DEPTH, .max_recv_wr = 1, .max_send_sge = MAX_SGE,
			 .max_recv_sge = 1 },
	};
	struct ib_qp_attr qa = { .qp_state = IB_QPS_INIT,
				 .qp_access_flags = hpd ? IB_ACCESS_REMOTE_READ : 0 };
	__be32 ip;
	int r = sock_ip(sock, &ip);

	memset(e, 0, sizeof(*e));
	if (r)
		return r;
	e->rd = rdev_for(ip, &e->sgid);
	if (!e->rd)
		return -ENODEV;
	if (hpd && hpd->rd != e->rd) {
		ep_close(e);
		return -ENODEV;
	}
	if (hpd) {
		kref_get(&hpd->ref);
		e->hpd = hpd;
	}
	ia.cap.max_send_sge = min_t(u32, MAX_SGE, e->rd->dev->attrs.max_send_sge);
	e->cq = ib_alloc_cq(e->rd->dev, NULL, SQ_DEPTH + 1, 0, IB_POLL_DIRECT);
	if (IS_ERR(e->cq)) {
		r = PTR_ERR(e->cq);
		e->cq = NULL;
		goto fail;
	}
	ia.send_cq = ia.recv_cq = e->cq;
	e->qp = ib_create_qp(hpd ? hpd->pd : e->rd->pd, &ia);
	if (IS_ERR(e->qp)) {
		r = PTR_ERR(e->qp);
		e->qp = NULL;
		goto fail;
	}
	WRITE_ONCE(cf_rdma_qps, READ_ONCE(cf_rdma_qps) + 1);
	e->psn = get_random_u32() & 0xffffff;
	qa.port_num = e->sgid->port_num;
	r = ib_modify_qp(e->qp, &qa, IB_QP_STATE | IB_QP_PKEY_INDEX | IB_QP_PORT | IB_QP_ACCESS_FLAGS);
	if (r)
		goto fail;
	return 0;
fail:
	pr_info_ratelimited("cleave_fork: %s: queue pair not created (%d); pages go by TCP\n",
			    dev_name(&e->rd->dev->dev), r);
	ep_close(e);
	return r;
}

static void ep_addr(const struct cf_rep *e, struct msg_rdma_ep *out)
{
	memcpy(out->gid, e->sgid->gid.raw, sizeof(out->gid));
	out->qpn = e->qp->qp_num;
	out->psn = e->psn;
}

/* INIT -> RTR -> RTS, connected to the peer's queue pair. */
static int ep_connect(struct cf_rep *e, const struct msg_rdma_ep *peer)
{
	struct ib_device *dev = e->rd->dev;
	struct ib_port_attr pa;
	struct ib_qp_attr qa = { .qp_state = IB_QPS_RTR };
	union ib_gid dgid;
	int r = ib_query_port(dev, e->sgid->port_num, &pa);

	if (r)
		return r;
	memcpy(dgid.raw, peer->gid, sizeof(dgid.raw));
	qa.path_mtu = pa.active_mtu;
	qa.dest_qp_num = peer->qpn & 0xffffff;
	qa.rq_psn = peer->psn & 0xffffff;
	qa.max_dest_rd_atomic = min_t(int, RD_ATOMIC, dev->attrs.max_qp_rd_atom);
	qa.min_rnr_timer = 12;
	qa.ah_attr.type = rdma_ah_find_type(dev, e->sgid->port_num);
	rdma_ah_set_port_num(&qa.ah_attr, e->sgid->port_num);
	rdma_ah_set_grh(&qa.ah_attr, &dgid, 0, e->sgid->index, 64, 0);
	r = ib_modify_qp(e->qp, &qa, IB_QP_STATE | IB_QP_AV | IB_QP_PATH_MTU | IB_QP_DEST_QPN |
			 IB_QP_RQ_PSN | IB_QP_MAX_DEST_RD_ATOMIC | IB_QP_MIN_RNR_TIMER);
	if (r)
		return r;
	memset(&qa, 0, sizeof(qa));
	qa.qp_state = IB_QPS_RTS;
	qa.sq_psn = e->psn;
	qa.timeout = 16;  /* 268 ms per try: soft-RoCE under emulation answers late */
	qa.retry_cnt = 7; /* a seed gone fails reads within about two seconds */
	qa.rnr_retry = 7;
	qa.max_rd_atomic = min_t(int, RD_ATOMIC, dev->attrs.max_qp_init_rd_atom);
	return ib_modify_qp(e->qp, &qa, IB_QP_STATE | IB_QP_SQ_PSN | IB_QP_TIMEOUT |
			    IB_QP_RETRY_CNT | IB_QP_RNR_RETRY | IB_QP_MAX_QP_RD_ATOMIC);
}

/*
 * Waits until at least one of the n outstanding work requests on e completed; returns how many
 * did (sets *err when one failed; adds their wr_ids to *ids), or a negative error: fatal
 * signal, timeout, broken queue.
 */
static int ep_reap(struct cf_rep *e, u32 n, int *err, u64 *ids)
{
	unsigned long deadline = jiffies + READ_TIMEOUT;
	struct ib_wc wc[16];
	u32 spins = 0;

	for (;;) {
		int k = ib_poll_cq(e->cq, min_t(u32, n, ARRAY_SIZE(wc)), wc), i;

		if (k < 0)
			return -EIO;
		for (i = 0; i < k; i++) {
			*ids += wc[i].wr_id;
			if (wc[i].status != IB_WC_SUCCESS) {
				if (!*err)
					pr_info_ratelimited("cleave_fork: RDMA work failed: %s\n",
							    ib_wc_status_msg(wc[i].status));
				*err = -EIO;
			}
		}
		if (k)
			return k;
		if (fatal_signal_pending(current))
			return -EINTR;
		if (time_after(jiffies, deadline))
			return -EIO;
		if (++spins < 256)
			cond_resched();
		else
			usleep_range(20, 100);
	}
}

/*
 * After a failure with n work requests outstanding: moves the queue pair to the error state and
 * waits for them to flush, so none is left that could still write into pages the caller frees.
 * The queue pair is unusable afterwards.
 */
static void ep_flush(struct cf_rep *e, u32 n)
{
	struct ib_qp_attr qa = { .qp_state = IB_QPS_ERR };
	unsigned long deadline = jiffies + 10 * HZ;
	struct ib_wc wc[16];

	if (ib_modify_qp(e->qp, &qa, IB_QP_STATE))
		pr_warn_ratelimited("cleave_fork: queue pair not moved to error\n");
	while (n > 0 && !time_after(jiffies, deadline)) {
		int k = ib_poll_cq(e->cq, min_t(u32, n, ARRAY_SIZE(wc)), wc);

		if (k > 0)
			n -= k;
		else
			usleep_range(50, 200);
	}
	if (n)
		pr_err("cleave_fork: %u RDMA work requests never completed\n", n);
}

/* Waits for the n work requests outstanding on e; on any failure they are flushed. */
static int ep_wait(struct cf_rep *e, u32 n)
{
	int err = 0;
	u64 ids = 0;

	while (n > 0) {
		int k = ep_reap(e, n, &err, &ids);

		if (k < 0) {
			err = k;
			break;
		}
		n -= k;
		if (err)
			break;
	}
	if (n)
		ep_flush(e, n);
	return err;
}

/* ---- the seed's side ---- */

static void mrset_free(struct cf_mrset *m)
{
	u32 c;
	u64 i;

	if (!m)
		return;
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
	hpd_put(m->hpd);
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

		if (!readable_kind(v))
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
	kref_get(&e->hpd->ref);
	m->hpd = e->hpd;
	r = cf_desc_check(h->desc, h->desc_len, &d);
	if (r)
		goto fail;
	rk = ranks_build(&d);
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
		r = ep_wait(e, 1);
		if (r)
			goto fail;
		m->offer[c].iova = first * PAGE_SIZE;
		m->offer[c].rkey = m->mrs[c]->rkey;
	}
	ranks_free(rk);
	return m;
fail:
	pr_info_ratelimited("cleave_fork: handle %llu: pages not registered for RDMA (%d); they go by TCP\n",
			    h->id, r);
	ranks_free(rk);
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

void cf_rdma_conn_close(struct cf_rep *e)
{
	if (e) {
		ep_close(e);
		kfree(e);
	}
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
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return send_refusal(sock, "no memory");
	mutex_lock(&h->rdma_lock);
	mutex_lock(&cf_lock);
	revoked = h->revoked;
	mutex_unlock(&cf_lock);
	hpd = h->mrs ? h->mrs->hpd : NULL;
	if (hpd)
		kref_get(&hpd->ref);
	else if (!revoked)
		hpd = hpd_for(sock);
	r = revoked ? -ENOENT : !hpd ? -ENODEV : ep_open(e, sock, hpd);
	if (!r)
		r = ep_connect(e, peer);
	if (!r && !h->mrs) {
		struct cf_mrset *m = mrset_build(h, e);

		if (IS_ERR(m))
			r = PTR_ERR(m);
		else
			h->mrs = m;
	}
	hpd_put(hpd);
	if (r) {
		mutex_unlock(&h->rdma_lock);
		cf_rdma_conn_close(e);
		why = r == -ENOENT ? "revoked" : r == -ENODEV ? "no RDMA device here (or not the handle's)" :
			"queue pair or registration failed";
		return send_refusal(sock, why);
	}
	len = sizeof(*o) + (size_t)h->mrs->nchunks * sizeof(struct msg_rdma_chunk);
	o = kvmalloc(len, GFP_KERNEL);
	if (!o) {
		mutex_unlock(&h->rdma_lock);
		cf_rdma_conn_close(e);
		return send_refusal(sock, "no memory");
	}
	ep_addr(e, &o->ep);
	o->chunk_pages = h->mrs->chunk_pages;
	o->nchunks = h->mrs->nchunks;
	memcpy(o + 1, h->mrs->offer, (size_t)o->nchunks * sizeof(struct msg_rdma_chunk));
	mutex_unlock(&h->rdma_lock);
	*conn_ep = e;
	r = cf_send_msg(sock, M_RDMA, 0, 0, o, (u32)len);
	kvfree(o);
	return r;
}

/* ---- the resuming side ---- */

void cf_rdma_session_close(struct cf_session *s)
{
	struct cf_rsess *x = s->rdma;

	if (!x)
		return;
	ep_close(&x->ep);
	kvfree(x->chunks);
	ranks_free(x->ranks);
	kfree(x);
	s->rdma = NULL;
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
	if (ep_open(&x->ep, s->sock, NULL)) {
		kfree(x);
		return 1;
	}
	s->rdma = x;
	ep_addr(&x->ep, &me);
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
	x->ranks = ranks_build(&s->d);
	if (!x->ranks || x->ranks->total > (u64)o.chunk_pages * o.nchunks) {
		r = 1; /* its numbering is not ours: the stream is fine, stay on TCP */
		goto fail;
	}
	r = ep_connect(&x->ep, &o.ep);
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
	struct ib_device *dev = x->ep.rd->dev;
	u32 lkey = x->ep.rd->pd->local_dma_lkey;
	u32 max_sge = min_t(u32, MAX_SGE, dev->attrs.max_sge_rd);
	struct ib_sge *sges = kcalloc(n, sizeof(*sges), GFP_KERNEL);
	u32 done = 0, mapped = 0, inflight = 0, i;
	u64 pages_out = 0; /* in flight: each request's wr_id is its page count */
	int r = 0, err = 0;

	if (!sges)
		return -ENOMEM;
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
		while (done < n && inflight < SQ_DEPTH && pages_out < INFLIGHT_PAGES) {
			/* the driver copies the request: it need not outlive the post */
			struct ib_rdma_wr w = { .wr = { .opcode = IB_WR_RDMA_READ,
							.send_flags = IB_SEND_SIGNALED } };
			u64 rank = 0, prev = 0;
			u32 k = 0;

			while (done + k < n && k < max_sge) {
				u64 pg = pgs[done + k];
				int vi = cf_desc_find(&s->d, pg * PAGE_SZ);
				u64 rk, off;

				if (vi < 0 || !readable_kind(&s->d.vmas[vi])) {
					r = -EIO;
					break;
				}
				off = pg - s->d.vmas[vi].start / PAGE_SZ;
				if (!cf_desc_content(&s->d, &s->d.vmas[vi], off)) {
					r = -EIO;
					break;
				}
				rk = rank_of(x->ranks, &s->d, vi, off);
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
			if (ib_post_send(x->ep.qp, &w.wr, NULL)) {
				r = -EIO;
				break;
			}
			inflight++;
			pages_out += k;
			done += k;
		}
		if (inflight && !r) {
			u64 ids = 0;
			int k = ep_reap(&x->ep, inflight, &err, &ids);

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
		ep_flush(&x->ep, inflight);
	if (!r) {
		atomic64_add(n, &s->rdma_pages);
		atomic64_inc(&s->rdma_reads);
		atomic64_add(n, &cf_rdma_pages);
	}
out:
	for (i = 0; i < mapped; i++)
		ib_dma_unmap_page(dev, sges[i].addr, PAGE_SIZE, DMA_FROM_DEVICE);
	kfree(sges);
	return r;
}

int cf_rdma_init(void)
{
	return ib_register_client(&cf_ib_client);
}

void cf_rdma_exit(void)
{
	ib_unregister_client(&cf_ib_client);
}

/*
 * Queue pairs of the RDMA transport (rdma_dev.c has the devices): RC queue pairs connected by
 * the address each side sends over the authenticated TCP page session (M_RDMA), their work
 * polled directly, and their teardown by their owner or by the removal of their device.
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

int cf_rdma_qps;
atomic64_t cf_rdma_pages = ATOMIC64_INIT(0);
atomic64_t cf_rdma_pinned = ATOMIC64_INIT(0);

/* Frees the queue pair's resources (under e->lock, or before anyone else can see it). */
static void ep_teardown(struct cf_rep *e)
{
	if (e->qp) {
		int r = ib_destroy_qp(e->qp);

		if (r)
			pr_warn("cleave_fork: queue pair %u not destroyed (%d)\n", e->qp->qp_num, r);
		WRITE_ONCE(cf_rdma_qps, READ_ONCE(cf_rdma_qps) - 1);
		e->qp = NULL;
	}
	if (e->cq)
		ib_free_cq(e->cq);
	e->cq = NULL;
	cf_hpd_put(e->hpd);
	e->hpd = NULL;
	if (e->sgid)
		rdma_put_gid_attr(e->sgid);
	e->sgid = NULL;
	if (e->rd)
		cf_rdev_put(e->rd);
	e->rd = NULL;
}

static void ep_free(struct kref *ref)
{
	kfree(container_of(ref, struct cf_rep, ref));
}

int cf_ep_lock(struct cf_rep *e)
{
	mutex_lock(&e->lock);
	if (e->qp)
		return 0;
	mutex_unlock(&e->lock);
	return -ENODEV;
}

void cf_ep_unlock(struct cf_rep *e)
{
	mutex_unlock(&e->lock);
}

void cf_ep_release(struct cf_rep *e)
{
	if (!e)
		return;
	mutex_lock(&cf_rdev_lock);
	list_del_init(&e->node);
	mutex_unlock(&cf_rdev_lock);
	mutex_lock(&e->lock);
	ep_teardown(e);
	e->lost = NULL;
	mutex_unlock(&e->lock);
	kref_put(&e->ref, ep_free);
}

/*
 * The removal of e's device (rdma_dev.c), which took it off the device's list: a read waiting on
 * it ends (dead) and is flushed by its owner, then it is torn down and its owner told (lost).
 */
void cf_ep_kill(struct cf_rep *e)
{
	WRITE_ONCE(e->dead, true);
	mutex_lock(&e->lock);
	ep_teardown(e);
	if (e->lost)
		e->lost(e->arg);
	e->lost = NULL;
	mutex_unlock(&e->lock);
	kref_put(&e->ref, ep_free);
}


/*
 * A queue pair in INIT on the device of the connection's local address (-ENODEV: none, or it is
 * going), in the handle's domain hpd on the seed's side (where peers may read), in the device's
 * own (which gives no remote access) on the resuming side.
 */
struct cf_rep *cf_ep_open(struct socket *sock, struct cf_hpd *hpd)
{
	struct ib_qp_init_attr ia = {
		.qp_type = IB_QPT_RC,
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.cap = { .max_send_wr = SQ_DEPTH, .max_recv_wr = 1, .max_send_sge = MAX_SGE,
			 .max_recv_sge = 1 },
	};
	struct ib_qp_attr qa = { .qp_state = IB_QPS_INIT,
				 .qp_access_flags = hpd ? IB_ACCESS_REMOTE_READ : 0 };
	struct cf_rep *e;
	__be32 ip;
	int r = cf_sock_ip(sock, &ip);

	if (r)
		return ERR_PTR(r);
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return ERR_PTR(-ENOMEM);
	kref_init(&e->ref);
	mutex_init(&e->lock);
	INIT_LIST_HEAD(&e->node);
	e->rd = cf_rdev_for(ip, &e->sgid);
	r = -ENODEV;
	if (!e->rd || (hpd && hpd->rd != e->rd))
		goto out;
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
	/* listed last: a removal that began meanwhile has its device gone, and this fails */
	mutex_lock(&cf_rdev_lock);
	r = e->rd->gone ? -ENODEV : 0;
	if (!r)
		list_add_tail(&e->node, &e->rd->eps);
	mutex_unlock(&cf_rdev_lock);
	if (!r)
		return e;
	goto out;
fail:
	pr_info_ratelimited("cleave_fork: %s: queue pair not created (%d); pages go by TCP\n",
			    dev_name(&e->rd->dev->dev), r);
out:
	ep_teardown(e);
	kfree(e);
	return ERR_PTR(r);
}

void cf_ep_addr(const struct cf_rep *e, struct msg_rdma_ep *out)
{
	memcpy(out->gid, e->sgid->gid.raw, sizeof(out->gid));
	out->qpn = e->qp->qp_num;
	out->psn = e->psn;
}

/* INIT -> RTR -> RTS, connected to the peer's queue pair. */
int cf_ep_connect(struct cf_rep *e, const struct msg_rdma_ep *peer)
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
int cf_ep_reap(struct cf_rep *e, u32 n, int *err, u64 *ids)
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
		if (READ_ONCE(e->dead))
			return -EIO; /* its device goes: the removal waits for this read to end */
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
void cf_ep_flush(struct cf_rep *e, u32 n)
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
int cf_ep_wait(struct cf_rep *e, u32 n)
{
	int err = 0;
	u64 ids = 0;

	while (n > 0) {
		int k = cf_ep_reap(e, n, &err, &ids);

		if (k < 0) {
			err = k;
			break;
		}
		n -= k;
		if (err)
			break;
	}
	if (n)
		cf_ep_flush(e, n);
	return err;
}


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
#include "rdma.h"

bool cf_rdma_on = true;
int cf_rdma_devices, cf_rdma_qps;
atomic64_t cf_rdma_pages = ATOMIC64_INIT(0);
atomic64_t cf_rdma_pinned = ATOMIC64_INIT(0);

static LIST_HEAD(rdevs);
DEFINE_MUTEX(cf_rdev_lock);
static DECLARE_WAIT_QUEUE_HEAD(rdev_idle);

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
	INIT_LIST_HEAD(&rd->eps);
	INIT_LIST_HEAD(&rd->mrsets);
	rd->pd = ib_alloc_pd(dev, 0);
	if (IS_ERR(rd->pd)) {
		int e = PTR_ERR(rd->pd);

		pr_warn("cleave_fork: %s: no protection domain (%d); pages go by TCP\n",
			dev_name(&dev->dev), e);
		kfree(rd);
		return e;
	}
	ib_set_client_data(dev, &cf_ib_client, rd);
	mutex_lock(&cf_rdev_lock);
	list_add_tail(&rd->node, &rdevs);
	cf_rdma_devices++;
	mutex_unlock(&cf_rdev_lock);
	return 0;
}

static void ep_teardown(struct cf_rep *e);
static void ep_free(struct kref *ref);

/*
 * The device goes: nothing new uses it from now on; every queue pair on it is torn down (a read
 * in flight ends at once and is flushed first; the session it served is lost, so its child is
 * killed), every handle's registration on it is dropped (later resumes of those handles use
 * another device or TCP), and then it waits for the uses in passing (a domain or queue pair
 * being opened, which fails) before it frees the device's own domain. Called by ib_core without
 * its locks held: removal does not wait for a revoke or for a child to end.
 */
static void rdev_remove(struct ib_device *dev, void *data)
{
	struct cf_rdev *rd = data;
	struct cf_rep *e;
	int n = 0;

	mutex_lock(&cf_rdev_lock);
	list_del(&rd->node);
	rd->gone = true;
	cf_rdma_devices--;
	mutex_unlock(&cf_rdev_lock);
	for (;;) {
		mutex_lock(&cf_rdev_lock);
		e = list_first_entry_or_null(&rd->eps, struct cf_rep, node);
		if (e) {
			list_del_init(&e->node);
			kref_get(&e->ref);
		}
		mutex_unlock(&cf_rdev_lock);
		if (!e)
			break;
		WRITE_ONCE(e->dead, true);
		mutex_lock(&e->lock);
		ep_teardown(e);
		if (e->lost)
			e->lost(e->arg);
		e->lost = NULL;
		mutex_unlock(&e->lock);
		kref_put(&e->ref, ep_free);
		n++;
	}
	cf_mrsets_remove(rd);
	wait_event(rdev_idle, READ_ONCE(rd->users) == 0);
	ib_dealloc_pd(rd->pd);
	pr_info("cleave_fork: %s removed (%d queue pairs torn down)\n", dev_name(&dev->dev), n);
	kfree(rd);
}

static struct ib_client cf_ib_client = {
	.name = "cleave_fork",
	.add = rdev_add,
	.remove = rdev_remove,
};

void cf_rdev_put(struct cf_rdev *rd)
{
	mutex_lock(&cf_rdev_lock);
	rd->users--;
	mutex_unlock(&cf_rdev_lock);
	wake_up_all(&rdev_idle);
}

/* The device and GID carrying this IPv4 address, with a use; NULL when there is none. */
static struct cf_rdev *rdev_for(__be32 ip, const struct ib_gid_attr **sgid)
{
	struct cf_rdev *rd;
	union ib_gid gid;

	ipv6_addr_set_v4mapped(ip, (struct in6_addr *)gid.raw);
	mutex_lock(&cf_rdev_lock);
	list_for_each_entry(rd, &rdevs, node) {
		const struct ib_gid_attr *a =
			rdma_find_gid(rd->dev, &gid, IB_GID_TYPE_ROCE_UDP_ENCAP, NULL);

		if (IS_ERR(a))
			continue;
		rd->users++;
		mutex_unlock(&cf_rdev_lock);
		*sgid = a;
		return rd;
	}
	mutex_unlock(&cf_rdev_lock);
	return NULL;
}

static void hpd_release(struct kref *ref)
{
	struct cf_hpd *p = container_of(ref, struct cf_hpd, ref);

	ib_dealloc_pd(p->pd);
	cf_rdev_put(p->rd);
	kfree(p);
}

void cf_hpd_put(struct cf_hpd *p)
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
struct cf_hpd *cf_hpd_for(struct socket *sock)
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
		cf_rdev_put(p->rd);
		kfree(p);
		return NULL;
	}
	kref_init(&p->ref);
	return p;
}

/* ---- queue pairs ---- */

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
	int r = sock_ip(sock, &ip);

	if (r)
		return ERR_PTR(r);
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return ERR_PTR(-ENOMEM);
	kref_init(&e->ref);
	mutex_init(&e->lock);
	INIT_LIST_HEAD(&e->node);
	e->rd = rdev_for(ip, &e->sgid);
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

int cf_rdma_init(void)
{
	return ib_register_client(&cf_ib_client);
}

void cf_rdma_exit(void)
{
	ib_unregister_client(&cf_ib_client);
}

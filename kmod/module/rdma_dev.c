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
 *
 * This file: the devices (an ib_client: added and removed by ib_core) and the handles' domains.
 * Queue pairs are in rdma.c, the seed's registrations in rdma_pages.c, the reads in rdma_read.c.
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
int cf_rdma_devices;
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
		cf_ep_kill(e);
		n++;
	}
	cf_mrsets_remove(rd);
	wait_event(rdev_idle, READ_ONCE(rd->users) == 0);
	ib_dealloc_pd(rd->pd);
	pr_info("cleave_fork: %s removed: %d queue pairs in use torn down\n", dev_name(&dev->dev), n);
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
struct cf_rdev *cf_rdev_for(__be32 ip, const struct ib_gid_attr **sgid)
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

int cf_sock_ip(struct socket *sock, __be32 *ip)
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

	if (cf_sock_ip(sock, &ip))
		return NULL;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return NULL;
	p->rd = cf_rdev_for(ip, &sgid);
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

int cf_rdma_init(void)
{
	return ib_register_client(&cf_ib_client);
}

void cf_rdma_exit(void)
{
	ib_unregister_client(&cf_ib_client);
}

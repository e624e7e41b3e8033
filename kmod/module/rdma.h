/* Internal interfaces of the RDMA transport (rdma.c, rdma_pages.c, rdma_read.c). */
#ifndef CF_RDMA_H
#define CF_RDMA_H

#include <linux/kref.h>
#include <rdma/ib_verbs.h>

#include "cf.h"

#define SQ_DEPTH 64
#define MAX_SGE 16
#define RD_ATOMIC 64
#define CHUNK_PAGES_MAX 4096u
#define READ_TIMEOUT (30 * HZ)

/*
 * A device the module uses: its protection domain, and what uses it. Its removal (rdma link
 * delete, the driver unloaded, the module unloaded) tears down every queue pair (eps) and page
 * registration (mrsets) on it at once, killing the children that read through them, and then
 * waits for the last transient use (users: queue pairs, domains, registrations) to go.
 */
struct cf_rdev {
	struct list_head node;
	struct ib_device *dev;
	struct ib_pd *pd;
	int users;              /* under cf_rdev_lock */
	bool gone;              /* under cf_rdev_lock: removal began, nothing new may use it */
	struct list_head eps;   /* struct cf_rep.node */
	struct list_head mrsets; /* struct cf_mrset.node (rdma_pages.c) */
};

extern struct mutex cf_rdev_lock;

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

/*
 * A queue pair and its completion queue (polled directly: a fault waits for its reads). Its
 * owner (a resume session or a page server connection) uses it under lock (cf_ep_lock); the
 * device's removal may tear it down under the same lock at any time, after which cf_ep_lock
 * fails, and calls lost(arg) (the session's notice: its child is killed). Freed with its last
 * reference: the owner's (cf_ep_release) or the removal's.
 */
struct cf_rep {
	struct kref ref;
	struct mutex lock;
	struct list_head node; /* in rd->eps while listed, under cf_rdev_lock */
	bool dead;             /* set by the removal before it takes the lock: waits end */
	struct cf_rdev *rd;
	struct cf_hpd *hpd; /* the seed's side: the handle's domain */
	const struct ib_gid_attr *sgid;
	struct ib_cq *cq;
	struct ib_qp *qp;      /* NULL once torn down */
	u32 psn;
	void (*lost)(void *arg); /* under lock */
	void *arg;
};

/* The seed's readable pages (those of anonymous, written file-private and stack VMAs with
 * content) numbered in descriptor order: the layout of a handle's registrations. */
#define RANK_BLOCK 512 /* pages per prefix count */

struct cf_ranks {
	u32 nvmas;
	u64 total;
	u64 *base;  /* per VMA: readable pages of the VMAs before it */
	u32 **blk;  /* per bitmap VMA: readable pages before each block */
};

/* rdma_dev.c: devices, domains */
int cf_sock_ip(struct socket *sock, __be32 *ip);
/* The device and GID carrying this IPv4 address, with a use; NULL when there is none. */
struct cf_rdev *cf_rdev_for(__be32 ip, const struct ib_gid_attr **sgid);
void cf_rdev_put(struct cf_rdev *rd);
struct cf_hpd *cf_hpd_for(struct socket *sock);
void cf_hpd_put(struct cf_hpd *p);

/* rdma.c: queue pairs */
struct cf_rep *cf_ep_open(struct socket *sock, struct cf_hpd *hpd); /* ERR_PTR on failure */
int cf_ep_lock(struct cf_rep *e); /* -ENODEV (unlocked) once its device is gone */
void cf_ep_unlock(struct cf_rep *e);
void cf_ep_release(struct cf_rep *e); /* the owner is done with it */
void cf_ep_kill(struct cf_rep *e);    /* its device goes */
void cf_ep_addr(const struct cf_rep *e, struct msg_rdma_ep *out);
int cf_ep_connect(struct cf_rep *e, const struct msg_rdma_ep *peer);
int cf_ep_reap(struct cf_rep *e, u32 n, int *err, u64 *ids);
void cf_ep_flush(struct cf_rep *e, u32 n);
int cf_ep_wait(struct cf_rep *e, u32 n);

/* rdma_pages.c: the numbering, and the removal of a device's registrations */
bool cf_readable_kind(const struct desc_vma *v);
struct cf_ranks *cf_ranks_build(const struct cf_desc *d);
void cf_ranks_free(struct cf_ranks *r);
u64 cf_rank_of(const struct cf_ranks *r, const struct cf_desc *d, u32 vi, u64 pg);
void cf_mrsets_remove(struct cf_rdev *rd);

#endif

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

/* A device the module uses: its protection domain, and how many queue pairs and page
 * registrations use it (its removal waits for them). */
struct cf_rdev {
	struct list_head node;
	struct ib_device *dev;
	struct ib_pd *pd;
	int users; /* under rdev_lock */
	bool gone;
};

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

/* The seed's readable pages (those of anonymous, written file-private and stack VMAs with
 * content) numbered in descriptor order: the layout of a handle's registrations. */
#define RANK_BLOCK 512 /* pages per prefix count */

struct cf_ranks {
	u32 nvmas;
	u64 total;
	u64 *base;  /* per VMA: readable pages of the VMAs before it */
	u32 **blk;  /* per bitmap VMA: readable pages before each block */
};

/* rdma.c: devices, domains, queue pairs */
void cf_rdev_put(struct cf_rdev *rd);
struct cf_hpd *cf_hpd_for(struct socket *sock);
void cf_hpd_put(struct cf_hpd *p);
int cf_ep_open(struct cf_rep *e, struct socket *sock, struct cf_hpd *hpd);
void cf_ep_close(struct cf_rep *e);
void cf_ep_addr(const struct cf_rep *e, struct msg_rdma_ep *out);
int cf_ep_connect(struct cf_rep *e, const struct msg_rdma_ep *peer);
int cf_ep_reap(struct cf_rep *e, u32 n, int *err, u64 *ids);
void cf_ep_flush(struct cf_rep *e, u32 n);
int cf_ep_wait(struct cf_rep *e, u32 n);

/* rdma_pages.c: the numbering */
bool cf_readable_kind(const struct desc_vma *v);
struct cf_ranks *cf_ranks_build(const struct cf_desc *d);
void cf_ranks_free(struct cf_ranks *r);
u64 cf_rank_of(const struct cf_ranks *r, const struct cf_desc *d, u32 vi, u64 pg);

#endif

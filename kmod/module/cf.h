/* Internal interfaces of the cleave_fork module: snapshot handles and the TCP page server. */
#ifndef CF_H
#define CF_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

struct sock;
struct socket;
struct cf_mrset;
struct cf_rsess;
struct cf_rep;
struct net;

#include "cleave_fork.h"
#include "desc.h"

/* A prepared snapshot: the holder's address space, kept alive (mmget) after the holder ends. */
struct cf_handle {
	struct list_head node;
	struct kref ref;
	u64 id, nonce;
	u8 key[CLEAVE_KEY_BYTES];
	void *desc;
	size_t desc_len;
	const struct desc_hdr *hdr;
	const struct desc_vma *vmas;
	struct mm_struct *mm;
	bool revoked; /* under cf_lock */
	atomic64_t connections, batches, pages, bytes;
	struct mutex rdma_lock; /* the pages registered for RDMA (rdma.c) */
	struct cf_mrset *mrs;
};

/* A parsed descriptor (descheck.c). */
struct cf_desc {
	const struct desc_hdr *h;
	const struct desc_vma *vmas;
	const struct desc_file *files;
	const char *strings;
	const u8 *bitmap;
};

/*
 * A resume: the connection to the seed's page server and its descriptor, made by
 * CLEAVE_IOC_RESUME on an open file and kept by the file, which every VMA mapped from it holds.
 */
struct cf_session {
	wait_queue_head_t wq;  /* woken by the socket: data, close */
	struct mutex lock;     /* one request on the connection at a time */
	struct socket *sock;
	struct net *net;
	void (*old_data_ready)(struct sock *sk);
	void (*old_state_change)(struct sock *sk);
	void *buf;             /* the descriptor */
	struct cf_desc d;
	unsigned long **asked; /* per lazy VMA: pages requested already (read-ahead skips them) */
	struct xarray cache;   /* seed page number -> fetched page not mapped yet */
	bool lost;             /* the server failed or closed: faults kill */
	struct cf_rsess *rdma; /* set when pages come by RDMA READ (rdma.c) */
	struct mm_struct *mm;  /* the address space that mapped the session first (mmgrab) */
	atomic64_t faults, net_pages, net_batches, zero_pages, cache_hits, prefetched;
	atomic64_t rdma_pages, rdma_reads;
};

/* One open file of /dev/cleave_fork: a staged descriptor (prepare) or a session (resume). */
struct cf_file {
	struct mutex lock;
	void *stage;
	size_t len;
	struct cf_session *session; /* set once, under lock */
};

extern struct mutex cf_lock;
extern int cf_port, cf_max_conns;
extern int cf_live_handles, cf_live_conns, cf_live_sessions, cf_fault_batch;
extern atomic_long_t cf_pages_held;
extern atomic64_t cf_pages_installed; /* prefetched pages mapped before their child ran */

/* handles.c */
int cf_prepare(const void *desc, size_t len, pid_t holder, struct cleave_prepare_args *a);
struct cf_handle *cf_handle_get(u64 id);          /* with a reference, or NULL */
void cf_handle_put(struct cf_handle *h);
int cf_key_ok(const struct cf_handle *h, const u8 *key);
int cf_revoke(u64 id, const u8 *key);
int cf_stats(u64 id, const u8 *key, struct cleave_stats *out);
void cf_handles_free_all(void);
int cf_range_ok(const struct cf_handle *h, u64 addr, u32 npages);

/* serve.c */
/* The listener's life, under cf_server_lock: started by the first prepare (in the caller's
 * network namespace), stopped when the last snapshot goes. */
void cf_server_lock(void);
void cf_server_unlock(void);
int cf_server_start(void);
void cf_server_stop_listener(void);
void cf_server_stop(void);          /* module unload: the listener and every connection */
void cf_server_drop_handle(u64 id); /* shuts the connections of a revoked handle; under cf_lock */
int cf_send_msg(struct socket *s, u16 type, u16 status, u32 pad, const void *payload, u32 len);

/* descheck.c */
int cf_desc_check(const void *buf, size_t len, struct cf_desc *d);
int cf_desc_find(const struct cf_desc *d, u64 addr); /* VMA index holding addr, or -1 */
bool cf_desc_lazy(const struct desc_vma *v);
bool cf_desc_content(const struct cf_desc *d, const struct desc_vma *v, u64 pg);

/* client.c */
int cf_client_connect(struct cf_session *s, const char *server);
int cf_client_send(struct cf_session *s, const void *buf, size_t len);
int cf_client_recv(struct cf_session *s, void *buf, size_t len, long timeout);
bool cf_client_closed(struct cf_session *s);
void cf_client_close(struct cf_session *s);

/* resume.c */
long cf_resume(struct cf_file *cf, void __user *arg);
struct cf_session *cf_session_of(struct cf_file *cf); /* NULL before a resume */
void cf_session_free(struct cf_session *s);
long cf_session_stats(struct cf_file *cf, void __user *arg);
ssize_t cf_session_read(struct cf_file *cf, char __user *buf, size_t len, loff_t *off);
__poll_t cf_session_poll(struct file *f, poll_table *wait);

/* Pages a resume maps into its child: charged to the faulting (or prefetching) process's cgroup. */
#define CF_PAGE_GFP (GFP_HIGHUSER | __GFP_ACCOUNT)

/* fetch.c (under s->lock) */
/* Fetches seed pages (sorted page numbers) into the cache; the first may go to *first instead. */
int cf_fetch(struct cf_session *s, const u64 *pgs, u32 n, struct page **first);
bool cf_ask(struct cf_session *s, u32 vi, u64 pg); /* marks pg requested; true when it was not */
int cf_fetch_around(struct cf_session *s, u32 vi, u64 pg, struct page **page);

/* fault.c */
int cf_session_mmap(struct cf_file *cf, struct vm_area_struct *vma);
u64 cf_install_cached(struct cf_file *cf, struct cf_session *s); /* pages mapped */

/* prefetch.c */
long cf_prefetch(struct cf_file *cf, void __user *arg);
long cf_fill(struct cf_file *cf, void __user *arg);

/* rdma.c */
extern bool cf_rdma_on;
extern int cf_rdma_devices, cf_rdma_qps;
/* Pages a resume keeps in flight in RDMA READs (rdma_read.c): more let the oldest request's
 * retransmit timer fire while its answer still waits behind the others' (soft-RoCE under
 * emulation), and duplicates follow. */
extern int cf_rdma_window;
extern bool cf_rdma_bulk; /* fetch.c: prefetches and eager fetches by RDMA too */
extern atomic64_t cf_rdma_pages, cf_rdma_pinned;
int cf_rdma_init(void);
void cf_rdma_exit(void);
void cf_rdma_handle_drop(struct cf_handle *h);    /* revoke: reads of its pages fail from now */
int cf_rdma_serve(struct socket *sock, struct cf_handle *h, const struct msg_rdma_ep *peer,
		  struct cf_rep **conn_ep);
void cf_rdma_conn_close(struct cf_rep *e);
int cf_rdma_session_open(struct cf_session *s);
void cf_rdma_session_close(struct cf_session *s);
int cf_rdma_read(struct cf_session *s, const u64 *pgs, struct page **pages, u32 n);

#endif

/* Internal interfaces of the cleave_fork module: snapshot handles and the TCP page server. */
#ifndef CF_H
#define CF_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>

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
};

extern struct mutex cf_lock;
extern int cf_port, cf_max_conns;
extern int cf_live_handles, cf_live_conns;

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

#endif

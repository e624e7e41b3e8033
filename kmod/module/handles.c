/* Snapshot handles: prepare takes over the holder's address space, revoke and stats. */
#include <crypto/algapi.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "cf.h"

DEFINE_MUTEX(cf_lock);
static LIST_HEAD(cf_handles);
static u64 cf_next_id;

static void handle_release(struct kref *ref)
{
	struct cf_handle *h = container_of(ref, struct cf_handle, ref);

	cf_rdma_handle_drop(h);
	mmput(h->mm);
	kvfree(h->desc);
	kfree(h);
}

void cf_handle_put(struct cf_handle *h)
{
	kref_put(&h->ref, handle_release);
}

struct cf_handle *cf_handle_get(u64 id)
{
	struct cf_handle *h;

	mutex_lock(&cf_lock);
	list_for_each_entry(h, &cf_handles, node) {
		if (h->id == id) {
			kref_get(&h->ref);
			mutex_unlock(&cf_lock);
			return h;
		}
	}
	mutex_unlock(&cf_lock);
	return NULL;
}

int cf_key_ok(const struct cf_handle *h, const u8 *key)
{
	return !crypto_memneq(h->key, key, CLEAVE_KEY_BYTES);
}

/* The holder must be a child of the caller: nobody takes over another's address space. */
static struct mm_struct *holder_mm(pid_t pid)
{
	struct task_struct *t;
	struct mm_struct *mm = NULL;

	rcu_read_lock();
	t = pid_task(find_vpid(pid), PIDTYPE_PID);
	if (t && rcu_dereference(t->real_parent)->tgid == current->tgid)
		get_task_struct(t);
	else
		t = NULL;
	rcu_read_unlock();
	if (!t)
		return NULL;
	mm = get_task_mm(t);
	put_task_struct(t);
	return mm;
}

int cf_prepare(const void *desc, size_t len, pid_t holder, struct cleave_prepare_args *a)
{
	u64 t0 = ktime_get_ns();
	struct cf_handle *h;
	struct cf_desc d;
	int r;

	if (get_nr_threads(current) != 1)
		return -CLEAVE_E_THREADS;
	r = cf_desc_check(desc, len, &d);
	if (r)
		return r;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -CLEAVE_E_SYS;
	h->mm = holder_mm(holder);
	if (!h->mm) {
		kfree(h);
		return -CLEAVE_E_INVAL;
	}
	h->desc = kvmalloc(len, GFP_KERNEL);
	if (!h->desc) {
		mmput(h->mm);
		kfree(h);
		return -CLEAVE_E_SYS;
	}
	memcpy(h->desc, desc, len);
	h->desc_len = len;
	h->hdr = h->desc;
	h->vmas = (const void *)((const char *)h->desc + ALIGN((size_t)h->hdr->hdr_bytes, 8));
	kref_init(&h->ref);
	mutex_init(&h->rdma_lock);
	get_random_bytes(h->key, sizeof(h->key));
	get_random_bytes(&h->nonce, sizeof(h->nonce));
	((struct desc_hdr *)h->desc)->nonce = h->nonce;

	cf_server_lock();
	r = cf_server_start();
	if (r) {
		cf_server_unlock();
		cf_handle_put(h);
		return r;
	}
	mutex_lock(&cf_lock);
	h->id = ++cf_next_id;
	list_add(&h->node, &cf_handles);
	cf_live_handles++;
	mutex_unlock(&cf_lock);
	cf_server_unlock();

	a->handle = h->id;
	memcpy(a->key, h->key, CLEAVE_KEY_BYTES);
	a->holder_pid = 0; /* the module holds the address space; the holder may end */
	a->desc_bytes = (u32)len;
	a->rss_bytes = h->hdr->rss_bytes;
	a->fetch_bytes = h->hdr->fetch_pages * PAGE_SZ;
	a->nvmas = h->hdr->nvmas;
	a->prepare_ns = ktime_get_ns() - t0;
	return 0;
}

static struct cf_handle *find_locked(u64 id)
{
	struct cf_handle *h;

	list_for_each_entry(h, &cf_handles, node)
		if (h->id == id)
			return h;
	return NULL;
}

int cf_revoke(u64 id, const u8 *key)
{
	struct cf_handle *h;
	bool idle;

	mutex_lock(&cf_lock);
	h = find_locked(id);
	if (!h || !cf_key_ok(h, key)) {
		mutex_unlock(&cf_lock);
		return h ? -CLEAVE_E_KEY : -CLEAVE_E_NOHANDLE;
	}
	list_del(&h->node);
	h->revoked = true;
	cf_live_handles--;
	/* restorers still lazy on it see their connection close and kill their children now */
	cf_server_drop_handle(id);
	mutex_unlock(&cf_lock);
	/* its registrations go now, not with the last connection's reference: reads fail */
	cf_rdma_handle_drop(h);
	cf_handle_put(h);
	/* no snapshot left: the listener goes, and with it its hold on the namespace */
	cf_server_lock();
	mutex_lock(&cf_lock);
	idle = cf_live_handles == 0;
	mutex_unlock(&cf_lock);
	if (idle)
		cf_server_stop_listener();
	cf_server_unlock();
	return 0;
}

int cf_stats(u64 id, const u8 *key, struct cleave_stats *s)
{
	struct cf_handle *h = cf_handle_get(id);

	if (!h)
		return -CLEAVE_E_NOHANDLE;
	if (!cf_key_ok(h, key)) {
		cf_handle_put(h);
		return -CLEAVE_E_KEY;
	}
	memset(s, 0, sizeof(*s));
	s->version = CLEAVE_ABI_VERSION;
	s->handle = h->id;
	s->desc_bytes = (u32)h->desc_len;
	s->rss_bytes = h->hdr->rss_bytes;
	s->fetch_pages = h->hdr->fetch_pages;
	s->connections = atomic64_read(&h->connections);
	s->batches = atomic64_read(&h->batches);
	s->pages_served = atomic64_read(&h->pages);
	s->bytes_sent = atomic64_read(&h->bytes);
	cf_handle_put(h);
	return 0;
}

void cf_handles_free_all(void)
{
	struct cf_handle *h, *n;

	mutex_lock(&cf_lock);
	list_for_each_entry_safe(h, n, &cf_handles, node) {
		list_del(&h->node);
		h->revoked = true;
		cf_live_handles--;
		cf_handle_put(h);
	}
	mutex_unlock(&cf_lock);
}

/* A range may only cover pages of VMAs whose content comes from the seed. */
int cf_range_ok(const struct cf_handle *h, u64 addr, u32 npages)
{
	u64 end = addr + (u64)npages * PAGE_SZ;
	u32 lo = 0, hi = h->hdr->nvmas;
	const struct desc_vma *v;

	if (addr % PAGE_SZ || npages == 0 || end < addr)
		return 0;
	while (lo < hi) {
		u32 mid = (lo + hi) / 2;

		if (h->vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= h->hdr->nvmas)
		return 0;
	v = &h->vmas[lo];
	return v->start <= addr && end <= v->end &&
	       (v->kind == VK_ANON || v->kind == VK_FILEANON || v->kind == VK_STACK);
}

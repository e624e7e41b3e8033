/*
 * CLEAVE_IOC_RESUME: a session with the seed's page server (hello, key, descriptor), the
 * refusals the twin's restorer makes before a child exists (bad arguments, unreachable server,
 * bad key, unknown or revoked handle, corrupt descriptor), and the session's life: read() gives
 * the descriptor, poll() says when the server is lost, the file's release frees it all.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "cf.h"

#define DESC_TIMEOUT (10 * HZ)

int cf_live_sessions;
atomic_long_t cf_pages_held = ATOMIC_LONG_INIT(0);

void cf_session_free(struct cf_session *s)
{
	struct page *p;
	unsigned long i;

	cf_rdma_session_close(s);
	cf_client_close(s);
	xa_for_each(&s->cache, i, p) {
		put_page(p);
		atomic_long_dec(&cf_pages_held);
	}
	xa_destroy(&s->cache);
	if (s->mm)
		mmdrop(s->mm);
	if (s->asked) {
		for (i = 0; i < s->d.h->nvmas; i++)
			kvfree(s->asked[i]);
		kvfree(s->asked);
	}
	kvfree(s->buf);
	kfree(s);
	WRITE_ONCE(cf_live_sessions, READ_ONCE(cf_live_sessions) - 1);
}

static int alloc_asked(struct cf_session *s)
{
	u32 i;

	s->asked = kvcalloc(s->d.h->nvmas, sizeof(*s->asked), GFP_KERNEL);
	if (!s->asked)
		return -CLEAVE_E_SYS;
	for (i = 0; i < s->d.h->nvmas; i++) {
		const struct desc_vma *v = &s->d.vmas[i];
		u64 np = (v->end - v->start) / PAGE_SZ;

		if (!cf_desc_lazy(v) || (!v->fetch_pages && v->kind != VK_FILEANON))
			continue;
		s->asked[i] = kvcalloc(BITS_TO_LONGS(np), sizeof(long), GFP_KERNEL);
		if (!s->asked[i])
			return -CLEAVE_E_SYS;
	}
	return 0;
}

/* Hello with the key; the server's refusal code is the resume's. */
static int open_session(struct cf_session *s, const struct cleave_resume_args *a)
{
	struct msg_hdr h = { .magic = MSG_MAGIC, .type = M_HELLO, .len = sizeof(struct msg_auth) };
	struct msg_auth auth = { .handle = a->handle };
	int r = cf_client_connect(s, a->server);

	if (r)
		return r;
	memcpy(auth.key, a->key, sizeof(auth.key));
	if (cf_client_send(s, &h, sizeof(h)) || cf_client_send(s, &auth, sizeof(auth)) ||
	    cf_client_recv(s, &h, sizeof(h), DESC_TIMEOUT))
		return -CLEAVE_E_SERVER;
	if (h.magic != MSG_MAGIC || h.type != M_DESC)
		return -CLEAVE_E_SERVER;
	if (h.status)
		return h.status <= CLEAVE_E_LOST ? -(int)h.status : -CLEAVE_E_SERVER;
	if (h.len < sizeof(struct desc_hdr) || h.len > DESC_MAX_BYTES)
		return -CLEAVE_E_DESC;
	s->buf = kvmalloc(h.len, GFP_KERNEL);
	if (!s->buf)
		return -CLEAVE_E_SYS;
	if (cf_client_recv(s, s->buf, h.len, DESC_TIMEOUT))
		return -CLEAVE_E_SERVER;
	r = cf_desc_check(s->buf, h.len, &s->d);
	if (!r)
		r = alloc_asked(s);
	/* the seed's module offers RDMA: pages come by RDMA READ when both ends have a device */
	if (!r && (h.pad & MSG_CAP_RDMA) && cf_rdma_session_open(s) < 0)
		r = -CLEAVE_E_SERVER;
	return r;
}

long cf_resume(struct cf_file *cf, void __user *arg)
{
	struct cleave_resume_args *a = kmalloc(sizeof(*a), GFP_KERNEL);
	struct cf_session *s;
	long r;

	if (!a)
		return -CLEAVE_E_SYS;
	if (copy_from_user(a, arg, sizeof(*a))) {
		kfree(a);
		return -EFAULT;
	}
	/* the module serves lazy and eager children from a server; checkpoint files are the twin's */
	if (a->version != CLEAVE_ABI_VERSION || (a->flags & ~CLEAVE_RESUME_EAGER) ||
	    !memchr(a->server, 0, sizeof(a->server))) {
		kfree(a);
		return -CLEAVE_E_INVAL;
	}
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		kfree(a);
		return -CLEAVE_E_SYS;
	}
	init_waitqueue_head(&s->wq);
	mutex_init(&s->lock);
	xa_init(&s->cache);
	WRITE_ONCE(cf_live_sessions, READ_ONCE(cf_live_sessions) + 1);
	r = open_session(s, a);
	kfree(a);
	mutex_lock(&cf->lock);
	if (!r && (cf->session || cf->stage))
		r = -CLEAVE_E_INVAL; /* one use per open file */
	if (!r)
		cf->session = s;
	mutex_unlock(&cf->lock);
	if (r)
		cf_session_free(s);
	return r;
}

struct cf_session *cf_session_of(struct cf_file *cf)
{
	struct cf_session *s;

	mutex_lock(&cf->lock);
	s = cf->session;
	mutex_unlock(&cf->lock);
	return s;
}

ssize_t cf_session_read(struct cf_file *cf, char __user *buf, size_t len, loff_t *off)
{
	struct cf_session *s = cf_session_of(cf);

	if (!s)
		return -CLEAVE_E_INVAL;
	return simple_read_from_buffer(buf, len, off, s->buf, s->d.h->total_bytes);
}

__poll_t cf_session_poll(struct file *f, poll_table *wait)
{
	struct cf_session *s = cf_session_of(f->private_data);

	if (!s)
		return EPOLLERR;
	poll_wait(f, &s->wq, wait);
	return READ_ONCE(s->lost) || cf_client_closed(s) ? EPOLLHUP : 0;
}

long cf_session_stats(struct cf_file *cf, void __user *arg)
{
	struct cf_session *s = cf_session_of(cf);
	struct mod_session_stats st = { 0 };

	if (!s)
		return -CLEAVE_E_INVAL;
	st.faults = atomic64_read(&s->faults);
	st.net_pages = atomic64_read(&s->net_pages);
	st.net_batches = atomic64_read(&s->net_batches);
	st.zero_pages = atomic64_read(&s->zero_pages);
	st.cache_hits = atomic64_read(&s->cache_hits);
	st.prefetched = atomic64_read(&s->prefetched);
	st.lost = READ_ONCE(s->lost);
	st.rdma = s->rdma != NULL;
	st.rdma_pages = atomic64_read(&s->rdma_pages);
	st.rdma_reads = atomic64_read(&s->rdma_reads);
	return copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
}

/* A resume's bulk fetches before its child runs: a working set or everything (eager), and the
 * main stack's pages. */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "cf.h"

#define PREFETCH_MAX (1u << 22)

long cf_prefetch(struct cf_file *cf, void __user *arg)
{
	struct cf_session *s = cf_session_of(cf);
	u64 __user *addrs;
	struct mod_prefetch p;
	u64 *list;
	u32 n = 0, i;
	long r = 0;

	if (!s)
		return -CLEAVE_E_INVAL;
	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	if ((p.flags & ~MOD_PREFETCH_ALL) || p.n > PREFETCH_MAX)
		return -CLEAVE_E_INVAL;
	addrs = u64_to_user_ptr(p.addrs);
	list = kvmalloc_array(MAX_READ_PAGES, sizeof(*list), GFP_KERNEL);
	if (!list)
		return -CLEAVE_E_SYS;
	if (mutex_lock_killable(&s->lock)) {
		kvfree(list);
		return -EINTR;
	}
#define ADD(vi, pg)                                                                   \
	do {                                                                          \
		list[n++] = s->d.vmas[vi].start / PAGE_SZ + (pg);                     \
		if (n == MAX_READ_PAGES) {                                            \
			r = cf_fetch(s, list, n, NULL);                               \
			atomic64_add(n, &s->prefetched);                              \
			n = 0;                                                        \
		}                                                                     \
	} while (0)
	if (p.flags & MOD_PREFETCH_ALL) {
		for (i = 0; i < s->d.h->nvmas && !r; i++) {
			const struct desc_vma *v = &s->d.vmas[i];
			u64 np = (v->end - v->start) / PAGE_SZ, pg;

			for (pg = 0; pg < np && !r && s->asked[i]; pg++)
				if (cf_desc_content(&s->d, v, pg) && cf_ask(s, i, pg))
					ADD(i, pg);
		}
	} else {
		for (i = 0; i < p.n && !r; i++) {
			u64 a;
			int vi;

			if (get_user(a, addrs + i)) {
				r = -EFAULT;
				break;
			}
			vi = cf_desc_find(&s->d, a);
			if (vi < 0 || !cf_desc_lazy(&s->d.vmas[vi]) || !s->asked[vi])
				continue;
			if (cf_desc_content(&s->d, &s->d.vmas[vi], (a - s->d.vmas[vi].start) / PAGE_SZ) &&
			    cf_ask(s, vi, (a - s->d.vmas[vi].start) / PAGE_SZ))
				ADD(vi, (a - s->d.vmas[vi].start) / PAGE_SZ);
		}
	}
#undef ADD
	if (!r && n) {
		r = cf_fetch(s, list, n, NULL);
		atomic64_add(n, &s->prefetched);
	}
	mutex_unlock(&s->lock);
	kvfree(list);
	if (!r)
		atomic64_add(cf_install_cached(cf, s), &cf_pages_installed);
	if (r == -ENOMEM)
		return -CLEAVE_E_SYS;
	return r == -EFAULT ? -EFAULT : r ? -CLEAVE_E_LOST : 0;
}

/* The seed's pages of [start, start + len) into the caller's memory there (its stack). */
long cf_fill(struct cf_file *cf, void __user *arg)
{
	struct cf_session *s = cf_session_of(cf);
	const struct desc_vma *v;
	struct mod_fill f;
	u64 *list, pg, np;
	u32 n;
	long r = 0;
	int vi;

	if (!s)
		return -CLEAVE_E_INVAL;
	if (copy_from_user(&f, arg, sizeof(f)))
		return -EFAULT;
	vi = cf_desc_find(&s->d, f.start);
	if (vi < 0)
		return -CLEAVE_E_INVAL;
	v = &s->d.vmas[vi];
	if (v->kind != VK_STACK || f.start != v->start || f.len != v->end - v->start)
		return -CLEAVE_E_INVAL;
	list = kvmalloc_array(MAX_READ_PAGES, sizeof(*list), GFP_KERNEL);
	if (!list)
		return -CLEAVE_E_SYS;
	if (mutex_lock_killable(&s->lock)) {
		kvfree(list);
		return -EINTR;
	}
	np = f.len / PAGE_SZ;
	for (pg = 0; pg < np && !r;) {
		u32 i;

		for (n = 0; pg < np && n < MAX_READ_PAGES; pg++)
			if (cf_desc_content(&s->d, v, pg))
				list[n++] = v->start / PAGE_SZ + pg;
		r = n ? cf_fetch(s, list, n, NULL) : 0;
		for (i = 0; i < n && !r; i++) {
			struct page *p = xa_erase(&s->cache, list[i]);
			void *k;

			if (!p) {
				r = -EIO;
				break;
			}
			atomic_long_dec(&cf_pages_held);
			k = kmap_local_page(p);
			if (copy_to_user(u64_to_user_ptr(list[i] * PAGE_SZ), k, PAGE_SIZE))
				r = -EFAULT;
			kunmap_local(k);
			put_page(p);
		}
	}
	mutex_unlock(&s->lock);
	kvfree(list);
	if (r == -ENOMEM)
		return -CLEAVE_E_SYS;
	return r == -EFAULT ? -EFAULT : r ? -CLEAVE_E_LOST : 0;
}

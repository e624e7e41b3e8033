/*
 * A child's lazy memory: its VMAs are private mappings of the session's file at the seed's
 * addresses, and their faults fetch the seed's pages over the session's connection (the faulting
 * page and the next unrequested pages with content, cf_fault_batch in all). Pages fetched ahead
 * wait in the session's cache until their fault; prefetched pages are mapped into the child
 * before it runs, as the twin's UFFDIO_COPY does. Pages are charged to the memory
 * cgroup of the process that faults or prefetches them. A fault the server cannot answer kills
 * the child: it never runs on zero pages where the seed had content.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "cf.h"

#define PAGE_GFP (GFP_HIGHUSER | __GFP_ACCOUNT)
#define READ_AHEAD_WINDOW 64

int cf_fault_batch = 4;
bool cf_rdma_bulk = true;
atomic64_t cf_pages_installed = ATOMIC64_INIT(0);

static struct cf_session *session_of(struct cf_file *cf)
{
	struct cf_session *s;

	mutex_lock(&cf->lock);
	s = cf->session;
	mutex_unlock(&cf->lock);
	return s;
}

/* One M_READ of n pages in nr ranges (under s->lock); pages[] get the data. */
static int read_batch(struct cf_session *s, const struct msg_range *ranges, u32 nr,
		      struct page **pages, u32 n)
{
	struct msg_hdr h = { .magic = MSG_MAGIC, .type = M_READ, .len = nr * sizeof(*ranges) };
	u32 i;

	if (cf_client_send(s, &h, sizeof(h)) || cf_client_send(s, ranges, h.len))
		return -EIO;
	if (cf_client_recv(s, &h, sizeof(h), MAX_SCHEDULE_TIMEOUT))
		return -EIO;
	if (h.magic != MSG_MAGIC || h.type != M_DATA || h.status || h.len != n * PAGE_SZ)
		return -EIO;
	for (i = 0; i < n; i++) {
		void *p = kmap_local_page(pages[i]);
		int r = cf_client_recv(s, p, PAGE_SIZE, MAX_SCHEDULE_TIMEOUT);

		kunmap_local(p);
		if (r)
			return r;
	}
	atomic64_inc(&s->net_batches);
	atomic64_add(n, &s->net_pages);
	return 0;
}

static void cache_put(struct cf_session *s, u64 pgno, struct page *p)
{
	if (xa_insert(&s->cache, pgno, p, GFP_KERNEL))
		put_page(p); /* already there (or no memory for the entry): the page is not needed */
	else
		atomic_long_inc(&cf_pages_held);
}

static bool vma_start(struct cf_session *s, u64 pg)
{
	int vi = cf_desc_find(&s->d, pg * PAGE_SZ);

	return vi >= 0 && s->d.vmas[vi].start == pg * PAGE_SZ;
}

int cf_fetch(struct cf_session *s, const u64 *pgs, u32 n, struct page **first)
{
	struct msg_range *ranges = kmalloc_array(MAX_READ_RANGES, sizeof(*ranges), GFP_KERNEL);
	struct page **pages = kvmalloc_array(MAX_READ_PAGES, sizeof(*pages), GFP_KERNEL);
	u32 done = 0, i;
	int r = 0;
	/* a fault's pages (first set) by RDMA; bulk (prefetch, eager, stack) too unless rdma_bulk=0 */
	bool by_rdma = s->rdma && (first || READ_ONCE(cf_rdma_bulk));

	if (!ranges || !pages) {
		r = -ENOMEM;
		goto out;
	}
	if (READ_ONCE(s->lost)) {
		r = -EIO;
		goto out;
	}
	while (done < n && !r) {
		u32 k = 0, nr = 0;

		while (done + k < n && k < MAX_READ_PAGES) {
			u64 pg = pgs[done + k];

			/* a range may not cross into the next VMA (the server refuses that) */
			if (nr && ranges[nr - 1].addr + (u64)ranges[nr - 1].npages * PAGE_SZ ==
					  pg * PAGE_SZ && !vma_start(s, pg)) {
				ranges[nr - 1].npages++;
			} else {
				if (nr == MAX_READ_RANGES)
					break;
				ranges[nr].addr = pg * PAGE_SZ;
				ranges[nr].npages = 1;
				ranges[nr].pad = 0;
				nr++;
			}
			pages[k] = alloc_page(PAGE_GFP);
			if (!pages[k]) {
				r = -ENOMEM;
				break;
			}
			k++;
		}
		if (!r)
			r = by_rdma ? cf_rdma_read(s, pgs + done, pages, k) :
				      read_batch(s, ranges, nr, pages, k);
		for (i = 0; i < k; i++) {
			if (r)
				put_page(pages[i]);
			else if (first && done == 0 && i == 0)
				*first = pages[i];
			else
				cache_put(s, pgs[done + i], pages[i]);
		}
		done += k;
	}
	/* a failed exchange leaves the stream out of step: the connection is done for */
	if (r == -EIO || r == -EINTR) {
		WRITE_ONCE(s->lost, true);
		wake_up_all(&s->wq);
	}
out:
	kfree(ranges);
	kvfree(pages);
	return r;
}

/* Marks pg requested; true when it was not yet. */
static bool ask(struct cf_session *s, u32 vi, u64 pg)
{
	return s->asked[vi] && !test_and_set_bit(pg, s->asked[vi]);
}

/* The faulting page and the next content pages not requested yet (under s->lock). */
static int fetch_around(struct cf_session *s, u32 vi, u64 pg, struct page **page)
{
	const struct desc_vma *v = &s->d.vmas[vi];
	u64 np = (v->end - v->start) / PAGE_SZ, base = v->start / PAGE_SZ, q;
	u64 list[32];
	u32 n = 0, want = clamp(cf_fault_batch, 1, 32);

	ask(s, vi, pg);
	list[n++] = base + pg;
	for (q = pg + 1; q < np && q < pg + READ_AHEAD_WINDOW && n < want; q++)
		if (cf_desc_content(&s->d, v, q) && ask(s, vi, q))
			list[n++] = base + q;
	return cf_fetch(s, list, n, page);
}

/*
 * Per VMA: the pages it was given already. A page given once and faulting again was dropped
 * (MADV_DONTNEED): it reads zero, as anonymous memory does, never the seed's content again.
 * Forks copy every pte (VM_MIXEDMAP) and the set with them; splits and moves copy the set.
 */
struct cf_given {
	u64 base, npages; /* in seed pages */
	unsigned long bits[];
};

static struct cf_given *given_alloc(u64 base, u64 npages)
{
	struct cf_given *g = kvzalloc(struct_size(g, bits, BITS_TO_LONGS(npages)), GFP_KERNEL);

	if (g) {
		g->base = base;
		g->npages = npages;
	}
	return g;
}

static void cf_vma_open(struct vm_area_struct *vma)
{
	const struct cf_given *g = vma->vm_private_data;
	struct cf_given *copy = NULL;

	if (g) {
		copy = given_alloc(g->base, g->npages);
		if (copy)
			bitmap_copy(copy->bits, g->bits, g->npages);
		else
			pr_info_ratelimited("cleave_fork: no memory for a VMA's page set; dropped pages of it may read the seed's content\n");
	}
	vma->vm_private_data = copy;
}

static void cf_vma_close(struct vm_area_struct *vma)
{
	kvfree(vma->vm_private_data);
	vma->vm_private_data = NULL;
}

/* True when the page was given to this VMA before (and so was dropped since). */
static bool given_before(struct vm_area_struct *vma, u64 pgoff)
{
	struct cf_given *g = vma->vm_private_data;

	if (!g || pgoff < g->base || pgoff - g->base >= g->npages)
		return false;
	return test_and_set_bit(pgoff - g->base, g->bits);
}

static vm_fault_t cf_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct cf_session *s = ((struct cf_file *)vma->vm_file->private_data)->session;
	u64 addr = (u64)vmf->pgoff << PAGE_SHIFT;
	/* by address: adjacent mappings of the file merge into one VMA (.data + .bss) */
	int vi = cf_desc_find(&s->d, addr);
	const struct desc_vma *v = vi >= 0 ? &s->d.vmas[vi] : NULL;
	struct page *page = NULL;
	bool fetched;
	int r = 0;

	atomic64_inc(&s->faults);
	/* no content there in the seed, or dropped since it was given: a zero page */
	if (given_before(vma, vmf->pgoff) || !v || !cf_desc_lazy(v) ||
	    !cf_desc_content(&s->d, v, (addr - v->start) / PAGE_SZ)) {
		page = alloc_page(PAGE_GFP | __GFP_ZERO);
		if (!page)
			return VM_FAULT_OOM;
		atomic64_inc(&s->zero_pages);
		vmf->page = page;
		return 0;
	}
	if (mutex_lock_killable(&s->lock))
		return VM_FAULT_SIGBUS; /* dying already */
	page = xa_erase(&s->cache, vmf->pgoff);
	fetched = !page;
	if (!page)
		r = fetch_around(s, vi, (addr - v->start) / PAGE_SZ, &page);
	else
		atomic_long_dec(&cf_pages_held);
	mutex_unlock(&s->lock);
	if (r && page)
		put_page(page);
	if (!r && !fetched)
		atomic64_inc(&s->cache_hits);
	if (r == -ENOMEM)
		return VM_FAULT_OOM;
	if (r) {
		/* the child dies; a process reading its memory from outside only gets an error */
		if (current->mm == vma->vm_mm) {
			pr_info_ratelimited("cleave_fork: pid %d: page server lost at %#llx; killing the child\n",
					    task_pid_nr(current), addr);
			send_sig(SIGKILL, current, 1);
		}
		return VM_FAULT_SIGBUS;
	}
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct cf_vm_ops = {
	.open = cf_vma_open,
	.close = cf_vma_close,
	.fault = cf_fault,
};

int cf_session_mmap(struct cf_file *cf, struct vm_area_struct *vma)
{
	struct cf_session *s = session_of(cf);
	const struct desc_vma *v;
	int vi;

	if (!s || (vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	/* at the seed's address (offset = address), inside one lazy VMA of the seed */
	if (vma->vm_start != vma->vm_pgoff << PAGE_SHIFT)
		return -EINVAL;
	vi = cf_desc_find(&s->d, vma->vm_start);
	if (vi < 0)
		return -EINVAL;
	v = &s->d.vmas[vi];
	if (!cf_desc_lazy(v) || vma->vm_end > v->end)
		return -EINVAL;
	vma->vm_private_data = given_alloc(vma->vm_pgoff, vma_pages(vma));
	if (!vma->vm_private_data)
		return -ENOMEM;
	/* the child building its address space: prefetched pages are mapped into this one */
	if (!READ_ONCE(s->mm)) {
		mmgrab(vma->vm_mm);
		if (cmpxchg(&s->mm, NULL, vma->vm_mm))
			mmdrop(vma->vm_mm);
	}
	/* a fork copies every pte (not only anonymous ones): what the parent was given, the
	 * grandchild has, and its own faults are for pages nobody was given */
	vma->vm_flags |= VM_MIXEDMAP;
	vma->vm_ops = &cf_vm_ops;
	return 0;
}

/*
 * Maps the pages waiting in the cache into the session's child (the address space that mapped
 * it first), where it still has this session's mapping at their address and was given nothing
 * there: its first touch of them is no fault. Pages it cannot map stay for their fault. The
 * mmap lock comes before s->lock, as in a fault. Returns the pages mapped.
 */
static u64 install_cached(struct cf_file *cf, struct cf_session *s)
{
	struct mm_struct *mm = READ_ONCE(s->mm);
	struct page *p;
	unsigned long pg;
	u64 n = 0;

	if (!mm || !mmget_not_zero(mm))
		return 0;
	if (mmap_read_lock_killable(mm))
		goto out;
	if (mutex_lock_killable(&s->lock)) {
		mmap_read_unlock(mm);
		goto out;
	}
	xa_for_each(&s->cache, pg, p) {
		struct vm_area_struct *vma = vma_lookup(mm, pg * PAGE_SZ);
		struct cf_given *g;

		if (!vma || vma->vm_ops != &cf_vm_ops || vma->vm_file->private_data != cf ||
		    vma->vm_pgoff + ((pg * PAGE_SZ - vma->vm_start) >> PAGE_SHIFT) != pg)
			continue;
		g = vma->vm_private_data;
		if (!g || pg < g->base || pg - g->base >= g->npages || test_bit(pg - g->base, g->bits))
			continue;
		if (vm_insert_page(vma, pg * PAGE_SZ, p))
			continue;
		set_bit(pg - g->base, g->bits);
		xa_erase(&s->cache, pg);
		put_page(p); /* the page table holds it now */
		atomic_long_dec(&cf_pages_held);
		n++;
	}
	mutex_unlock(&s->lock);
	mmap_read_unlock(mm);
out:
	mmput(mm);
	return n;
}

#define PREFETCH_MAX (1u << 22)

long cf_prefetch(struct cf_file *cf, void __user *arg)
{
	struct cf_session *s = session_of(cf);
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
				if (cf_desc_content(&s->d, v, pg) && ask(s, i, pg))
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
			    ask(s, vi, (a - s->d.vmas[vi].start) / PAGE_SZ))
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
		atomic64_add(install_cached(cf, s), &cf_pages_installed);
	if (r == -ENOMEM)
		return -CLEAVE_E_SYS;
	return r == -EFAULT ? -EFAULT : r ? -CLEAVE_E_LOST : 0;
}

/* The seed's pages of [start, start + len) into the caller's memory there (its stack). */
long cf_fill(struct cf_file *cf, void __user *arg)
{
	struct cf_session *s = session_of(cf);
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

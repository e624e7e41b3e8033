/*
 * A child's lazy memory: its VMAs are private mappings of the session's file at the seed's
 * addresses, and their faults fetch the seed's pages (fetch.c). Prefetched pages are mapped into
 * the child before it runs, as the twin's UFFDIO_COPY does. A fault the server cannot answer
 * kills the child: it never runs on zero pages where the seed had content.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "cf.h"

atomic64_t cf_pages_installed = ATOMIC64_INIT(0);

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
		page = alloc_page(CF_PAGE_GFP | __GFP_ZERO);
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
		r = cf_fetch_around(s, vi, (addr - v->start) / PAGE_SZ, &page);
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
	struct cf_session *s = cf_session_of(cf);
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
u64 cf_install_cached(struct cf_file *cf, struct cf_session *s)
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

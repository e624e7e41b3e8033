/* Descriptor validation: the checks of the user-space desc_parse, for descriptors the module
 * stores (prepare) and the ones it resumes from (a seed's node may be hostile too). */
#include <linux/kernel.h>
#include <linux/string.h>

#include "cf.h"

static size_t align8(size_t x)
{
	return ALIGN(x, 8);
}

int cf_desc_check(const void *buf, size_t len, struct cf_desc *d)
{
	const struct desc_hdr *h = buf;
	size_t o, files_off, strings_off, bitmap_off, auxv_off;
	u64 idx = 0, prev_end = 0;
	u32 i, trailer;

	if (len < sizeof(*h) || h->magic != DESC_MAGIC || h->version != DESC_VERSION ||
	    h->hdr_bytes != sizeof(*h) || h->total_bytes != len || h->nvmas > (1u << 20) ||
	    h->nfiles > (1u << 16) || h->bitmap_bytes > DESC_MAX_BYTES ||
	    h->strings_bytes > DESC_MAX_BYTES || h->auxv_bytes > 4096)
		return -CLEAVE_E_DESC;
	o = align8(h->hdr_bytes) + (size_t)h->nvmas * sizeof(struct desc_vma);
	files_off = o;
	o += (size_t)h->nfiles * sizeof(struct desc_file);
	strings_off = o;
	o = align8(o + h->strings_bytes);
	bitmap_off = o;
	o = align8(o + h->bitmap_bytes);
	auxv_off = o;
	o = align8(o + h->auxv_bytes) + 8;
	if (o != len)
		return -CLEAVE_E_DESC;
	memcpy(&trailer, (const char *)buf + len - 8, 4);
	if (trailer != DESC_END)
		return -CLEAVE_E_DESC;
	d->h = h;
	d->vmas = (const void *)((const char *)buf + align8(h->hdr_bytes));
	d->files = (const void *)((const char *)buf + files_off);
	d->strings = (const char *)buf + strings_off;
	d->bitmap = (const u8 *)buf + bitmap_off;
	if (h->strings_bytes == 0 || d->strings[h->strings_bytes - 1] != 0)
		return -CLEAVE_E_DESC;
	for (i = 0; i < h->nvmas; i++) {
		const struct desc_vma *v = &d->vmas[i];
		u64 np = (v->end - v->start) / PAGE_SZ;
		bool has_bm = v->kind == VK_ANON || v->kind == VK_FILEANON || v->kind == VK_STACK;

		if (v->start >= v->end || (v->start | v->end) % PAGE_SZ || v->start < prev_end ||
		    v->end > 0x800000000000ull || v->kind < VK_FILE || v->kind > VK_VDSO ||
		    (v->file >= 0 && (u32)v->file >= h->nfiles) ||
		    (has_bm && v->bitmap_off + (np + 7) / 8 > h->bitmap_bytes) ||
		    v->data_index != idx || v->fetch_pages > np || (!has_bm && v->fetch_pages) ||
		    ((v->kind == VK_FILE || v->kind == VK_FILEANON) && v->file < 0))
			return -CLEAVE_E_DESC;
		prev_end = v->end;
		idx += v->fetch_pages;
	}
	if (idx != h->fetch_pages)
		return -CLEAVE_E_DESC;
	for (i = 0; i < h->nfiles; i++)
		if (d->files[i].path_off >= h->strings_bytes || d->files[i].build_id_len > 32)
			return -CLEAVE_E_DESC;
	if (h->cwd_off != ~0u && h->cwd_off >= h->strings_bytes)
		return -CLEAVE_E_DESC;
	(void)auxv_off;
	return 0;
}

int cf_desc_find(const struct cf_desc *d, u64 addr)
{
	u32 lo = 0, hi = d->h->nvmas;

	while (lo < hi) {
		u32 mid = (lo + hi) / 2;

		if (d->vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= d->h->nvmas || d->vmas[lo].start > addr)
		return -1;
	return (int)lo;
}

bool cf_desc_lazy(const struct desc_vma *v)
{
	return v->kind == VK_ANON || v->kind == VK_FILEANON || v->kind == VK_STACK;
}

/* Whether a page of a lazy VMA comes from the seed (others are zero): the fetch bitmap, and
 * every page of a written private file mapping (identical file verified, so the seed's node
 * serves the same bytes the local file holds). */
bool cf_desc_content(const struct cf_desc *d, const struct desc_vma *v, u64 pg)
{
	if (v->kind == VK_FILEANON)
		return true;
	return bit_get(d->bitmap + v->bitmap_off, pg);
}

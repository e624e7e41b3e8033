#include "desc.h"
#include "../include/cleave_fork.h"

#include <stdio.h>
#include <string.h>

static size_t align8(size_t x) { return (x + 7) & ~(size_t)7; }

size_t desc_vmas_off(uint32_t hdr_bytes) { return align8(hdr_bytes); }

size_t desc_layout(const struct desc_hdr *h, size_t *files_off, size_t *strings_off,
		   size_t *bitmap_off, size_t *auxv_off)
{
	size_t o = desc_vmas_off(h->hdr_bytes) + (size_t)h->nvmas * sizeof(struct desc_vma);
	*files_off = o;
	o += (size_t)h->nfiles * sizeof(struct desc_file);
	*strings_off = o;
	o = align8(o + h->strings_bytes);
	*bitmap_off = o;
	o = align8(o + h->bitmap_bytes);
	*auxv_off = o;
	o = align8(o + h->auxv_bytes);
	return o + 8; /* trailer */
}

int desc_parse(const void *buf, size_t len, struct desc *d, char *err, size_t errlen)
{
	const struct desc_hdr *h = buf;
	memset(d, 0, sizeof *d);
	if (len < sizeof *h) {
		snprintf(err, errlen, "descriptor truncated: %zu bytes, header alone needs %zu", len,
			 sizeof *h);
		return -CLEAVE_E_DESC;
	}
	if (h->magic != DESC_MAGIC) {
		snprintf(err, errlen, "not a cleave descriptor (magic %#x)", h->magic);
		return -CLEAVE_E_DESC;
	}
	if (h->version != DESC_VERSION || h->hdr_bytes != sizeof *h) {
		snprintf(err, errlen, "descriptor version %u/%u, this restorer speaks %u/%zu",
			 h->version, h->hdr_bytes, DESC_VERSION, sizeof *h);
		return -CLEAVE_E_DESC;
	}
	if (h->nvmas > 1u << 20 || h->nfiles > 1u << 16 || h->bitmap_bytes > DESC_MAX_BYTES ||
	    h->strings_bytes > DESC_MAX_BYTES || h->auxv_bytes > 4096) {
		snprintf(err, errlen, "descriptor counts out of range");
		return -CLEAVE_E_DESC;
	}
	size_t fo, so, bo, ao;
	size_t need = desc_layout(h, &fo, &so, &bo, &ao);
	if (h->total_bytes != need) {
		snprintf(err, errlen, "descriptor claims %llu bytes but its areas add up to %zu",
			 (unsigned long long)h->total_bytes, need);
		return -CLEAVE_E_DESC;
	}
	if (len < need) {
		snprintf(err, errlen, "descriptor truncated: got %zu of %zu bytes", len, need);
		return -CLEAVE_E_DESC;
	}
	uint32_t trailer;
	memcpy(&trailer, (const char *)buf + need - 8, 4);
	if (trailer != DESC_END) {
		snprintf(err, errlen, "descriptor trailer missing (corrupt)");
		return -CLEAVE_E_DESC;
	}
	d->h = h;
	d->len = need;
	d->vmas = (const struct desc_vma *)((const char *)buf + desc_vmas_off(h->hdr_bytes));
	d->files = (const struct desc_file *)((const char *)buf + fo);
	d->strings = (const char *)buf + so;
	d->bitmap = (const uint8_t *)buf + bo;
	d->auxv = (const uint8_t *)buf + ao;
	if (h->strings_bytes == 0 || d->strings[h->strings_bytes - 1] != 0) {
		snprintf(err, errlen, "descriptor string area not terminated");
		return -CLEAVE_E_DESC;
	}
	uint64_t idx = 0, prev_end = 0;
	for (uint32_t i = 0; i < h->nvmas; i++) {
		const struct desc_vma *v = &d->vmas[i];
		uint64_t np = (v->end - v->start) / PAGE_SZ;
		int has_bm = v->kind == VK_ANON || v->kind == VK_FILEANON || v->kind == VK_STACK;
		if (v->start >= v->end || (v->start | v->end) % PAGE_SZ || v->start < prev_end ||
		    v->end > 0x800000000000ull || v->kind < VK_FILE || v->kind > VK_VDSO ||
		    (v->file >= 0 && (uint32_t)v->file >= h->nfiles) ||
		    (has_bm && v->bitmap_off + (np + 7) / 8 > h->bitmap_bytes) ||
		    v->data_index != idx || v->fetch_pages > np || (!has_bm && v->fetch_pages)) {
			snprintf(err, errlen, "descriptor VMA %u is inconsistent", i);
			return -CLEAVE_E_DESC;
		}
		if ((v->kind == VK_FILE || v->kind == VK_FILEANON) && v->file < 0) {
			snprintf(err, errlen, "descriptor VMA %u lacks its file", i);
			return -CLEAVE_E_DESC;
		}
		prev_end = v->end;
		idx += v->fetch_pages;
	}
	if (idx != h->fetch_pages) {
		snprintf(err, errlen, "descriptor fetch page count mismatch");
		return -CLEAVE_E_DESC;
	}
	for (uint32_t i = 0; i < h->nfiles; i++) {
		if (d->files[i].path_off >= h->strings_bytes || d->files[i].build_id_len > 32) {
			snprintf(err, errlen, "descriptor file %u is inconsistent", i);
			return -CLEAVE_E_DESC;
		}
	}
	if (h->cwd_off != ~0u && h->cwd_off >= h->strings_bytes) {
		snprintf(err, errlen, "descriptor cwd is inconsistent");
		return -CLEAVE_E_DESC;
	}
	return 0;
}

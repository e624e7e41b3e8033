#define _GNU_SOURCE
#include "holderio.h"

#include <errno.h>
#include <sys/uio.h>

int holder_read(pid_t pid, const struct msg_range *r, uint32_t n, void *dst)
{
	struct iovec local[256], remote[256];
	char *out = dst;
	uint32_t i = 0;
	while (i < n) {
		uint32_t k = 0;
		size_t want = 0;
		for (; i < n && k < 256; i++, k++) {
			size_t len = (size_t)r[i].npages * PAGE_SZ;
			remote[k].iov_base = (void *)(uintptr_t)r[i].addr;
			remote[k].iov_len = len;
			local[k].iov_base = out + want;
			local[k].iov_len = len;
			want += len;
		}
		size_t got = 0;
		while (got < want) {
			/* A short read means a range crossed into memory the holder lacks. */
			ssize_t m = process_vm_readv(pid, local, k, remote, k, 0);
			if (m < 0)
				return -1;
			if (m == 0) {
				errno = EFAULT;
				return -1;
			}
			got += (size_t)m;
			if (got < want) {
				/* advance both iovec arrays past m bytes */
				size_t skip = (size_t)m;
				uint32_t j = 0;
				while (j < k && skip >= local[j].iov_len) {
					skip -= local[j].iov_len;
					j++;
				}
				for (uint32_t t = 0; t + j < k; t++) {
					local[t] = local[t + j];
					remote[t] = remote[t + j];
				}
				k -= j;
				local[0].iov_base = (char *)local[0].iov_base + skip;
				local[0].iov_len -= skip;
				remote[0].iov_base = (char *)remote[0].iov_base + skip;
				remote[0].iov_len -= skip;
			}
		}
		out += want;
	}
	return 0;
}

int desc_for_each_fetch_run(const struct desc *d, fetch_run_fn fn, void *ctx)
{
	for (uint32_t i = 0; i < d->h->nvmas; i++) {
		const struct desc_vma *v = &d->vmas[i];
		if (!v->fetch_pages)
			continue;
		const uint8_t *bm = d->bitmap + v->bitmap_off;
		uint64_t np = (v->end - v->start) / PAGE_SZ;
		for (uint64_t p = 0; p < np;) {
			if (!bit_get(bm, p)) {
				p++;
				continue;
			}
			uint64_t q = p;
			while (q < np && bit_get(bm, q) && q - p < MAX_READ_PAGES)
				q++;
			int r = fn(ctx, v->start + p * PAGE_SZ, (uint32_t)(q - p));
			if (r != 0)
				return r;
			p = q;
		}
	}
	return 0;
}

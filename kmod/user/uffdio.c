/* The pager's userfaultfd operations on the child: copy, zero and continue (map the cache file's page). */
#define _GNU_SOURCE
#include "pager_int.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int drain_events(struct pager *p)
{
	struct uffd_msg msgs[16];
	for (;;) {
		ssize_t n = read(p->uffd, msgs, sizeof msgs);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -1;
		}
		for (size_t i = 0; i < (size_t)n / sizeof msgs[0]; i++) {
			if (msgs[i].event == UFFD_EVENT_PAGEFAULT) {
				if (p->npending == p->cappending) {
					p->cappending = p->cappending ? p->cappending * 2 : 64;
					p->pending = realloc(p->pending, p->cappending * sizeof *p->pending);
					if (!p->pending)
						return -1;
				}
				p->pending[p->npending++] = msgs[i];
			} else {
				pg_handle_event(p, &msgs[i]);
			}
		}
	}
}

/*
 * Copies len bytes to dst in the child.  Returns 1 when every page of the run is present
 * afterwards (copied now, or EEXIST), 0 when some page had no mapping there any more (the
 * child unmapped or moved it meanwhile): then the caller must not mark the run resident.
 */
int pg_uffd_copy(struct pager *p, uint64_t dst, const void *src, uint64_t len)
{
	uint64_t done = 0;
	int all = 1;
	while (done < len) {
		struct uffdio_copy c = {dst + done, (uint64_t)(uintptr_t)src + done, len - done, 0, 0};
		if (ioctl(p->uffd, UFFDIO_COPY, &c) == 0)
			break;
		int e = errno;
		if (c.copy > 0) {
			done += (uint64_t)c.copy;
			continue;
		}
		if (e == EAGAIN) { /* the child's layout is changing: read its events first */
			if (drain_events(p) != 0)
				return 0;
			continue;
		}
		if (e != EEXIST)
			all = 0;
		if (e == ESRCH)
			break;
		done += PAGE_SZ;
	}
	return all;
}

void pg_uffd_zero(struct pager *p, uint64_t dst, uint64_t len)
{
	for (int tries = 0; tries < 64; tries++) {
		struct uffdio_zeropage z = {{dst, len}, 0, 0};
		if (ioctl(p->uffd, UFFDIO_ZEROPAGE, &z) == 0)
			return;
		if (errno == EAGAIN) {
			if (drain_events(p) != 0)
				return;
			continue;
		}
		if (z.zeropage > 0 && (uint64_t)z.zeropage < len) {
			dst += (uint64_t)z.zeropage;
			len -= (uint64_t)z.zeropage;
			continue;
		}
		break;
	}
	/* Whatever is left is present or unmapped: let the faulting thread retry. */
	struct uffdio_range w = {dst, len};
	ioctl(p->uffd, UFFDIO_WAKE, &w);
}

/*
 * Maps len bytes at dst in a BM_SHARED VMA to the cache file's pages there (read-only until the
 * child writes one, which then gets its private copy).  Returns like uffd_copy, or -1 when a page
 * is not in the file (*done: the bytes mapped before it).
 */
static int uffd_continue(struct pager *p, uint64_t dst, uint64_t len, uint64_t *done)
{
	int all = 1;
	*done = 0;
	while (*done < len) {
		struct uffdio_continue c = {{dst + *done, len - *done}, 0, 0};
		if (ioctl(p->uffd, UFFDIO_CONTINUE, &c) == 0)
			break;
		int e = errno;
		if (c.mapped > 0) {
			*done += (uint64_t)c.mapped;
			continue;
		}
		if (e == EAGAIN) {
			if (drain_events(p) != 0)
				return 0;
			continue;
		}
		if (e == EFAULT)
			return -1;
		if (e != EEXIST)
			all = 0;
		if (e == ESRCH)
			break;
		*done += PAGE_SZ;
	}
	return all;
}

/*
 * Puts seed content at dst: in a shared VMA the cache file's pages (src, when given, is the same
 * content, copied privately if the file lacks it: a failed cache write), elsewhere a copy of src.
 */
int pg_land(struct pager *p, uint32_t vi, uint64_t dst, const char *src, uint64_t len)
{
	if (!p->vs[vi].shared)
		return pg_uffd_copy(p, dst, src, len);
	uint64_t done;
	int r = uffd_continue(p, dst, len, &done);
	if (r >= 0)
		return r;
	if (!src)
		return -2; /* the bitmap says cached, the file has no such page */
	return pg_uffd_copy(p, dst + done, src + done, len - done);
}

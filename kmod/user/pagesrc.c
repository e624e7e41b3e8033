/* The pager's page sources: the page server (batched reads) and the node's page cache file. */
#define _GNU_SOURCE
#include "pager_int.h"
#include "../include/cleave_fork.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int pg_net_send_read(struct pager *p, const struct msg_range *r, uint32_t n)
{
	if (msg_send(p->net, M_READ, 0, r, n * (uint32_t)sizeof *r, NULL, 0) != 0) {
		p->lost = 1;
		fprintf(stderr, "cleave-restore: page server %s lost: %s\n", p->server,
			strerror(errno));
		return -1;
	}
	return 0;
}

int pg_net_recv_data(struct pager *p, void *dst, uint64_t bytes)
{
	struct msg_hdr h;
	if (msg_recv_hdr(p->net, &h, NULL, 0, NULL) != 0) {
		p->lost = 1;
		fprintf(stderr, "cleave-restore: page server %s lost: %s\n", p->server,
			errno ? strerror(errno) : "connection closed");
		return -1;
	}
	if (h.status != 0 || h.type != M_DATA || h.len != bytes) {
		char msg[200] = "";
		if (h.status && h.len < sizeof msg && read_full(p->net, msg, h.len) != 0)
			msg[0] = 0;
		p->lost = 1;
		fprintf(stderr, "cleave-restore: page server %s refused a page batch: %s (%s)\n",
			p->server, cleave_strerror(h.status ? h.status : CLEAVE_E_SERVER), msg);
		return -1;
	}
	if (read_full(p->net, dst, bytes) != 0) {
		p->lost = 1;
		fprintf(stderr, "cleave-restore: page server %s lost mid-batch: %s\n", p->server,
			errno ? strerror(errno) : "connection closed");
		return -1;
	}
	p->s.net_batches++;
	p->s.net_bytes += bytes;
	return 0;
}

int pg_net_read(struct pager *p, const struct msg_range *r, uint32_t n, void *dst,
		    uint64_t bytes)
{
	return pg_net_send_read(p, r, n) != 0 ? -1 : pg_net_recv_data(p, dst, bytes);
}

int pg_cache_has(const struct pager *p, uint64_t idx)
{
	return p->cache_map &&
	       ((__atomic_load_n(&p->cache_map[idx >> 3], __ATOMIC_ACQUIRE) >> (idx & 7)) & 1);
}

/* Where the cached page of fetch index idx (seed address seed_addr) is in the cache file. */
static off_t cache_off(const struct pager *p, uint64_t idx, uint64_t seed_addr)
{
	return (off_t)(p->share ? PAGER_CACHE_BASE + seed_addr : p->cache_data_off + idx * PAGE_SZ);
}

/*
 * Adds the seed page at seed_addr (fetch index idx) to the node cache.  A whole-page write: a
 * child mapping the file meanwhile finds the page absent or complete, never half written (the
 * kernel holds the page locked while it is filled).
 */
void pg_cache_put(struct pager *p, uint64_t idx, uint64_t seed_addr, const void *src)
{
	if (!p->cache_map)
		return;
	if (pwrite(p->cache_fd, src, PAGE_SZ, cache_off(p, idx, seed_addr)) != PAGE_SZ)
		return; /* not cached: the next child fetches it again */
	__atomic_fetch_or(&p->cache_map[idx >> 3], (uint8_t)(1u << (idx & 7)), __ATOMIC_RELEASE);
}

/* Reads n cached pages from fetch index idx (seed address seed_addr) on; 0 when all were read. */
int pg_cache_read(struct pager *p, uint64_t idx, uint64_t seed_addr, void *dst, uint32_t n)
{
	size_t len = (size_t)n * PAGE_SZ;
	return pread(p->cache_fd, dst, len, cache_off(p, idx, seed_addr)) == (ssize_t)len
		       ? 0
		       : -1;
}

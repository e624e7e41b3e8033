/* Opening the pager: from a page server (the descriptor, then the node cache) or a checkpoint file. */
#define _GNU_SOURCE
#include "pager_int.h"
#include "../include/cleave_fork.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

static int setup_state(struct pager *p)
{
	const struct desc *d = &p->d;
	p->vs = calloc(d->h->nvmas ? d->h->nvmas : 1, sizeof *p->vs);
	p->buf = malloc((size_t)MAX_READ_PAGES * PAGE_SZ);
	p->filebuf = malloc((size_t)MAX_READ_PAGES * PAGE_SZ);
	p->ranges = malloc(sizeof(struct msg_range) * MAX_READ_RANGES);
	p->batch_addr = malloc(sizeof(uint64_t) * MAX_READ_PAGES);
	if (!p->vs || !p->buf || !p->filebuf || !p->ranges || !p->batch_addr)
		return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
	for (uint32_t i = 0; i < d->h->nvmas; i++) {
		const struct desc_vma *v = &d->vmas[i];
		int lazy = v->kind == VK_STACK || (v->kind == VK_ANON && v->fetch_pages) ||
			   (v->kind == VK_FILEANON && v->fetch_pages);
		if (!lazy)
			continue;
		uint64_t np = (v->end - v->start) / PAGE_SZ;
		struct vstate *s = &p->vs[i];
		s->lazy = 1;
		s->shared = pager_shares(p, i);
		s->st = calloc(np, 1);
		s->rank = calloc(np / 64 + 1, sizeof(uint32_t));
		if (!s->st || !s->rank)
			return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
		const uint8_t *bm = d->bitmap + v->bitmap_off;
		uint32_t acc = 0;
		for (uint64_t b = 0; b <= np / 64; b++) {
			s->rank[b] = acc;
			for (uint64_t q = b * 64; q < np && q < b * 64 + 64; q++)
				acc += (uint32_t)bit_get(bm, q);
		}
		if (p->nrg == p->caprg) {
			p->caprg = p->caprg ? p->caprg * 2 : 64;
			p->rg = realloc(p->rg, p->caprg * sizeof *p->rg);
			if (!p->rg)
				return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
		}
		p->rg[p->nrg++] = (struct region){v->start, v->end - v->start, v->start, i};
	}
	return 0;
}

static int alloc_pager(struct pager **out, const struct pager_opts *o)
{
	struct pager *p = calloc(1, sizeof *p);
	if (!p)
		return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
	p->o = *o;
	if (!p->o.batch)
		p->o.batch = 4;
	if (p->o.batch > MAX_READ_PAGES)
		p->o.batch = MAX_READ_PAGES;
	if (p->o.record)
		p->o.batch = 1; /* record the exact working set, not the read-ahead around it */
	p->net = -1;
	p->uffd = -1;
	p->cache_fd = -1;
	*out = p;
	return 0;
}

static void cache_drop_handle(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	size_t pl = strlen(prefix);
	while ((e = readdir(d)))
		if (strncmp(e->d_name, prefix, pl) == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static void open_cache(struct pager *p, const char *host, int port)
{
	const char *dir = p->o.cache_dir;
	if (!dir || !strcmp(dir, "none") || !p->d.h->fetch_pages)
		return;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "cleave-restore: cache dir %s: %s (no cache)\n", dir, strerror(errno));
		return;
	}
	/*
	 * On a tmpfs a lazy child maps the file itself (uffd minor faults need shmem): the node's
	 * children then share the seed pages they only read, as a local fork shares its seed's.
	 * An eager child has no handler after its start to keep dropped pages zero, so it copies.
	 */
	struct statfs sf;
	p->share = !p->o.eager && !p->o.no_share && statfs(dir, &sf) == 0 &&
		   sf.f_type == TMPFS_MAGIC;
	p->share_exec = p->share && !(sf.f_flags & ST_NOEXEC);
	/*
	 * The bitmap of cached pages, then the pages.  Shared: sparse, the seed page at address a at
	 * PAGER_CACHE_BASE + a, up to the end of user addresses (a child's view may grow past its
	 * seed VMA; the handler serves zeros there).  Else dense, in fetch order.
	 */
	char path[4096];
	snprintf(path, sizeof path, "%s/%s_%d_h%llu_%016llx%s.pages", dir, host, port,
		 (unsigned long long)p->handle, (unsigned long long)p->d.h->nonce,
		 p->share ? "_shared" : "");
	uint64_t bm = ((p->d.h->fetch_pages + 7) / 8 + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	uint64_t size = p->share ? PAGER_CACHE_BASE * 2 : bm + p->d.h->fetch_pages * PAGE_SZ;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "cleave-restore: cache %s: %s (no cache)\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		p->share = 0;
		return;
	}
	if ((uint64_t)st.st_size != size && (st.st_size != 0 || ftruncate(fd, (off_t)size) != 0)) {
		close(fd);
		p->share = 0;
		return;
	}
	void *m = mmap(NULL, bm, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "cleave-restore: map cache %s: %s (no cache)\n", path, strerror(errno));
		close(fd);
		p->share = 0;
		return;
	}
	p->cache_map = m;
	p->cache_len = bm;
	p->cache_fd = fd;
	p->cache_data_off = bm;
}

int pager_open_server(struct pager **out, const char *server, uint64_t handle,
		      const uint8_t key[16], const struct pager_opts *o)
{
	char host[128];
	int port;
	if (parse_hostport(server, host, sizeof host, &port) != 0)
		return cl_fail(CLEAVE_E_INVAL, "restore: --server wants HOST:PORT, got '%s'", server);
	int r = alloc_pager(out, o);
	if (r < 0)
		return r;
	struct pager *p = *out;
	snprintf(p->server, sizeof p->server, "%s", server);
	p->handle = handle;
	/* A sandboxed restorer has no route to the page server: its container's helper connects
	 * for it, from the node's network, and hands the connection down. */
	p->net = o->server_fd >= 0 ? o->server_fd : tcp_connect(host, port);
	if (p->net < 0)
		return cl_fail(CLEAVE_E_SERVER, "restore: connect to page server %s: %s", server,
			       errno == EINVAL ? "HOST must be an IPv4 address" : strerror(errno));
	struct msg_auth auth;
	auth.handle = handle;
	memcpy(auth.key, key, 16);
	struct msg_hdr h;
	if (msg_send(p->net, M_HELLO, 0, &auth, sizeof auth, NULL, 0) != 0 ||
	    msg_recv_hdr(p->net, &h, NULL, 0, NULL) != 0)
		return cl_fail(CLEAVE_E_SERVER, "restore: page server %s: %s", server,
			       errno ? strerror(errno) : "closed the connection");
	if (h.status != 0) {
		if (h.status == CLEAVE_E_NOHANDLE && o->cache_dir && strcmp(o->cache_dir, "none")) {
			char prefix[200];
			snprintf(prefix, sizeof prefix, "%s_%d_h%llu_", host, port,
				 (unsigned long long)handle);
			cache_drop_handle(o->cache_dir, prefix);
		}
		return cl_fail(h.status, "restore: page server %s refused handle %llu: %s", server,
			       (unsigned long long)handle, cleave_strerror(h.status));
	}
	if (h.type != M_DESC || h.len > DESC_MAX_BYTES)
		return cl_fail(CLEAVE_E_SERVER, "restore: unexpected reply from %s", server);
	p->descbuf = malloc(h.len ? h.len : 1);
	if (!p->descbuf)
		return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
	if (read_full(p->net, p->descbuf, h.len) != 0)
		return cl_fail(CLEAVE_E_DESC, "restore: descriptor truncated: page server %s closed "
					      "after sending part of %u bytes",
			       server, h.len);
	p->s.t_desc = now_ns();
	p->s.net_bytes += h.len;
	char err[256];
	r = desc_parse(p->descbuf, h.len, &p->d, err, sizeof err);
	if (r < 0)
		return cl_fail(-r, "restore: %s", err);
	open_cache(p, host, port); /* before the state: whether VMAs are shared depends on it */
	return setup_state(p);
}

int pager_open_file(struct pager **out, const char *path, const struct pager_opts *o)
{
	int r = alloc_pager(out, o);
	if (r < 0)
		return r;
	struct pager *p = *out;
	p->o.eager = 1;
	snprintf(p->server, sizeof p->server, "%s", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail_sys("restore: open checkpoint %s", path);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return cl_fail_sys("restore: stat checkpoint %s", path);
	}
	if ((uint64_t)st.st_size < sizeof(struct ckpt_hdr)) {
		close(fd);
		return cl_fail(CLEAVE_E_DESC, "restore: checkpoint %s truncated (%lld bytes)", path,
			       (long long)st.st_size);
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return cl_fail_sys("restore: map checkpoint %s", path);
	p->ckpt_map = m;
	p->ckpt_len = (size_t)st.st_size;
	const struct ckpt_hdr *h = m;
	if (h->magic != CKPT_MAGIC || h->version != DESC_VERSION)
		return cl_fail(CLEAVE_E_DESC, "restore: %s is not a cleave checkpoint", path);
	if (h->desc_bytes > p->ckpt_len - sizeof *h)
		return cl_fail(CLEAVE_E_DESC, "restore: checkpoint %s truncated inside its descriptor",
			       path);
	p->descbuf = malloc(h->desc_bytes ? h->desc_bytes : 1);
	if (!p->descbuf)
		return cl_fail(CLEAVE_E_SYS, "restore: out of memory");
	memcpy(p->descbuf, (const char *)m + sizeof *h, h->desc_bytes);
	p->s.t_desc = now_ns();
	char err[256];
	r = desc_parse(p->descbuf, h->desc_bytes, &p->d, err, sizeof err);
	if (r < 0)
		return cl_fail(-r, "restore: checkpoint %s: %s", path, err);
	if (h->data_pages != p->d.h->fetch_pages ||
	    h->data_off + h->data_pages * PAGE_SZ > p->ckpt_len)
		return cl_fail(CLEAVE_E_DESC, "restore: checkpoint %s truncated: pages missing", path);
	p->ckpt_data_off = h->data_off;
	return setup_state(p);
}

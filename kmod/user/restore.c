/*
 * cleave-restore: become a child of a seed snapshot, on this node.
 *
 *   cleave-restore --server HOST:PORT --handle H --key HEX [--eager] [--prefetch FILE]
 *                  [--record FILE] [--cache DIR|none] [--batch N] [--stats FILE]
 *                  [--child-fsize BYTES] [--hold FIFO] [--no-share]
 *   cleave-restore --file CHECKPOINT [--stats FILE]
 *
 * The process forks: the child rebuilds the seed's address space at identical addresses and
 * continues in the seed's code (cleave_prepare returns CLEAVE_CHILD there); this process stays
 * as its fault handler and exits with the child's status.  Refusals (bad key, corrupt
 * descriptor, different vDSO, CPU or library files) happen before the child exists.
 * --stats FILE gets the fault handler's counters as one JSON line ("exit" null while the child
 * runs): rewritten at most once a second while they change, and at exit.
 * With --cache on a tmpfs, a lazy child's anonymous memory with seed pages is a private mapping
 * of the node's cache file (pageropen.c): the node's children share the pages they only read;
 * --no-share copies them into each child instead.
 * --hold FIFO: once the descriptor is fetched and checked, wait (before the child exists) until a
 * byte can be read from FIFO, ending with 70 if the page server goes meanwhile (see hold.c).
 */
#define _GNU_SOURCE
#include "../include/cleave_fork.h"
#include "blob.h"
#include "ctl.h"
#include "desc.h"
#include "hold.h"
#include "modresume.h"
#include "net.h"
#include "pager.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char __start_cleave_blob[], __stop_cleave_blob[];

#define EXIT_REFUSED 65
#define KEEP_FD_MIN 500
#define BLOB_STACK (64u << 10)
#define BLOB_MARGIN (16ull << 20)

static void usage(void)
{
	fprintf(stderr,
		"usage: cleave-restore --server HOST:PORT --handle H --key HEX [--eager]\n"
		"                      [--prefetch FILE] [--record FILE] [--cache DIR|none]\n"
		"                      [--batch N] [--stats FILE] [--uffd-dev-fd N] [--server-fd N]\n"
		"                      [--child-fsize BYTES] [--hold FIFO] [--no-share]\n"
		"       cleave-restore --file CHECKPOINT [--stats FILE]\n");
	exit(64);
}

static int parse_key(const char *s, uint8_t key[16])
{
	if (strlen(s) != 32)
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		key[i] = (uint8_t)v;
	}
	return 0;
}

/* ---- refusals: everything the child would silently depend on ---- */

static int check_cpu(const struct desc *d)
{
	uint32_t here[DESC_NCPU];
	cpu_features(here);
	for (int i = 0; i < DESC_NCPU; i++) {
		uint32_t missing = d->h->cpu[i] & ~here[i];
		if (missing)
			return cl_fail(CLEAVE_E_CPU,
				       "this CPU lacks features the seed uses: %s bits %#x missing",
				       cpu_word_name(i), missing);
	}
	return 0;
}

struct vdso_plan {
	uint64_t cur[3], len[3], tgt[3];
};

static int check_vdso(const struct desc *d, struct vdso_plan *vp)
{
	static const char *names[3] = {"[vvar]", "[vvar_vclock]", "[vdso]"};
	static const int kinds[3] = {VK_VVAR, VK_VCLOCK, VK_VDSO};
	memset(vp, 0, sizeof *vp);
	uint64_t hs[3], hl[3];
	if (self_specials(hs, hl) != 0)
		return cl_fail(CLEAVE_E_VDSO, "cannot read /proc/self/maps: %s", strerror(errno));
	for (int i = 0; i < 3; i++) {
		const struct desc_vma *sv = NULL;
		for (uint32_t k = 0; k < d->h->nvmas; k++)
			if (d->vmas[k].kind == kinds[i])
				sv = &d->vmas[k];
		uint64_t s = hs[i], l = hl[i];
		int here = l != 0;
		if (!sv && !here)
			continue;
		if (!sv || !here || sv->end - sv->start != l)
			return cl_fail(CLEAVE_E_VDSO,
				       "this kernel's vDSO layout differs from the seed's: %s is %llu "
				       "bytes here, %llu in the seed",
				       names[i], here ? (unsigned long long)l : 0ull,
				       sv ? (unsigned long long)(sv->end - sv->start) : 0ull);
		vp->cur[i] = s;
		vp->len[i] = l;
		vp->tgt[i] = sv->start;
	}
	if (!vp->len[2])
		return cl_fail(CLEAVE_E_VDSO, "the seed has no vDSO");
	uint64_t h = vdso_hash_at(vp->cur[2], vp->len[2]);
	if (h != d->h->vdso_hash)
		return cl_fail(CLEAVE_E_VDSO,
			       "this kernel's vDSO differs from the seed's (hash %016llx here, "
			       "%016llx in the seed): the seed's cached vDSO pointers would break",
			       (unsigned long long)h, (unsigned long long)d->h->vdso_hash);
	return 0;
}

static void hex(const uint8_t *b, uint32_t n, char *out)
{
	for (uint32_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = 0;
}

/*
 * Node-wide memo of file identities (in the cache directory), keyed by what changes whenever
 * a file's content can: device, inode, size, mtime and ctime.  Saves reading ELF notes or
 * hashing data files on every restore.
 */
struct ident_rec {
	uint64_t dev, ino, size, mtime_ns, ctime_ns;
	struct file_ident id;
};

struct ident_memo {
	struct ident_rec *recs;
	size_t n;
	int fd; /* append-only; -1 = no memo */
};

static void memo_open(struct ident_memo *m, const char *cache_dir)
{
	memset(m, 0, sizeof *m);
	m->fd = -1;
	if (!cache_dir || !strcmp(cache_dir, "none"))
		return;
	if (mkdir(cache_dir, 0700) != 0 && errno != EEXIST)
		return;
	char path[4096];
	snprintf(path, sizeof path, "%s/file-identities", cache_dir);
	m->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	struct stat st;
	if (m->fd < 0 || fstat(m->fd, &st) != 0)
		return;
	size_t n = (size_t)st.st_size / sizeof(struct ident_rec);
	m->recs = malloc((n ? n : 1) * sizeof *m->recs);
	if (m->recs && pread(m->fd, m->recs, n * sizeof *m->recs, 0) == (ssize_t)(n * sizeof *m->recs))
		m->n = n;
}

static uint64_t ts_ns(struct timespec t) { return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec; }

static int memo_ident(struct ident_memo *m, int fd, struct file_ident *id)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -1;
	struct ident_rec key;
	memset(&key, 0, sizeof key);
	key.dev = st.st_dev;
	key.ino = st.st_ino;
	key.size = (uint64_t)st.st_size;
	key.mtime_ns = ts_ns(st.st_mtim);
	key.ctime_ns = ts_ns(st.st_ctim);
	for (size_t i = 0; i < m->n; i++) {
		const struct ident_rec *r = &m->recs[i];
		if (r->dev == key.dev && r->ino == key.ino && r->size == key.size &&
		    r->mtime_ns == key.mtime_ns && r->ctime_ns == key.ctime_ns) {
			*id = r->id;
			return 0;
		}
	}
	if (file_ident_fd(fd, id) != 0)
		return -1;
	if (m->fd >= 0) {
		key.id = *id;
		if (write(m->fd, &key, sizeof key) != (ssize_t)sizeof key) {
			close(m->fd); /* a memo that cannot grow is simply not used further */
			m->fd = -1;
		}
	}
	return 0;
}

static int check_files(const struct desc *d, int *fds, const char *cache_dir)
{
	struct ident_memo memo;
	memo_open(&memo, cache_dir);
	int r = 0;
	for (uint32_t i = 0; i < d->h->nfiles; i++)
		fds[i] = -1;
	for (uint32_t i = 0; i < d->h->nfiles; i++) {
		const struct desc_file *f = &d->files[i];
		const char *path = d->strings + f->path_off;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = cl_fail(CLEAVE_E_LIBRARY, "the seed mapped %s, which is missing here: %s",
				    path, strerror(errno));
			break;
		}
		fds[i] = fd;
		struct file_ident id;
		if (memo_ident(&memo, fd, &id) != 0) {
			r = cl_fail(CLEAVE_E_LIBRARY, "cannot identify %s: %s", path, strerror(errno));
			break;
		}
		if (f->build_id_len) {
			if (id.build_id_len != f->build_id_len ||
			    memcmp(id.build_id, f->build_id, f->build_id_len) != 0 || id.size != f->size) {
				char a[65], b[65];
				hex(f->build_id, f->build_id_len, a);
				hex(id.build_id, id.build_id_len, b);
				r = cl_fail(CLEAVE_E_LIBRARY,
					       "%s differs from the seed's: build id %s here, %s in the "
					       "seed (size %llu vs %llu)",
					       path, id.build_id_len ? b : "(none)", a,
					       (unsigned long long)id.size, (unsigned long long)f->size);
				break;
			}
		} else if (id.size != f->size || id.hash != f->hash || id.build_id_len) {
			r = cl_fail(CLEAVE_E_LIBRARY,
				       "%s differs from the seed's (size %llu vs %llu, content hash "
				       "%016llx vs %016llx)",
				       path, (unsigned long long)id.size, (unsigned long long)f->size,
				       (unsigned long long)id.hash, (unsigned long long)f->hash);
			break;
		}
	}
	if (memo.fd >= 0)
		close(memo.fd);
	free(memo.recs);
	return r;
}

/* ---- child side: prepare the blob and jump ---- */

static void child_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void child_die(const char *fmt, ...)
{
	va_list ap;
	char msg[512];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "cleave-restore: child setup: %s\n", msg);
	_exit(1);
}

/*
 * dev_fd: an open /dev/userfaultfd handed down by a privileged parent (forkd's container helper)
 * to a restorer that runs unprivileged, or -1.
 */
static int make_uffd(int dev_fd, int minor)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		/* /dev/userfaultfd grants kernel-mode fault handling without the sysctl. */
		int dev = dev_fd >= 0 ? dev_fd : open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
		if (dev < 0)
			return -1;
		fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
		int e = errno;
		close(dev);
		errno = e;
		if (fd < 0)
			return -1;
	} else if (dev_fd >= 0) {
		close(dev_fd);
	}
	struct uffdio_api api = {UFFD_API,
				 UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE |
					 UFFD_FEATURE_EVENT_UNMAP | (minor ? UFFD_FEATURE_MINOR_SHMEM : 0),
				 0};
	if (ioctl(fd, UFFDIO_API, &api) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

/* Picks a spot for the blob that no seed mapping uses and this process does not use now. */
static void *map_blob_area(const struct desc *d, uint64_t size)
{
	uint64_t lo = 0x10000000ull, hi = 0x7fff00000000ull;
	uint64_t prev = lo;
	for (uint32_t i = 0; i <= d->h->nvmas; i++) {
		uint64_t gs = prev, ge = i < d->h->nvmas ? d->vmas[i].start : hi;
		if (i < d->h->nvmas)
			prev = d->vmas[i].end > prev ? d->vmas[i].end : prev;
		if (ge <= gs || ge - gs < size + 2 * BLOB_MARGIN)
			continue;
		for (uint64_t at = align_up(gs + BLOB_MARGIN, 1ull << 21);
		     at + size + BLOB_MARGIN <= ge && at < gs + (64ull << 30); at += 1ull << 30) {
			void *m = mmap((void *)at, size, PROT_READ | PROT_WRITE | PROT_EXEC,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (m == (void *)at)
				return m;
			if (m != MAP_FAILED)
				munmap(m, size);
		}
	}
	return NULL;
}

/* Reads /proc/self/maps without allocating, returning ranges to drop except keep/specials. */
static uint32_t own_mappings(struct blob_range *out, uint32_t max, uint64_t keep_lo,
			     uint64_t keep_hi)
{
	static char buf[1 << 20];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ~0u;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	uint32_t cnt = 0;
	for (char *line = buf; *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char *end;
		uint64_t s = strtoull(line, &end, 16);
		uint64_t e = strtoull(end + 1, &end, 16);
		int special = strstr(line, "[vdso]") || strstr(line, "[vvar]") ||
			      strstr(line, "[vvar_vclock]") || strstr(line, "[vsyscall]");
		if (!special && !(s >= keep_lo && e <= keep_hi)) {
			if (cnt == max)
				return ~0u;
			out[cnt].start = s;
			out[cnt].len = e - s;
			cnt++;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return cnt;
}

static __attribute__((noreturn)) void child_main(const struct desc *d, const int *files,
						  const struct vdso_plan *vp, int ctl, int eager,
						  pid_t parent, int uffd_dev, int modfd,
						  const struct pager *pg)
{
	/* The handler's death must take the child along, never leave it on zero pages. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		child_die("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
	if (getppid() != parent)
		_exit(1);
	/* The handler stays undumpable (see main); the child is an ordinary process again. */
	if (prctl(PR_SET_DUMPABLE, 1) != 0)
		child_die("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
	/* Through the module, the lazy VMAs are mappings of its session file (hi_uffd then holds
	 * that file): no userfaultfd, the kernel serves the faults. */
	int share = pg ? pager_share_fd(pg) : -1;
	int uffd = modfd >= 0 ? modfd : make_uffd(uffd_dev, share >= 0);
	if (uffd < 0)
		child_die("userfaultfd: %s", strerror(errno));
	int hi_uffd = fcntl(uffd, F_DUPFD_CLOEXEC, KEEP_FD_MIN);
	int hi_ctl = fcntl(ctl, F_DUPFD_CLOEXEC, KEEP_FD_MIN);
	int hi_share = share >= 0 ? fcntl(share, F_DUPFD_CLOEXEC, KEEP_FD_MIN) : -1;
	if (hi_uffd < 0 || hi_ctl < 0 || (share >= 0 && hi_share < 0))
		child_die("fcntl(F_DUPFD_CLOEXEC): %s", strerror(errno));
	if (modfd < 0 && msg_send(hi_ctl, M_STATUS, 0, NULL, 0, &hi_uffd, 1) != 0)
		child_die("send userfaultfd to the handler: %s", strerror(errno));
	close(uffd);
	close(ctl);
	const struct desc_hdr *h = d->h;
	umask((mode_t)h->umask);
	if (h->cwd_off != ~0u && chdir(d->strings + h->cwd_off) != 0)
		fprintf(stderr, "cleave-restore: seed cwd %s missing here; staying in %s\n",
			d->strings + h->cwd_off, "the restorer's");
	prctl(PR_SET_NAME, h->comm);

	/* Sizes of everything that goes into the blob area. */
	uint64_t code = (uint64_t)(__stop_cleave_blob - __start_cleave_blob);
	uint32_t nmaps = h->nvmas, max_unmap = 4096, nclose = h->nfiles;
	uint64_t args_off = align_up(code, 64);
	uint64_t maps_off = align_up(sizeof(struct blob_args), 64);
	uint64_t unmap_off = align_up(maps_off + (uint64_t)nmaps * sizeof(struct blob_map), 64);
	uint64_t close_off = align_up(unmap_off + (uint64_t)max_unmap * sizeof(struct blob_range), 64);
	uint64_t auxv_off = align_up(close_off + (uint64_t)(nclose + 1) * 4 + 4, 64);
	uint64_t frame_off = align_up(auxv_off + h->auxv_bytes, 64);
	uint64_t args_len = frame_off + sizeof(struct k_rt_frame);
	uint64_t stack_off = align_up(args_off + args_len, PAGE_SZ);
	uint64_t park_off = stack_off + BLOB_STACK;
	uint64_t vspan = 0, vmin = ~0ull, vmax = 0;
	for (int i = 0; i < 3; i++) {
		if (!vp->len[i])
			continue;
		vmin = vp->tgt[i] < vmin ? vp->tgt[i] : vmin;
		vmax = vp->tgt[i] + vp->len[i] > vmax ? vp->tgt[i] + vp->len[i] : vmax;
	}
	vspan = vmax - vmin;
	uint64_t total = align_up(park_off + vspan, PAGE_SZ);
	char *area = map_blob_area(d, total);
	if (!area)
		child_die("no free spot for the restorer blob in the seed's layout");
	memcpy(area, __start_cleave_blob, code);
	struct blob_args *a = (struct blob_args *)(area + args_off);
	char *ab = (char *)a;
	a->base = (uint64_t)(uintptr_t)area;
	a->len = total;
	a->uffd = modfd >= 0 ? -1 : hi_uffd;
	a->ctl = hi_ctl;
	a->eager = (uint32_t)eager;
	a->devfd = modfd >= 0 ? hi_uffd : -1;
	a->module = modfd >= 0;
	a->maps_off = maps_off;
	a->unmap_off = unmap_off;
	a->close_off = close_off;
	if (__rseq_size > 0) {
		a->own_rseq_addr = (uint64_t)(uintptr_t)((char *)__builtin_thread_pointer() + __rseq_offset);
		a->own_rseq_len = __rseq_size < 32 ? 32 : __rseq_size;
	}
	a->rseq_sig = RSEQ_SIG;
	for (int i = 0; i < 3; i++) {
		a->vdso_cur[i] = vp->cur[i];
		a->vdso_len[i] = vp->len[i];
		a->vdso_tgt[i] = vp->tgt[i];
	}
	a->vdso_park = (uint64_t)(uintptr_t)area + park_off;
	struct blob_map *bm = (struct blob_map *)(ab + maps_off);
	uint32_t nm = 0;
	for (uint32_t i = 0; i < h->nvmas; i++) {
		const struct desc_vma *v = &d->vmas[i];
		struct blob_map *m = &bm[nm];
		memset(m, 0, sizeof *m);
		m->start = v->start;
		m->len = v->end - v->start;
		m->prot = v->prot;
		m->fd = -1;
		switch (v->kind) {
		case VK_VVAR:
		case VK_VCLOCK:
		case VK_VDSO:
			continue;
		case VK_FILE:
			m->how = BM_FILE;
			m->fd = files[v->file];
			m->off = v->file_off;
			m->flags = v->shared ? MAP_SHARED : MAP_PRIVATE;
			break;
		case VK_FILEANON:
			if (!v->fetch_pages) { /* nothing the seed wrote: the file is the content */
				m->how = BM_FILE;
				m->fd = files[v->file];
				m->off = v->file_off;
				m->flags = MAP_PRIVATE;
			} else {
				m->how = BM_ANON;
				m->lazy = 1;
			}
			break;
		case VK_ANON:
			m->how = BM_ANON;
			m->lazy = v->fetch_pages != 0;
			if (hi_share >= 0 && pager_shares(pg, i)) {
				m->how = BM_SHARED;
				m->fd = hi_share;
				m->off = PAGER_CACHE_BASE + v->start;
				m->flags = MAP_PRIVATE | MAP_NORESERVE;
			}
			break;
		case VK_STACK:
			m->how = BM_STACK;
			m->lazy = 1;
			break;
		default: /* VK_EMPTY */
			m->how = BM_ANON;
			break;
		}
		nm++;
	}
	a->nmaps = nm;
	int32_t *cl = (int32_t *)(ab + close_off);
	uint32_t nc = 0;
	for (uint32_t i = 0; i < h->nfiles; i++)
		if (files[i] >= 0)
			cl[nc++] = files[i];
	if (hi_share >= 0)
		cl[nc++] = hi_share;
	a->nclose = nc;
	memcpy(ab + auxv_off, d->auxv, h->auxv_bytes);
	a->mm.start_code = h->mm.start_code;
	a->mm.end_code = h->mm.end_code;
	a->mm.start_data = h->mm.start_data;
	a->mm.end_data = h->mm.end_data;
	a->mm.start_brk = h->mm.start_brk;
	a->mm.brk = h->mm.brk;
	a->mm.start_stack = h->mm.start_stack;
	a->mm.arg_start = h->mm.arg_start;
	a->mm.arg_end = h->mm.arg_end;
	a->mm.env_start = h->mm.env_start;
	a->mm.env_end = h->mm.env_end;
	a->mm.auxv = (__u64 *)(uintptr_t)(ab + auxv_off);
	a->mm.auxv_size = h->auxv_bytes;
	a->mm.exe_fd = (uint32_t)-1;
	for (int s = 0; s < 64; s++) {
		a->sig[s].handler = h->sig[s].handler;
		a->sig[s].flags = h->sig[s].flags;
		a->sig[s].restorer = h->sig[s].restorer;
		a->sig[s].mask = h->sig[s].mask;
	}
	a->sig_valid = h->sig_valid;
	a->rseq_addr = h->rseq_addr;
	a->rseq_len = h->rseq_len;
	if (h->rseq_len)
		a->rseq_sig = h->rseq_sig;
	a->robust_head = h->robust_head;
	a->robust_len = h->robust_len;
	a->tid_addr = h->regs.tid_addr;
	a->fs_base = h->fs_base;
	a->tail = h->tail;
	/* The frame rt_sigreturn consumes: seed registers, landing in libcleave, seed sigmask. */
	struct k_rt_frame *f = (struct k_rt_frame *)(ab + frame_off);
	memset(f, 0, sizeof *f);
	f->uc.ss_sp = h->altstack_sp;
	f->uc.ss_flags = (int32_t)h->altstack_flags;
	f->uc.ss_size = h->altstack_size;
	f->uc.mc.rbx = h->regs.rbx;
	f->uc.mc.rbp = h->regs.rbp;
	f->uc.mc.r12 = h->regs.r12;
	f->uc.mc.r13 = h->regs.r13;
	f->uc.mc.r14 = h->regs.r14;
	f->uc.mc.r15 = h->regs.r15;
	f->uc.mc.rsp = h->regs.rsp;
	f->uc.mc.rip = h->landing;
	/* a module child stays lazy across its own forks (its VMAs go with it): not CHILD_LAZY */
	int plain = eager || modfd >= 0;
	f->uc.mc.rdi = plain ? (uint64_t)-1 : (uint64_t)hi_uffd;
	f->uc.mc.rsi = plain ? (uint64_t)-1 : (uint64_t)hi_ctl;
	f->uc.mc.rdx = plain ? 0 : CHILD_LAZY;
	f->uc.mc.rcx = h->snap_addr;
	f->uc.mc.eflags = 0x202;
	f->uc.mc.cs = 0x33;
	f->uc.mc.ss = 0x2b;
	f->uc.sigmask = h->sigmask;
	a->frame_off = frame_off;
	a->frame_len = sizeof *f;
	a->frame_dst = ((h->regs.rsp - 1024) & ~15ull) - align_up(sizeof *f, 16);

	/* Drop every fd the child should not inherit: keep stdio, uffd, control and files. */
	int keep[1024], nk = 0;
	keep[nk++] = 0;
	keep[nk++] = 1;
	keep[nk++] = 2;
	keep[nk++] = hi_uffd;
	keep[nk++] = hi_ctl;
	for (uint32_t i = 0; i < nc && nk < 1024; i++)
		keep[nk++] = cl[i];
	for (int i = 1; i < nk; i++)
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (int i = 0; i < nk; i++) {
		unsigned lo = (unsigned)keep[i] + 1, hi2 = i + 1 < nk ? (unsigned)keep[i + 1] - 1 : ~0u;
		if (lo <= hi2)
			syscall(SYS_close_range, lo, hi2, 0);
	}
	uint32_t nu = own_mappings((struct blob_range *)(ab + unmap_off), max_unmap,
				   (uint64_t)(uintptr_t)area, (uint64_t)(uintptr_t)area + total);
	if (nu == ~0u)
		child_die("cannot list the restorer's own mappings");
	a->nunmap = nu;
	uint64_t entry = (uint64_t)(uintptr_t)area +
			 (uint64_t)((char *)&blob_main - __start_cleave_blob);
	uint64_t stack_top = (uint64_t)(uintptr_t)area + stack_off + BLOB_STACK;
	__asm__ volatile("mov %0, %%rsp\n\tcall *%1\n\tud2"
			 :
			 : "r"(stack_top), "r"(entry), "D"(a)
			 : "memory");
	__builtin_unreachable();
}

int main(int argc, char **argv)
{
	struct pager_opts o;
	memset(&o, 0, sizeof o);
	o.t_start = now_ns();
	/* A child that dies mid-conversation must not take its handler down with SIGPIPE (the
	 * child gets the seed's dispositions back in the blob). */
	signal(SIGPIPE, SIG_IGN);
	o.cache_dir = "/dev/shm/cleave-cache";
	o.server_fd = -1;
	const char *server = NULL, *file = NULL, *hold = NULL;
	uint64_t handle = 0;
	uint8_t key[16];
	int have_key = 0, have_handle = 0, uffd_dev = -1, server_fd_missing = 0;
	unsigned long long child_fsize = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--eager")) {
			o.eager = 1;
			continue;
		}
		if (!strcmp(a, "--no-share")) {
			o.no_share = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (!strcmp(a, "--server"))
			server = v;
		else if (!strcmp(a, "--file"))
			file = v;
		else if (!strcmp(a, "--handle")) {
			char *end;
			handle = strtoull(v, &end, 10);
			if (*end || !*v)
				usage();
			have_handle = 1;
		} else if (!strcmp(a, "--key")) {
			if (parse_key(v, key) != 0) {
				fprintf(stderr, "cleave-restore: --key wants 32 hex digits\n");
				return 64;
			}
			have_key = 1;
		} else if (!strcmp(a, "--prefetch"))
			o.prefetch = v;
		else if (!strcmp(a, "--record"))
			o.record = v;
		else if (!strcmp(a, "--hold"))
			hold = v;
		else if (!strcmp(a, "--cache"))
			o.cache_dir = v;
		else if (!strcmp(a, "--stats"))
			o.stats_file = v;
		else if (!strcmp(a, "--batch")) {
			char *end;
			long b = strtol(v, &end, 10);
			if (*end || b < 1 || b > (long)MAX_READ_PAGES)
				usage();
			o.batch = (uint32_t)b;
		} else if (!strcmp(a, "--child-fsize")) {
			char *end;
			child_fsize = strtoull(v, &end, 10);
			if (*end || !*v || !child_fsize)
				usage();
		} else if (!strcmp(a, "--uffd-dev-fd")) {
			char *end;
			long fd = strtol(v, &end, 10);
			if (*end || !*v || fd < 3 || fd > 65535 || fcntl((int)fd, F_GETFD) < 0) {
				fprintf(stderr, "cleave-restore: --uffd-dev-fd %s is not an open descriptor\n", v);
				return 64;
			}
			uffd_dev = (int)fd;
			fcntl(uffd_dev, F_SETFD, FD_CLOEXEC);
		} else if (!strcmp(a, "--server-fd")) {
			char *end;
			long fd = strtol(v, &end, 10);
			if (*end || !*v || fd < 3 || fd > 65535)
				usage();
			/* Closed when whoever was to connect for us could not: the server is unreachable. */
			if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) != 0)
				server_fd_missing = 1;
			else
				o.server_fd = (int)fd;
		} else
			usage();
	}
	if (!!server == !!file || (server && (!have_key || !have_handle)) || (hold && !server))
		usage();
	if (server && server_fd_missing) {
		fprintf(stderr, "cleave-restore: refused: restore: connect to page server %s: no connection "
				"from the container's helper (see its log)\n", server);
		return EXIT_REFUSED;
	}
	struct pager *p = NULL;
	/* The kernel module serves a child's faults when it is loaded; recording a working set, a
	 * connection made by forkd's container helper and checkpoint files stay the twin's. */
	int modfd = -1, r;
	struct desc mod_desc;
	const struct desc *d = &mod_desc;
	if (server && !o.record && !hold && o.server_fd < 0 && modresume_usable(server)) {
		void *buf;
		size_t len;
		char err[256];
		r = modresume_open(server, handle, key, &modfd, &buf, &len);
		if (r == 0 && (r = desc_parse(buf, len, &mod_desc, err, sizeof err)) < 0)
			cl_fail(-r, "restore: descriptor from %s: %s", server, err);
		if (r < 0) {
			fprintf(stderr, "cleave-restore: refused: %s\n", cleave_last_error());
			return EXIT_REFUSED;
		}
	} else {
		r = server ? pager_open_server(&p, server, handle, key, &o) : pager_open_file(&p, file, &o);
		if (r < 0) {
			fprintf(stderr, "cleave-restore: refused: %s\n", cleave_last_error());
			return EXIT_REFUSED;
		}
		d = pager_desc(p);
	}
	struct vdso_plan vp;
	int *files = calloc(d->h->nfiles + 1, sizeof(int));
	if (!files) {
		fprintf(stderr, "cleave-restore: out of memory\n");
		return 1;
	}
	if ((r = check_cpu(d)) < 0 || (r = check_vdso(d, &vp)) < 0 || (r = check_files(d, files, o.cache_dir)) < 0) {
		fprintf(stderr, "cleave-restore: refused: %s\n", cleave_last_error());
		return EXIT_REFUSED;
	}
	if (p)
		pager_set_files(p, files);
	/*
	 * The handler may run as the same unprivileged uid as its child: undumpable, the child can
	 * neither ptrace it nor take its userfaultfd, page cache or server connection through /proc.
	 */
	if (prctl(PR_SET_DUMPABLE, 0) != 0) {
		perror("cleave-restore: prctl(PR_SET_DUMPABLE)");
		return 1;
	}
	if (hold) {
		r = hold_wait(hold, pager_server_fd(p), server);
		if (r != 0)
			return r;
		pager_restart_clock(p, now_ns());
	}
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
		perror("cleave-restore: socketpair");
		return 1;
	}
	fflush(NULL);
	pid_t parent = getpid();
	pid_t child = fork();
	if (child < 0) {
		perror("cleave-restore: fork");
		return 1;
	}
	if (child == 0) {
		close(sp[0]);
		/*
		 * The function's file-size cap (its output file's bound) is the child's alone: the
		 * restorer itself sizes the node's page cache file to the seed's memory.
		 */
		struct rlimit fsz = {child_fsize, child_fsize};
		if (child_fsize && setrlimit(RLIMIT_FSIZE, &fsz) != 0) {
			perror("cleave-restore: setrlimit(RLIMIT_FSIZE) for the child");
			_exit(1);
		}
		child_main(d, files, &vp, sp[1], o.eager || file, parent, uffd_dev, modfd, p);
	}
	close(sp[1]);
	if (uffd_dev >= 0)
		close(uffd_dev); /* only the child makes a userfaultfd, for its own memory */
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pidfd < 0) {
		perror("cleave-restore: pidfd_open");
		kill(child, SIGKILL);
		return 1;
	}
	if (modfd >= 0) {
		struct modresume_opts mo = {o.eager, o.prefetch, o.stats_file, d->h->rss_bytes / PAGE_SZ,
					    d->h->fetch_pages, o.t_start};
		return modresume_run(modfd, child, pidfd, sp[0], &mo);
	}
	return pager_run(p, child, pidfd, sp[0]);
}

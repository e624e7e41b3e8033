/*
 * cleave-restore's child side: it maps the blob, sets up userfaultfd, hands it to the handler and
 * jumps into the blob, which rebuilds the seed's address space and continues in its code.
 */
#define _GNU_SOURCE
#include "blob.h"
#include "ctl.h"
#include "net.h"
#include "restore_int.h"

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
#include <sys/stat.h>
#include <sys/syscall.h>

extern char __start_cleave_blob[], __stop_cleave_blob[];

#define KEEP_FD_MIN 500
#define BLOB_STACK (64u << 10)
#define BLOB_MARGIN (16ull << 20)

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

__attribute__((noreturn)) void rs_child_main(const struct desc *d, const int *files,
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

/*
 * The restorer blob.  Built freestanding (no libc, no data, no relocations) and copied into
 * a fresh mapping; see blob.h.  Every failure is reported on the control socket as
 * CTL_ERR{step, errno} and ends the process.
 */
#include "blob.h"
#include "ctl.h"
#include "desc.h"

#include <asm/prctl.h>
#include <asm/unistd.h>
#include <linux/ioctl.h>
#include <linux/mman.h>
#include <linux/userfaultfd.h>

#define MAP_FAILED_MAX 4095ul

static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}
#define sc(n, a, b, c) sc6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sc4(n, a, b, c, d) sc6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sc5(n, a, b, c, d, e) sc6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

static int is_err(long r) { return (unsigned long)r > -MAP_FAILED_MAX; }

static void ctl_send(int fd, uint32_t type, int32_t a, uint64_t b)
{
	struct ctl_msg m;
	m.type = type;
	m.a = a;
	m.b = b;
	const char *p = (const char *)&m;
	unsigned long left = sizeof m;
	while (left) {
		long n = sc(__NR_write, fd, p, left);
		if (n == -4)
			continue;
		if (n <= 0)
			return;
		p += n;
		left -= (unsigned long)n;
	}
}

static __attribute__((noreturn)) void die(struct blob_args *a, int step, long err)
{
	ctl_send(a->ctl, CTL_ERR, step, (uint64_t)-err);
	for (;;)
		sc(__NR_exit_group, 120, 0, 0);
}

static void check(struct blob_args *a, int step, long r)
{
	if (is_err(r))
		die(a, step, r);
}

static int ctl_recv(int fd, struct ctl_msg *m)
{
	char *p = (char *)m;
	unsigned long left = sizeof *m;
	while (left) {
		long n = sc(__NR_read, fd, p, left);
		if (n == -4)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		left -= (unsigned long)n;
	}
	return 0;
}

void blob_main(struct blob_args *a)
{
	const char *base = (const char *)a;
	const struct blob_map *maps = (const struct blob_map *)(base + a->maps_off);
	const struct blob_range *unmap = (const struct blob_range *)(base + a->unmap_off);
	const int32_t *closefds = (const int32_t *)(base + a->close_off);

	if (a->own_rseq_len)
		check(a, BS_RSEQ_OFF,
		      sc4(__NR_rseq, a->own_rseq_addr, a->own_rseq_len, 1, a->rseq_sig));
	for (uint32_t i = 0; i < a->nunmap; i++)
		check(a, BS_UNMAP, sc(__NR_munmap, unmap[i].start, unmap[i].len, 0));

	/* Park the vDSO group inside the blob area so seed mappings cannot collide with it. */
	uint64_t tmin = ~0ull;
	for (int i = 0; i < 3; i++)
		if (a->vdso_len[i] && a->vdso_tgt[i] < tmin)
			tmin = a->vdso_tgt[i];
	for (int i = 0; i < 3; i++)
		if (a->vdso_len[i])
			check(a, BS_VDSO_PARK,
			      sc5(__NR_mremap, a->vdso_cur[i], a->vdso_len[i], a->vdso_len[i],
				  MREMAP_MAYMOVE | MREMAP_FIXED, a->vdso_park + (a->vdso_tgt[i] - tmin)));

	for (uint32_t i = 0; i < a->nmaps; i++) {
		const struct blob_map *m = &maps[i];
		long r;
		if (m->how == BM_FILE || m->how == BM_SHARED)
			r = sc6(__NR_mmap, (long)m->start, (long)m->len, m->prot, MAP_FIXED | m->flags,
				m->fd, (long)m->off);
		else if (m->lazy && a->module && m->how != BM_STACK) /* offset = the seed's address */
			r = sc6(__NR_mmap, (long)m->start, (long)m->len, m->prot,
				MAP_FIXED | MAP_PRIVATE, a->devfd, (long)m->start);
		else
			r = sc6(__NR_mmap, (long)m->start, (long)m->len, m->prot,
				MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
					(m->how == BM_STACK ? MAP_GROWSDOWN : 0),
				-1, 0);
		check(a, BS_MAP, r);
		if ((uint64_t)r != m->start)
			die(a, BS_MAP, -22);
		if (m->lazy && a->module && m->how == BM_STACK) {
			struct mod_fill f;
			f.start = m->start;
			f.len = m->len;
			check(a, BS_FILL, sc(__NR_ioctl, a->devfd, CF_IOC_FILL, &f));
		}
	}
	for (int i = 0; i < 3; i++)
		if (a->vdso_len[i])
			check(a, BS_VDSO,
			      sc5(__NR_mremap, a->vdso_park + (a->vdso_tgt[i] - tmin), a->vdso_len[i],
				  a->vdso_len[i], MREMAP_MAYMOVE | MREMAP_FIXED, a->vdso_tgt[i]));
	for (uint32_t i = 0; i < a->nmaps && !a->module; i++) {
		if (!maps[i].lazy)
			continue;
		struct uffdio_register reg;
		reg.range.start = maps[i].start;
		reg.range.len = maps[i].len;
		/* A page cache view: pages already in the file fault as minor, so the handler still
		 * decides every page's content (a page the child dropped must read zeros). */
		reg.mode = UFFDIO_REGISTER_MODE_MISSING |
			   (maps[i].how == BM_SHARED ? UFFDIO_REGISTER_MODE_MINOR : 0);
		reg.ioctls = 0;
		check(a, BS_REGISTER, sc(__NR_ioctl, a->uffd, UFFDIO_REGISTER, &reg));
	}
	check(a, BS_MM, sc6(__NR_prctl, 35 /* PR_SET_MM */, 14 /* PR_SET_MM_MAP */, (long)&a->mm,
			    sizeof a->mm, 0, 0));
	for (int s = 1; s <= 64; s++) {
		if (!(a->sig_valid & (1ull << (s - 1))) || s == 9 || s == 19)
			continue;
		check(a, BS_SIGACTION, sc4(__NR_rt_sigaction, s, &a->sig[s - 1], 0, 8));
	}
	if (a->rseq_len)
		check(a, BS_RSEQ_ON, sc4(__NR_rseq, a->rseq_addr, a->rseq_len, 0, a->rseq_sig));
	if (a->robust_head)
		check(a, BS_ROBUST, sc(__NR_set_robust_list, a->robust_head, a->robust_len, 0));
	if (a->tid_addr)
		sc(__NR_set_tid_address, a->tid_addr, 0, 0);

	ctl_send(a->ctl, CTL_READY, 0, 0);
	struct ctl_msg go;
	if (ctl_recv(a->ctl, &go) != 0 || go.type != CTL_GO || go.a != 0)
		for (;;)
			sc(__NR_exit_group, 121, 0, 0);
	if (a->module) {
		sc(__NR_close, a->devfd, 0, 0);
		sc(__NR_close, a->ctl, 0, 0);
	} else if (a->eager) {
		for (uint32_t i = 0; i < a->nmaps; i++) {
			if (!maps[i].lazy)
				continue;
			struct uffdio_range rg;
			rg.start = maps[i].start;
			rg.len = maps[i].len;
			check(a, BS_UNREGISTER, sc(__NR_ioctl, a->uffd, UFFDIO_UNREGISTER, &rg));
		}
		sc(__NR_close, a->uffd, 0, 0);
		sc(__NR_close, a->ctl, 0, 0);
	}
	for (uint32_t i = 0; i < a->nclose; i++)
		sc(__NR_close, closefds[i], 0, 0);

	uint64_t *dst = (uint64_t *)a->frame_dst;
	const uint64_t *src = (const uint64_t *)(base + a->frame_off);
	for (uint64_t i = 0; i < a->frame_len / 8; i++)
		dst[i] = src[i];
	sc(__NR_arch_prctl, ARCH_SET_FS, a->fs_base, 0);
	register long rdi __asm__("rdi") = (long)a->base;
	register long rsi __asm__("rsi") = (long)a->len;
	register long rdx __asm__("rdx") = (long)(a->frame_dst + 8);
	__asm__ volatile("jmp *%0" : : "r"(a->tail), "r"(rdi), "r"(rsi), "r"(rdx) : "memory");
	__builtin_unreachable();
}

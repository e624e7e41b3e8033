/*
 * cleave_prepare: snapshot the calling process at the call boundary and keep the snapshot in a
 * frozen holder (a raw fork of the caller that blocks all signals and waits on a lifeline
 * socket; when the page server closes the lifeline the holder exits).
 */
#define _GNU_SOURCE
#include "../include/cleave_fork.h"
#include "ckpt.h"
#include "ctl.h"
#include "desc.h"
#include "descbuild.h"
#include "module.h"
#include "net.h"
#include "util.h"

#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int cleave_snap(struct snap_state *s) __attribute__((returns_twice));
void cleave_child_landing(void);
void cleave_restore_tail(void *blob, size_t len, void *sp);
void cleave__child_fixup(int uffd, int ctl, uint64_t flags);

/* Everything the child path touches is global: locals of prepare are not part of the snapshot. */
static struct snap_state g_snap;
static struct desc_hdr g_tmpl;
static struct {
	int uffd, ctl, lazy;
} g_child = {-1, -1, 0};
static pid_t g_holders[256];
static int g_nholders;
static int g_atfork_done;

struct kernel_sigaction {
	uint64_t handler, flags, restorer, mask;
};

/* ---- raw syscalls for the holder, which must not touch memory shared with the snapshot ---- */
static inline long raw3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
static inline long raw4(long n, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return r;
}

static __attribute__((noinline)) long raw_fork(void)
{
	/* clone(SIGCHLD): no atfork handlers, no glibc lock juggling in the copy. */
	return raw4(SYS_clone, SIGCHLD, 0, 0, 0);
}

static __attribute__((noreturn, noinline)) void holder_main(int lifeline)
{
	uint64_t all = ~0ull;
	raw4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, 8);
	if (lifeline > 0)
		raw3(SYS_close_range, 0, lifeline - 1, 0);
	raw3(SYS_close_range, lifeline + 1, ~0u, 0);
	for (;;) {
		char c;
		long n = raw3(SYS_read, lifeline, (long)&c, 1);
		/* A byte: the snapshot is described; from now on only root (the page server) may read
		 * this process's memory, not the seed's other processes that share its uid. */
		if (n == 1)
			raw3(SYS_prctl, PR_SET_DUMPABLE, 0, 0);
		if (n == -EINTR || n == 1)
			continue;
		break;
	}
	for (;;)
		raw3(SYS_exit_group, 0, 0, 0);
}

/* ---- child side ---- */

void cleave__child_fixup(int uffd, int ctl, uint64_t flags)
{
	/* glibc caches the thread id; raise() and friends would signal the seed's tid. */
	if (g_snap.tid_addr)
		*(volatile pid_t *)(uintptr_t)g_snap.tid_addr = (pid_t)syscall(SYS_gettid);
	g_child.uffd = uffd;
	g_child.ctl = ctl;
	g_child.lazy = (flags & CHILD_LAZY) != 0;
	module_forget();
}

/* Whether the page at p holds only zero bytes. */
static int page_is_zero(const char *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	for (size_t i = 0; i < PAGE_SZ / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

/*
 * Replaces one view of the node cache file [start, end) with anonymous memory of the same
 * content.  Only pages the child maps, has swapped out, or the file holds can have content (the
 * rest reads zeros); those are read through the handler, which still decides each page (zeros for
 * a dropped one), and copied when not zero.
 */
static int unshare_view(uint64_t start, uint64_t end, int prot, int pagemap)
{
	size_t len = end - start, n = len / PAGE_SZ;
	unsigned char *vec = malloc(n);
	char *copy = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	int r = -1;
	if (!vec || copy == MAP_FAILED || mincore((void *)(uintptr_t)start, len, vec) != 0)
		goto out;
	if (!(prot & PROT_READ) && mprotect((void *)(uintptr_t)start, len, prot | PROT_READ) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *src = (const char *)(uintptr_t)(start + i * PAGE_SZ);
		uint64_t pm = 0;
		if (!(vec[i] & 1) && pagemap >= 0 &&
		    pread(pagemap, &pm, 8, (off_t)((start / PAGE_SZ + i) * 8)) != 8)
			goto out;
		if ((vec[i] & 1) || (pm >> 62 & 1)) { /* in memory or file, or swapped out */
			if (!page_is_zero(src))
				memcpy(copy + i * PAGE_SZ, src, PAGE_SZ);
		}
	}
	if (mprotect(copy, len, prot) != 0 ||
	    mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(uintptr_t)start) ==
		    MAP_FAILED)
		goto out;
	copy = MAP_FAILED;
	r = 0;
out:
	if (copy != MAP_FAILED)
		munmap(copy, len);
	free(vec);
	return r;
}

/*
 * A fork child has no handler: views of the node cache file (restore --cache on a tmpfs) would
 * show the file's page where the child's anonymous memory reads zeros (after madvise(DONTNEED)),
 * so the views become anonymous memory before a fork.
 */
static int unshare_views(uint64_t ino)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			break;
		if (len + 1 == cap) {
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + len, cap - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (!buf)
		return -1;
	buf[len] = 0;
	int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int r = 0;
	for (char *line = buf; r == 0 && line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		unsigned long long s, e, off, inode;
		char perms[8];
		unsigned dmaj, dmin;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &s, &e, perms, &off, &dmaj, &dmin,
			   &inode) == 7 &&
		    inode == ino && perms[3] == 'p') {
			int prot = (perms[0] == 'r' ? PROT_READ : 0) |
				   (perms[1] == 'w' ? PROT_WRITE : 0) | (perms[2] == 'x' ? PROT_EXEC : 0);
			r = unshare_view(s, e, prot, pagemap);
		}
		line = nl;
	}
	if (pagemap >= 0)
		close(pagemap);
	free(buf);
	return r;
}

/* A fork in a lazy child would lose the uffd registration: make every page resident first. */
static void atfork_prepare(void)
{
	if (!g_child.lazy || g_child.ctl < 0)
		return;
	struct ctl_msg m = {CTL_POPULATE, 0, 0};
	if (write_full(g_child.ctl, &m, sizeof m) != 0 || read_full(g_child.ctl, &m, sizeof m) != 0 ||
	    m.type != CTL_DONE || m.a != 0 || (m.b && unshare_views(m.b) != 0)) {
		static const char msg[] = "cleave: cannot make the child resident before fork\n";
		if (write(2, msg, sizeof msg - 1) < 0)
			_exit(71);
		_exit(71);
	}
}

static void atfork_child(void)
{
	if (g_child.ctl >= 0) {
		close(g_child.ctl);
		close(g_child.uffd);
	}
	g_child.ctl = g_child.uffd = -1;
	g_child.lazy = 0;
}

/* ---- gathering the seed's state ---- */

static int count_threads(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return -1;
	char line[256];
	int n = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

static int read_stat_mm(struct desc_mm *mm)
{
	char buf[2048];
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail_sys("prepare: open /proc/self/stat");
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return cl_fail_sys("prepare: read /proc/self/stat");
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return cl_fail(CLEAVE_E_SYS, "prepare: malformed /proc/self/stat");
	/* Fields after the command name; field 3 is the state letter. */
	unsigned long long f[53] = {0};
	int field = 3;
	char *save = NULL;
	for (char *t = strtok_r(p + 1, " \n", &save); t && field <= 52;
	     t = strtok_r(NULL, " \n", &save))
		f[field++] = strtoull(t, NULL, 10);
	if (field <= 51)
		return cl_fail(CLEAVE_E_SYS, "prepare: /proc/self/stat has only %d fields", field - 1);
	mm->start_code = f[26];
	mm->end_code = f[27];
	mm->start_stack = f[28];
	mm->start_data = f[45];
	mm->end_data = f[46];
	mm->start_brk = f[47];
	mm->arg_start = f[48];
	mm->arg_end = f[49];
	mm->env_start = f[50];
	mm->env_end = f[51];
	mm->brk = (uint64_t)(uintptr_t)sbrk(0);
	return 0;
}

static int gather(uint8_t *auxv, uint32_t *auxv_len, char *cwd, size_t cwdlen)
{
	struct desc_hdr *h = &g_tmpl;
	memset(h, 0, sizeof *h);
	h->snap_addr = (uint64_t)(uintptr_t)&g_snap;
	h->landing = (uint64_t)(uintptr_t)&cleave_child_landing;
	h->tail = (uint64_t)(uintptr_t)&cleave_restore_tail;
	unsigned long fs = 0;
	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &fs) != 0)
		return cl_fail_sys("prepare: arch_prctl(ARCH_GET_FS)");
	h->fs_base = fs;
	for (int s = 1; s <= 64; s++) {
		struct kernel_sigaction k;
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		if (syscall(SYS_rt_sigaction, s, NULL, &k, 8) != 0)
			continue;
		h->sig[s - 1].handler = k.handler;
		h->sig[s - 1].flags = k.flags;
		h->sig[s - 1].restorer = k.restorer;
		h->sig[s - 1].mask = k.mask;
		h->sig_valid |= 1ull << (s - 1);
	}
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &h->sigmask, 8) != 0)
		return cl_fail_sys("prepare: rt_sigprocmask");
	stack_t ss;
	if (sigaltstack(NULL, &ss) != 0)
		return cl_fail_sys("prepare: sigaltstack");
	h->altstack_sp = (uint64_t)(uintptr_t)ss.ss_sp;
	h->altstack_size = ss.ss_size;
	h->altstack_flags = (uint32_t)ss.ss_flags;
	mode_t um = umask(0);
	umask(um);
	h->umask = um;
	if (__rseq_size > 0) {
		h->rseq_addr = (uint64_t)(uintptr_t)((char *)__builtin_thread_pointer() + __rseq_offset);
		/* glibc registers the 32-byte original rseq area whatever feature size it reports. */
		h->rseq_len = __rseq_size < 32 ? 32 : __rseq_size;
		h->rseq_sig = RSEQ_SIG;
	}
	void *head = NULL;
	size_t hlen = 0;
	if (syscall(SYS_get_robust_list, 0, &head, &hlen) != 0)
		return cl_fail_sys("prepare: get_robust_list");
	h->robust_head = (uint64_t)(uintptr_t)head;
	h->robust_len = hlen;
	int *tidp = NULL;
	if (prctl(PR_GET_TID_ADDRESS, &tidp) != 0)
		return cl_fail_sys("prepare: prctl(PR_GET_TID_ADDRESS)");
	g_snap.tid_addr = (uint64_t)(uintptr_t)tidp;
	int r = read_stat_mm(&h->mm);
	if (r < 0)
		return r;
	uint64_t vs[3], vl[3];
	if (self_specials(vs, vl) != 0 || !vl[2])
		return cl_fail_sys("prepare: find the vDSO in /proc/self/maps");
	h->vdso_hash = vdso_hash_at(vs[2], vl[2]);
	cpu_features(h->cpu);
	if (prctl(PR_GET_NAME, h->comm) != 0)
		return cl_fail_sys("prepare: prctl(PR_GET_NAME)");
	int fd = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail_sys("prepare: open /proc/self/auxv");
	ssize_t n = read(fd, auxv, 4096);
	close(fd);
	if (n <= 0)
		return cl_fail_sys("prepare: read /proc/self/auxv");
	*auxv_len = (uint32_t)n;
	if (!getcwd(cwd, cwdlen))
		cwd[0] = 0;
	return 0;
}

static void reap_holders(void)
{
	for (int i = 0; i < g_nholders;) {
		if (waitpid(g_holders[i], NULL, WNOHANG) == g_holders[i]) {
			g_holders[i] = g_holders[--g_nholders];
			continue;
		}
		i++;
	}
}

static void kill_holder(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int register_snapshot(const char *sock, pid_t holder, int lifeline, const void *desc,
			     size_t len, struct cleave_prepare_args *a)
{
	int pidfd = (int)syscall(SYS_pidfd_open, holder, 0);
	if (pidfd < 0)
		return cl_fail_sys("prepare: pidfd_open(holder %d)", (int)holder);
	int fd = unix_connect(sock);
	if (fd < 0) {
		int e = errno;
		close(pidfd);
		errno = e;
		return cl_fail(CLEAVE_E_SERVER, "prepare: connect to page server %s: %s", sock,
			       strerror(e));
	}
	int fds[2] = {pidfd, lifeline};
	int r = 0;
	struct msg_hdr h;
	struct msg_auth auth;
	if (msg_send(fd, M_REGISTER, 0, desc, (uint32_t)len, fds, 2) != 0) {
		r = cl_fail(CLEAVE_E_SERVER, "prepare: send descriptor to %s: %s", sock,
			    strerror(errno));
	} else if (msg_recv_hdr(fd, &h, NULL, 0, NULL) != 0) {
		r = cl_fail(CLEAVE_E_SERVER, "prepare: page server %s closed during registration",
			    sock);
	} else if (h.status != 0) {
		char msg[256] = "";
		uint32_t l = h.len < sizeof msg - 1 ? h.len : sizeof msg - 1;
		if (read_full(fd, msg, l) != 0)
			msg[0] = 0;
		r = cl_fail(h.status, "prepare: page server refused the snapshot: %s", msg);
	} else if (h.type != M_REGISTERED || h.len != sizeof auth ||
		   read_full(fd, &auth, sizeof auth) != 0) {
		r = cl_fail(CLEAVE_E_SERVER, "prepare: bad registration reply from %s", sock);
	} else {
		a->handle = auth.handle;
		memcpy(a->key, auth.key, sizeof a->key);
	}
	close(fd);
	close(pidfd);
	return r;
}

static const char *default_sock(void)
{
	const char *e = getenv("CLEAVE_PAGESERVER_SOCK");
	return e && *e ? e : CLEAVE_DEFAULT_SOCK;
}

/* Runs in the seed after the snapshot, in frames below the snapshot's stack pointer. */
static __attribute__((noinline)) int prepare_finish(struct cleave_prepare_args *a, int lf[2],
						      const uint8_t *auxv, uint32_t auxv_len,
						      const char *cwd, uint64_t t0)
{
	g_tmpl.regs = g_snap;
	long pid = raw_fork();
	if (pid == 0)
		holder_main(lf[1]);
	close(lf[1]);
	if (pid < 0) {
		close(lf[0]);
		errno = (int)-pid;
		return cl_fail_sys("prepare: fork the holder");
	}
	void *desc = NULL;
	size_t len = 0;
	int in_module = 0;
	int r = desc_build((pid_t)pid, &g_tmpl, auxv, auxv_len, cwd[0] ? cwd : NULL, &desc, &len);
	if (r == 0) {
		const struct desc_hdr *h = desc;
		a->desc_bytes = (uint32_t)len;
		a->rss_bytes = h->rss_bytes;
		a->fetch_bytes = h->fetch_pages * PAGE_SZ;
		a->nvmas = h->nvmas;
		if (a->flags & CLEAVE_PREPARE_FILE) {
			r = ckpt_write(a->path, (pid_t)pid, desc, len);
		} else if (module_fd() >= 0) {
			/* the module keeps the holder's address space: the holder itself may go */
			r = module_prepare((pid_t)pid, desc, len, a);
			in_module = 1;
		} else if (write(lf[0], "d", 1) != 1) {
			r = cl_fail_sys("prepare: tell the holder its snapshot is described");
		} else {
			r = register_snapshot(a->path[0] ? a->path : default_sock(), (pid_t)pid, lf[0],
					      desc, len, a);
		}
	}
	free(desc);
	close(lf[0]);
	if (r < 0 || (a->flags & CLEAVE_PREPARE_FILE) || in_module) {
		kill_holder((pid_t)pid);
		a->holder_pid = 0;
	} else {
		a->holder_pid = (int32_t)pid;
		if (g_nholders < (int)(sizeof g_holders / sizeof g_holders[0]))
			g_holders[g_nholders++] = (pid_t)pid;
	}
	a->prepare_ns = now_ns() - t0;
	return r < 0 ? r : CLEAVE_PREPARED;
}

static __attribute__((noinline)) int child_resumed(void) { return CLEAVE_CHILD; }

int cleave_prepare(struct cleave_prepare_args *a)
{
	uint64_t t0 = now_ns();
	if (!a || a->version != CLEAVE_ABI_VERSION || (a->flags & ~CLEAVE_PREPARE_FILE) ||
	    memchr(a->path, 0, sizeof a->path) == NULL)
		return cl_fail(CLEAVE_E_INVAL, "prepare: bad arguments (version %u, flags %#x)",
			       a ? a->version : 0, a ? a->flags : 0);
	if ((a->flags & CLEAVE_PREPARE_FILE) && !a->path[0])
		return cl_fail(CLEAVE_E_INVAL, "prepare: checkpoint mode needs a file path");
	int nt = count_threads();
	if (nt != 1)
		return cl_fail(CLEAVE_E_THREADS,
			       "prepare: the caller has %d threads; a seed must be single-threaded "
			       "(stop its threads, e.g. OPENBLAS_NUM_THREADS=1)",
			       nt);
	reap_holders();
	if (!g_atfork_done) {
		if (pthread_atfork(atfork_prepare, NULL, atfork_child) != 0)
			return cl_fail(CLEAVE_E_SYS, "prepare: pthread_atfork failed");
		g_atfork_done = 1;
	}
	static uint8_t auxv[4096];
	static char cwd[4096];
	uint32_t auxv_len = 0;
	int r = gather(auxv, &auxv_len, cwd, sizeof cwd);
	if (r < 0)
		return r;
	static int lf[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, lf) != 0)
		return cl_fail_sys("prepare: socketpair for the holder lifeline");
	fflush(NULL);
	if (cleave_snap(&g_snap))
		return child_resumed();
	return prepare_finish(a, lf, auxv, auxv_len, cwd, t0);
}

int cleave_revoke_reap(pid_t holder)
{
	for (int i = 0; i < g_nholders; i++) {
		if (g_holders[i] == holder) {
			while (waitpid(holder, NULL, 0) < 0 && errno == EINTR)
				;
			g_holders[i] = g_holders[--g_nholders];
			return 1;
		}
	}
	reap_holders();
	return 0;
}

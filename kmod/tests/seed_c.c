/*
 * A C seed exercising what a forked child depends on: malloc churn with large frees (glibc
 * trims), vDSO clocks, signal handlers and masks, TLS, fork after restore, a large sparse
 * heap and hundreds of mappings.
 *
 *   seed_c file PATH [opts]     checkpoint to PATH and exit
 *   seed_c server SOCK [opts]   register with the page server, print "HANDLE h key", wait for
 *                               stdin EOF, revoke, exit
 * opts: --rss MB (extra resident heap), --sleep-ms N (child waits before checking),
 *       --linger-ms N (child waits after its checks, before it exits),
 *       --stamp (child prints its first-instruction time and exits), --quick (skip the
 *       expensive checks), --revoke-now (revoke right after printing the handle)
 * Every restored child prints "CHILD PASS <pid>" or "CHILD FAIL <what>" and exits 0 or 1.
 */
#define _GNU_SOURCE
#include "cleave_fork.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NBLOCKS 3000
#define NMAPS 400
#define SPARSE_LEN (1ull << 30)
#define SPARSE_STEP (16ull << 20)

static __thread uint64_t tls_value;
static __thread char tls_buf[64];
static volatile sig_atomic_t usr1_hits;
static void *blocks[NBLOCKS];
static size_t sizes[NBLOCKS];
static char *maps[NMAPS];
static char *sparse;
static char *extra;
static size_t extra_len;
static struct timespec seed_time;
static pid_t seed_pid;
static int failures;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_hits++;
}

static void fail(const char *what)
{
	printf("CHILD FAIL %s\n", what);
	fflush(stdout);
	failures++;
}

static unsigned char pat(size_t i, size_t j) { return (unsigned char)(i * 131 + j * 7 + 1); }

static void fill_state(size_t rss_mb)
{
	tls_value = 0x1122334455667788ull;
	strcpy(tls_buf, "thread-local");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	srand(7);
	for (size_t i = 0; i < NBLOCKS; i++) {
		/* mostly small (brk heap), every 100th large enough for its own mmap */
		sizes[i] = (i % 100 == 0) ? (256u << 10) + (size_t)(rand() % 4096) : 16 + (size_t)(rand() % 2000);
		blocks[i] = malloc(sizes[i]);
		for (size_t j = 0; j < sizes[i]; j++)
			((unsigned char *)blocks[i])[j] = pat(i, j);
	}
	for (size_t i = 0; i < NMAPS; i++) {
		/* alternate protections so the kernel cannot merge neighbours */
		maps[i] = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[i] == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
		memset(maps[i], (int)(i & 0xff), 8192);
		if (i % 2)
			mprotect(maps[i], 8192, PROT_READ);
	}
	sparse = mmap(NULL, SPARSE_LEN, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (sparse == MAP_FAILED) {
		perror("mmap sparse");
		exit(1);
	}
	for (uint64_t o = 0; o < SPARSE_LEN; o += SPARSE_STEP)
		memset(sparse + o, (int)((o / SPARSE_STEP) & 0xff) | 1, 4096);
	if (rss_mb) {
		extra_len = rss_mb << 20;
		extra = malloc(extra_len);
		for (size_t j = 0; j < extra_len; j += 64)
			extra[j] = (char)(j >> 12);
	}
	clock_gettime(CLOCK_REALTIME, &seed_time);
	seed_pid = getpid();
}

static void check_heap(void)
{
	for (size_t i = 0; i < NBLOCKS; i++)
		for (size_t j = 0; j < sizes[i]; j++)
			if (((unsigned char *)blocks[i])[j] != pat(i, j)) {
				fail("heap content");
				return;
			}
	for (size_t j = 0; j < extra_len; j += 64)
		if (extra[j] != (char)(j >> 12)) {
			fail("extra heap content");
			return;
		}
}

static void churn(void)
{
	/* Large frees make glibc trim the brk heap; a wrong kernel brk corrupts it silently. */
	for (size_t i = 0; i < NBLOCKS; i++)
		free(blocks[i]);
	for (int round = 0; round < 20; round++) {
		void *big[16];
		for (int k = 0; k < 16; k++) {
			big[k] = malloc(100000 + (size_t)k * 1000);
			if (!big[k]) {
				fail("malloc after restore");
				return;
			}
			memset(big[k], k, 100000);
		}
		for (int k = 0; k < 16; k++)
			free(big[k]);
		malloc_trim(0);
	}
	char *p = sbrk(0);
	if (brk(p + (1 << 20)) != 0 || sbrk(0) != p + (1 << 20)) {
		fail("brk grow");
		return;
	}
	memset(p, 1, 1 << 20);
	if (brk(p) != 0) {
		fail("brk shrink");
		return;
	}
	for (size_t i = 0; i < NBLOCKS; i++) {
		blocks[i] = malloc(sizes[i]);
		memset(blocks[i], 3, sizes[i]);
	}
	for (size_t i = 0; i < NBLOCKS; i += 7)
		for (size_t j = 0; j < sizes[i]; j++)
			if (((unsigned char *)blocks[i])[j] != 3) {
				fail("heap after churn");
				return;
			}
}

static void check_time(void)
{
	struct timespec r, m1, m2;
	struct timeval tv;
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	gettimeofday(&tv, NULL);
	clock_gettime(CLOCK_MONOTONIC, &m2);
	if (r.tv_sec < seed_time.tv_sec || tv.tv_sec < seed_time.tv_sec)
		fail("vdso realtime went backwards");
	if (m2.tv_sec < m1.tv_sec || (m2.tv_sec == m1.tv_sec && m2.tv_nsec < m1.tv_nsec))
		fail("vdso monotonic");
}

static void check_signals(void)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	if (!sigismember(&cur, SIGUSR2) || sigismember(&cur, SIGUSR1))
		fail("signal mask");
	usr1_hits = 0;
	raise(SIGUSR1); /* goes through glibc's cached tid */
	kill(getpid(), SIGUSR1);
	if (usr1_hits != 2)
		fail("signal handler");
	raise(SIGUSR2);
	sigset_t pend;
	sigpending(&pend);
	if (!sigismember(&pend, SIGUSR2))
		fail("blocked signal not pending");
	signal(SIGUSR2, SIG_IGN);
	sigprocmask(SIG_UNBLOCK, &cur, NULL);
}

static void check_tls(void)
{
	if (tls_value != 0x1122334455667788ull || strcmp(tls_buf, "thread-local") != 0)
		fail("tls");
	if ((pid_t)syscall(SYS_gettid) != getpid())
		fail("tid");
}

static void check_maps(void)
{
	for (size_t i = 0; i < NMAPS; i++)
		for (size_t j = 0; j < 8192; j += 512)
			if ((unsigned char)maps[i][j] != (i & 0xff)) {
				fail("mapping content");
				return;
			}
	/* writable ones still writable, and munmap of a lazy range works */
	maps[0][0] = 9;
	munmap(maps[2], 8192);
	/* grown by mremap, a mapping's new pages read zeros (not whatever the seed had after it) */
	char *g = mremap(maps[11], 8192, 8 * 8192, MREMAP_MAYMOVE);
	if (g == MAP_FAILED) {
		fail("mremap grow");
		return;
	}
	maps[11] = g;
	if ((unsigned char)g[0] != 11 || (unsigned char)g[8191] != 11)
		fail("mremap moved content");
	for (size_t j = 8192; j < 8 * 8192; j += 512)
		if (g[j] != 0) {
			fail("mremap grown pages not zero");
			return;
		}
}

static void check_sparse(void)
{
	for (uint64_t o = 0; o < SPARSE_LEN; o += SPARSE_STEP) {
		if ((unsigned char)sparse[o + 100] != (((o / SPARSE_STEP) & 0xff) | 1)) {
			fail("sparse content");
			return;
		}
		if (sparse[o + 8192] != 0) {
			fail("sparse hole not zero");
			return;
		}
	}
	/* dropped pages must read zero, never the seed's content again, nor a sibling's */
	madvise(sparse, 4096, MADV_DONTNEED);
	if (sparse[100] != 0)
		fail("MADV_DONTNEED page refilled with seed content");
	sparse[100] = 5;
	if (sparse[100] != 5 || sparse[101] != 0)
		fail("dropped page written");
	madvise(sparse, 4096, MADV_DONTNEED);
	if (sparse[100] != 0)
		fail("page dropped twice not zero");
	/* a written page stays this child's: written again after a drop, then read back */
	char *q = sparse + SPARSE_STEP;
	q[100] = 42;
	if (q[100] != 42 || (unsigned char)q[101] != ((1 & 0xff) | 1))
		fail("written seed page");
}

static void check_fork(void)
{
	pid_t c = fork();
	if (c < 0) {
		fail("fork");
		return;
	}
	if (c == 0) {
		/* the grandchild sees everything, including pages its parent never touched */
		int bad = 0;
		for (uint64_t o = SPARSE_STEP; o < SPARSE_LEN; o += SPARSE_STEP)
			if ((unsigned char)sparse[o + 200] != (((o / SPARSE_STEP) & 0xff) | 1))
				bad = 1;
		for (size_t j = 0; j < extra_len; j += 4096)
			if (extra[j] != (char)(j >> 12))
				bad = 1;
		/* it has no fault handler: a dropped page must still read zeros */
		char *pg = sparse + 2 * SPARSE_STEP;
		if (madvise(pg, 4096, MADV_DONTNEED) != 0 || pg[100] != 0)
			bad = 1;
		_exit(bad ? 3 : 0);
	}
	int st;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("grandchild after fork");
}

static int child_run(int quick, int sleep_ms)
{
	if (sleep_ms)
		usleep((useconds_t)sleep_ms * 1000);
	if (getpid() == seed_pid)
		fail("pid equals the seed's");
	check_tls();
	check_time();
	check_signals();
	if (!quick) {
		/* before the fork: a lazy child's fork makes its memory resident and anonymous */
		check_maps();
		check_sparse();
		check_heap();
		check_fork();
		churn();
	} else {
		check_heap();
	}
	if (!failures)
		printf("CHILD PASS %d\n", (int)getpid());
	fflush(stdout);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: seed_c file|server TARGET [--rss MB] [--sleep-ms N] [--stamp] "
				"[--quick] [--revoke-now]\n");
		return 2;
	}
	size_t rss = 0;
	int sleep_ms = 0, linger_ms = 0, stamp = 0, quick = 0, revoke_now = 0;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--rss") && i + 1 < argc)
			rss = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--sleep-ms") && i + 1 < argc)
			sleep_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--linger-ms") && i + 1 < argc)
			linger_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--stamp"))
			stamp = 1;
		else if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--revoke-now"))
			revoke_now = 1;
	}
	int to_file = !strcmp(argv[1], "file");
	fill_state(rss);
	struct cleave_prepare_args a;
	memset(&a, 0, sizeof a);
	a.version = CLEAVE_ABI_VERSION;
	a.flags = to_file ? CLEAVE_PREPARE_FILE : 0;
	snprintf(a.path, sizeof a.path, "%s", argv[2]);
	int r = cleave_prepare(&a);
	if (r == CLEAVE_CHILD) {
		if (stamp) {
			struct timespec t;
			clock_gettime(CLOCK_MONOTONIC, &t);
			printf("T %lld\n", (long long)t.tv_sec * 1000000000ll + t.tv_nsec);
			fflush(stdout);
			_exit(0);
		}
		int rc = child_run(quick, sleep_ms);
		if (linger_ms)
			usleep((useconds_t)linger_ms * 1000);
		return rc;
	}
	if (r < 0) {
		fprintf(stderr, "seed_c: prepare failed: %s (%s)\n", cleave_last_error(),
			cleave_strerror(r));
		return 1;
	}
	printf("PREPARE_NS %llu RSS %llu FETCH %llu VMAS %u DESC %u\n",
	       (unsigned long long)a.prepare_ns, (unsigned long long)a.rss_bytes,
	       (unsigned long long)a.fetch_bytes, a.nvmas, a.desc_bytes);
	if (to_file) {
		printf("SEED DONE\n");
		return 0;
	}
	printf("HANDLE %llu ", (unsigned long long)a.handle);
	for (int i = 0; i < CLEAVE_KEY_BYTES; i++)
		printf("%02x", a.key[i]);
	printf("\n");
	fflush(stdout);
	struct cleave_handle_args h;
	memset(&h, 0, sizeof h);
	h.version = CLEAVE_ABI_VERSION;
	snprintf(h.path, sizeof h.path, "%s", argv[2]);
	h.handle = a.handle;
	memcpy(h.key, a.key, sizeof h.key);
	if (!revoke_now) {
		char buf[256];
		while (read(0, buf, sizeof buf) > 0)
			;
	}
	r = cleave_revoke(&h);
	if (r < 0) {
		fprintf(stderr, "seed_c: revoke failed: %s\n", cleave_last_error());
		return 1;
	}
	return 0;
}

/* cleave-restore's side of a resume through the kernel module (modresume.h). */
#define _GNU_SOURCE
#include "modresume.h"
#include "../include/cleave_fork.h"
#include "ctl.h"
#include "desc.h"
#include "module.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int modresume_usable(const char *server)
{
	const char *off = getenv("CLEAVE_NO_MODULE");
	if (off && !strcmp(off, "1"))
		return 0;
	if (access(CLEAVE_MODULE_DEV, R_OK | W_OK) != 0)
		return 0;
	const char *colon = strrchr(server, ':');
	char host[64];
	struct in_addr a;
	if (!colon || (size_t)(colon - server) >= sizeof host)
		return 0;
	memcpy(host, server, (size_t)(colon - server));
	host[colon - server] = 0;
	return inet_pton(AF_INET, host, &a) == 1;
}

static int read_desc(int fd, void **out, size_t *len)
{
	struct desc_hdr h;
	if (read_full(fd, &h, sizeof h) != 0)
		return cl_fail(CLEAVE_E_SYS, "restore: read the descriptor from %s: %s",
			       CLEAVE_MODULE_DEV, errno ? strerror(errno) : "short");
	if (h.total_bytes < sizeof h || h.total_bytes > DESC_MAX_BYTES)
		return cl_fail(CLEAVE_E_DESC, "restore: descriptor of %llu bytes from %s",
			       (unsigned long long)h.total_bytes, CLEAVE_MODULE_DEV);
	char *buf = malloc(h.total_bytes);
	if (!buf)
		return cl_fail(CLEAVE_E_SYS, "restore: out of memory for the descriptor");
	memcpy(buf, &h, sizeof h);
	if (read_full(fd, buf + sizeof h, h.total_bytes - sizeof h) != 0) {
		free(buf);
		return cl_fail(CLEAVE_E_SYS, "restore: read the descriptor from %s: %s",
			       CLEAVE_MODULE_DEV, errno ? strerror(errno) : "short");
	}
	*out = buf;
	*len = h.total_bytes;
	return 0;
}

int modresume_open(const char *server, uint64_t handle, const uint8_t key[16], int *fd_out,
		   void **desc, size_t *len)
{
	struct cleave_resume_args a;
	memset(&a, 0, sizeof a);
	a.version = CLEAVE_ABI_VERSION;
	if (strlen(server) >= sizeof a.server)
		return cl_fail(CLEAVE_E_INVAL, "restore: server name too long");
	strcpy(a.server, server);
	a.handle = handle;
	memcpy(a.key, key, CLEAVE_KEY_BYTES);
	int fd = open(CLEAVE_MODULE_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return cl_fail_sys("restore: open %s", CLEAVE_MODULE_DEV);
	if (ioctl(fd, CLEAVE_IOC_RESUME, &a) != 0) {
		int e = errno;
		close(fd);
		if (e >= CLEAVE_E_INVAL && e <= CLEAVE_E_LOST)
			return cl_fail(e, "restore: page server %s refused handle %llu (module): %s",
				       server, (unsigned long long)handle, cleave_strerror(e));
		errno = e;
		return cl_fail_sys("restore: resume through %s", CLEAVE_MODULE_DEV);
	}
	int r = read_desc(fd, desc, len);
	if (r < 0) {
		close(fd);
		return r;
	}
	*fd_out = fd;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The working-set file the twin records (u32 magic, u32 count, count seed addresses). */
static void prefetch_file(int fd, const char *path)
{
	int wf = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint32_t hdr[2];
	if (wf < 0 || fstat(wf, &st) != 0 || read_full(wf, hdr, sizeof hdr) != 0 ||
	    hdr[0] != 0x52564c43u || (uint64_t)hdr[1] * 8 + 8 != (uint64_t)st.st_size) {
		fprintf(stderr, "cleave-restore: %s is not a readable working-set file (continuing "
				"without)\n", path);
		if (wf >= 0)
			close(wf);
		return;
	}
	uint64_t *addrs = malloc(((size_t)hdr[1] + 1) * 8);
	if (!addrs || read_full(wf, addrs, (size_t)hdr[1] * 8) != 0) {
		fprintf(stderr, "cleave-restore: read working set %s: %s (continuing without)\n",
			path, strerror(errno));
	} else {
		qsort(addrs, hdr[1], 8, cmp_u64);
		struct mod_prefetch p = {0, hdr[1], (uint64_t)(uintptr_t)addrs};
		if (ioctl(fd, CF_IOC_PREFETCH, &p) != 0)
			fprintf(stderr, "cleave-restore: prefetch %s through %s: %s\n", path,
				CLEAVE_MODULE_DEV, strerror(errno));
	}
	free(addrs);
	close(wf);
}

static void write_stats(int fd, const struct modresume_opts *o, int code)
{
	struct mod_session_stats s;
	memset(&s, 0, sizeof s);
	if (ioctl(fd, CF_IOC_SESSION, &s) != 0) {
		fprintf(stderr, "cleave-restore: session stats: %s\n", strerror(errno));
		return;
	}
	FILE *f = fopen(o->stats_file, "we");
	if (!f) {
		fprintf(stderr, "cleave-restore: write stats %s: %s\n", o->stats_file, strerror(errno));
		return;
	}
	fprintf(f,
		"{\"exit\": %d, \"module\": true, \"run_ms\": %.3f, \"faults\": %llu, "
		"\"net_pages\": %llu, \"net_bytes\": %llu, \"cache_pages\": 0, "
		"\"net_batches\": %llu, \"zero_pages\": %llu, "
		"\"cache_hits\": %llu, \"prefetched\": %llu, \"seed_rss_pages\": %llu, "
		"\"seed_fetch_pages\": %llu, \"transport\": \"%s\", \"rdma_pages\": %llu, "
		"\"rdma_reads\": %llu}\n",
		code, (double)(now_ns() - o->t_start) / 1e6, (unsigned long long)s.faults,
		(unsigned long long)s.net_pages, (unsigned long long)(s.net_pages * PAGE_SZ),
		(unsigned long long)s.net_batches,
		(unsigned long long)s.zero_pages, (unsigned long long)s.cache_hits,
		(unsigned long long)s.prefetched, (unsigned long long)o->seed_rss_pages,
		(unsigned long long)o->seed_fetch_pages, s.rdma ? "rdma" : "tcp",
		(unsigned long long)s.rdma_pages, (unsigned long long)s.rdma_reads);
	if (fclose(f) != 0)
		fprintf(stderr, "cleave-restore: write stats %s: %s\n", o->stats_file, strerror(errno));
}

static int finish(int fd, const struct modresume_opts *o, int code)
{
	if (o->stats_file)
		write_stats(fd, o, code);
	return code;
}

static int reap(pid_t child)
{
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int modresume_run(int fd, pid_t child, int pidfd, int ctl, const struct modresume_opts *o)
{
	struct ctl_msg m;
	int got = read_full(ctl, &m, sizeof m) == 0;
	if (!got || m.type != CTL_READY) {
		if (got && m.type == CTL_ERR)
			fprintf(stderr, "cleave-restore: restore failed at blob step %d (blob.h): %s\n",
				m.a, strerror((int)m.b));
		else
			fprintf(stderr, "cleave-restore: the child ended before its address space was "
					"built\n");
		kill(child, SIGKILL);
		reap(child);
		return finish(fd, o, 1);
	}
	if (o->eager) {
		struct mod_prefetch p = {MOD_PREFETCH_ALL, 0, 0};
		if (ioctl(fd, CF_IOC_PREFETCH, &p) != 0) {
			fprintf(stderr, "cleave-restore: eager fetch through %s: %s; killing the child\n",
				CLEAVE_MODULE_DEV, errno >= CLEAVE_E_INVAL && errno <= CLEAVE_E_LOST
							   ? cleave_strerror(errno) : strerror(errno));
			kill(child, SIGKILL);
			reap(child);
			return finish(fd, o, 70);
		}
	} else if (o->prefetch && *o->prefetch) {
		prefetch_file(fd, o->prefetch);
	}
	struct ctl_msg go = {CTL_GO, 0, 0};
	if (write_full(ctl, &go, sizeof go) != 0) {
		fprintf(stderr, "cleave-restore: tell the child to run: %s\n", strerror(errno));
		kill(child, SIGKILL);
		reap(child);
		return finish(fd, o, 1);
	}
	close(ctl);
	/* An eager child has every page: the server may go. A lazy one dies with it. */
	struct pollfd pf[2] = {{pidfd, POLLIN, 0}, {fd, 0, 0}};
	for (;;) {
		int n = poll(pf, o->eager ? 1 : 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("cleave-restore: poll");
			kill(child, SIGKILL);
			reap(child);
			return finish(fd, o, 1);
		}
		if (pf[0].revents) {
			int code = reap(child);
			struct mod_session_stats st;
			/* killed at a fault the server could not answer */
			if (code > 128 && ioctl(fd, CF_IOC_SESSION, &st) == 0 && st.lost) {
				fprintf(stderr, "cleave-restore: page server lost while the child ran; "
						"the module killed it\n");
				code = 70;
			}
			return finish(fd, o, code);
		}
		if (pf[1].revents & (POLLHUP | POLLERR)) {
			fprintf(stderr, "cleave-restore: page server lost: it closed the connection "
					"(handle revoked or server gone); killing the child, whose memory "
					"is not all fetched\n");
			kill(child, SIGKILL);
			reap(child);
			return finish(fd, o, 70);
		}
	}
}

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
#include "hold.h"
#include "modresume.h"
#include "restore_int.h"
#include "util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define EXIT_REFUSED 65

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
	if ((r = rs_check_cpu(d)) < 0 || (r = rs_check_vdso(d, &vp)) < 0 || (r = rs_check_files(d, files, o.cache_dir)) < 0) {
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
		rs_child_main(d, files, &vp, sp[1], o.eager || file, parent, uffd_dev, modfd, p);
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

/*
 * The restorer's fault handler.  It runs in the parent of the restored child and owns the
 * child's userfaultfd: missing pages come from the node cache, the checkpoint file or the page
 * server (batched with read-ahead), pages the seed never wrote come from local files or the
 * zero page.  It follows the child's munmap/mremap/madvise through uffd events so a page the
 * child dropped is never refilled with the seed's content.  This file: the serving loop; the
 * parts are in pager_int.h.
 */
#define _GNU_SOURCE
#include "pager_int.h"
#include "../include/cleave_fork.h"
#include "blob.h"
#include "ctl.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

const struct desc *pager_desc(const struct pager *p) { return &p->d; }
int pager_share_fd(const struct pager *p) { return p->share ? p->cache_fd : -1; }
int pager_shares(const struct pager *p, uint32_t vi)
{
	const struct desc_vma *v = &p->d.vmas[vi];
	/* A file on a noexec mount cannot be mapped executable: such VMAs stay anonymous. */
	return p->share && v->kind == VK_ANON && v->fetch_pages &&
	       (p->share_exec || !(v->prot & PROT_EXEC));
}
void pager_set_files(struct pager *p, const int *fds) { p->files = fds; }
int pager_server_fd(const struct pager *p) { return p->net; }
void pager_restart_clock(struct pager *p, uint64_t t)
{
	p->o.t_start = t;
	p->s.t_desc = t;
}

int pg_page_class(const struct pager *p, uint32_t vi, uint64_t pg)
{
	const struct desc_vma *v = &p->d.vmas[vi];
	if (v->fetch_pages && bit_get(p->d.bitmap + v->bitmap_off, pg))
		return PC_FETCH;
	return v->kind == VK_FILEANON ? PC_FILE : PC_ZERO;
}

/* Index of a fetch page in checkpoint/cache order. */
uint64_t pg_fetch_index(const struct pager *p, uint32_t vi, uint64_t pg)
{
	const struct desc_vma *v = &p->d.vmas[vi];
	const uint8_t *bm = p->d.bitmap + v->bitmap_off;
	uint64_t r = p->vs[vi].rank[pg / 64];
	for (uint64_t i = pg & ~63ull; i < pg; i++)
		r += (uint64_t)bit_get(bm, i);
	return v->data_index + r;
}

/* The sooner of two poll timeouts (-1: none). */
static int sooner(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static const char *step_name(int s)
{
	static const char *n[] = {"?", "unregister the restorer's rseq", "unmap the restorer",
				  "park the vDSO", "map the seed's memory", "move the vDSO",
				  "register userfaultfd ranges", "prctl(PR_SET_MM_MAP)",
				  "install signal handlers", "register rseq", "set_robust_list",
				  "control channel", "unregister userfaultfd ranges"};
	return s > 0 && s <= BS_UNREGISTER ? n[s] : n[0];
}

static int finish(struct pager *p, int code)
{
	p->s.t_exit = now_ns();
	if (p->o.record && !p->lost)
		pg_write_record(p);
	if (p->o.stats_file)
		pg_write_stats(p, code, 0);
	return code;
}

static int kill_child(struct pager *p)
{
	kill(p->child, SIGKILL);
	int status;
	while (waitpid(p->child, &status, 0) < 0 && errno == EINTR)
		;
	return finish(p, p->lost ? 70 : 1);
}

int pager_run(struct pager *p, pid_t child, int pidfd, int ctl)
{
	p->child = child;
	int have_ctl = 1, code = 1;
	/* The uffd arrives first, by SCM_RIGHTS on the control socket. */
	struct msg_hdr mh;
	int fds[1], nfds = 0;
	if (msg_recv_hdr(ctl, &mh, fds, 1, &nfds) != 0 || nfds != 1) {
		int status;
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		fprintf(stderr, "cleave-restore: the child could not set up userfaultfd\n");
		return finish(p, 1);
	}
	p->uffd = fds[0];
	for (;;) {
		while (p->npending) {
			struct uffd_msg m = p->pending[--p->npending];
			if (pg_handle_fault(p, m.arg.pagefault.address) != 0)
				return kill_child(p);
		}
		/* The server never speaks unasked: readable or hung up while idle means it is gone
		 * (killed, or the handle revoked), and a lazy child must not outlive it. */
		int watch_net = p->net >= 0 && !p->o.eager;
		struct pollfd pf[4] = {{p->uffd, POLLIN, 0}, {ctl, have_ctl ? POLLIN : 0, 0},
				       {pidfd, POLLIN, 0}, {watch_net ? p->net : -1, POLLIN, 0}};
		if (poll(pf, 4, sooner(pg_stats_tick(p), pg_record_tick(p))) < 0) {
			if (errno == EINTR)
				continue;
			perror("cleave-restore: poll");
			return kill_child(p);
		}
		if (pf[0].revents & POLLIN) {
			struct uffd_msg msgs[16];
			ssize_t n = read(p->uffd, msgs, sizeof msgs);
			for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof msgs[0]; i++) {
				if (msgs[i].event == UFFD_EVENT_PAGEFAULT) {
					if (pg_handle_fault(p, msgs[i].arg.pagefault.address) != 0)
						return kill_child(p);
				} else {
					pg_handle_event(p, &msgs[i]);
				}
			}
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct ctl_msg m;
			if (read_full(ctl, &m, sizeof m) != 0) {
				have_ctl = 0;
			} else if (m.type == CTL_READY) {
				p->s.t_ready = now_ns();
				uint64_t cnt = 0;
				int r = pg_fill_all(p, !p->o.eager, &cnt);
				p->s.eager_pages += cnt;
				if (r == 0 && p->o.prefetch && !p->o.eager) {
					pg_prefetch_load(p);
					while (r == 0 && p->ipf < p->npf)
						r = pg_prefetch_step(p);
				}
				if (r != 0)
					return kill_child(p);
				p->s.t_go = now_ns();
				struct ctl_msg go = {CTL_GO, 0, 0};
				if (write_full(ctl, &go, sizeof go) != 0)
					have_ctl = 0;
			} else if (m.type == CTL_POPULATE) {
				uint64_t cnt = 0;
				int r = pg_fill_all(p, 0, &cnt);
				struct stat cst;
				uint64_t ino = p->share && fstat(p->cache_fd, &cst) == 0 ? cst.st_ino : 0;
				p->s.eager_pages += cnt;
				struct ctl_msg done = {CTL_DONE, r == 0 ? 0 : CLEAVE_E_LOST, ino};
				if (r != 0)
					return kill_child(p);
				if (write_full(ctl, &done, sizeof done) != 0)
					have_ctl = 0;
			} else if (m.type == CTL_ERR) {
				errno = (int)m.b;
				fprintf(stderr, "cleave-restore: restore failed: %s: %s\n",
					step_name(m.a), strerror((int)m.b));
				return kill_child(p);
			}
		}
		if (pf[3].revents & (POLLIN | POLLHUP | POLLERR) && !(pf[2].revents & POLLIN)) {
			p->lost = 1;
			fprintf(stderr, "cleave-restore: page server %s lost: it closed the connection "
					"(handle %llu revoked or server gone); killing the child, whose "
					"memory is not all fetched\n",
				p->server, (unsigned long long)p->handle);
			return kill_child(p);
		}
		if (pf[2].revents & POLLIN) {
			int status;
			while (waitpid(child, &status, 0) < 0 && errno == EINTR)
				;
			code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			return finish(p, code);
		}
	}
}

/* Page server: serves descriptors and page batches of frozen holders to restorers. */
#define _GNU_SOURCE
#include "../include/cleave_fork.h"
#include "desc.h"
#include "holderio.h"
#include "net.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct handle {
	struct handle *next;
	uint64_t id, nonce;
	uint8_t key[CLEAVE_KEY_BYTES];
	void *desc;
	size_t desc_len;
	struct desc d;
	pid_t pid;
	int pidfd, lifeline;
	int refs; /* table + connections, under ps->lock */
	_Atomic uint64_t connections, batches, pages, bytes;
};

struct conn {
	struct conn *next, *prev;
	struct cleave_ps *ps;
	int fd;
	int is_unix;
	uint64_t handle; /* a restorer's handle once its key was proven, else 0; under ps->lock */
};

struct cleave_ps {
	int tcp_fd, unix_fd, port, verbose;
	char unix_path[108];
	pthread_t tcp_thr, unix_thr;
	int have_tcp_thr, have_unix_thr;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct handle *handles;
	struct conn *conns;
	int nconns;
	uint64_t next_id;
	int stopping;
};

static void handle_put(struct cleave_ps *ps, struct handle *h)
{
	pthread_mutex_lock(&ps->lock);
	int last = --h->refs == 0;
	pthread_mutex_unlock(&ps->lock);
	if (!last)
		return;
	free(h->desc);
	free(h);
}

/* Drops a handle from the table: the holder exits (lifeline closed) and is killed for speed. */
static void handle_release_holder(struct handle *h)
{
	if (h->lifeline >= 0)
		close(h->lifeline);
	if (h->pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, h->pidfd, SIGKILL, NULL, 0);
		close(h->pidfd);
	}
	h->lifeline = h->pidfd = -1;
}

static struct handle *handle_get(struct cleave_ps *ps, uint64_t id)
{
	pthread_mutex_lock(&ps->lock);
	struct handle *h = ps->handles;
	while (h && h->id != id)
		h = h->next;
	if (h)
		h->refs++;
	pthread_mutex_unlock(&ps->lock);
	return h;
}

static int key_equal(const uint8_t *a, const uint8_t *b)
{
	unsigned diff = 0;
	for (int i = 0; i < CLEAVE_KEY_BYTES; i++)
		diff |= (unsigned)(a[i] ^ b[i]);
	return diff == 0;
}

static pid_t pidfd_pid(int pidfd)
{
	char p[64], line[128];
	snprintf(p, sizeof p, "/proc/self/fdinfo/%d", pidfd);
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	pid_t pid = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

static pid_t parent_of(pid_t pid)
{
	char p[64], buf[1024];
	snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *c = strrchr(buf, ')');
	int ppid = -1;
	if (!c || sscanf(c + 2, "%*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

int cleave_ps_register(struct cleave_ps *ps, int holder_pidfd, int lifeline_fd, const void *desc,
		       uint32_t desc_len, uint64_t *handle, uint8_t key[CLEAVE_KEY_BYTES])
{
	struct handle *h = calloc(1, sizeof *h);
	char err[256];
	int r;
	if (!h) {
		close(holder_pidfd);
		close(lifeline_fd);
		return cl_fail(CLEAVE_E_SYS, "register: out of memory");
	}
	h->pidfd = holder_pidfd;
	h->lifeline = lifeline_fd;
	h->desc = malloc(desc_len ? desc_len : 1);
	if (!h->desc) {
		r = cl_fail(CLEAVE_E_SYS, "register: out of memory");
		goto fail;
	}
	memcpy(h->desc, desc, desc_len);
	h->desc_len = desc_len;
	r = desc_parse(h->desc, desc_len, &h->d, err, sizeof err);
	if (r < 0) {
		r = cl_fail(-r, "register: %s", err);
		goto fail;
	}
	h->pid = pidfd_pid(holder_pidfd);
	if (h->pid <= 0) {
		r = cl_fail(CLEAVE_E_INVAL, "register: the holder pidfd names no live process");
		goto fail;
	}
	if (getrandom(h->key, sizeof h->key, 0) != sizeof h->key ||
	    getrandom(&h->nonce, sizeof h->nonce, 0) != sizeof h->nonce) {
		r = cl_fail_sys("register: getrandom");
		goto fail;
	}
	((struct desc_hdr *)h->desc)->nonce = h->nonce;
	h->refs = 1;
	pthread_mutex_lock(&ps->lock);
	h->id = ++ps->next_id;
	h->next = ps->handles;
	ps->handles = h;
	pthread_mutex_unlock(&ps->lock);
	*handle = h->id;
	memcpy(key, h->key, CLEAVE_KEY_BYTES);
	if (ps->verbose)
		fprintf(stderr, "cleave-pageserver: handle %llu registered (holder %d, %zu VMAs, "
				"%llu fetch pages)\n",
			(unsigned long long)h->id, (int)h->pid, (size_t)h->d.h->nvmas,
			(unsigned long long)h->d.h->fetch_pages);
	return 0;
fail:
	handle_release_holder(h);
	free(h->desc);
	free(h);
	return r;
}

int cleave_ps_revoke(struct cleave_ps *ps, uint64_t id)
{
	pthread_mutex_lock(&ps->lock);
	struct handle **pp = &ps->handles;
	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	struct handle *h = *pp;
	if (h)
		*pp = h->next;
	pthread_mutex_unlock(&ps->lock);
	if (!h)
		return cl_fail(CLEAVE_E_NOHANDLE, "revoke: no handle %llu", (unsigned long long)id);
	/* Restorers still lazy on it see their connection close and kill their children now,
	 * not at their next fault. */
	pthread_mutex_lock(&ps->lock);
	handle_release_holder(h); /* under the lock: serve_tcp checks it with its conn marked */
	for (struct conn *c = ps->conns; c; c = c->next)
		if (!c->is_unix && c->handle == id)
			shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&ps->lock);
	handle_put(ps, h);
	return 0;
}

static void fill_stats(const struct handle *h, struct cleave_stats *s)
{
	memset(s, 0, sizeof *s);
	s->version = CLEAVE_ABI_VERSION;
	s->handle = h->id;
	s->holder_pid = h->pid;
	s->desc_bytes = (uint32_t)h->desc_len;
	s->rss_bytes = h->d.h->rss_bytes;
	s->fetch_pages = h->d.h->fetch_pages;
	s->connections = atomic_load(&h->connections);
	s->batches = atomic_load(&h->batches);
	s->pages_served = atomic_load(&h->pages);
	s->bytes_sent = atomic_load(&h->bytes);
}

int cleave_ps_stats(struct cleave_ps *ps, uint64_t id, struct cleave_stats *out)
{
	struct handle *h = handle_get(ps, id);
	if (!h)
		return cl_fail(CLEAVE_E_NOHANDLE, "stats: no handle %llu", (unsigned long long)id);
	fill_stats(h, out);
	handle_put(ps, h);
	return 0;
}

int cleave_ps_port(const struct cleave_ps *ps) { return ps->port; }

/* ---- connections ---- */

static int send_error(int fd, uint16_t type, int code, const char *msg)
{
	return msg_send(fd, type, (uint16_t)code, msg, (uint32_t)strlen(msg), NULL, 0);
}

/* A range may only cover pages of VMAs whose content comes from the seed. */
static int range_ok(const struct desc *d, uint64_t addr, uint32_t npages)
{
	uint64_t end = addr + (uint64_t)npages * PAGE_SZ;
	if (addr % PAGE_SZ || npages == 0 || end < addr)
		return 0;
	uint32_t lo = 0, hi = d->h->nvmas;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (d->vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= d->h->nvmas)
		return 0;
	const struct desc_vma *v = &d->vmas[lo];
	return v->start <= addr && end <= v->end &&
	       (v->kind == VK_ANON || v->kind == VK_FILEANON || v->kind == VK_STACK);
}

static void serve_tcp(struct cleave_ps *ps, struct conn *c)
{
	int fd = c->fd;
	struct msg_hdr m;
	struct msg_auth auth;
	if (msg_recv_hdr(fd, &m, NULL, 0, NULL) != 0 || m.type != M_HELLO || m.len != sizeof auth ||
	    read_full(fd, &auth, sizeof auth) != 0) {
		send_error(fd, M_DESC, CLEAVE_E_SERVER, "expected a hello");
		return;
	}
	struct handle *h = handle_get(ps, auth.handle);
	if (!h) {
		send_error(fd, M_DESC, CLEAVE_E_NOHANDLE, "no such handle");
		return;
	}
	if (!key_equal(h->key, auth.key)) {
		if (ps->verbose)
			fprintf(stderr, "cleave-pageserver: wrong key for handle %llu\n",
				(unsigned long long)h->id);
		send_error(fd, M_DESC, CLEAVE_E_KEY, "wrong key");
		handle_put(ps, h);
		return;
	}
	pthread_mutex_lock(&ps->lock);
	c->handle = h->id;
	int revoked = h->pidfd < 0;
	pthread_mutex_unlock(&ps->lock);
	if (revoked) { /* revoked between the lookup and here: its shutdown missed this one */
		send_error(fd, M_DESC, CLEAVE_E_NOHANDLE, "no such handle");
		handle_put(ps, h);
		return;
	}
	atomic_fetch_add(&h->connections, 1);
	if (msg_send(fd, M_DESC, 0, h->desc, (uint32_t)h->desc_len, NULL, 0) != 0) {
		handle_put(ps, h);
		return;
	}
	struct msg_range *ranges = malloc(sizeof(struct msg_range) * MAX_READ_RANGES);
	char *buf = malloc((size_t)MAX_READ_PAGES * PAGE_SZ);
	while (ranges && buf) {
		if (msg_recv_hdr(fd, &m, NULL, 0, NULL) != 0)
			break;
		uint32_t n = m.len / sizeof(struct msg_range);
		if (m.type != M_READ || m.len % sizeof(struct msg_range) || n == 0 ||
		    n > MAX_READ_RANGES || read_full(fd, ranges, m.len) != 0) {
			send_error(fd, M_DATA, CLEAVE_E_SERVER, "bad read request");
			break;
		}
		uint64_t pages = 0;
		int bad = 0;
		for (uint32_t i = 0; i < n && !bad; i++) {
			pages += ranges[i].npages;
			bad = !range_ok(&h->d, ranges[i].addr, ranges[i].npages);
		}
		if (bad || pages > MAX_READ_PAGES) {
			send_error(fd, M_DATA, CLEAVE_E_INVAL, "read outside the seed's content");
			break;
		}
		pthread_mutex_lock(&ps->lock);
		int gone = h->pidfd < 0;
		pthread_mutex_unlock(&ps->lock);
		if (gone || holder_read(h->pid, ranges, n, buf) != 0) {
			send_error(fd, M_DATA, CLEAVE_E_NOHANDLE, "snapshot revoked or holder gone");
			break;
		}
		size_t bytes = pages * PAGE_SZ;
		if (msg_send(fd, M_DATA, 0, buf, (uint32_t)bytes, NULL, 0) != 0)
			break;
		atomic_fetch_add(&h->batches, 1);
		atomic_fetch_add(&h->pages, pages);
		atomic_fetch_add(&h->bytes, bytes);
	}
	free(ranges);
	free(buf);
	handle_put(ps, h);
}

static void serve_unix(struct cleave_ps *ps, int fd)
{
	struct msg_hdr m;
	int fds[2], nfds = 0;
	if (msg_recv_hdr(fd, &m, fds, 2, &nfds) != 0)
		goto out;
	if (m.type == M_REGISTER) {
		struct ucred cred;
		socklen_t cl = sizeof cred;
		void *desc = m.len <= DESC_MAX_BYTES ? malloc(m.len ? m.len : 1) : NULL;
		if (nfds != 2 || !desc || read_full(fd, desc, m.len) != 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0) {
			free(desc);
			send_error(fd, M_STATUS, CLEAVE_E_INVAL, "register needs a descriptor and 2 fds");
			goto out;
		}
		pid_t holder = pidfd_pid(fds[0]);
		if (holder <= 0 || parent_of(holder) != cred.pid) {
			free(desc);
			send_error(fd, M_STATUS, CLEAVE_E_INVAL,
				   "the holder is not a child of the registering process");
			goto out;
		}
		struct msg_auth auth;
		int r = cleave_ps_register(ps, fds[0], fds[1], desc, m.len, &auth.handle, auth.key);
		nfds = 0; /* owned by the handle (or closed) now */
		free(desc);
		if (r < 0)
			send_error(fd, M_STATUS, -r, cl_msg());
		else
			msg_send(fd, M_REGISTERED, 0, &auth, sizeof auth, NULL, 0);
		goto out;
	}
	struct msg_auth auth;
	if ((m.type != M_REVOKE && m.type != M_STATS) || m.len != sizeof auth ||
	    read_full(fd, &auth, sizeof auth) != 0) {
		send_error(fd, M_STATUS, CLEAVE_E_INVAL, "unknown request");
		goto out;
	}
	struct handle *h = handle_get(ps, auth.handle);
	if (!h) {
		send_error(fd, M_STATUS, CLEAVE_E_NOHANDLE, "no such handle");
		goto out;
	}
	int ok = key_equal(h->key, auth.key);
	struct cleave_stats st;
	fill_stats(h, &st);
	handle_put(ps, h);
	if (!ok) {
		send_error(fd, M_STATUS, CLEAVE_E_KEY, "wrong key");
	} else if (m.type == M_STATS) {
		msg_send(fd, M_STATUS, 0, &st, sizeof st, NULL, 0);
	} else if (cleave_ps_revoke(ps, auth.handle) == 0) {
		if (ps->verbose)
			fprintf(stderr, "cleave-pageserver: handle %llu revoked\n",
				(unsigned long long)auth.handle);
		msg_send(fd, M_STATUS, 0, NULL, 0, NULL, 0);
	} else {
		send_error(fd, M_STATUS, CLEAVE_E_NOHANDLE, "no such handle");
	}
out:
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct cleave_ps *ps = c->ps;
	if (c->is_unix)
		serve_unix(ps, c->fd);
	else
		serve_tcp(ps, c);
	pthread_mutex_lock(&ps->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		ps->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd);
	if (--ps->nconns == 0)
		pthread_cond_broadcast(&ps->idle);
	pthread_mutex_unlock(&ps->lock);
	free(c);
	return NULL;
}

static void accept_loop(struct cleave_ps *ps, int lfd, int is_unix)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE) {
				if (errno == EMFILE || errno == ENFILE)
					usleep(10000);
				pthread_mutex_lock(&ps->lock);
				int stop = ps->stopping;
				pthread_mutex_unlock(&ps->lock);
				if (stop)
					return;
				continue;
			}
			return; /* listener shut down */
		}
		if (!is_unix) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		}
		struct conn *c = calloc(1, sizeof *c);
		pthread_mutex_lock(&ps->lock);
		if (!c || ps->stopping) {
			pthread_mutex_unlock(&ps->lock);
			free(c);
			close(fd);
			continue;
		}
		c->ps = ps;
		c->fd = fd;
		c->is_unix = is_unix;
		c->next = ps->conns;
		if (ps->conns)
			ps->conns->prev = c;
		ps->conns = c;
		ps->nconns++;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&at, 256 << 10);
		pthread_t t;
		int e = pthread_create(&t, &at, conn_main, c);
		pthread_attr_destroy(&at);
		if (e != 0) {
			ps->conns = c->next;
			if (c->next)
				c->next->prev = NULL;
			ps->nconns--;
			pthread_mutex_unlock(&ps->lock);
			close(fd);
			free(c);
			fprintf(stderr, "cleave-pageserver: pthread_create: %s\n", strerror(e));
			continue;
		}
		pthread_mutex_unlock(&ps->lock);
	}
}

static void *tcp_main(void *arg)
{
	struct cleave_ps *ps = arg;
	accept_loop(ps, ps->tcp_fd, 0);
	return NULL;
}

static void *unix_main(void *arg)
{
	struct cleave_ps *ps = arg;
	accept_loop(ps, ps->unix_fd, 1);
	return NULL;
}

int cleave_ps_start(const struct cleave_ps_config *cfg, struct cleave_ps **out)
{
	if (!cfg || cfg->version != CLEAVE_ABI_VERSION || !memchr(cfg->bind_addr, 0, 64) ||
	    !memchr(cfg->unix_path, 0, 108) || !out)
		return cl_fail(CLEAVE_E_INVAL, "pageserver: bad configuration");
	struct cleave_ps *ps = calloc(1, sizeof *ps);
	if (!ps)
		return cl_fail(CLEAVE_E_SYS, "pageserver: out of memory");
	ps->unix_fd = -1;
	ps->verbose = (int)cfg->verbose;
	pthread_mutex_init(&ps->lock, NULL);
	pthread_cond_init(&ps->idle, NULL);
	int r;
	ps->tcp_fd = tcp_listen(cfg->bind_addr, cfg->tcp_port, &ps->port);
	if (ps->tcp_fd < 0) {
		r = cl_fail_sys("pageserver: listen on %s:%u",
				cfg->bind_addr[0] ? cfg->bind_addr : "0.0.0.0", cfg->tcp_port);
		goto fail;
	}
	if (cfg->unix_path[0]) {
		snprintf(ps->unix_path, sizeof ps->unix_path, "%s", cfg->unix_path);
		ps->unix_fd = unix_listen(cfg->unix_path);
		if (ps->unix_fd < 0) {
			r = cl_fail_sys("pageserver: listen on unix socket %s", cfg->unix_path);
			goto fail;
		}
	}
	int e = pthread_create(&ps->tcp_thr, NULL, tcp_main, ps);
	if (e == 0) {
		ps->have_tcp_thr = 1;
		if (ps->unix_fd >= 0) {
			e = pthread_create(&ps->unix_thr, NULL, unix_main, ps);
			ps->have_unix_thr = e == 0;
		}
	}
	if (e != 0) {
		errno = e;
		r = cl_fail_sys("pageserver: pthread_create");
		cleave_ps_stop(ps);
		return r;
	}
	*out = ps;
	return 0;
fail:
	if (ps->tcp_fd >= 0)
		close(ps->tcp_fd);
	free(ps);
	return r;
}

void cleave_ps_stop(struct cleave_ps *ps)
{
	if (!ps)
		return;
	pthread_mutex_lock(&ps->lock);
	ps->stopping = 1;
	pthread_mutex_unlock(&ps->lock);
	shutdown(ps->tcp_fd, SHUT_RDWR);
	if (ps->unix_fd >= 0)
		shutdown(ps->unix_fd, SHUT_RDWR);
	if (ps->have_tcp_thr)
		pthread_join(ps->tcp_thr, NULL);
	if (ps->have_unix_thr)
		pthread_join(ps->unix_thr, NULL);
	close(ps->tcp_fd);
	if (ps->unix_fd >= 0) {
		close(ps->unix_fd);
		unlink(ps->unix_path);
	}
	pthread_mutex_lock(&ps->lock);
	for (struct conn *c = ps->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	while (ps->nconns > 0)
		pthread_cond_wait(&ps->idle, &ps->lock);
	struct handle *h = ps->handles;
	ps->handles = NULL;
	pthread_mutex_unlock(&ps->lock);
	while (h) {
		struct handle *n = h->next;
		handle_release_holder(h);
		handle_put(ps, h);
		h = n;
	}
	pthread_mutex_destroy(&ps->lock);
	pthread_cond_destroy(&ps->idle);
	free(ps);
}

#define _GNU_SOURCE
#include "net.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void tune_tcp(int fd)
{
	int one = 1;
	/* Page batches are request/response: latency matters more than coalescing. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int tcp_connect(const char *host, int port)
{
	/* IPv4 literals only: the restorer is linked statically for start-up speed (no NSS). */
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	tune_tcp(fd);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int tcp_listen(const char *bind_addr, int port, int *bound_port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind_addr && *bind_addr && inet_pton(AF_INET, bind_addr, &a.sin_addr) != 1) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 512) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	socklen_t al = sizeof a;
	if (getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	*bound_port = ntohs(a.sin_port);
	return fd;
}

static int unix_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof a->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(a->sun_path, path);
	return 0;
}

int unix_connect(const char *path)
{
	struct sockaddr_un a;
	if (unix_addr(path, &a) != 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * The socket is created 0600 (umask 0177 around bind): whoever may connect may order snapshots
 * served, so there is no moment at which another user could.  Called before any thread starts.
 */
int unix_listen(const char *path)
{
	struct sockaddr_un a;
	if (unix_addr(path, &a) != 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	mode_t old = umask(0177);
	int bound = bind(fd, (struct sockaddr *)&a, sizeof a);
	umask(old);
	if (bound != 0 || listen(fd, 128) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int msg_send(int fd, uint16_t type, uint16_t status, const void *payload, uint32_t len,
	     const int *fds, int nfds)
{
	struct msg_hdr h = {MSG_MAGIC, type, status, len, 0};
	struct iovec iov[2] = {{&h, sizeof h}, {(void *)payload, len}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cm;
	struct msghdr m;
	memset(&m, 0, sizeof m);
	m.msg_iov = iov;
	m.msg_iovlen = len ? 2 : 1;
	if (nfds > 0) {
		if (nfds > 4) {
			errno = EINVAL;
			return -1;
		}
		memset(&cm, 0, sizeof cm);
		m.msg_control = cm.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	size_t total = sizeof h + len;
	ssize_t n;
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n == total)
		return 0;
	/* Finish a partial send without the control data (already delivered). */
	size_t done = (size_t)n;
	if (done < sizeof h) {
		if (write_full(fd, (char *)&h + done, sizeof h - done) != 0)
			return -1;
		done = sizeof h;
	}
	return write_full(fd, (const char *)payload + (done - sizeof h), total - done);
}

int msg_recv_hdr(int fd, struct msg_hdr *h, int *fds, int maxfds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cm;
	struct iovec iov = {h, sizeof *h};
	struct msghdr m;
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cm.buf;
	m.msg_controllen = sizeof cm.buf;
	if (nfds)
		*nfds = 0;
	ssize_t n;
	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		if (n == 0)
			errno = 0;
		return -1;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int cnt = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int got[4];
		memcpy(got, CMSG_DATA(c), sizeof(int) * (size_t)(cnt > 4 ? 4 : cnt));
		for (int i = 0; i < cnt && i < 4; i++) {
			if (fds && nfds && *nfds < maxfds)
				fds[(*nfds)++] = got[i];
			else
				close(got[i]);
		}
	}
	if ((size_t)n < sizeof *h && read_full(fd, (char *)h + n, sizeof *h - (size_t)n) != 0)
		return -1;
	if (h->magic != MSG_MAGIC) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

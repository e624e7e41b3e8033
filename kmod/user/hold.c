/*
 * cleave-restore --hold FIFO: the restorer connects, fetches and checks the descriptor and opens
 * the node's page cache ahead of demand, then waits here, before its child exists, for the byte
 * that says a child is wanted. A burst's restores then skip the container start, the exec and the
 * descriptor's round trip. The FIFO is opened without blocking, so the writer finds a reader
 * (its non-blocking open succeeds) only once this restorer waits.
 */
#define _GNU_SOURCE
#include "hold.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int hold_wait(const char *path, int server_fd, const char *server)
{
	int go = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (go < 0) {
		fprintf(stderr, "cleave-restore: open the hold FIFO %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		struct pollfd pf[2] = {{go, POLLIN, 0}, {server_fd, POLLIN, 0}};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "cleave-restore: poll while held: %s\n", strerror(errno));
			close(go);
			return 1;
		}
		if (pf[1].revents) {
			fprintf(stderr, "cleave-restore: page server %s lost while this restorer was held: %s\n",
				server, pf[1].revents & POLLIN ? "it spoke unasked or closed the connection"
							      : "the connection failed");
			close(go);
			return 70;
		}
		if (pf[0].revents & POLLIN) {
			char b;
			ssize_t n = read(go, &b, 1);
			if (n == 1) {
				close(go);
				return 0;
			}
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "cleave-restore: read the hold FIFO: %s\n", strerror(errno));
				close(go);
				return 1;
			}
		}
		if (pf[0].revents & (POLLHUP | POLLERR) && !(pf[0].revents & POLLIN)) {
			/* A writer came and went without a byte: not a go; wait for the next writer. */
			close(go);
			go = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (go < 0) {
				fprintf(stderr, "cleave-restore: reopen the hold FIFO %s: %s\n", path, strerror(errno));
				return 1;
			}
		}
	}
}

/* Sockets and framed messages of the page server protocol. */
#ifndef CLEAVE_NET_H
#define CLEAVE_NET_H

#include "desc.h"
#include <stddef.h>

int tcp_connect(const char *host, int port); /* IPv4 literal or localhost; fd or -1 (errno) */
int tcp_listen(const char *bind_addr, int port, int *bound_port);
int unix_connect(const char *path);
int unix_listen(const char *path);
/* Sends header + payload; fds (if nfds > 0) ride along by SCM_RIGHTS. 0 or -1 (errno). */
int msg_send(int fd, uint16_t type, uint16_t status, const void *payload, uint32_t len,
	     const int *fds, int nfds);
/* Receives a header (and up to maxfds passed fds, the rest closed). 0, or -1 (errno, 0 = EOF). */
int msg_recv_hdr(int fd, struct msg_hdr *h, int *fds, int maxfds, int *nfds);

#endif

/*
 * The container's network: a namespace of its own with only loopback, unshared when the
 * container is prepared ahead (off the start path). An instance can neither reach the node's
 * ports (forkd's API, the cluster, the page server, anything on 127.0.0.1 of the host) nor
 * listen where the host sees it. A remote child's restorer still needs its page server: the
 * container's init, which keeps a handle on the node's network, connects for it and hands the
 * connection down (order field "connect").
 */
#ifndef CLEAVE_NETNS_H
#define CLEAVE_NETNS_H

/* The calling process's network namespace, to come back to from inside the container (O_CLOEXEC). */
int netns_open_current(void);

/* Brings up loopback in the calling process's (new, empty) network namespace. */
void netns_loopback_up(void);

/*
 * Connects a TCP socket to the IPv4 "HOST:PORT" from within the namespace node_net, then returns
 * to the caller's own namespace. Returns the socket, or -1 with errno set when the connection
 * itself failed (the address is not reachable); namespace errors are fatal.
 */
int netns_connect_from(int node_net, const char *hostport);

#endif

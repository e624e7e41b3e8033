/*
 * The start order forkd sends on the helper's stdin once: NUL-terminated "key=value" strings,
 * ended by an empty string. Keys: bundle, run, children (seeds only), output, uid, gid, hostname,
 * fsize (bytes), cgroup (repeated: a cgroup directory the instance joins), arg (repeated, argv),
 * env (repeated, "K=V"), pageserver (a prepared seed: the page server's socket dir), pagecache (a
 * remote child: the node's page cache dir of its handle), uffd (1: the instance gets an open
 * /dev/userfaultfd as fd ORDER_UFFD_FD, for an unprivileged restorer), connect (IPv4 HOST:PORT: the
 * instance gets a TCP connection to it, made from the node's network, as fd ORDER_CONNECT_FD; a
 * remote child's page server), address (IPv4 A.B.C.D/N) and gateway (IPv4): an outbound instance's
 * eth0 (see outbound.h), nameserver (repeated, IPv4, at most ORDER_MAX_NAMESERVERS: the instance's
 * /etc/resolv.conf; none: no DNS), workdir (the instance's working directory: /function, the
 * default, or /: a JVM seed's, where the class path its AppCDS archive was made with resolves).
 * Other paths are host paths.
 */
#ifndef CLEAVE_ORDER_H
#define CLEAVE_ORDER_H

#include <stddef.h>
#include <sys/types.h>

#define ORDER_MAX_CGROUPS 8
/* glibc's resolver reads no more (MAXNS). */
#define ORDER_MAX_NAMESERVERS 3
/* Where an instance started with uffd=1 finds /dev/userfaultfd open (above any fd the helper uses). */
#define ORDER_UFFD_FD 100
/* Where an instance started with connect=HOST:PORT finds that connection (absent if it failed). */
#define ORDER_CONNECT_FD 101

struct order {
  char *buf; /* owns every string below */
  const char *bundle;
  const char *run;
  const char *children; /* NULL unless the instance is a seed */
  const char *pageserver; /* NULL unless the instance is a seed to prepare */
  const char *pagecache;  /* NULL unless the instance is a remote child */
  int uffd;
  const char *connect; /* NULL unless the instance needs a connection from the node's network */
  const char *address; /* NULL unless the instance is outbound (then gateway is set too) */
  const char *gateway;
  const char *nameservers[ORDER_MAX_NAMESERVERS];
  size_t nnameservers;
  const char *output;
  const char *workdir; /* NULL: /function */
  const char *hostname;
  uid_t uid;
  gid_t gid;
  unsigned long long fsize;
  const char *cgroups[ORDER_MAX_CGROUPS];
  size_t ncgroups;
  char **argv; /* NULL-terminated */
  char **envp; /* NULL-terminated */
};

/* Reads and checks the order from fd. Returns 0, or -1 when fd reached EOF before any byte (forkd
 * dropped this pooled container). Any other problem is fatal. */
int order_read(int fd, struct order *out);

#endif

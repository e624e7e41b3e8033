#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report.h"

int netns_open_current(void) {
  int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail("open the node's network namespace");
  }
  return fd;
}

void netns_loopback_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail("socket to configure loopback");
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    fail("read the flags of lo");
  }
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
    fail("bring lo up");
  }
  if (close(fd) != 0) {
    fail("close the loopback configuration socket");
  }
}

static struct sockaddr_in parse_hostport(const char *hostport) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  const char *colon = strrchr(hostport, ':');
  char host[64];
  if (colon == NULL || (size_t)(colon - hostport) >= sizeof host) {
    fail_plain("connect: want IPv4 HOST:PORT, got '%s'", hostport);
  }
  memcpy(host, hostport, (size_t)(colon - hostport));
  host[colon - hostport] = '\0';
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end != '\0' || port < 1 || port > 65535 || inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fail_plain("connect: want IPv4 HOST:PORT, got '%s'", hostport);
  }
  a.sin_port = htons((unsigned short)port);
  return a;
}

int netns_connect_from(int node_net, const char *hostport) {
  struct sockaddr_in addr = parse_hostport(hostport);
  int own = netns_open_current();
  if (setns(node_net, CLONE_NEWNET) != 0) {
    fail("enter the node's network namespace");
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail("socket for %s", hostport);
  }
  int err = 0;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    err = errno;
    if (close(fd) != 0) {
      fail("close the failed connection to %s", hostport);
    }
    fd = -1;
  }
  if (setns(own, CLONE_NEWNET) != 0) {
    fail("return to the container's network namespace");
  }
  if (close(own) != 0) {
    fail("close the container's network namespace");
  }
  errno = err;
  return fd;
}

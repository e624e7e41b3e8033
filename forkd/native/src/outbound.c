#include "outbound.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report.h"

static struct sockaddr_in ipv4(const char *text, const char *field) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  if (inet_pton(AF_INET, text, &a.sin_addr) != 1) {
    fail_plain("order field %s: want an IPv4 address, got '%s'", field, text);
  }
  return a;
}

/* ifr_addr and friends are struct sockaddr; an IPv4 one fits. */
static void set_sockaddr(struct sockaddr *dst, const struct sockaddr_in *src) {
  memcpy(dst, src, sizeof *src);
}

void outbound_up(const char *address, const char *gateway) {
  char host[INET_ADDRSTRLEN];
  const char *slash = strchr(address, '/');
  if (slash == NULL || (size_t)(slash - address) >= sizeof host) {
    fail_plain("order field address: want IPv4 A.B.C.D/N, got '%s'", address);
  }
  memcpy(host, address, (size_t)(slash - address));
  host[slash - address] = '\0';
  char *end;
  long prefix = strtol(slash + 1, &end, 10);
  if (slash[1] == '\0' || *end != '\0' || prefix < 1 || prefix > 30) {
    fail_plain("order field address: want a prefix length within 1..30, got '%s'", address);
  }
  struct sockaddr_in addr = ipv4(host, "address");
  struct sockaddr_in mask = ipv4("0.0.0.0", "netmask");
  mask.sin_addr.s_addr = htonl(~0u << (32 - prefix));
  struct sockaddr_in gw = ipv4(gateway, "gateway");
  struct sockaddr_in any = ipv4("0.0.0.0", "default route");

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail("socket to configure %s", OUTBOUND_IF);
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, OUTBOUND_IF);
  set_sockaddr(&ifr.ifr_addr, &addr);
  if (ioctl(fd, SIOCSIFADDR, &ifr) != 0) {
    fail("give %s the address %s", OUTBOUND_IF, host);
  }
  set_sockaddr(&ifr.ifr_netmask, &mask);
  if (ioctl(fd, SIOCSIFNETMASK, &ifr) != 0) {
    fail("give %s the prefix length %ld", OUTBOUND_IF, prefix);
  }
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    fail("read the flags of %s", OUTBOUND_IF);
  }
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
    fail("bring %s up", OUTBOUND_IF);
  }
  struct rtentry rt;
  memset(&rt, 0, sizeof rt);
  set_sockaddr(&rt.rt_dst, &any);
  set_sockaddr(&rt.rt_genmask, &any);
  set_sockaddr(&rt.rt_gateway, &gw);
  rt.rt_flags = RTF_UP | RTF_GATEWAY;
  if (ioctl(fd, SIOCADDRT, &rt) != 0) {
    fail("add the default route via %s on %s", gateway, OUTBOUND_IF);
  }
  if (close(fd) != 0) {
    fail("close the %s configuration socket", OUTBOUND_IF);
  }
}

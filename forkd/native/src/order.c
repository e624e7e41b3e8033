#include "order.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

#define ORDER_MAX_BYTES (4u << 20)

/* Reads until the terminating empty string ("\0\0", or a lone "\0" at the start). */
static size_t read_all(int fd, char **bufp) {
  size_t cap = 16384, len = 0;
  char *buf = malloc(cap);
  if (buf == NULL) {
    fail("allocate the order buffer");
  }
  for (;;) {
    if (len > 0 && buf[len - 1] == '\0' && (len == 1 || buf[len - 2] == '\0')) {
      break;
    }
    if (len == cap) {
      if (cap >= ORDER_MAX_BYTES) {
        fail_plain("order larger than %u bytes", ORDER_MAX_BYTES);
      }
      cap *= 2;
      char *grown = realloc(buf, cap);
      if (grown == NULL) {
        fail("grow the order buffer to %zu bytes", cap);
      }
      buf = grown;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail("read the order");
    }
    if (n == 0) {
      if (len == 0) {
        free(buf);
        *bufp = NULL;
        return 0;
      }
      fail_plain("order truncated after %zu bytes", len);
    }
    len += (size_t)n;
  }
  *bufp = buf;
  return len;
}

static unsigned long long number(const char *key, const char *value) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(value, &end, 10);
  if (errno != 0 || *value == '\0' || *end != '\0') {
    fail_plain("order field %s is not a number: '%s'", key, value);
  }
  return v;
}

int order_read(int fd, struct order *o) {
  memset(o, 0, sizeof *o);
  size_t len = read_all(fd, &o->buf);
  if (o->buf == NULL) {
    return -1;
  }
  size_t nargs = 0, nenv = 0;
  for (size_t i = 0; i < len; i += strlen(o->buf + i) + 1) {
    nargs += strncmp(o->buf + i, "arg=", 4) == 0;
    nenv += strncmp(o->buf + i, "env=", 4) == 0;
  }
  o->argv = calloc(nargs + 1, sizeof(char *));
  o->envp = calloc(nenv + 1, sizeof(char *));
  if (o->argv == NULL || o->envp == NULL) {
    fail("allocate argv and envp");
  }
  size_t a = 0, e = 0;
  int has_uid = 0, has_gid = 0;
  for (size_t i = 0; i < len;) {
    char *entry = o->buf + i;
    size_t n = strlen(entry);
    i += n + 1;
    if (n == 0) {
      break;
    }
    char *eq = strchr(entry, '=');
    if (eq == NULL) {
      fail_plain("order entry without '=': '%s'", entry);
    }
    *eq = '\0';
    char *value = eq + 1;
    if (strcmp(entry, "bundle") == 0) {
      o->bundle = value;
    } else if (strcmp(entry, "run") == 0) {
      o->run = value;
    } else if (strcmp(entry, "workdir") == 0) {
      if (strcmp(value, "/") != 0 && strcmp(value, "/function") != 0) {
        fail_plain("workdir must be / or /function, got '%s'", value);
      }
      o->workdir = value;
    } else if (strcmp(entry, "children") == 0) {
      o->children = value;
    } else if (strcmp(entry, "pageserver") == 0) {
      o->pageserver = value;
    } else if (strcmp(entry, "pagecache") == 0) {
      o->pagecache = value;
    } else if (strcmp(entry, "uffd") == 0) {
      o->uffd = number(entry, value) != 0;
    } else if (strcmp(entry, "connect") == 0) {
      o->connect = value;
    } else if (strcmp(entry, "address") == 0) {
      o->address = value;
    } else if (strcmp(entry, "gateway") == 0) {
      o->gateway = value;
    } else if (strcmp(entry, "nameserver") == 0) {
      if (o->nnameservers == ORDER_MAX_NAMESERVERS) {
        fail_plain("more than %d nameservers in the order", ORDER_MAX_NAMESERVERS);
      }
      if (strspn(value, "0123456789.") != strlen(value) || value[0] == '\0') {
        fail_plain("order field nameserver: want an IPv4 address, got '%s'", value);
      }
      o->nameservers[o->nnameservers++] = value;
    } else if (strcmp(entry, "output") == 0) {
      o->output = value;
    } else if (strcmp(entry, "hostname") == 0) {
      o->hostname = value;
    } else if (strcmp(entry, "uid") == 0) {
      o->uid = (uid_t)number(entry, value);
      has_uid = 1;
    } else if (strcmp(entry, "gid") == 0) {
      o->gid = (gid_t)number(entry, value);
      has_gid = 1;
    } else if (strcmp(entry, "fsize") == 0) {
      o->fsize = number(entry, value);
    } else if (strcmp(entry, "cgroup") == 0) {
      if (o->ncgroups == ORDER_MAX_CGROUPS) {
        fail_plain("more than %d cgroups in the order", ORDER_MAX_CGROUPS);
      }
      o->cgroups[o->ncgroups++] = value;
    } else if (strcmp(entry, "arg") == 0) {
      o->argv[a++] = value;
    } else if (strcmp(entry, "env") == 0) {
      o->envp[e++] = value;
    } else {
      fail_plain("unknown order field '%s'", entry);
    }
  }
  if (o->bundle == NULL || o->run == NULL || o->output == NULL || o->hostname == NULL) {
    fail_plain("order lacks one of bundle, run, output, hostname");
  }
  if ((o->address == NULL) != (o->gateway == NULL)) {
    fail_plain("order has one of address and gateway without the other");
  }
  if (!has_uid || !has_gid || o->uid == 0 || o->gid == 0) {
    fail_plain("order needs a non-root uid and gid");
  }
  if (a == 0 || o->argv[0][0] != '/') {
    fail_plain("order needs an absolute command path");
  }
  return 0;
}

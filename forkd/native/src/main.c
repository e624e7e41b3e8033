/*
 * cleave-container: one pre-created lean container. forkd starts it ahead of need; it joins the
 * pool cgroups, unshares mount/pid/ipc/uts/network namespaces and forks the namespace's init, which
 * brings up loopback, prepares the file system view and reports "prepared". When the start order arrives on stdin the
 * init binds the bundle and run dir, pivots into the view and starts the instance as an
 * unprivileged uid in the instance's cgroups, then stays as the namespace's reaper. An outbound
 * instance's order also brings up the veth forkd moved into the namespace (outbound.h).
 *
 * Usage: cleave-container --root DIR --tmp-size BYTES [--runtime DIR] [--java-runtime DIR] [--kmod DIR]
 *        [--join CGROUP_DIR]...
 * --runtime is bound read-only at /cleave/sdk-python in every container (the function runtime),
 * --java-runtime read-only at /cleave/sdk-java (the Java runtime's jar),
 * --kmod read-only at /cleave/kmod (the fork primitive: seeds map its library from there, remote
 * children run its restorer, so the path is the same on every node).
 * Status lines on stdout: "helper <init's host pid>", "prepared", "started <pid in container>",
 * "exit <wait status>", "reaped <pid> <wait status>", "error <message>".
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "netns.h"
#include "order.h"
#include "outbound.h"
#include "reaper.h"
#include "report.h"
#include "rootfs.h"

#define MAX_LIST 16

struct options {
  const char *root;
  const char *runtime;
  const char *java_runtime;
  const char *kmod;
  unsigned long long tmp_bytes;
  const char *joins[MAX_LIST];
  size_t njoins;
  int host_network; /* --network host: keep the node's network namespace */
};

static void add(const char **list, size_t *n, const char *value, const char *flag) {
  if (*n == MAX_LIST) {
    fail_plain("too many %s arguments (max %d)", flag, MAX_LIST);
  }
  list[(*n)++] = value;
}

static void parse(int argc, char **argv, struct options *o) {
  memset(o, 0, sizeof *o);
  for (int i = 1; i < argc; i++) {
    if (i + 1 >= argc) {
      fail_plain("argument %s needs a value", argv[i]);
    }
    const char *value = argv[++i];
    if (strcmp(argv[i - 1], "--root") == 0) {
      o->root = value;
    } else if (strcmp(argv[i - 1], "--tmp-size") == 0) {
      char *end;
      o->tmp_bytes = strtoull(value, &end, 10);
      if (*value == '\0' || *end != '\0' || o->tmp_bytes == 0) {
        fail_plain("--tmp-size needs a positive byte count, got '%s'", value);
      }
    } else if (strcmp(argv[i - 1], "--runtime") == 0) {
      o->runtime = value;
    } else if (strcmp(argv[i - 1], "--java-runtime") == 0) {
      o->java_runtime = value;
    } else if (strcmp(argv[i - 1], "--kmod") == 0) {
      o->kmod = value;
    } else if (strcmp(argv[i - 1], "--network") == 0) {
      if (strcmp(value, "host") != 0 && strcmp(value, "isolated") != 0) {
        fail_plain("--network must be host or isolated, got '%s'", value);
      }
      o->host_network = strcmp(value, "host") == 0;
    } else if (strcmp(argv[i - 1], "--join") == 0) {
      add(o->joins, &o->njoins, value, "--join");
    } else {
      fail_plain("unknown argument %s", argv[i - 1]);
    }
  }
  if (o->root == NULL || o->tmp_bytes == 0) {
    fail_plain("usage: cleave-container --root DIR --tmp-size BYTES [--runtime DIR] [--java-runtime DIR] [--kmod DIR] "
               "[--network isolated|host] [--join CGROUP_DIR]...");
  }
}

static void join_cgroup(const char *dir) {
  char path[4096];
  int n = snprintf(path, sizeof path, "%s/cgroup.procs", dir);
  if (n < 0 || (size_t)n >= sizeof path) {
    fail_plain("cgroup path too long: %s", dir);
  }
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    fail("open %s", path);
  }
  if (write(fd, "0", 1) != 1) {
    fail("join %s", path);
  }
  if (close(fd) != 0) {
    fail("close %s", path);
  }
}

/* node_net: the node's network namespace, kept to make an order's connection from (see netns.h). */
static int container_init(const struct options *opt, int node_net) {
  /* The helper above us is forkd's handle on this container: if it dies, so do we. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    fail("set the parent-death signal");
  }
  if (!opt->host_network) {
    netns_loopback_up();
  }
  rootfs_prepare(opt->root, opt->tmp_bytes, opt->runtime, opt->java_runtime, opt->kmod);
  report("prepared");
  struct order order;
  if (order_read(0, &order) != 0) {
    return 0; /* forkd dropped this container unused */
  }
  if (order.address != NULL) {
    outbound_up(order.address, order.gateway);
  }
  struct launch_files files;
  launch_open(&order, &files, node_net);
  if (close(node_net) != 0) {
    fail("close the node's network namespace");
  }
  rootfs_enter(opt->root, &order);
  int sigfd = reaper_signals();
  pid_t instance = launch_start(&order, &files);
  report("started %d", (int)instance);
  reaper_run(sigfd, instance, order.children != NULL);
  return 0;
}

int main(int argc, char **argv) {
  struct options opt;
  parse(argc, argv, &opt);
  for (size_t i = 0; i < opt.njoins; i++) {
    join_cgroup(opt.joins[i]);
  }
  int node_net = netns_open_current();
  /* --network host (tests, single-user development) keeps the node's network: no namespace of its own. */
  if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | (opt.host_network ? 0 : CLONE_NEWNET)) != 0) {
    fail("unshare mount, pid, ipc, uts and network namespaces");
  }
  pid_t init = fork();
  if (init < 0) {
    fail("fork the container init");
  }
  if (init == 0) {
    return container_init(&opt, node_net);
  }
  if (close(node_net) != 0) {
    fail("close the helper's handle on the node's network namespace");
  }
  report("helper %d", (int)init);
  /* Only the init talks to forkd from here on; stdin EOF must reach it alone. */
  if (close(0) != 0 || close(1) != 0) {
    fail("close the helper's copies of stdin and stdout");
  }
  int status;
  while (waitpid(init, &status, 0) < 0) {
    if (errno != EINTR) {
      fail("wait for the container init");
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"
#include "report.h"
#include "seccomp.h"

/* Puts fd at number at (close-on-exec until the instance is launched); answers at. */
static int move_fd(int fd, int at, const char *what) {
  if (dup3(fd, at, O_CLOEXEC) != at) {
    fail("move %s to fd %d", what, at);
  }
  if (close(fd) != 0) {
    fail("close %s", what);
  }
  return at;
}

void launch_open(const struct order *o, struct launch_files *f, int node_net) {
  f->output = open(o->output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (f->output < 0) {
    fail("open output file %s", o->output);
  }
  f->uffd_dev = -1;
  if (o->uffd) {
    /* Opened here, as root: the instance gets it without the capability the device asks for. */
    int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    if (dev < 0) {
      fail("open /dev/userfaultfd");
    }
    f->uffd_dev = move_fd(dev, ORDER_UFFD_FD, "/dev/userfaultfd");
  }
  f->connection = -1;
  if (o->connect != NULL) {
    int fd = netns_connect_from(node_net, o->connect);
    if (fd >= 0) {
      f->connection = move_fd(fd, ORDER_CONNECT_FD, "the connection");
    } else {
      /* Not this helper's failure: the instance finds no connection and says so (to forkd, as a refusal). */
      fprintf(stderr, "cleave-container: connect to %s from the node's network: %s\n", o->connect, strerror(errno));
    }
  }
  f->ncgroups = 0;
  for (size_t i = 0; i < o->ncgroups; i++) {
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/cgroup.procs", o->cgroups[i]);
    if (n < 0 || (size_t)n >= sizeof path) {
      fail_plain("cgroup path too long: %s", o->cgroups[i]);
    }
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      fail("open %s", path);
    }
    f->cgroup_procs[f->ncgroups++] = fd;
  }
}

/* In the forked instance: any failure goes to the exec-status pipe and ends the child. */
static void child_fail(int status_fd, const char *what) __attribute__((noreturn));

static void child_fail(int status_fd, const char *what) {
  char msg[1024];
  int n = snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  if (n > 0) {
    ssize_t ignored = write(status_fd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
    (void)ignored;
  }
  _exit(127);
}

static void drop_capabilities(int status_fd) {
  for (int cap = 0;; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL) {
        break; /* past the last capability this kernel knows */
      }
      child_fail(status_fd, "drop capability from the bounding set");
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    child_fail(status_fd, "clear ambient capabilities");
  }
}

static void become(const struct order *o, int status_fd) {
  if (setgroups(0, NULL) != 0) {
    child_fail(status_fd, "setgroups");
  }
  if (setresgid(o->gid, o->gid, o->gid) != 0) {
    child_fail(status_fd, "setresgid");
  }
  if (setresuid(o->uid, o->uid, o->uid) != 0) {
    child_fail(status_fd, "setresuid");
  }
  /* setresuid cleared permitted and effective; inheritable survives it, so clear all sets. */
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &header, data) != 0) {
    child_fail(status_fd, "capset to nothing");
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    child_fail(status_fd, "set no_new_privs");
  }
  /*
   * The uid's keyrings outlive its processes. The filter denies the keyring calls to instances,
   * but a uid may have been used before (another forkd, an older one): start it with them empty.
   */
  if (syscall(SYS_keyctl, KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING) != 0 && errno != ENOSYS) {
    child_fail(status_fd, "clear the uid's user keyring");
  }
  if (syscall(SYS_keyctl, KEYCTL_CLEAR, KEY_SPEC_USER_SESSION_KEYRING) != 0 && errno != ENOSYS) {
    child_fail(status_fd, "clear the uid's user session keyring");
  }
}

static void instance_main(const struct order *o, struct launch_files *f, int status_fd) {
  for (size_t i = 0; i < f->ncgroups; i++) {
    if (write(f->cgroup_procs[i], "0", 1) != 1) {
      child_fail(status_fd, "join cgroup");
    }
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) {
    child_fail(status_fd, "unblock signals");
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) {
    child_fail(status_fd, "open /dev/null");
  }
  if (dup2(devnull, 0) < 0 || dup2(f->output, 1) < 0 || dup2(f->output, 2) < 0) {
    child_fail(status_fd, "redirect stdin, stdout, stderr");
  }
  if (setsid() < 0) {
    child_fail(status_fd, "setsid");
  }
  struct rlimit core = {0, 0};
  if (setrlimit(RLIMIT_CORE, &core) != 0) {
    child_fail(status_fd, "limit core dumps");
  }
  if (o->fsize > 0) {
    struct rlimit fsize = {o->fsize, o->fsize};
    if (setrlimit(RLIMIT_FSIZE, &fsize) != 0) {
      child_fail(status_fd, "limit file size");
    }
  }
  drop_capabilities(status_fd);
  become(o, status_fd);
  const char *workdir = o->workdir != NULL ? o->workdir : "/function";
  if (chdir(workdir) != 0) {
    child_fail(status_fd, "chdir to the working directory");
  }
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    child_fail(status_fd, "mark descriptors close-on-exec");
  }
  if (f->uffd_dev >= 0 && fcntl(f->uffd_dev, F_SETFD, 0) != 0) {
    child_fail(status_fd, "pass /dev/userfaultfd to the instance");
  }
  if (f->connection >= 0 && fcntl(f->connection, F_SETFD, 0) != 0) {
    child_fail(status_fd, "pass the connection to the instance");
  }
  if (seccomp_install() != 0) {
    child_fail(status_fd, "install the seccomp filter");
  }
  execve(o->argv[0], o->argv, o->envp);
  char what[512];
  snprintf(what, sizeof what, "execute %s", o->argv[0]);
  child_fail(status_fd, what);
}

pid_t launch_start(const struct order *o, struct launch_files *f) {
  int status[2];
  if (pipe2(status, O_CLOEXEC) != 0) {
    fail("create the exec-status pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    fail("fork the instance");
  }
  if (pid == 0) {
    if (close(status[0]) != 0) {
      child_fail(status[1], "close the exec-status pipe's read end");
    }
    instance_main(o, f, status[1]);
  }
  if (close(status[1]) != 0) {
    fail("close the exec-status pipe");
  }
  if (close(f->output) != 0) {
    fail("close the output file");
  }
  if (f->uffd_dev >= 0 && close(f->uffd_dev) != 0) {
    fail("close /dev/userfaultfd");
  }
  if (f->connection >= 0 && close(f->connection) != 0) {
    fail("close the connection");
  }
  for (size_t i = 0; i < f->ncgroups; i++) {
    if (close(f->cgroup_procs[i]) != 0) {
      fail("close cgroup.procs of %s", o->cgroups[i]);
    }
  }
  /* EOF means the exec closed the pipe: the command runs. Bytes mean it failed before. */
  char msg[1024];
  ssize_t n;
  do {
    n = read(status[0], msg, sizeof msg - 1);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    fail("read the exec-status pipe");
  }
  if (close(status[0]) != 0) {
    fail("close the exec-status pipe");
  }
  if (n > 0) {
    msg[n] = '\0';
    while (waitpid(pid, NULL, 0) < 0) {
      if (errno != EINTR) {
        fail("reap the instance that failed to start (%s)", msg);
      }
    }
    fail_plain("%s", msg);
  }
  return pid;
}

#include "reaper.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

int reaper_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
    fail("block SIGCHLD");
  }
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) {
    fail("signalfd for SIGCHLD");
  }
  return fd;
}

/* Reaps what is ready; returns 1 once nothing is left to wait for. */
static int reap(pid_t instance, int *instance_done) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid == 0) {
      return 0;
    }
    if (pid < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == ECHILD) {
        return 1;
      }
      fail("waitpid in the container init");
    }
    if (pid == instance) {
      *instance_done = 1;
      report("exit %d", status);
    } else {
      report("reaped %d %d", (int)pid, status);
    }
  }
}

void reaper_run(int sigfd, pid_t instance, int keep_orphans) {
  int instance_done = 0;
  struct pollfd fds[2] = {{.fd = sigfd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
  for (;;) {
    int empty = reap(instance, &instance_done);
    if (instance_done && (!keep_orphans || empty)) {
      return;
    }
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail("poll in the container init");
    }
    if (fds[1].revents != 0) {
      return; /* forkd closed or wrote to stdin: tear down */
    }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sigfd, &info, sizeof info) == (ssize_t)sizeof info) {
      }
      if (errno != EAGAIN && errno != EINTR) {
        fail("read the SIGCHLD signalfd");
      }
    }
  }
}

/*
 * How long moving a process into a cgroup takes, isolated moves (idle gaps between them), as a
 * fork child's move into its own cgroup is. Without favordynmods every isolated move waits for an
 * RCU grace period; with it (forkd's default) a move is a few microseconds of work.
 *
 * Usage: cgroup-move-bench [HIERARCHY_DIR]...  (default: the v1 memory, cpu and pids hierarchies)
 * Prints the favordynmods state of the cgroup2 mount and the p50/max of 20 moves.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 20

static void die(const char *what) {
  fprintf(stderr, "cgroup-move-bench: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_ms(void) {
  struct timespec t;
  if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) {
    die("clock_gettime");
  }
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void put(const char *path, const char *value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    die(path);
  }
  if (write(fd, value, strlen(value)) < 0) {
    die(path);
  }
  if (close(fd) != 0) {
    die(path);
  }
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void show_favordynmods(void) {
  FILE *f = fopen("/proc/self/mountinfo", "r");
  if (f == NULL) {
    die("open /proc/self/mountinfo");
  }
  char line[4096];
  while (fgets(line, sizeof line, f) != NULL) {
    if (strstr(line, " - cgroup2 ") != NULL) {
      printf("cgroup2 favordynmods: %s\n", strstr(line, "favordynmods") ? "on" : "off");
    }
  }
  if (fclose(f) != 0) {
    die("close /proc/self/mountinfo");
  }
}

int main(int argc, char **argv) {
  static const char *const fallback[] = {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/pids"};
  const char *const *dirs = argc > 1 ? (const char *const *)argv + 1 : fallback;
  int n = argc > 1 ? argc - 1 : 3;
  show_favordynmods();
  double moves[ROUNDS];
  char path[4096], pid[32];
  for (int r = 0; r < ROUNDS; r++) {
    if (usleep(100000) != 0) {
      die("usleep");
    }
    for (int i = 0; i < n; i++) {
      snprintf(path, sizeof path, "%s/cgroup-move-bench-%d", dirs[i], (int)getpid());
      if (mkdir(path, 0755) != 0) {
        die(path);
      }
    }
    pid_t child = fork();
    if (child < 0) {
      die("fork");
    }
    if (child == 0) {
      pause();
      _exit(0);
    }
    snprintf(pid, sizeof pid, "%d", (int)child);
    double t0 = now_ms();
    for (int i = 0; i < n; i++) {
      snprintf(path, sizeof path, "%s/cgroup-move-bench-%d/cgroup.procs", dirs[i], (int)getpid());
      put(path, pid);
    }
    moves[r] = now_ms() - t0;
    if (kill(child, SIGKILL) != 0) {
      die("kill");
    }
    if (waitpid(child, NULL, 0) < 0) {
      die("waitpid");
    }
    for (int i = 0; i < n; i++) {
      snprintf(path, sizeof path, "%s/cgroup-move-bench-%d", dirs[i], (int)getpid());
      while (rmdir(path) != 0) {
        if (errno != EBUSY) {
          die(path);
        }
      }
    }
  }
  qsort(moves, ROUNDS, sizeof moves[0], cmp);
  printf("moving a process into %d cgroups, %d isolated moves: p50 %.3f ms, max %.3f ms\n", n, ROUNDS,
         moves[ROUNDS / 2], moves[ROUNDS - 1]);
  return 0;
}

#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Returns 0 once written, -1 when fd is unusable (closed, or forkd is gone). */
static int write_line(int fd, const char *line, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, line, len);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -1;
    }
    line += n;
    len -= (size_t)n;
  }
  return 0;
}

void report(const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) {
    return;
  }
  size_t len = (size_t)n < sizeof line - 2 ? (size_t)n : sizeof line - 2;
  line[len++] = '\n';
  (void)write_line(1, line, len); /* a lost status line is forkd's loss only: it is gone */
}

static void fail_with(int err, const char *fmt, va_list ap) __attribute__((noreturn));

static void fail_with(int err, const char *fmt, va_list ap) {
  char what[3000];
  vsnprintf(what, sizeof what, fmt, ap);
  char line[3200];
  int n = err ? snprintf(line, sizeof line, "error %s: %s\n", what, strerror(err))
              : snprintf(line, sizeof line, "error %s\n", what);
  size_t len = n < 0 ? 0 : ((size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
  /* forkd logs status lines; stderr is the fallback once stdout is closed. */
  if (write_line(1, line, len) != 0) {
    (void)write_line(2, "cleave-container: ", 18);
    (void)write_line(2, line + 6, len > 6 ? len - 6 : 0);
  }
  exit(1);
}

void fail(const char *fmt, ...) {
  int err = errno;
  va_list ap;
  va_start(ap, fmt);
  fail_with(err, fmt, ap);
}

void fail_plain(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fail_with(0, fmt, ap);
}

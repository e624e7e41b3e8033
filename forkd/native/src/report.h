/* Status lines to forkd (stdout of the helper) and fatal errors with context. */
#ifndef CLEAVE_REPORT_H
#define CLEAVE_REPORT_H

/* Writes one status line ("prepared", "started 2", "exit 0", ...) to fd 1. */
void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports "error <what>: <strerror(errno)>" on fd 1 and stderr, then exits with status 1. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Like fail() for a condition that has no errno. */
void fail_plain(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif

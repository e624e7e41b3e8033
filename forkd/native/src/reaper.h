/* The container's pid 1 once the instance runs: reaps, reports exits, tears down on request. */
#ifndef CLEAVE_REAPER_H
#define CLEAVE_REAPER_H

#include <sys/types.h>

/* Blocks SIGCHLD and returns a signalfd for it; call before forking the instance. */
int reaper_signals(void);

/*
 * Reaps every process of the namespace, reporting "exit <wait status>" for the instance and
 * "reaped <pid> <wait status>" for others (a seed's children once the seed is gone). Returns when
 * the instance exited and, if keep_orphans, the namespace has no process left; or when forkd
 * closes stdin (or writes to it), which asks for teardown. Returning ends pid 1, so the kernel
 * kills whatever still runs in the namespace.
 */
void reaper_run(int sigfd, pid_t instance, int keep_orphans);

#endif

/* libcleave's side of the kernel module (/dev/cleave_fork), used when the device exists. */
#ifndef CLEAVE_MODULE_H
#define CLEAVE_MODULE_H

#include "../include/cleave_fork.h"
#include <stddef.h>
#include <sys/types.h>

#define CLEAVE_MODULE_DEV "/dev/cleave_fork"

/* The device, opened once per process; -1 when absent or CLEAVE_NO_MODULE=1. */
int module_fd(void);
/* Forgets the descriptor number (a resumed child does not have the seed's open files). */
void module_forget(void);
/* Hands the holder's address space and its descriptor to the module. */
int module_prepare(pid_t holder, const void *desc, size_t len, struct cleave_prepare_args *a);
int module_revoke(const struct cleave_handle_args *a);
int module_stats(const struct cleave_handle_args *a, struct cleave_stats *out);

#endif

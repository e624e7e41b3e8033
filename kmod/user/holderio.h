/* Reading page ranges out of a frozen holder. */
#ifndef CLEAVE_HOLDERIO_H
#define CLEAVE_HOLDERIO_H

#include "desc.h"
#include <sys/types.h>

/* Copies the ranges (in order) into dst; 0 or -1 with errno. */
int holder_read(pid_t pid, const struct msg_range *r, uint32_t n, void *dst);

/* Calls emit(page_addr-ordered runs) for every fetch page of the descriptor, in data order. */
typedef int (*fetch_run_fn)(void *ctx, uint64_t addr, uint32_t npages);
int desc_for_each_fetch_run(const struct desc *d, fetch_run_fn fn, void *ctx);

#endif

/* Checkpoint files: descriptor + every fetch page, for restore without a page server. */
#ifndef CLEAVE_CKPT_H
#define CLEAVE_CKPT_H

#include <stddef.h>
#include <sys/types.h>

int ckpt_write(const char *path, pid_t holder, const void *desc, size_t len);

#endif

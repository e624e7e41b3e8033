#define _GNU_SOURCE
#include "ckpt.h"
#include "../include/cleave_fork.h"
#include "desc.h"
#include "holderio.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct writer {
	int fd;
	pid_t holder;
	char *buf;
	const char *path;
};

static int write_run(void *ctx, uint64_t addr, uint32_t npages)
{
	struct writer *w = ctx;
	struct msg_range r = {addr, npages, 0};
	if (holder_read(w->holder, &r, 1, w->buf) != 0)
		return cl_fail_sys("checkpoint: read seed pages at %#llx", (unsigned long long)addr);
	if (write_full(w->fd, w->buf, (size_t)npages * PAGE_SZ) != 0)
		return cl_fail_sys("checkpoint: write %s", w->path);
	return 0;
}

int ckpt_write(const char *path, pid_t holder, const void *desc, size_t len)
{
	struct desc d;
	char err[256];
	int r = desc_parse(desc, len, &d, err, sizeof err);
	if (r < 0)
		return cl_fail(-r, "checkpoint: %s", err);
	char tmp[CLEAVE_PATH_MAX + 16];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return cl_fail_sys("checkpoint: create %s", tmp);
	struct ckpt_hdr h = {CKPT_MAGIC, DESC_VERSION, len,
			     (sizeof h + len + PAGE_SZ - 1) & ~(PAGE_SZ - 1), d.h->fetch_pages};
	struct writer w = {fd, holder, malloc((size_t)MAX_READ_PAGES * PAGE_SZ), tmp};
	if (!w.buf) {
		close(fd);
		unlink(tmp);
		return cl_fail(CLEAVE_E_SYS, "checkpoint: out of memory");
	}
	if (write_full(fd, &h, sizeof h) != 0 || write_full(fd, desc, len) != 0 ||
	    lseek(fd, (off_t)h.data_off, SEEK_SET) < 0)
		r = cl_fail_sys("checkpoint: write %s", tmp);
	else
		r = desc_for_each_fetch_run(&d, write_run, &w);
	free(w.buf);
	if (r == 0 && fsync(fd) != 0)
		r = cl_fail_sys("checkpoint: fsync %s", tmp);
	if (close(fd) != 0 && r == 0)
		r = cl_fail_sys("checkpoint: close %s", tmp);
	if (r == 0 && rename(tmp, path) != 0)
		r = cl_fail_sys("checkpoint: rename %s to %s", tmp, path);
	if (r != 0)
		unlink(tmp);
	return r;
}

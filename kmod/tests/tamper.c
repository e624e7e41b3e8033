/* Test tool: damages a checkpoint file the way a bad node or a bad transfer would (or, with
 * --desc, a bare descriptor: tests/vm_proxy.py damages one on its way to a resume). */
#define _GNU_SOURCE
#include "desc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int bare = argc == 4 && !strcmp(argv[3], "--desc");
	if (argc != 3 && !bare) {
		fprintf(stderr, "usage: tamper FILE truncate-desc|vdso|cpu [--desc]\n");
		return 2;
	}
	int fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	struct ckpt_hdr ck = {0};
	struct desc_hdr h;
	off_t at = bare ? 0 : (off_t)sizeof ck;
	if ((!bare && pread(fd, &ck, sizeof ck, 0) != sizeof ck) || pread(fd, &h, sizeof h, at) != sizeof h) {
		perror("read");
		return 1;
	}
	if (!strcmp(argv[2], "truncate-desc") && !bare) {
		if (ftruncate(fd, (off_t)(sizeof ck + ck.desc_bytes / 2)) != 0) {
			perror("ftruncate");
			return 1;
		}
	} else if (!strcmp(argv[2], "vdso")) {
		h.vdso_hash ^= 0x5a5a;
	} else if (!strcmp(argv[2], "cpu")) {
		h.cpu[4] |= 0x80000000u; /* cpuid(7).edx bit 31 (SSBD) claimed by the "seed" */
		h.cpu[2] |= 0xffffffffu;
	} else {
		fprintf(stderr, "unknown damage %s\n", argv[2]);
		return 2;
	}
	if (strcmp(argv[2], "truncate-desc") && pwrite(fd, &h, sizeof h, at) != sizeof h) {
		perror("write");
		return 1;
	}
	close(fd);
	return 0;
}

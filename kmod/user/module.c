/* libcleave's side of the kernel module: staging the descriptor and the ioctls. */
#define _GNU_SOURCE
#include "module.h"
#include "desc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int g_fd = -2; /* -2: not looked for yet */

int module_fd(void)
{
	if (g_fd == -2) {
		const char *off = getenv("CLEAVE_NO_MODULE");
		g_fd = off && !strcmp(off, "1") ? -1 : open(CLEAVE_MODULE_DEV, O_RDWR | O_CLOEXEC);
		if (g_fd < 0)
			g_fd = -1;
	}
	return g_fd;
}

void module_forget(void) { g_fd = -2; }

/* The module fails an ioctl with errno = the CLEAVE_E_* code. */
static int module_fail(const char *what)
{
	int e = errno;
	if (e >= CLEAVE_E_INVAL && e <= CLEAVE_E_LOST)
		return cl_fail(e, "%s (%s): %s", what, CLEAVE_MODULE_DEV, cleave_strerror(e));
	return cl_fail_sys("%s (%s)", what, CLEAVE_MODULE_DEV);
}

int module_prepare(pid_t holder, const void *desc, size_t len, struct cleave_prepare_args *a)
{
	struct mod_stage st = {MOD_STAGE_MAGIC, (int32_t)holder, (uint32_t)len, 0};
	char *buf = malloc(sizeof st + len);
	if (!buf)
		return cl_fail(CLEAVE_E_SYS, "prepare: out of memory");
	memcpy(buf, &st, sizeof st);
	memcpy(buf + sizeof st, desc, len);
	ssize_t n = write(module_fd(), buf, sizeof st + len);
	free(buf);
	if (n != (ssize_t)(sizeof st + len))
		return module_fail("prepare: stage the descriptor");
	/* the module's copy of the arguments: flags 0 (file mode never comes here) */
	struct cleave_prepare_args k = *a;
	k.flags = 0;
	if (ioctl(module_fd(), CLEAVE_IOC_PREPARE, &k) != 0)
		return module_fail("prepare");
	a->handle = k.handle;
	memcpy(a->key, k.key, sizeof a->key);
	return 0;
}

static int check_args(const struct cleave_handle_args *a, const char *what)
{
	if (!a || a->version != CLEAVE_ABI_VERSION)
		return cl_fail(CLEAVE_E_INVAL, "%s: bad arguments", what);
	return 0;
}

int module_revoke(const struct cleave_handle_args *a)
{
	int r = check_args(a, "revoke");
	if (r == 0 && ioctl(module_fd(), CLEAVE_IOC_REVOKE, a) != 0)
		r = module_fail("revoke");
	return r;
}

int module_stats(const struct cleave_handle_args *a, struct cleave_stats *out)
{
	int r = check_args(a, "stats");
	if (r < 0)
		return r;
	struct cleave_stats s;
	memset(&s, 0, sizeof s);
	s.version = CLEAVE_ABI_VERSION;
	s.handle = a->handle;
	memcpy(s.reserved, a->key, CLEAVE_KEY_BYTES); /* the key rides in reserved[0..1] */
	if (ioctl(module_fd(), CLEAVE_IOC_STATS, &s) != 0)
		return module_fail("stats");
	*out = s;
	return 0;
}

/* libcleave calls that talk to the local page server or hand over to the restorer. */
#define _GNU_SOURCE
#include "../include/cleave_fork.h"
#include "desc.h"
#include "module.h"
#include "net.h"
#include "util.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

int cleave_revoke_reap(pid_t holder);

static const char *sock_path(const char *p)
{
	if (p && *p)
		return p;
	const char *e = getenv("CLEAVE_PAGESERVER_SOCK");
	return e && *e ? e : CLEAVE_DEFAULT_SOCK;
}

/* One request/response on the unix socket; the reply payload goes to out (exactly outlen). */
static int control_call(const struct cleave_handle_args *a, uint16_t type, void *out,
			uint32_t outlen, const char *what)
{
	if (!a || a->version != CLEAVE_ABI_VERSION || !memchr(a->path, 0, sizeof a->path))
		return cl_fail(CLEAVE_E_INVAL, "%s: bad arguments", what);
	const char *path = sock_path(a->path);
	int fd = unix_connect(path);
	if (fd < 0)
		return cl_fail(CLEAVE_E_SERVER, "%s: connect to page server %s: %s", what, path,
			       strerror(errno));
	struct msg_auth auth;
	auth.handle = a->handle;
	memcpy(auth.key, a->key, sizeof auth.key);
	struct msg_hdr h;
	int r = 0;
	if (msg_send(fd, type, 0, &auth, sizeof auth, NULL, 0) != 0 ||
	    msg_recv_hdr(fd, &h, NULL, 0, NULL) != 0) {
		r = cl_fail(CLEAVE_E_SERVER, "%s: page server %s: %s", what, path,
			    errno ? strerror(errno) : "connection closed");
	} else if (h.status != 0) {
		r = cl_fail(h.status, "%s: handle %llu: %s", what, (unsigned long long)a->handle,
			    cleave_strerror(h.status));
	} else if (h.len != outlen || (outlen && read_full(fd, out, outlen) != 0)) {
		r = cl_fail(CLEAVE_E_SERVER, "%s: bad reply from %s", what, path);
	}
	close(fd);
	return r;
}

int cleave_stats(const struct cleave_handle_args *a, struct cleave_stats *out)
{
	if (module_fd() >= 0)
		return module_stats(a, out);
	return control_call(a, M_STATS, out, sizeof *out, "stats");
}

int cleave_revoke(const struct cleave_handle_args *a)
{
	if (module_fd() >= 0)
		return module_revoke(a);
	struct cleave_stats st;
	int r = control_call(a, M_STATS, &st, sizeof st, "revoke");
	if (r < 0)
		return r;
	r = control_call(a, M_REVOKE, NULL, 0, "revoke");
	if (r < 0)
		return r;
	/* The holder is our child when this process prepared it: collect it. */
	cleave_revoke_reap(st.holder_pid);
	return 0;
}

static void restorer_path(char *out, size_t len)
{
	const char *e = getenv("CLEAVE_RESTORE");
	if (e && *e) {
		snprintf(out, len, "%s", e);
		return;
	}
	Dl_info info;
	if (dladdr((void *)&cleave_resume, &info) && info.dli_fname && strchr(info.dli_fname, '/')) {
		snprintf(out, len, "%s", info.dli_fname);
		char *slash = strrchr(out, '/');
		snprintf(slash + 1, len - (size_t)(slash + 1 - out), "cleave-restore");
		return;
	}
	snprintf(out, len, "cleave-restore");
}

int cleave_resume(const struct cleave_resume_args *a)
{
	if (!a || a->version != CLEAVE_ABI_VERSION || !memchr(a->server, 0, sizeof a->server) ||
	    !memchr(a->prefetch, 0, sizeof a->prefetch) || !memchr(a->record, 0, sizeof a->record) ||
	    (a->flags & ~(CLEAVE_RESUME_EAGER | CLEAVE_RESUME_FILE)))
		return cl_fail(CLEAVE_E_INVAL, "resume: bad arguments");
	char exe[4096], handle[32], key[CLEAVE_KEY_BYTES * 2 + 1];
	restorer_path(exe, sizeof exe);
	snprintf(handle, sizeof handle, "%llu", (unsigned long long)a->handle);
	for (int i = 0; i < CLEAVE_KEY_BYTES; i++)
		snprintf(key + 2 * i, 3, "%02x", a->key[i]);
	const char *argv[16];
	int n = 0;
	argv[n++] = exe;
	if (a->flags & CLEAVE_RESUME_FILE) {
		argv[n++] = "--file";
		argv[n++] = a->server;
	} else {
		argv[n++] = "--server";
		argv[n++] = a->server;
		argv[n++] = "--handle";
		argv[n++] = handle;
		argv[n++] = "--key";
		argv[n++] = key;
		if (a->flags & CLEAVE_RESUME_EAGER)
			argv[n++] = "--eager";
	}
	if (a->prefetch[0]) {
		argv[n++] = "--prefetch";
		argv[n++] = a->prefetch;
	}
	if (a->record[0]) {
		argv[n++] = "--record";
		argv[n++] = a->record;
	}
	argv[n] = NULL;
	execv(exe, (char *const *)argv);
	return cl_fail_sys("resume: exec %s", exe);
}

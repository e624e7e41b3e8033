/* cleave-pageserver: the page server library as a standalone daemon (tests, small nodes). */
#define _GNU_SOURCE
#include "../include/cleave_fork.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: cleave-pageserver [--port N] [--bind ADDR] [--sock PATH] "
			"[--port-file FILE] [--verbose]\n"
			"  --port N        TCP port for restorers (default %d, 0 = any free port)\n"
			"  --bind ADDR     IPv4 address to listen on (default 0.0.0.0)\n"
			"  --sock PATH     unix socket for local seeds (default %s)\n"
			"  --port-file F   write the bound port to F once listening\n",
		CLEAVE_DEFAULT_PORT, CLEAVE_DEFAULT_SOCK);
	exit(2);
}

int main(int argc, char **argv)
{
	struct cleave_ps_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.version = CLEAVE_ABI_VERSION;
	cfg.tcp_port = CLEAVE_DEFAULT_PORT;
	snprintf(cfg.unix_path, sizeof cfg.unix_path, "%s", CLEAVE_DEFAULT_SOCK);
	const char *port_file = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--verbose")) {
			cfg.verbose = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--port")) {
			char *end;
			long p = strtol(v, &end, 10);
			if (*end || p < 0 || p > 65535)
				usage();
			cfg.tcp_port = (uint16_t)p;
		} else if (!strcmp(a, "--bind")) {
			snprintf(cfg.bind_addr, sizeof cfg.bind_addr, "%s", v);
		} else if (!strcmp(a, "--sock")) {
			if (strlen(v) >= sizeof cfg.unix_path) {
				fprintf(stderr, "cleave-pageserver: socket path too long\n");
				return 2;
			}
			snprintf(cfg.unix_path, sizeof cfg.unix_path, "%s", v);
		} else if (!strcmp(a, "--port-file")) {
			port_file = v;
		} else {
			usage();
		}
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Block before starting threads so only sigwait below sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct cleave_ps *ps;
	int r = cleave_ps_start(&cfg, &ps);
	if (r < 0) {
		fprintf(stderr, "cleave-pageserver: %s\n", cleave_last_error());
		return 1;
	}
	if (port_file) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		FILE *f = fopen(tmp, "w");
		if (!f || fprintf(f, "%d\n", cleave_ps_port(ps)) < 0 || fclose(f) != 0 ||
		    rename(tmp, port_file) != 0) {
			fprintf(stderr, "cleave-pageserver: write %s: %s\n", port_file, strerror(errno));
			cleave_ps_stop(ps);
			return 1;
		}
	}
	if (cfg.verbose)
		fprintf(stderr, "cleave-pageserver: listening on tcp %d, unix %s\n", cleave_ps_port(ps),
			cfg.unix_path);
	int sig;
	sigwait(&set, &sig);
	cleave_ps_stop(ps);
	return 0;
}

/*
 * Benchmark driver: runs a command N times and reports, per run, the time from spawn to the
 * first line it writes on stdout (the "first response") and to its exit.
 *   spawnbench N OUT.csv -- CMD ARGS...
 * CSV columns: run,first_ms,exit_ms,status,first_line
 */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--")) {
		fprintf(stderr, "usage: spawnbench N OUT.csv -- CMD ARGS...\n");
		return 2;
	}
	int n = atoi(argv[1]);
	FILE *out = fopen(argv[2], "w");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	fprintf(out, "run,first_ms,exit_ms,status,first_line\n");
	int bad = 0;
	for (int i = 0; i < n; i++) {
		int pfd[2];
		if (pipe(pfd) != 0) {
			perror("pipe");
			return 1;
		}
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
		posix_spawn_file_actions_addclose(&fa, pfd[0]);
		pid_t pid;
		double t0 = now_ms();
		int e = posix_spawn(&pid, argv[4], &fa, NULL, argv + 4, environ);
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[1]);
		if (e != 0) {
			fprintf(stderr, "spawn %s: %s\n", argv[4], strerror(e));
			return 1;
		}
		char line[256];
		size_t len = 0;
		double first = -1;
		for (;;) {
			ssize_t r = read(pfd[0], line + len, sizeof line - 1 - len);
			if (r <= 0)
				break;
			len += (size_t)r;
			if (memchr(line, '\n', len)) {
				first = now_ms() - t0;
				break;
			}
			if (len == sizeof line - 1)
				break;
		}
		line[len] = 0;
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char drain[4096];
		while (read(pfd[0], drain, sizeof drain) > 0)
			;
		close(pfd[0]);
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		double ex = now_ms() - t0;
		int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (code != 0 || first < 0)
			bad++;
		for (char *c = line; *c; c++)
			if (*c == ',' || *c == '"')
				*c = ' ';
		fprintf(out, "%d,%.3f,%.3f,%d,%s\n", i, first, ex, code, line);
	}
	fclose(out);
	if (bad)
		fprintf(stderr, "spawnbench: %d of %d runs failed\n", bad, n);
	return bad ? 1 : 0;
}

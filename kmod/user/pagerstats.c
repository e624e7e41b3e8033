/* The pager's counters, written as one JSON line while the child runs and at its exit. */
#define _GNU_SOURCE
#include "pager_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Milliseconds from the restorer's start to a milestone, -1 when it was never reached. */
static double since(const struct pager *p, uint64_t t)
{
	return t ? (double)(t - p->o.t_start) * 1e-6 : -1.0;
}

/*
 * Writes the counters as one JSON line, replacing the file's content in a single write: a reader
 * sees the previous line, an empty file or the new line.  "exit" is null while the child runs.
 * Opened each time by name (a caller may make the file beforehand in a directory the restorer
 * cannot write to); a failure is reported once.
 */
void pg_write_stats(struct pager *p, int code, int running)
{
	char line[1024], exit_text[16];
	if (running)
		snprintf(exit_text, sizeof exit_text, "null");
	else
		snprintf(exit_text, sizeof exit_text, "%d", code);
	int n = snprintf(line, sizeof line,
		"{\"exit\": %s, \"desc_ms\": %.3f, \"ready_ms\": %.3f, \"go_ms\": %.3f, "
		"\"run_ms\": %.3f, "
		"\"faults\": %llu, \"net_pages\": %llu, \"net_batches\": %llu, \"net_bytes\": %llu, "
		"\"cache_pages\": %llu, \"ckpt_pages\": %llu, \"file_pages\": %llu, "
		"\"zero_pages\": %llu, \"prefetched\": %llu, \"eager_pages\": %llu, "
		"\"events\": %llu, \"seed_rss_pages\": %llu, \"seed_fetch_pages\": %llu}\n",
		exit_text, since(p, p->s.t_desc), since(p, p->s.t_ready), since(p, p->s.t_go),
		since(p, p->s.t_exit), (unsigned long long)p->s.faults,
		(unsigned long long)p->s.net_pages, (unsigned long long)p->s.net_batches,
		(unsigned long long)p->s.net_bytes,
		(unsigned long long)p->s.cache_pages, (unsigned long long)p->s.ckpt_pages,
		(unsigned long long)p->s.file_pages, (unsigned long long)p->s.zero_pages,
		(unsigned long long)p->s.prefetched, (unsigned long long)p->s.eager_pages,
		(unsigned long long)p->s.events, (unsigned long long)(p->d.h->rss_bytes / PAGE_SZ),
		(unsigned long long)p->d.h->fetch_pages);
	if (n < 0 || (size_t)n >= sizeof line) {
		fprintf(stderr, "cleave-restore: stats line too long\n");
		return;
	}
	int fd = open(p->o.stats_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int ok = fd >= 0 && write_full(fd, line, (size_t)n) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (!ok && !p->stats_failed) {
		p->stats_failed = 1;
		fprintf(stderr, "cleave-restore: write stats %s: %s\n", p->o.stats_file,
			strerror(errno));
	}
}

/* Changes whenever a counter or milestone does (every counter only grows). */
static uint64_t stats_sum(const struct pager *p)
{
	return p->s.faults + p->s.net_pages + p->s.net_batches + p->s.cache_pages +
	       p->s.ckpt_pages + p->s.file_pages + p->s.zero_pages + p->s.prefetched +
	       p->s.eager_pages + p->s.events + !!p->s.t_ready + !!p->s.t_go;
}

/*
 * While the child runs, the stats file is rewritten once the counters changed, at most every
 * STATS_EVERY_NS, so the node sees a long-lived child's fetches without waiting for its exit.
 * Returns the poll timeout in ms until the next rewrite is due, -1 when none is.
 */
#define STATS_EVERY_NS 1000000000ull
int pg_stats_tick(struct pager *p)
{
	if (!p->o.stats_file)
		return -1;
	uint64_t sum = stats_sum(p);
	if (sum == p->stats_written_sum && p->stats_written_at)
		return -1;
	uint64_t now = now_ns();
	if (p->stats_written_at && now - p->stats_written_at < STATS_EVERY_NS)
		return (int)((STATS_EVERY_NS - (now - p->stats_written_at)) / 1000000ull) + 1;
	pg_write_stats(p, 0, 1);
	p->stats_written_at = now;
	p->stats_written_sum = sum;
	return -1;
}

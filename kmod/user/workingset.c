/*
 * The working set (REAP): a recording child's faulted pages written to a file, and a later child's
 * prefetch of them before it runs.
 */
#define _GNU_SOURCE
#include "pager_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Working-set prefetch (REAP): the recorded pages (seed addresses) are installed before the
 * child runs.  (Installing them while the child runs was measured slower on 2 busy cores.)
 */
void pg_prefetch_load(struct pager *p)
{
	int fd = open(p->o.prefetch, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cleave-restore: prefetch file %s: %s (continuing without)\n",
			p->o.prefetch, strerror(errno));
		return;
	}
	struct stat st;
	uint32_t hdr[2];
	uint64_t *addrs = NULL;
	size_t n = 0;
	if (fstat(fd, &st) == 0 && read_full(fd, hdr, sizeof hdr) == 0 && hdr[0] == 0x52564c43u &&
	    (uint64_t)hdr[1] * 8 + 8 == (uint64_t)st.st_size) {
		n = hdr[1];
		addrs = malloc((n ? n : 1) * 8);
		p->pf = malloc((n ? n : 1) * sizeof *p->pf);
		if (!addrs || !p->pf || read_full(fd, addrs, n * 8) != 0)
			n = 0;
	} else {
		fprintf(stderr, "cleave-restore: %s is not a working-set file (ignored)\n",
			p->o.prefetch);
	}
	close(fd);
	qsort(addrs, n, 8, cmp_u64);
	for (size_t i = 0; i < n; i++) {
		struct region *rg = pg_find_region(p, addrs[i]);
		if (!rg)
			continue;
		uint32_t vi = rg->vi;
		uint64_t pg = (addrs[i] - p->d.vmas[vi].start) / PAGE_SZ;
		if (p->npf && p->pf[p->npf - 1].vi == vi && p->pf[p->npf - 1].pg == pg)
			continue;
		if (pg_page_class(p, vi, pg) != PC_ZERO)
			p->pf[p->npf++] = (struct want){vi, pg, 0};
	}
	free(addrs);
}

/* Installs the next batch of the prefetch list; -1 when the page server is lost. */
int pg_prefetch_step(struct pager *p)
{
	static struct want chunk[MAX_READ_PAGES];
	uint32_t n = 0, ranges = 0;
	while (p->ipf < p->npf && n < MAX_READ_PAGES) {
		struct want w = p->pf[p->ipf];
		if (p->vs[w.vi].st[w.pg] != ST_MISSING || !pg_seed_delta(p, w.vi, w.pg, &w.delta)) {
			p->ipf++;
			continue;
		}
		if (pg_page_class(p, w.vi, w.pg) == PC_FILE) {
			pg_install_file(p, w.vi, w.pg, 1, w.delta);
			p->ipf++;
			continue;
		}
		if ((!n || !pg_want_next(&chunk[n - 1], &w)) && ++ranges > MAX_READ_RANGES)
			break;
		chunk[n++] = w;
		p->ipf++;
	}
	p->s.prefetched += n;
	return n ? pg_install_fetch(p, chunk, n, 0) : 0;
}

void pg_write_record(struct pager *p)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", p->o.record, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	uint32_t hdr[2] = {0x52564c43u, (uint32_t)p->nrecord};
	if (fd < 0 || write_full(fd, hdr, sizeof hdr) != 0 ||
	    write_full(fd, p->record, p->nrecord * 8) != 0 || close(fd) != 0 ||
	    rename(tmp, p->o.record) != 0) {
		fprintf(stderr, "cleave-restore: write working set %s: %s\n", p->o.record,
			strerror(errno));
		unlink(tmp);
	}
}

/*
 * A recording child's working set is written while it runs too (a warm child may live for
 * minutes, and the node's next children prefetch from it): once it grew and the child then
 * touched no new page for RECORD_QUIET_NS (its call is done), so a reader sees whole calls'
 * working sets.  Returns the poll timeout in ms until the next write is due, -1 when none is.
 */
#define RECORD_QUIET_NS 150000000ull
int pg_record_tick(struct pager *p)
{
	if (!p->o.record || p->lost || p->nrecord == p->record_written_n)
		return -1;
	uint64_t quiet = now_ns() - p->record_last_at;
	if (quiet < RECORD_QUIET_NS)
		return (int)((RECORD_QUIET_NS - quiet) / 1000000ull) + 1;
	pg_write_record(p);
	p->record_written_n = p->nrecord;
	return -1;
}

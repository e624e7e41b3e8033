/*
 * cleave-restore's refusals: the CPU features, the vDSO and the library and data files a child
 * of the seed would silently depend on, checked (files through a node-wide memo of identities)
 * before the child exists.
 */
#define _GNU_SOURCE
#include "../include/cleave_fork.h"
#include "restore_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int rs_check_cpu(const struct desc *d)
{
	uint32_t here[DESC_NCPU];
	cpu_features(here);
	for (int i = 0; i < DESC_NCPU; i++) {
		uint32_t missing = d->h->cpu[i] & ~here[i];
		if (missing)
			return cl_fail(CLEAVE_E_CPU,
				       "this CPU lacks features the seed uses: %s bits %#x missing",
				       cpu_word_name(i), missing);
	}
	return 0;
}

int rs_check_vdso(const struct desc *d, struct vdso_plan *vp)
{
	static const char *names[3] = {"[vvar]", "[vvar_vclock]", "[vdso]"};
	static const int kinds[3] = {VK_VVAR, VK_VCLOCK, VK_VDSO};
	memset(vp, 0, sizeof *vp);
	uint64_t hs[3], hl[3];
	if (self_specials(hs, hl) != 0)
		return cl_fail(CLEAVE_E_VDSO, "cannot read /proc/self/maps: %s", strerror(errno));
	for (int i = 0; i < 3; i++) {
		const struct desc_vma *sv = NULL;
		for (uint32_t k = 0; k < d->h->nvmas; k++)
			if (d->vmas[k].kind == kinds[i])
				sv = &d->vmas[k];
		uint64_t s = hs[i], l = hl[i];
		int here = l != 0;
		if (!sv && !here)
			continue;
		if (!sv || !here || sv->end - sv->start != l)
			return cl_fail(CLEAVE_E_VDSO,
				       "this kernel's vDSO layout differs from the seed's: %s is %llu "
				       "bytes here, %llu in the seed",
				       names[i], here ? (unsigned long long)l : 0ull,
				       sv ? (unsigned long long)(sv->end - sv->start) : 0ull);
		vp->cur[i] = s;
		vp->len[i] = l;
		vp->tgt[i] = sv->start;
	}
	if (!vp->len[2])
		return cl_fail(CLEAVE_E_VDSO, "the seed has no vDSO");
	uint64_t h = vdso_hash_at(vp->cur[2], vp->len[2]);
	if (h != d->h->vdso_hash)
		return cl_fail(CLEAVE_E_VDSO,
			       "this kernel's vDSO differs from the seed's (hash %016llx here, "
			       "%016llx in the seed): the seed's cached vDSO pointers would break",
			       (unsigned long long)h, (unsigned long long)d->h->vdso_hash);
	return 0;
}

static void hex(const uint8_t *b, uint32_t n, char *out)
{
	for (uint32_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = 0;
}

/*
 * Node-wide memo of file identities (in the cache directory), keyed by what changes whenever
 * a file's content can: device, inode, size, mtime and ctime.  Saves reading ELF notes or
 * hashing data files on every restore.
 */
struct ident_rec {
	uint64_t dev, ino, size, mtime_ns, ctime_ns;
	struct file_ident id;
};

struct ident_memo {
	struct ident_rec *recs;
	size_t n;
	int fd; /* append-only; -1 = no memo */
};

static void memo_open(struct ident_memo *m, const char *cache_dir)
{
	memset(m, 0, sizeof *m);
	m->fd = -1;
	if (!cache_dir || !strcmp(cache_dir, "none"))
		return;
	if (mkdir(cache_dir, 0700) != 0 && errno != EEXIST)
		return;
	char path[4096];
	snprintf(path, sizeof path, "%s/file-identities", cache_dir);
	m->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	struct stat st;
	if (m->fd < 0 || fstat(m->fd, &st) != 0)
		return;
	size_t n = (size_t)st.st_size / sizeof(struct ident_rec);
	m->recs = malloc((n ? n : 1) * sizeof *m->recs);
	if (m->recs && pread(m->fd, m->recs, n * sizeof *m->recs, 0) == (ssize_t)(n * sizeof *m->recs))
		m->n = n;
}

static uint64_t ts_ns(struct timespec t) { return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec; }

static int memo_ident(struct ident_memo *m, int fd, struct file_ident *id)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -1;
	struct ident_rec key;
	memset(&key, 0, sizeof key);
	key.dev = st.st_dev;
	key.ino = st.st_ino;
	key.size = (uint64_t)st.st_size;
	key.mtime_ns = ts_ns(st.st_mtim);
	key.ctime_ns = ts_ns(st.st_ctim);
	for (size_t i = 0; i < m->n; i++) {
		const struct ident_rec *r = &m->recs[i];
		if (r->dev == key.dev && r->ino == key.ino && r->size == key.size &&
		    r->mtime_ns == key.mtime_ns && r->ctime_ns == key.ctime_ns) {
			*id = r->id;
			return 0;
		}
	}
	if (file_ident_fd(fd, id) != 0)
		return -1;
	if (m->fd >= 0) {
		key.id = *id;
		if (write(m->fd, &key, sizeof key) != (ssize_t)sizeof key) {
			close(m->fd); /* a memo that cannot grow is simply not used further */
			m->fd = -1;
		}
	}
	return 0;
}

int rs_check_files(const struct desc *d, int *fds, const char *cache_dir)
{
	struct ident_memo memo;
	memo_open(&memo, cache_dir);
	int r = 0;
	for (uint32_t i = 0; i < d->h->nfiles; i++)
		fds[i] = -1;
	for (uint32_t i = 0; i < d->h->nfiles; i++) {
		const struct desc_file *f = &d->files[i];
		const char *path = d->strings + f->path_off;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = cl_fail(CLEAVE_E_LIBRARY, "the seed mapped %s, which is missing here: %s",
				    path, strerror(errno));
			break;
		}
		fds[i] = fd;
		struct file_ident id;
		if (memo_ident(&memo, fd, &id) != 0) {
			r = cl_fail(CLEAVE_E_LIBRARY, "cannot identify %s: %s", path, strerror(errno));
			break;
		}
		if (f->build_id_len) {
			if (id.build_id_len != f->build_id_len ||
			    memcmp(id.build_id, f->build_id, f->build_id_len) != 0 || id.size != f->size) {
				char a[65], b[65];
				hex(f->build_id, f->build_id_len, a);
				hex(id.build_id, id.build_id_len, b);
				r = cl_fail(CLEAVE_E_LIBRARY,
					       "%s differs from the seed's: build id %s here, %s in the "
					       "seed (size %llu vs %llu)",
					       path, id.build_id_len ? b : "(none)", a,
					       (unsigned long long)id.size, (unsigned long long)f->size);
				break;
			}
		} else if (id.size != f->size || id.hash != f->hash || id.build_id_len) {
			r = cl_fail(CLEAVE_E_LIBRARY,
				       "%s differs from the seed's (size %llu vs %llu, content hash "
				       "%016llx vs %016llx)",
				       path, (unsigned long long)id.size, (unsigned long long)f->size,
				       (unsigned long long)id.hash, (unsigned long long)f->hash);
			break;
		}
	}
	if (memo.fd >= 0)
		close(memo.fd);
	free(memo.recs);
	return r;
}

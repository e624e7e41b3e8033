/* Builds a snapshot descriptor from the frozen holder's /proc/<pid>/{smaps,pagemap}. */
#define _GNU_SOURCE
#include "descbuild.h"
#include "../include/cleave_fork.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_FILE (1ull << 61)

struct vbuild {
	struct desc_vma v;
	int has_pagemap; /* needs a fetch bitmap */
};

struct builder {
	struct vbuild *vmas;
	size_t nvmas, capvmas;
	struct desc_file *files;
	size_t nfiles, capfiles;
	char *strings;
	size_t nstrings, capstrings;
	uint64_t rss;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	while (nc < need)
		nc *= 2;
	void *q = realloc(*p, nc * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = nc;
	return 0;
}

static int add_string(struct builder *b, const char *s, uint32_t *off)
{
	size_t n = strlen(s) + 1;
	if (grow((void **)&b->strings, &b->capstrings, b->nstrings + n, 1) != 0)
		return -1;
	memcpy(b->strings + b->nstrings, s, n);
	*off = (uint32_t)b->nstrings;
	b->nstrings += n;
	return 0;
}

static int add_file(struct builder *b, const char *path, int32_t *idx)
{
	for (size_t i = 0; i < b->nfiles; i++) {
		if (strcmp(b->strings + b->files[i].path_off, path) == 0) {
			*idx = (int32_t)i;
			return 0;
		}
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail_sys("prepare: open mapped file %s", path);
	struct file_ident id;
	int r = file_ident_fd(fd, &id);
	int e = errno;
	close(fd);
	if (r != 0) {
		errno = e;
		return cl_fail_sys("prepare: identify mapped file %s", path);
	}
	if (grow((void **)&b->files, &b->capfiles, b->nfiles + 1, sizeof *b->files) != 0)
		return cl_fail(CLEAVE_E_SYS, "prepare: out of memory");
	struct desc_file *f = &b->files[b->nfiles];
	memset(f, 0, sizeof *f);
	if (add_string(b, path, &f->path_off) != 0)
		return cl_fail(CLEAVE_E_SYS, "prepare: out of memory");
	f->size = id.size;
	f->hash = id.hash;
	f->build_id_len = id.build_id_len;
	memcpy(f->build_id, id.build_id, sizeof f->build_id);
	*idx = (int32_t)b->nfiles++;
	return 0;
}

static int is_file_path(const char *p) { return p[0] == '/'; }

/* Classifies one VMA; returns 1 to keep it, 0 to skip it, negative on refusal. */
static int classify(struct builder *b, struct vbuild *vb, const char *perms, const char *path,
		    uint64_t anon_kb)
{
	struct desc_vma *v = &vb->v;
	int readable = perms[0] == 'r', writable = perms[1] == 'w', shared = perms[3] == 's';
	v->prot = (readable ? PROT_READ : 0) | (writable ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	v->file = -1;
	if (strcmp(path, "[vsyscall]") == 0)
		return 0;
	if (strcmp(path, "[vdso]") == 0) {
		v->kind = VK_VDSO;
		return 1;
	}
	if (strcmp(path, "[vvar]") == 0) {
		v->kind = VK_VVAR;
		return 1;
	}
	if (strcmp(path, "[vvar_vclock]") == 0) {
		v->kind = VK_VCLOCK;
		return 1;
	}
	if (strstr(path, " (deleted)") || strncmp(path, "/memfd:", 7) == 0)
		return cl_fail(CLEAVE_E_UNSUPPORTED,
			       "prepare: mapping %#llx of %s has no file another node could open",
			       (unsigned long long)v->start, path);
	int anon_like = path[0] == 0 || strcmp(path, "[heap]") == 0 ||
			strncmp(path, "[anon:", 6) == 0 || strncmp(path, "[anon_shmem:", 12) == 0 ||
			strcmp(path, "/dev/zero") == 0 || strncmp(path, "/SYSV", 5) == 0;
	if (strcmp(path, "[stack]") == 0) {
		v->kind = VK_STACK;
		vb->has_pagemap = 1;
		return 1;
	}
	if (!readable) {
		v->kind = VK_EMPTY; /* guard pages and reservations carry no content */
		return 1;
	}
	if (anon_like) {
		v->kind = VK_ANON;
		vb->has_pagemap = 1;
		return 1;
	}
	if (!is_file_path(path))
		return cl_fail(CLEAVE_E_UNSUPPORTED, "prepare: special mapping %s at %#llx", path,
			       (unsigned long long)v->start);
	int r = add_file(b, path, &v->file);
	if (r < 0)
		return r;
	if (shared) {
		if (writable)
			return cl_fail(CLEAVE_E_UNSUPPORTED,
				       "prepare: writable shared file mapping of %s at %#llx cannot "
				       "be forked to another node",
				       path, (unsigned long long)v->start);
		v->kind = VK_FILE;
		v->shared = 1;
		return 1;
	}
	if (!writable && anon_kb == 0) {
		v->kind = VK_FILE;
		return 1;
	}
	v->kind = VK_FILEANON;
	vb->has_pagemap = 1;
	return 1;
}

static int finish_vma(struct builder *b, struct vbuild *cur, const char *perms, const char *path,
		      uint64_t anon_kb)
{
	int k = classify(b, cur, perms, path, anon_kb);
	if (k <= 0)
		return k;
	if (grow((void **)&b->vmas, &b->capvmas, b->nvmas + 1, sizeof *b->vmas) != 0)
		return cl_fail(CLEAVE_E_SYS, "prepare: out of memory");
	b->vmas[b->nvmas++] = *cur;
	return 0;
}

static int parse_smaps(pid_t pid, struct builder *b)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/smaps", (int)pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return cl_fail_sys("prepare: open %s", p);
	char line[4096], perms[8] = "", path[4096] = "";
	struct vbuild cur;
	int have = 0, r = 0;
	uint64_t anon_kb = 0;
	while (r == 0 && fgets(line, sizeof line, f)) {
		char c = line[0];
		int is_hdr = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		if (!is_hdr) {
			unsigned long long kb;
			if (sscanf(line, "Rss: %llu kB", &kb) == 1)
				b->rss += kb * 1024;
			else if (sscanf(line, "Anonymous: %llu kB", &kb) == 1)
				anon_kb = kb;
			continue;
		}
		if (have)
			r = finish_vma(b, &cur, perms, path, anon_kb);
		unsigned long s, e, off;
		int n = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &s, &e, perms, &off, &n) < 4 || n == 0) {
			r = cl_fail(CLEAVE_E_SYS, "prepare: cannot parse %s line: %s", p, line);
			break;
		}
		char *pp = line + n;
		while (*pp == ' ')
			pp++;
		size_t l = strlen(pp);
		while (l && (pp[l - 1] == '\n' || pp[l - 1] == ' '))
			pp[--l] = 0;
		snprintf(path, sizeof path, "%s", pp);
		memset(&cur, 0, sizeof cur);
		cur.v.start = s;
		cur.v.end = e;
		cur.v.file_off = off;
		anon_kb = 0;
		have = 1;
	}
	if (r == 0 && ferror(f))
		r = cl_fail_sys("prepare: read %s", p);
	if (r == 0 && have)
		r = finish_vma(b, &cur, perms, path, anon_kb);
	fclose(f);
	return r;
}

/* Fills a VMA's fetch bitmap from pagemap; bm has room for its pages. */
static int scan_pagemap(int pmfd, const struct desc_vma *v, uint8_t *bm, uint32_t *count)
{
	static uint64_t ent[8192];
	uint64_t np = (v->end - v->start) / PAGE_SZ, first = v->start / PAGE_SZ;
	uint32_t cnt = 0;
	for (uint64_t i = 0; i < np;) {
		uint64_t chunk = np - i < 8192 ? np - i : 8192;
		ssize_t n = pread(pmfd, ent, chunk * 8, (off_t)((first + i) * 8));
		if (n != (ssize_t)(chunk * 8))
			return cl_fail_sys("prepare: read pagemap at %#llx",
					   (unsigned long long)((first + i) * PAGE_SZ));
		for (uint64_t j = 0; j < chunk; j++) {
			uint64_t e = ent[j];
			int fetch = (e & PM_SWAP) ||
				    ((e & PM_PRESENT) && (v->kind != VK_FILEANON || !(e & PM_FILE)));
			if (fetch) {
				bit_set(bm, i + j);
				cnt++;
			}
		}
		i += chunk;
	}
	*count = cnt;
	return 0;
}

int desc_build(pid_t holder, const struct desc_hdr *tmpl, const uint8_t *auxv, uint32_t auxv_len,
	       const char *cwd, void **out, size_t *outlen)
{
	struct builder b;
	memset(&b, 0, sizeof b);
	void *buf = NULL;
	int pmfd = -1;
	int r = parse_smaps(holder, &b);
	if (r < 0)
		goto done;
	uint32_t cwd_off = ~0u;
	if (cwd && add_string(&b, cwd, &cwd_off) != 0) {
		r = cl_fail(CLEAVE_E_SYS, "prepare: out of memory");
		goto done;
	}
	if (b.nstrings == 0 && add_string(&b, "", &cwd_off) != 0) {
		r = cl_fail(CLEAVE_E_SYS, "prepare: out of memory");
		goto done;
	}
	uint64_t bm_bytes = 0;
	for (size_t i = 0; i < b.nvmas; i++) {
		struct desc_vma *v = &b.vmas[i].v;
		v->bitmap_off = bm_bytes;
		if (b.vmas[i].has_pagemap)
			bm_bytes += ((v->end - v->start) / PAGE_SZ + 7) / 8;
	}
	struct desc_hdr h = *tmpl;
	h.magic = DESC_MAGIC;
	h.version = DESC_VERSION;
	h.hdr_bytes = sizeof h;
	h.nvmas = (uint32_t)b.nvmas;
	h.nfiles = (uint32_t)b.nfiles;
	h.bitmap_bytes = bm_bytes;
	h.strings_bytes = (uint32_t)b.nstrings;
	h.auxv_bytes = auxv_len;
	h.cwd_off = cwd ? cwd_off : ~0u;
	h.rss_bytes = b.rss;
	size_t fo, so, bo, ao;
	size_t total = desc_layout(&h, &fo, &so, &bo, &ao);
	h.total_bytes = total;
	if (total > DESC_MAX_BYTES) {
		r = cl_fail(CLEAVE_E_UNSUPPORTED, "prepare: descriptor would be %zu bytes", total);
		goto done;
	}
	buf = calloc(1, total);
	if (!buf) {
		r = cl_fail(CLEAVE_E_SYS, "prepare: out of memory for a %zu byte descriptor", total);
		goto done;
	}
	char pm[64];
	snprintf(pm, sizeof pm, "/proc/%d/pagemap", (int)holder);
	pmfd = open(pm, O_RDONLY | O_CLOEXEC);
	if (pmfd < 0) {
		r = cl_fail_sys("prepare: open %s", pm);
		goto done;
	}
	uint8_t *bitmap = (uint8_t *)buf + bo;
	struct desc_vma *dv = (struct desc_vma *)((char *)buf + desc_vmas_off(h.hdr_bytes));
	uint64_t idx = 0;
	for (size_t i = 0; i < b.nvmas; i++) {
		struct desc_vma *v = &b.vmas[i].v;
		v->data_index = idx;
		if (b.vmas[i].has_pagemap) {
			r = scan_pagemap(pmfd, v, bitmap + v->bitmap_off, &v->fetch_pages);
			if (r < 0)
				goto done;
		}
		idx += v->fetch_pages;
		dv[i] = *v;
	}
	h.fetch_pages = idx;
	memcpy(buf, &h, sizeof h);
	memcpy((char *)buf + fo, b.files, b.nfiles * sizeof *b.files);
	memcpy((char *)buf + so, b.strings, b.nstrings);
	memcpy((char *)buf + ao, auxv, auxv_len);
	uint32_t end = DESC_END;
	memcpy((char *)buf + total - 8, &end, 4);
	*out = buf;
	*outlen = total;
	buf = NULL;
	r = 0;
done:
	if (pmfd >= 0)
		close(pmfd);
	free(buf);
	free(b.vmas);
	free(b.files);
	free(b.strings);
	return r;
}

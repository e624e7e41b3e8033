#define _GNU_SOURCE
#include "util.h"
#include "../include/cleave_fork.h"

#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static __thread char g_msg[512];

const char *cl_msg(void) { return g_msg; }

int cl_fail(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g_msg, sizeof g_msg, fmt, ap);
	va_end(ap);
	return -err;
}

int cl_fail_sys(const char *fmt, ...)
{
	int e = errno;
	char tmp[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	snprintf(g_msg, sizeof g_msg, "%s: %s", tmp, strerror(e));
	errno = e;
	return -CLEAVE_E_SYS;
}

int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

uint64_t fnv64(const void *buf, size_t len, uint64_t h)
{
	/* FNV-1a over 8-byte words, then the tail bytes: an identity check, not cryptography. */
	const unsigned char *p = buf;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0x100000001b3ull;
	}
	for (; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Looks for an NT_GNU_BUILD_ID note in the program headers of a 64-bit ELF file. */
static int elf_build_id(int fd, struct file_ident *id)
{
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh)
		return 0;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return 0;
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64)
		return 0;
	Elf64_Phdr ph[64];
	size_t phlen = sizeof(Elf64_Phdr) * eh.e_phnum;
	if (pread(fd, ph, phlen, (off_t)eh.e_phoff) != (ssize_t)phlen)
		return 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_NOTE || ph[i].p_filesz > 4096)
			continue;
		unsigned char notes[4096];
		size_t n = ph[i].p_filesz;
		if (pread(fd, notes, n, (off_t)ph[i].p_offset) != (ssize_t)n)
			continue;
		size_t off = 0;
		while (off + sizeof(Elf64_Nhdr) <= n) {
			Elf64_Nhdr *nh = (Elf64_Nhdr *)(notes + off);
			size_t name_off = off + sizeof *nh;
			size_t desc_off = name_off + ((nh->n_namesz + 3u) & ~3u);
			size_t next = desc_off + ((nh->n_descsz + 3u) & ~3u);
			if (next > n)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(notes + name_off, "GNU", 4) == 0 && nh->n_descsz <= 32) {
				id->build_id_len = nh->n_descsz;
				memcpy(id->build_id, notes + desc_off, nh->n_descsz);
				return 1;
			}
			off = next;
		}
	}
	return 0;
}

int file_ident_fd(int fd, struct file_ident *id)
{
	struct stat st;
	memset(id, 0, sizeof *id);
	if (fstat(fd, &st) != 0)
		return -1;
	id->size = (uint64_t)st.st_size;
	if (elf_build_id(fd, id))
		return 0;
	/* No build id: hash the content (whole file up to 4 MiB, else head, middle and tail). */
	static const size_t CH = 1 << 16;
	char *buf = malloc(CH);
	if (!buf)
		return -1;
	uint64_t h = FNV_INIT;
	off_t sz = st.st_size;
	if (sz <= (off_t)(4 << 20)) {
		for (off_t o = 0; o < sz;) {
			ssize_t n = pread(fd, buf, CH, o);
			if (n <= 0) {
				free(buf);
				return -1;
			}
			h = fnv64(buf, (size_t)n, h);
			o += n;
		}
	} else {
		off_t at[3] = {0, sz / 2, sz - (off_t)CH};
		for (int i = 0; i < 3; i++) {
			ssize_t n = pread(fd, buf, CH, at[i]);
			if (n <= 0) {
				free(buf);
				return -1;
			}
			h = fnv64(buf, (size_t)n, h);
		}
	}
	free(buf);
	id->hash = h;
	return 0;
}

static const char *const cpu_names[10] = {
	"cpuid(1).ecx", "cpuid(1).edx", "cpuid(7).ebx", "cpuid(7).ecx", "cpuid(7).edx",
	"cpuid(0xd,1).eax", "xcr0.lo", "xcr0.hi", "cpuid(0x80000001).ecx", "cpuid(0x80000001).edx",
};

const char *cpu_word_name(int i) { return (i >= 0 && i < 10) ? cpu_names[i] : "?"; }

void cpu_features(uint32_t out[10])
{
	unsigned a, b, c, d;
	memset(out, 0, 10 * sizeof out[0]);
	if (__get_cpuid(1, &a, &b, &c, &d)) {
		out[0] = c;
		out[1] = d;
	}
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		out[2] = b;
		out[3] = c;
		out[4] = d;
	}
	if (__get_cpuid_count(0xd, 1, &a, &b, &c, &d))
		out[5] = a;
	if (out[0] & (1u << 27)) { /* OSXSAVE: xgetbv is usable */
		uint32_t lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		out[6] = lo;
		out[7] = hi;
	}
	if (__get_cpuid(0x80000001, &a, &b, &c, &d)) {
		out[8] = c;
		out[9] = d;
	}
}

int self_specials(uint64_t start[3], uint64_t len[3])
{
	static const char *names[3] = {"[vvar]", "[vvar_vclock]", "[vdso]"};
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	char line[512];
	for (int i = 0; i < 3; i++)
		start[i] = len[i] = 0;
	while (fgets(line, sizeof line, f)) {
		if (!strchr(line, '['))
			continue;
		unsigned long s, e;
		char path[256] = "";
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &s, &e, path) < 3)
			continue;
		for (int i = 0; i < 3; i++)
			if (strcmp(path, names[i]) == 0) {
				start[i] = s;
				len[i] = e - s;
			}
	}
	fclose(f);
	return 0;
}

uint64_t vdso_hash_at(uint64_t start, uint64_t len)
{
	return fnv64((const void *)(uintptr_t)start, len, FNV_INIT ^ len);
}

int parse_hostport(const char *s, char *host, size_t hostlen, int *port)
{
	const char *c = strrchr(s, ':');
	if (!c || c == s || (size_t)(c - s) >= hostlen)
		return -1;
	char *end;
	long p = strtol(c + 1, &end, 10);
	if (*end || p <= 0 || p > 65535)
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = 0;
	*port = (int)p;
	return 0;
}

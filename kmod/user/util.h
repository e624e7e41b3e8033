/* Small shared helpers: error messages, full reads/writes, hashing, clocks. */
#ifndef CLEAVE_UTIL_H
#define CLEAVE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Records a message for cleave_last_error() and returns -err. */
int cl_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, appending ": strerror(errno)". */
int cl_fail_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *cl_msg(void);

int read_full(int fd, void *buf, size_t len);   /* 0 ok, -1 error/EOF (errno set, 0 on EOF) */
int write_full(int fd, const void *buf, size_t len);
uint64_t fnv64(const void *buf, size_t len, uint64_t h);
#define FNV_INIT 0xcbf29ce484222325ull
uint64_t now_ns(void);

/* Identity of a local file: size + ELF build id, or a content hash when there is none. */
struct file_ident {
	uint64_t size;
	uint64_t hash;
	uint32_t build_id_len;
	uint8_t build_id[32];
};
int file_ident_fd(int fd, struct file_ident *id); /* 0 or -errno-ish failure (errno set) */

/* CPU feature words compared between seed and target (see desc.h DESC_NCPU). */
void cpu_features(uint32_t out[10]);
const char *cpu_word_name(int i);

/* [vvar], [vvar_vclock] and [vdso] of the calling process (len 0 when absent). */
int self_specials(uint64_t start[3], uint64_t len[3]);
uint64_t vdso_hash_at(uint64_t start, uint64_t len);

int parse_hostport(const char *s, char *host, size_t hostlen, int *port);

#endif

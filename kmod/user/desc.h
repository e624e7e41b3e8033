/* Snapshot descriptor: the wire and file format shared by prepare, page server and restorer. */
#ifndef CLEAVE_DESC_H
#define CLEAVE_DESC_H

#include <linux/ioctl.h>
#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
#endif

#define PAGE_SZ 4096ull
#define DESC_MAGIC 0x44564c43u /* "CLVD" */
#define DESC_END 0x45564c43u   /* "CLVE" trailer */
#define DESC_VERSION 1u
#define DESC_MAX_BYTES (64u << 20)

/* State saved by cleave_snap at the call boundary (lives in libcleave's .bss of the seed). */
struct snap_state {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip; /* rsp/rip: as after return */
	uint32_t mxcsr;
	uint16_t fcw;
	uint16_t pad;
	uint64_t tid_addr; /* glibc's &THREAD_SELF->tid, rewritten in each child */
};

enum vma_kind {
	VK_FILE = 1,     /* map the identical local file (read-only, never written in the seed) */
	VK_ANON = 2,     /* anonymous: fetch pages are the seed's, others zero (lazy) */
	VK_FILEANON = 3, /* private file mapping the seed wrote: fetch pages from seed, rest from file */
	VK_STACK = 4,    /* main stack: like VK_ANON but filled before the child runs, grows down */
	VK_EMPTY = 5,    /* no readable content (PROT_NONE guard, reservations) */
	VK_VVAR = 6,
	VK_VCLOCK = 7,
	VK_VDSO = 8,
};

struct desc_vma {
	uint64_t start, end;
	uint64_t file_off;
	uint64_t bitmap_off; /* byte offset of this VMA's fetch bitmap in the bitmap area */
	uint64_t data_index; /* fetch pages of all earlier VMAs (index into checkpoint data/cache) */
	uint32_t fetch_pages;
	uint32_t prot;       /* PROT_* */
	uint16_t kind;       /* enum vma_kind */
	uint16_t shared;     /* MAP_SHARED file mapping */
	int32_t file;        /* index into files, -1 for none */
};

struct desc_file {
	uint32_t path_off; /* into the string area, NUL-terminated */
	uint32_t build_id_len;
	uint8_t build_id[32];
	uint64_t size;
	uint64_t hash; /* content hash when there is no build id */
};

struct desc_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct desc_mm {
	uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
};

#define DESC_NCPU 10

struct desc_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t hdr_bytes;
	uint64_t total_bytes;
	uint64_t nonce; /* set by the page server at registration; names per-node caches */
	uint32_t nvmas, nfiles;
	uint64_t bitmap_bytes;
	uint32_t strings_bytes, auxv_bytes;
	struct snap_state regs;
	uint64_t snap_addr;      /* address of the seed's snap_state */
	uint64_t landing, tail;  /* libcleave code used to enter the child */
	uint64_t fs_base;
	struct desc_sigaction sig[64];
	uint64_t sig_valid; /* bit n-1: sig[n-1] was read */
	uint64_t sigmask;
	uint64_t altstack_sp, altstack_size;
	uint32_t altstack_flags, umask;
	uint64_t rseq_addr;
	uint32_t rseq_len, rseq_sig;
	uint64_t robust_head, robust_len;
	struct desc_mm mm;
	uint64_t vdso_hash;
	uint32_t cpu[DESC_NCPU];
	uint32_t cwd_off; /* into strings; ~0 = none */
	char comm[16];
	uint64_t rss_bytes;
	uint64_t fetch_pages;
};

/* Parsed view over a descriptor buffer. */
struct desc {
	const struct desc_hdr *h;
	const struct desc_vma *vmas;
	const struct desc_file *files;
	const char *strings;
	const uint8_t *bitmap;
	const uint8_t *auxv;
	size_t len;
};

/* Layout helpers: offsets of the areas after the header. */
size_t desc_vmas_off(uint32_t hdr_bytes);
size_t desc_layout(const struct desc_hdr *h, size_t *files_off, size_t *strings_off,
		   size_t *bitmap_off, size_t *auxv_off);
/* Validates and parses; on error writes a message to err and returns a negative CLEAVE_E_*. */
int desc_parse(const void *buf, size_t len, struct desc *d, char *err, size_t errlen);

static inline int bit_get(const uint8_t *bm, uint64_t i) { return (bm[i >> 3] >> (i & 7)) & 1; }
static inline void bit_set(uint8_t *bm, uint64_t i) { bm[i >> 3] |= (uint8_t)(1u << (i & 7)); }

/* ---- page server wire protocol (TCP and unix) ---- */
#define MSG_MAGIC 0x50564c43u /* "CLVP" */
enum msg_type {
	M_HELLO = 1,    /* c->s: {handle, key}; reply M_DESC + descriptor */
	M_DESC = 2,
	M_READ = 3,     /* c->s: n * msg_range; reply M_DATA + pages */
	M_DATA = 4,
	M_REGISTER = 5, /* unix: descriptor + SCM_RIGHTS{pidfd, lifeline}; reply {handle,key} */
	M_REGISTERED = 6,
	M_REVOKE = 7,   /* unix: {handle,key}; reply M_STATUS */
	M_STATS = 8,    /* unix: {handle,key}; reply struct cleave_stats */
	M_STATUS = 9,
	M_RDMA = 10,    /* c->s after M_DESC: msg_rdma_ep; reply M_RDMA: msg_rdma_offer + chunks */
};
/* M_DESC's pad: the server answers M_RDMA (the module's; the twin's closes on unknown types). */
#define MSG_CAP_RDMA 0x1u
struct msg_hdr {
	uint32_t magic;
	uint16_t type;
	uint16_t status; /* 0 ok, else CLEAVE_E_* */
	uint32_t len;    /* payload bytes */
	uint32_t pad;
};
struct msg_auth {
	uint64_t handle;
	uint8_t key[16];
};
struct msg_range {
	uint64_t addr;
	uint32_t npages;
	uint32_t pad;
};
/* RDMA (module to module): a reliable-connected queue pair's address; the seed's offer adds
 * its pages readable by one-sided RDMA READ. The seed's readable pages (those of anonymous,
 * written file-private and stack VMAs the descriptor marks with content) are numbered in
 * descriptor order; page number r lies in chunk r / chunk_pages at iova + (r % chunk_pages) *
 * PAGE_SZ under that chunk's rkey. */
struct msg_rdma_ep {
	uint8_t gid[16];
	uint32_t qpn, psn;
};
struct msg_rdma_offer {
	struct msg_rdma_ep ep;
	uint32_t chunk_pages, nchunks; /* then nchunks * msg_rdma_chunk */
};
struct msg_rdma_chunk {
	uint64_t iova;
	uint32_t rkey, pad;
};
#define MAX_RDMA_CHUNKS 65536u
#define MAX_READ_RANGES 1024u
#define MAX_READ_PAGES 2048u /* 8 MiB per batch */

/* ---- kernel module (/dev/cleave_fork) ---- */
/* Written to the device before CLEAVE_IOC_PREPARE: this header, then the descriptor. The module
 * takes over the holder's address space (a fork of the seed at the call boundary, a child of the
 * caller) and serves its pages itself; the caller then ends the holder. */
#define MOD_STAGE_MAGIC 0x53564c43u /* "CLVS" */
struct mod_stage {
	uint32_t magic;
	int32_t holder_pid;
	uint32_t desc_len;
	uint32_t pad;
};

/* Resume through the module (cleave-restore and the module only): CLEAVE_IOC_RESUME on an open
 * file connects to the seed's page server and proves the key; read() then gives the descriptor,
 * mmap(MAP_PRIVATE, offset = seed address) maps a lazy VMA whose faults fetch from the seed,
 * poll() reports POLLHUP when the server is lost, and these ioctls prefetch and count. */
#define MOD_PREFETCH_ALL 0x1u /* every page with content (eager) */
struct mod_prefetch {
	uint32_t flags;
	uint32_t n;     /* seed addresses at .addrs (sorted), without MOD_PREFETCH_ALL */
	uint64_t addrs; /* user pointer */
};
struct mod_session_stats {
	uint64_t faults, net_pages, net_batches, zero_pages, cache_hits, prefetched;
	uint32_t lost;
	uint32_t rdma; /* pages come by RDMA READ (else by the TCP page protocol) */
	uint64_t rdma_pages, rdma_reads;
};
/* The child's main stack stays an anonymous VMA that grows down (file mappings may not): the
 * blob maps it and has the module copy the seed's pages of [start, start + len) into it. */
struct mod_fill {
	uint64_t start, len;
};
#define CF_IOC_PREFETCH _IOW('C', 16, struct mod_prefetch)
#define CF_IOC_FILL _IOW('C', 18, struct mod_fill)
#define CF_IOC_SESSION _IOR('C', 17, struct mod_session_stats)

/* ---- checkpoint file ---- */
#define CKPT_MAGIC 0x4b564c43u /* "CLVK" */
struct ckpt_hdr {
	uint32_t magic;
	uint32_t version;
	uint64_t desc_bytes;
	uint64_t data_off; /* page aligned */
	uint64_t data_pages;
};

#endif

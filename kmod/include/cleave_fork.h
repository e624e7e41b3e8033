/*
 * cleave_fork.h — the fork primitive ABI of Cleave.
 *
 * Two implementations share this header:
 *   - the user-space twin (kmod/user): libcleave.so + cleave-pageserver + cleave-restore,
 *     works on any x86_64 Linux >= 5.15 with userfaultfd;
 *   - a kernel module exposing the same calls as ioctls on /dev/cleave_fork.
 * Every argument struct is fixed-size, starts with a version word and contains no pointers,
 * so it can be passed through an ioctl unchanged.
 *
 * Calls (all return 0 or a positive result on success, a negative CLEAVE_E_* on failure;
 * cleave_last_error() gives a human-readable message with context for the calling thread):
 *   cleave_prepare  snapshot the calling (single-threaded) process at the call boundary.
 *                   Returns CLEAVE_PREPARED (0) in the caller with handle + key filled in, and
 *                   CLEAVE_CHILD (1) in every process resumed from the snapshot (like fork's 0).
 *   cleave_resume   become a child of handle H.  User space: execs cleave-restore, which forks
 *                   the child and stays as its userfaultfd fault handler (the process the
 *                   node's fork daemon hosts); it exits with the child's status, 65 when it
 *                   refused before the child ran, 70 when the page server was lost mid-run.
 *                   With the module loaded, cleave-restore calls CLEAVE_IOC_RESUME instead and
 *                   the child's lazy memory is faulted in by the kernel (desc.h, "Resume
 *                   through the module"); it only waits, with the same exit codes.
 *   cleave_revoke   forget a handle; its frozen holder is freed, later resumes fail, and lazy
 *                   children still missing pages of it are killed (CLEAVE_E_LOST).
 *   cleave_stats    counters of a handle.
 *
 * Page server C API (cleave_ps_*) is at the end; it is what forkd loads through jnr-ffi.
 */
#ifndef CLEAVE_FORK_H
#define CLEAVE_FORK_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif
#include <linux/ioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLEAVE_ABI_VERSION 1u
#define CLEAVE_KEY_BYTES 16
#define CLEAVE_PATH_MAX 256

/* Default unix socket of the node's page server (registration, revoke, stats). */
#define CLEAVE_DEFAULT_SOCK "/run/cleave/pageserver.sock"
/* Default TCP port of the page server (descriptors and page batches between nodes). */
#define CLEAVE_DEFAULT_PORT 7070

enum cleave_result {
	CLEAVE_PREPARED = 0, /* cleave_prepare: in the seed */
	CLEAVE_CHILD = 1,    /* cleave_prepare: in a process resumed from the snapshot */
};

enum cleave_error {
	CLEAVE_E_INVAL = 1,       /* bad argument or version */
	CLEAVE_E_THREADS = 2,     /* caller is multi-threaded */
	CLEAVE_E_SYS = 3,         /* a system call failed (message names it) */
	CLEAVE_E_SERVER = 4,      /* page server unreachable or protocol error */
	CLEAVE_E_KEY = 5,         /* wrong key for the handle */
	CLEAVE_E_NOHANDLE = 6,    /* unknown or revoked handle */
	CLEAVE_E_DESC = 7,        /* truncated or corrupt descriptor / checkpoint */
	CLEAVE_E_VDSO = 8,        /* this kernel's vDSO differs from the seed's */
	CLEAVE_E_CPU = 9,         /* this CPU lacks features the seed uses */
	CLEAVE_E_LIBRARY = 10,    /* a mapped file differs from the seed's */
	CLEAVE_E_UNSUPPORTED = 11,/* the seed holds state that cannot be forked (message says which) */
	CLEAVE_E_LOST = 12,       /* page server went away while a lazy child ran; child killed */
};

/* cleave_prepare flags */
#define CLEAVE_PREPARE_FILE 0x1u /* write a checkpoint file to .path instead of registering */

struct cleave_prepare_args {
	uint32_t version;              /* in: CLEAVE_ABI_VERSION */
	uint32_t flags;                /* in: CLEAVE_PREPARE_* */
	char path[CLEAVE_PATH_MAX];    /* in: page server unix socket ("" = default) or file */
	uint64_t handle;               /* out */
	uint8_t key[CLEAVE_KEY_BYTES]; /* out */
	int32_t holder_pid;            /* out: frozen holder (0 in file mode, holder is gone) */
	uint32_t desc_bytes;           /* out: descriptor size */
	uint64_t rss_bytes;            /* out: resident memory of the snapshot */
	uint64_t fetch_bytes;          /* out: bytes a child may need from the seed */
	uint32_t nvmas;                /* out */
	uint32_t reserved0;
	uint64_t prepare_ns;           /* out: wall time spent in prepare */
	uint64_t reserved[4];
};

/* cleave_resume flags */
#define CLEAVE_RESUME_EAGER 0x1u /* fetch every page before the child runs */
#define CLEAVE_RESUME_FILE 0x2u  /* .server is a checkpoint file (always eager) */

struct cleave_resume_args {
	uint32_t version;
	uint32_t flags;
	char server[CLEAVE_PATH_MAX];  /* "host:port" or checkpoint file */
	uint64_t handle;
	uint8_t key[CLEAVE_KEY_BYTES];
	char prefetch[CLEAVE_PATH_MAX];/* working-set file to prefetch ("" = none) */
	char record[CLEAVE_PATH_MAX];  /* write this child's working set here ("" = none) */
	uint64_t reserved[4];
};

struct cleave_handle_args {
	uint32_t version;
	uint32_t reserved0;
	char path[CLEAVE_PATH_MAX];    /* page server unix socket ("" = default) */
	uint64_t handle;
	uint8_t key[CLEAVE_KEY_BYTES];
};

struct cleave_stats {
	uint32_t version;
	uint32_t reserved0;
	uint64_t handle;
	int32_t holder_pid;
	uint32_t desc_bytes;
	uint64_t rss_bytes;
	uint64_t fetch_pages;    /* pages a child may fetch from the seed */
	uint64_t connections;    /* children that fetched the descriptor */
	uint64_t batches;        /* page batch requests served */
	uint64_t pages_served;
	uint64_t bytes_sent;
	uint64_t reserved[4];
};

/* ioctl numbers of the kernel module (same structs). */
#define CLEAVE_IOC_MAGIC 'C'
#define CLEAVE_IOC_PREPARE _IOWR(CLEAVE_IOC_MAGIC, 1, struct cleave_prepare_args)
#define CLEAVE_IOC_RESUME _IOW(CLEAVE_IOC_MAGIC, 2, struct cleave_resume_args)
#define CLEAVE_IOC_REVOKE _IOW(CLEAVE_IOC_MAGIC, 3, struct cleave_handle_args)
#define CLEAVE_IOC_STATS _IOWR(CLEAVE_IOC_MAGIC, 4, struct cleave_stats)

int cleave_prepare(struct cleave_prepare_args *args);
/* Replaces the calling process image; returns only on failure. */
int cleave_resume(const struct cleave_resume_args *args);
int cleave_revoke(const struct cleave_handle_args *args);
/* args.handle/key/path select the handle; the result goes to *out. */
int cleave_stats(const struct cleave_handle_args *args, struct cleave_stats *out);

const char *cleave_strerror(int err);     /* err may be negative */
const char *cleave_last_error(void);      /* detail of the last failure in this thread */

/*
 * Page server library.  One server per node serves every handle prepared on it:
 *   - a unix socket (cfg.unix_path) where local seeds register snapshots (cleave_prepare sends
 *     the descriptor plus, by SCM_RIGHTS, a pidfd of the frozen holder and a lifeline socket
 *     whose closing makes the holder exit) and where revoke/stats are asked;
 *   - a TCP port where restorers on any node fetch the descriptor (one request) and page
 *     batches, after proving the 128-bit key.
 * Threads: one acceptor per socket and one thread per connection; holders are read with
 * process_vm_readv, so the server needs ptrace rights over the seeds (same uid or root).
 */
struct cleave_ps;

struct cleave_ps_config {
	uint32_t version;              /* CLEAVE_ABI_VERSION */
	uint16_t tcp_port;             /* 0 = pick a free port (see cleave_ps_port) */
	uint16_t reserved0;
	char bind_addr[64];            /* "" = 0.0.0.0 */
	char unix_path[108];           /* "" = no unix socket */
	uint32_t verbose;              /* log one line per connection to stderr */
	uint32_t reserved[7];
};

int cleave_ps_start(const struct cleave_ps_config *cfg, struct cleave_ps **out);
int cleave_ps_port(const struct cleave_ps *ps);
/* Register a snapshot made elsewhere (e.g. received by forkd). Takes ownership of both fds. */
int cleave_ps_register(struct cleave_ps *ps, int holder_pidfd, int lifeline_fd, const void *desc,
		       uint32_t desc_len, uint64_t *handle, uint8_t key[CLEAVE_KEY_BYTES]);
int cleave_ps_revoke(struct cleave_ps *ps, uint64_t handle);
int cleave_ps_stats(struct cleave_ps *ps, uint64_t handle, struct cleave_stats *out);
/* Stops accepting, closes every connection, frees every holder. */
void cleave_ps_stop(struct cleave_ps *ps);

#ifdef __cplusplus
}
#endif
#endif

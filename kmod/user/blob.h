/*
 * Arguments of the restorer blob: position-independent code copied to a free spot of the
 * target layout, which tears down the restorer's own mappings, builds the seed's address
 * space and enters the seed through libcleave's tail (munmap blob + rt_sigreturn).
 */
#ifndef CLEAVE_BLOB_H
#define CLEAVE_BLOB_H

#include <stdint.h>
#include <linux/prctl.h>

enum blob_map_how {
	BM_FILE = 1,  /* mmap fd at off */
	BM_ANON = 2,  /* private anonymous */
	BM_STACK = 3, /* private anonymous, grows down */
	BM_SHARED = 4, /* private mapping of the node's page cache file at off (pageropen.c) */
};

struct blob_map {
	uint64_t start, len, off;
	uint32_t prot, flags; /* flags: MAP_SHARED/MAP_PRIVATE for files and BM_SHARED */
	int32_t fd;
	uint16_t how;
	uint16_t lazy; /* register with userfaultfd (module: map the session file instead) */
};

struct blob_range {
	uint64_t start, len;
};

struct blob_ksigaction {
	uint64_t handler, flags, restorer, mask;
};

enum blob_step {
	BS_RSEQ_OFF = 1, BS_UNMAP, BS_VDSO_PARK, BS_MAP, BS_VDSO, BS_REGISTER, BS_MM, BS_SIGACTION,
	BS_RSEQ_ON, BS_ROBUST, BS_CTL, BS_UNREGISTER, BS_FILL,
};

struct blob_args {
	uint64_t base, len;              /* blob area (code, args, stack, vdso parking) */
	int32_t uffd, ctl;               /* fds (already at their final numbers) */
	uint32_t eager;
	int32_t devfd;                   /* module resume: lazy maps come from this file, no uffd */
	uint32_t module;
	uint32_t nmaps, nunmap, nclose;
	uint64_t maps_off, unmap_off, close_off; /* offsets from the args struct */
	uint64_t own_rseq_addr;
	uint32_t own_rseq_len, rseq_sig;
	uint64_t vdso_cur[3], vdso_len[3], vdso_tgt[3], vdso_park;
	struct prctl_mm_map mm;
	struct blob_ksigaction sig[64];
	uint64_t sig_valid;
	uint64_t rseq_addr;
	uint32_t rseq_len, pad0;
	uint64_t robust_head, robust_len, tid_addr;
	uint64_t fs_base;
	uint64_t frame_dst;              /* where the rt_sigframe goes on the seed's stack */
	uint64_t frame_off, frame_len;   /* prebuilt frame, offset from the args struct */
	uint64_t tail;                   /* libcleave cleave_restore_tail in the seed */
};

/* Kernel layout of an x86_64 rt_sigframe (pretcode + ucontext), as rt_sigreturn reads it. */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
	uint64_t eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate;
	uint64_t reserved1[8];
};
struct k_ucontext {
	uint64_t uc_flags, uc_link;
	uint64_t ss_sp;
	int32_t ss_flags, ss_pad;
	uint64_t ss_size;
	struct k_sigcontext mc;
	uint64_t sigmask;
};
struct k_rt_frame {
	uint64_t pretcode;
	struct k_ucontext uc;
	uint8_t siginfo[128];
};
_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext layout");
_Static_assert(__builtin_offsetof(struct k_ucontext, mc) == 40, "ucontext layout");
_Static_assert(__builtin_offsetof(struct k_ucontext, sigmask) == 296, "ucontext layout");

void blob_main(struct blob_args *a) __attribute__((noreturn));

#endif

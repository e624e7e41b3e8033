#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __x86_64__
#error "the instance's seccomp filter is written for x86_64"
#endif

#define X32_SYSCALL_BIT 0x40000000u
#define NAMESPACE_FLAGS \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

static const unsigned int DENIED[] = {
    SYS_unshare,         SYS_setns,           SYS_io_uring_setup,   SYS_io_uring_enter,   SYS_io_uring_register,
    SYS_keyctl,          SYS_add_key,         SYS_request_key,      SYS_ptrace,           SYS_process_vm_readv,
    SYS_process_vm_writev, SYS_mount,         SYS_umount2,          SYS_pivot_root,       SYS_chroot,
    SYS_fsopen,          SYS_fsconfig,        SYS_fsmount,          SYS_fspick,           SYS_move_mount,
    SYS_open_tree,       SYS_mount_setattr,   SYS_bpf,              SYS_perf_event_open,  SYS_userfaultfd,
    SYS_init_module,     SYS_finit_module,    SYS_delete_module,    SYS_kexec_load,       SYS_kexec_file_load,
    SYS_swapon,          SYS_swapoff,         SYS_reboot,           SYS_settimeofday,     SYS_clock_settime,
    SYS_clock_adjtime,   SYS_adjtimex,        SYS_acct,             SYS_quotactl,         SYS_syslog,
    SYS_open_by_handle_at, SYS_name_to_handle_at,
};

#define NDENIED (sizeof DENIED / sizeof DENIED[0])
/* arch check (3) + x32 check (2) + one per denied call + clone3 (2) + clone (3) + allow (1) + deny (1) */
#define PROGRAM_LEN (3 + 2 + NDENIED + 2 + 3 + 1 + 1)

int seccomp_install(void) {
  struct sock_filter prog[PROGRAM_LEN];
  size_t n = 0;
  /* Jump offsets below count instructions to skip; "deny" is the program's last instruction. */
#define TO_DENY(at) ((unsigned char)(PROGRAM_LEN - 1 - (at) - 1))
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  n++;
  prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA | BPF_K, TO_DENY(n), 0, 0);
  n++;
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, TO_DENY(n), 0);
  n++;
  for (size_t i = 0; i < NDENIED; i++) {
    prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DENIED[i], TO_DENY(n), 0);
    n++;
  }
  prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
  prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 2);
  /* clone's flags are its first argument; every CLONE_NEW* flag sits in the low 32 bits. */
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
  prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NAMESPACE_FLAGS, TO_DENY(n), 0);
  n++;
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
#undef TO_DENY
  if (n != PROGRAM_LEN) {
    errno = EINVAL;
    return -1;
  }
  struct sock_fprog fprog = {.len = (unsigned short)n, .filter = prog};
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog);
}

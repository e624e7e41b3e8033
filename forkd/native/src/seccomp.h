/*
 * The instance's system call filter (x86_64), installed last before exec, after no_new_privs.
 * Denied with EPERM, so that code probing for them (Python, libraries) takes its fallback rather
 * than dying: new namespaces (unshare, setns, clone with any CLONE_NEW* flag), io_uring, the
 * kernel keyrings, ptrace and process_vm_readv/writev, every mount-related call, chroot, bpf,
 * perf_event_open, userfaultfd (a remote child's restorer gets its fault handler from the
 * /dev/userfaultfd descriptor its helper passes instead), kernel modules, kexec, swap, reboot,
 * clock setting, acct, quotactl, syslog and open_by_handle_at. clone3 answers ENOSYS (its flags
 * are in memory a filter cannot read): glibc then falls back to clone, which is checked.
 * Other ABIs (i386 through int 0x80, x32) are denied outright. fork, clone without namespace
 * flags, prctl (the restorer's PR_SET_MM), mmap and the rest stay allowed.
 */
#ifndef CLEAVE_SECCOMP_H
#define CLEAVE_SECCOMP_H

/* Installs the filter on the calling thread; returns 0, or -1 with errno set. */
int seccomp_install(void);

#endif

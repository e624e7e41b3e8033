/*
 * Call-boundary snapshot and child entry (x86_64 SysV).
 * Only callee-saved registers, rsp, the return address, MXCSR and the x87 control word are
 * live across a call, so they are all a child needs (offsets match struct snap_state).
 */
	.text

/* int cleave_snap(struct snap_state *s): 0 now, 1 when a child enters through the landing. */
	.globl cleave_snap
	.hidden cleave_snap
	.type cleave_snap, @function
cleave_snap:
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	leaq 8(%rsp), %rax
	movq %rax, 48(%rdi)
	movq (%rsp), %rax
	movq %rax, 56(%rdi)
	stmxcsr 64(%rdi)
	fnstcw 68(%rdi)
	xorl %eax, %eax
	ret
	.size cleave_snap, .-cleave_snap

/*
 * Entered by rt_sigreturn in a resumed child: callee-saved registers and rsp are the seed's,
 * rdi/rsi/rdx carry the kept uffd, control fd and flags, rcx the snap_state address.
 */
	.globl cleave_child_landing
	.hidden cleave_child_landing
	.type cleave_child_landing, @function
cleave_child_landing:
	pushq %rcx
	subq $8, %rsp
	call cleave__child_fixup
	addq $8, %rsp
	popq %rcx
	ldmxcsr 64(%rcx)
	fldcw 68(%rcx)
	movl $1, %eax
	jmpq *56(%rcx)
	.size cleave_child_landing, .-cleave_child_landing

/*
 * void cleave_restore_tail(void *blob, size_t len, void *sigreturn_sp): unmaps the restorer
 * blob (which jumped here) and enters the child through rt_sigreturn.
 */
	.globl cleave_restore_tail
	.hidden cleave_restore_tail
	.type cleave_restore_tail, @function
cleave_restore_tail:
	movq %rdx, %rsp
	movl $11, %eax
	syscall
	testq %rax, %rax
	jnz 1f
	movl $15, %eax
	syscall
1:	ud2
	.size cleave_restore_tail, .-cleave_restore_tail

	.section .note.GNU-stack,"",@progbits

/* Error names and the per-thread detail message of the ABI. */
#include "../include/cleave_fork.h"
#include "util.h"

const char *cleave_last_error(void) { return cl_msg(); }

const char *cleave_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0: return "success";
	case CLEAVE_E_INVAL: return "invalid argument";
	case CLEAVE_E_THREADS: return "caller is multi-threaded";
	case CLEAVE_E_SYS: return "system call failed";
	case CLEAVE_E_SERVER: return "page server unreachable or protocol error";
	case CLEAVE_E_KEY: return "wrong key";
	case CLEAVE_E_NOHANDLE: return "unknown or revoked handle";
	case CLEAVE_E_DESC: return "truncated or corrupt descriptor";
	case CLEAVE_E_VDSO: return "kernel vDSO differs from the seed's";
	case CLEAVE_E_CPU: return "CPU lacks features the seed uses";
	case CLEAVE_E_LIBRARY: return "mapped file differs from the seed's";
	case CLEAVE_E_UNSUPPORTED: return "seed state cannot be forked";
	case CLEAVE_E_LOST: return "page server lost while the child ran";
	default: return "unknown error";
	}
}

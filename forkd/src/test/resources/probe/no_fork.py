"""A function whose module takes away its own right to start processes (RLIMIT_NPROC 0): run
as a seed, it is forkable (one thread) yet its fork orders fail."""
import resource

resource.setrlimit(resource.RLIMIT_NPROC, (0, resource.getrlimit(resource.RLIMIT_NPROC)[1]))


def handler(ctx, data=None):
    return "hello"

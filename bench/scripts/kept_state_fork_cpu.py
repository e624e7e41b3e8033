"""CPU a fork costs a Python process that holds a freshly built state, as a flow's kept instance
does (docs/benchmarks.md, Workflows, session 25). Each rep builds a str of BYTES, forks twice (the
first fork after the state was built, then another), each child exiting at once; CPU from
getrusage: the parent's for each fork, the child's for its exit. Run it with and without
GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (what kept instances got for a while in session 25, taken
out since: docs/benchmarks.md) to compare small and huge pages:

    /usr/bin/python3 bench/scripts/kept_state_fork_cpu.py 67108864 20
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 /usr/bin/python3 bench/scripts/kept_state_fork_cpu.py 67108864 20
"""
import gc
import os
import resource
import statistics
import sys


def main() -> None:
    size, reps = int(sys.argv[1]), int(sys.argv[2])
    gc.freeze()
    first, later, exits = [], [], []
    for _ in range(reps):
        state = "x" * size
        for bucket in (first, later):
            before = resource.getrusage(resource.RUSAGE_SELF)
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            after = resource.getrusage(resource.RUSAGE_SELF)
            _, _, child = os.wait4(pid, 0)
            bucket.append((after.ru_stime - before.ru_stime + after.ru_utime - before.ru_utime) * 1e3)
            exits.append((child.ru_stime + child.ru_utime) * 1e3)
        del state
    print("{}: first fork {:.2f} ms CPU, next {:.2f}, a child's exit {:.2f} (medians of {})".format(
        os.environ.get("GLIBC_TUNABLES", "small pages"), statistics.median(first), statistics.median(later),
        statistics.median(exits), reps))


if __name__ == "__main__":
    main()

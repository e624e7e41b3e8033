"""Faulting in learned first-call pages: written data pages and read-only file pages alike."""

import ctypes
import json
import mmap
import os
import struct
import subprocess
import tempfile
import unittest
from unittest import mock

from fdk import working_set
from tests.support import PYTHON, SDK_DIR

_PAGE = mmap.PAGESIZE


def _present(address: int, pages: int) -> int:
    """How many of the pages from ``address`` this process has mapped (pagemap bit 63)."""
    with open("/proc/self/pagemap", "rb") as pagemap:
        pagemap.seek(address // _PAGE * 8)
        entries = pagemap.read(pages * 8)
    return sum(1 for k in range(pages) if struct.unpack_from("<Q", entries, k * 8)[0] >> 63 & 1)


class FaultInTest(unittest.TestCase):

    def test_read_only_file_pages_are_mapped_and_written_pages_made_own(self) -> None:
        pages = 16
        with tempfile.TemporaryFile() as f:
            f.write(b"x" * pages * _PAGE)
            f.flush()
            ro = mmap.mmap(f.fileno(), pages * _PAGE, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
            rw = mmap.mmap(-1, pages * _PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            self.addCleanup(ro.close)
            self.addCleanup(rw.close)
            ro_start = self._start_of(f.fileno())
            rw_start = self._anonymous_start(rw)
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_WILLNEED)
            self.assertEqual(0, _present(ro_start, pages))
            self.assertEqual(0, _present(rw_start, pages))
            ranges = sorted([(ro_start, ro_start + pages * _PAGE), (rw_start, rw_start + pages * _PAGE)])
            found = working_set.mapped(ranges)
            self.assertEqual(sorted([(ro_start, ro_start + pages * _PAGE, 22),
                                     (rw_start, rw_start + pages * _PAGE, 23)]), sorted(found))
            working_set.fault_in(found)
            self.assertEqual(pages, _present(ro_start, pages), "read-only file pages mapped ahead")
            self.assertEqual(pages, _present(rw_start, pages), "anonymous pages made ahead")
            self.assertEqual(b"x" * 4, ro[:4])

    def test_pages_past_a_files_end_are_not_read(self) -> None:
        # Reading a page of a file mapping past the file's end raises SIGBUS: fault_in reads only
        # what madvise faulted in, so such a range costs nothing and kills nothing.
        probe = """
import mmap, tempfile
from fdk import working_set
with tempfile.TemporaryFile() as f:
    f.write(b"x" * 4 * mmap.PAGESIZE)
    f.flush()
    m = mmap.mmap(f.fileno(), 4 * mmap.PAGESIZE, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
    f.truncate(mmap.PAGESIZE)  # the mapping's last three pages now lie past the file's end
    found = [r for r in working_set.populatable() if r[1] - r[0] == 4 * mmap.PAGESIZE and r[2] == 22]
    assert found, "the mapping is not among the populatable ones"
    working_set.fault_in(found)
    print(m[:1].decode())
"""
        done = subprocess.run([PYTHON, "-c", probe], cwd=SDK_DIR, capture_output=True, text=True, timeout=30)
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual("x", done.stdout.strip())

    def test_touch_reads_without_changing(self) -> None:
        rw = mmap.mmap(-1, 8 * _PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.addCleanup(rw.close)
        rw[:] = bytes(range(256)) * (8 * _PAGE // 256)
        start = self._anonymous_start(rw)
        working_set.touch(start, start + 8 * _PAGE)
        self.assertEqual(bytes(range(256)) * (8 * _PAGE // 256), rw[:])

    def test_resident_names_the_written_pages_of_data_mappings_and_reading_them_allocates_nothing(self) -> None:
        rw = mmap.mmap(-1, 8 * _PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.addCleanup(rw.close)
        start = self._anonymous_start(rw)
        rw[2 * _PAGE:2 * _PAGE + 1] = b"a"
        rw[5 * _PAGE:5 * _PAGE + 1] = b"b"
        inside = [(lo, hi) for lo, hi, advice in working_set.resident(working_set.MAX_PAGES)
                  if advice == working_set.READ_ONLY and lo < start + 8 * _PAGE and hi > start]
        self.assertEqual([(start + 2 * _PAGE, start + 3 * _PAGE), (start + 5 * _PAGE, start + 6 * _PAGE)], inside)
        working_set.fault_in([(lo, hi, working_set.READ_ONLY) for lo, hi in inside])
        self.assertEqual(2, _present(start, 8), "only read: no page made")
        self.assertEqual(3, sum(hi - lo for lo, hi, _ in working_set.resident(3)) // _PAGE, "the limit holds")

    def test_ranges_outside_private_data_and_file_code_are_left_alone(self) -> None:
        with open("/proc/self/maps") as maps:
            stack = next(line for line in maps if line.rstrip().endswith("[stack]"))
        start, end = (int(x, 16) for x in stack.split()[0].split("-"))
        self.assertEqual([], working_set.mapped([(start, end)]))

    @staticmethod
    def _start_of(fd: int) -> int:
        inode = os.fstat(fd).st_ino
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split()
                if len(fields) >= 5 and int(fields[4]) == inode and fields[1].startswith("r--p"):
                    return int(fields[0].split("-")[0], 16)
        raise AssertionError("the file's mapping is not in /proc/self/maps")

    @staticmethod
    def _anonymous_start(m: mmap.mmap) -> int:
        view = ctypes.c_char.from_buffer(m)
        try:
            return ctypes.addressof(view)
        finally:
            del view


# Run in a fresh interpreter (its own malloc state): learned pages past the heap's end, as a
# learner's call leaves them, then what a later call's allocations of that size fault.
_HEAP_PROBE = """
import ctypes, json, resource, sys
from fdk import working_set
PAGE, PAGES = 4096, 1024
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = (ctypes.c_size_t,)
libc.memset.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t)
def heap():
    with open("/proc/self/maps") as maps:
        found = [line.split()[0].split("-") for line in maps if line.rstrip().endswith("[heap]")]
    return int(found[0][0], 16), int(found[-1][1], 16)
end = heap()[1]
# A range from inside the heap past its end, as a learner whose heap stayed one mapping gives it,
# and one further on: pages between them the learner did not write, this call's allocations may.
ranges = [(end - 4 * PAGE, end + 8 * PAGE), (end + 200 * PAGE, end + PAGES * PAGE)]
target = working_set.heap_growth(ranges)
if sys.argv[1] == "grow":  # as a parked child does: grows the heap, then faults in chunk by chunk
    for chunk in working_set._chunks(ranges):
        working_set.fault_in(chunk)
grown = heap()[1]
with open("/proc/self/pagemap", "rb") as pagemap:
    pagemap.seek(end // PAGE * 8)
    entries = pagemap.read(PAGES * 8)
present = sum(entries[k * 8 + 7] >> 7 for k in range(PAGES))
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(PAGES // 2):  # what a call allocates: pieces taken from the heap's top
    libc.memset(libc.malloc(2 * PAGE - 64), 1, 2 * PAGE - 64)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"end": end, "target": target, "grown": grown, "present": present, "faults": faults}))
"""


class HeapGrowthTest(unittest.TestCase):

    def probe(self, mode: str) -> dict:
        env = dict(os.environ, PYTHONPATH=SDK_DIR)
        out = subprocess.run([PYTHON, "-c", _HEAP_PROBE, mode], env=env, capture_output=True, text=True,
                             timeout=30, check=True)
        return json.loads(out.stdout)

    def test_learned_pages_past_the_heap_end_are_made_heap_and_faulted_in_for_the_call(self) -> None:
        grown = self.probe("grow")
        self.assertEqual(grown["end"] + 1024 * _PAGE, grown["target"], "the learner's heap end is the target")
        self.assertGreaterEqual(grown["grown"], grown["target"], "the heap reaches it, untrimmed after the pieces are freed")
        self.assertEqual(1024, grown["present"], "all of the growth is faulted in, gaps between learned ranges too")
        plain = self.probe("plain")
        self.assertEqual(plain["end"], plain["grown"])
        # Without growth each page the allocations reach past the old end faults as they run.
        self.assertGreater(plain["faults"], 512, plain)
        self.assertLess(grown["faults"], 100, grown)

    def test_ranges_not_past_the_heap_end_grow_nothing(self) -> None:
        with open("/proc/self/maps") as maps:
            stack = next(line for line in maps if line.rstrip().endswith("[stack]"))
        start, end = (int(x, 16) for x in stack.split()[0].split("-"))
        self.assertEqual(0, working_set.heap_growth([(start, end)]))
        self.assertEqual(0, working_set.heap_growth([]))

    def test_a_block_the_learner_mapped_far_above_the_heap_is_not_heap_growth(self) -> None:
        # A large block malloc takes with mmap lands just below the lowest mapping above the heap:
        # growing the heap up to it would take every byte of the child's memory.
        with open("/proc/self/maps") as maps:
            lines = maps.read().splitlines()
        heap = next(i for i, line in enumerate(lines) if line.rstrip().endswith("[heap]"))
        heap_end = int(lines[heap].split()[0].split("-")[1], 16)
        above = int(lines[heap + 1].split()[0].split("-")[0], 16)
        block = (above - (24 << 20)) // _PAGE * _PAGE
        self.assertGreater(block, heap_end + working_set._MAX_TOP_PAD, "the gap above the heap is that large here")
        self.assertEqual(0, working_set.heap_growth([(block, above)]))
        self.assertEqual(heap_end + 64 * _PAGE, working_set.heap_growth([(block, above), (heap_end, heap_end + 64 * _PAGE)]))


class BudgetTest(unittest.TestCase):

    def test_a_parked_child_faults_in_at_most_half_its_memory(self) -> None:
        with mock.patch.dict(os.environ, {"FN_MEMORY": "16"}):
            self.assertEqual(8 * 1024 * 1024 // _PAGE, working_set.budget_pages())
            region = mmap.mmap(-1, 32 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            view = ctypes.c_char.from_buffer(region)
            start = ctypes.addressof(view)
            del view
            try:
                chunks = list(working_set._chunks([(start, start + (32 << 20))]))
            finally:
                region.close()
        # The resident pages read after them take no memory: the budget is for those faulted in.
        pages = sum((end - begin) // _PAGE for chunk in chunks for begin, end, advice in chunk
                    if advice != working_set.READ_ONLY)
        self.assertEqual(8 * 1024 * 1024 // _PAGE, pages)

    def test_resident_pages_are_read_in_full_chunks(self) -> None:
        # Resident runs are often a page or two: packed, a parked child looks for a call once per
        # CHUNK_PAGES pages, not once per run.
        chunks = list(working_set._chunks([]))
        sizes = [sum((end - begin) // _PAGE for begin, end, _ in chunk) for chunk in chunks]
        self.assertTrue(all(advice == working_set.READ_ONLY for chunk in chunks for _, _, advice in chunk))
        self.assertTrue(all(size == working_set.CHUNK_PAGES for size in sizes[:-1]), sizes)
        self.assertLessEqual(sizes[-1], working_set.CHUNK_PAGES)

    def test_without_a_limit_or_with_a_bad_one_the_set_is_bounded_as_before(self) -> None:
        for value in ("", "lots", "0"):
            with mock.patch.dict(os.environ, {"FN_MEMORY": value}):
                self.assertEqual(working_set.MAX_PAGES, working_set.budget_pages())


if __name__ == "__main__":
    unittest.main()

"""What a child reports of its first call's pages, and what a seed accepts of it."""

import mmap
import struct
import unittest

from fdk import working_set

PAGE = mmap.PAGESIZE


def datagram(*ranges) -> bytes:
    return b"".join(struct.pack("<QQ", s, e) for s, e in ranges)


class WorkingSetTest(unittest.TestCase):

    def test_a_report_round_trips(self) -> None:
        ranges = [(0x10000 * PAGE, 0x10003 * PAGE), (0x20000 * PAGE, 0x20001 * PAGE)]
        self.assertEqual(working_set.decode(working_set.encode(ranges)), ranges)

    def test_reports_that_break_a_rule_are_ignored(self) -> None:
        page = 0x10000 * PAGE
        for bad in (b"", b"x" * 15, datagram((page + 1, page + PAGE)),  # not page-aligned
                    datagram((page + PAGE, page)),                         # empty or backwards
                    datagram((page + 2 * PAGE, page + 3 * PAGE), (page, page + PAGE)),  # unsorted
                    datagram((page, page + (working_set._MAX_PAGES + 1) * PAGE)),       # too big
                    datagram(*[(page + 2 * i * PAGE, page + (2 * i + 1) * PAGE)
                               for i in range(working_set._MAX_RANGES + 1)])):          # too many
            self.assertIsNone(working_set.decode(bad), bad[:32])

    def test_a_report_keeps_the_largest_ranges_within_the_limit(self) -> None:
        big = (0x100000 * PAGE, (0x100000 + working_set._MAX_PAGES) * PAGE)
        small = (0x10 * PAGE, 0x11 * PAGE)
        self.assertEqual(working_set.decode(working_set.encode([small, big])), [big])

    def test_own_pages_after_writing_lie_in_private_writable_mappings(self) -> None:
        buf = mmap.mmap(-1, 8 * PAGE)
        buf.write(b"x" * 8 * PAGE)
        mine = working_set.private_writable()
        for start, end in working_set.own_pages():
            self.assertTrue(any(lo <= start and end <= hi for lo, hi in mine), (start, end))
        self.assertGreaterEqual(sum(e - s for s, e in working_set.own_pages()), 8 * PAGE)
        buf.close()

    def test_fault_in_keeps_only_mapped_parts(self) -> None:
        mine = working_set.private_writable()
        start, end = mine[0]
        self.assertEqual(working_set.mapped([(start - PAGE, start + PAGE)]), [(start, start + PAGE)])
        self.assertEqual(working_set.mapped([(0, PAGE)]), [])
        working_set.fault_in(working_set.mapped([(start, end)]))


if __name__ == "__main__":
    unittest.main()

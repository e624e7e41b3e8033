"""The pages a child's first call writes, learned once per seed and faulted in ahead by later children.

A child starts with every page shared with its seed, copy-on-write: the first call of a numpy +
PIL function then takes hundreds of page faults (refcounts, allocator headers, module state), a
few ms, as it runs. One child per seed learns which pages that is: after its first call is
answered it reads its own /proc/self/pagemap and sends the seed the page ranges of its private
writable mappings that are now its own (present and exclusively mapped: copied on write, or new).
The seed keeps the first valid answer and stops listening. A child forked after that which waits
idle for its first call on a connection made ahead (forked ahead and parked) faults those ranges in meanwhile with
MADV_POPULATE_WRITE (no data changed), so the call that takes it does not take them; a child
forked for a waiting call serves it at once and takes its faults as it runs, as before (faulting
in costs more CPU than the call's own faults: the set also holds pages a later call may not write).

Only address ranges cross from a child to its seed, bounded in size and checked: a hostile child
can at worst make later children of the same function own more of their memory, which their
cgroup's limit bounds as it bounds any call.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import re
import select
import socket
import struct
import time

from fdk.runner import Dispatcher
from fdk.server import CallService

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, List, Optional, Tuple
    from fdk.customer_code import Handler

_MADV_POPULATE_WRITE = 23  # Linux 5.14; older kernels answer EINVAL and the child goes on
_PAGE = mmap.PAGESIZE
_MAX_RANGES = 4096  # one datagram of 64 KiB
_MAX_PAGES = 32768  # 128 MiB with 4 KiB pages: beyond that faulting ahead is not worth its memory
_RANGE = struct.Struct("<QQ")
# pagemap entry bits 63 (present) and 56 (exclusively mapped) are both in its last byte.
_OWN = bytes(1 if b & 0x81 == 0x81 else 0 for b in range(256))
_RUN = re.compile(b"\x01+")
IDLE_S = 0.025  # connected to, then no call for this long after it began to listen: parked
CHUNK_PAGES = 128
_NOT_DATA = ("[stack]", "[vvar]", "[vdso]", "[vsyscall]", "[vvar_vclock]")

_libc = ctypes.CDLL(None, use_errno=True)
_madvise = _libc.madvise
_madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_madvise.restype = ctypes.c_int


def private_writable() -> List[Tuple[int, int]]:
    """This process's private writable mappings that hold data (heap, anonymous, .data of
    libraries), as (start, end) address pairs."""
    out = []
    with open("/proc/self/maps", "rb") as maps:
        for line in maps:
            fields = line.split(None, 5)
            perms = fields[1]
            if perms[1:2] != b"w" or perms[3:4] != b"p":
                continue
            if len(fields) > 5 and fields[5].strip().decode(errors="replace") in _NOT_DATA:
                continue
            start, _, end = fields[0].partition(b"-")
            out.append((int(start, 16), int(end, 16)))
    return out


def own_pages() -> List[Tuple[int, int]]:
    """Ranges of pages of private writable mappings that only this process maps now."""
    found: List[Tuple[int, int]] = []
    with open("/proc/self/pagemap", "rb", buffering=0) as pagemap:
        for start, end in private_writable():
            pagemap.seek(start // _PAGE * 8)
            entries = pagemap.read((end - start) // _PAGE * 8)
            flags = entries[7::8].translate(_OWN)
            for run in _RUN.finditer(flags):
                found.append((start + run.start() * _PAGE, start + run.end() * _PAGE))
    return found


def encode(ranges: List[Tuple[int, int]]) -> bytes:
    """The largest ranges first, within the limits the seed accepts."""
    kept, pages = [], 0
    for start, end in sorted(ranges, key=lambda r: r[0] - r[1]):
        n = (end - start) // _PAGE
        if len(kept) == _MAX_RANGES or pages + n > _MAX_PAGES:
            break
        kept.append((start, end))
        pages += n
    return b"".join(_RANGE.pack(s, e) for s, e in sorted(kept))


def decode(data: bytes) -> Optional[List[Tuple[int, int]]]:
    """Ranges from a child's datagram, or None when it breaks a rule (so is ignored)."""
    if not data or len(data) % _RANGE.size or len(data) > _MAX_RANGES * _RANGE.size:
        return None
    ranges, pages, last = [], 0, 0
    for start, end in _RANGE.iter_unpack(data):
        if start % _PAGE or end % _PAGE or not last <= start < end:
            return None
        pages += (end - start) // _PAGE
        if pages > _MAX_PAGES:
            return None
        ranges.append((start, end))
        last = end
    return ranges


def mapped(ranges: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """The parts of ``ranges`` inside this process's private writable mappings (a copy of the
    seed maps what its learner mapped, unless the seed mapped or unmapped memory since)."""
    mine = private_writable()
    out = []
    i = 0
    for start, end in ranges:
        while i < len(mine) and mine[i][1] <= start:
            i += 1
        j = i
        while j < len(mine) and mine[j][0] < end:
            lo, hi = max(start, mine[j][0]), min(end, mine[j][1])
            if lo < hi:
                out.append((lo, hi))
            j += 1
    return out


def fault_in(ranges: List[Tuple[int, int]]) -> None:
    """Makes the pages of ``ranges`` (mapped ones, see :func:`mapped`) this process's own.
    Failures (an old kernel, the cgroup's limit) only mean a call takes those faults itself."""
    for start, end in ranges:
        _madvise(start, end - start, _MADV_POPULATE_WRITE)


class SeedPages:
    """The seed's side: a datagram socket pair whose sending end its children inherit until one
    of them reported its first call's pages."""

    def __init__(self) -> None:
        self.ranges: Optional[List[Tuple[int, int]]] = None
        self._receive: Optional[socket.socket] = None
        self._send: Optional[socket.socket] = None
        try:
            self._receive, self._send = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._receive.setblocking(False)
        except OSError:
            pass  # nothing is learned: children take their faults as they run

    def register(self, poller: "select.epoll") -> None:
        if self._receive is not None:
            poller.register(self._receive.fileno(), select.EPOLLIN)

    def owns(self, fd: int) -> bool:
        return self._receive is not None and fd == self._receive.fileno()

    def on_readable(self, poller: "select.epoll") -> None:
        """Takes one child's report; the first valid one ends learning."""
        while self._receive is not None:
            try:
                data = self._receive.recv(_MAX_RANGES * _RANGE.size + 1)
            except OSError:  # drained (EAGAIN), or broken: nothing more to take now
                return
            ranges = decode(data)
            if ranges is not None:
                self.ranges = ranges
                poller.unregister(self._receive.fileno())
                self.close()

    def for_child(self) -> "ChildPages":
        return ChildPages(self.ranges, self._send)

    def seed_only(self) -> List[socket.socket]:
        """What a child closes (the receiving end)."""
        return [] if self._receive is None else [self._receive]

    def sockets(self) -> List[socket.socket]:
        return [s for s in (self._receive, self._send) if s is not None]

    def close(self) -> None:
        for s in self.sockets():
            s.close()
        self._receive = self._send = None


class ChildPages:
    """A local child's side: the ranges to fault in while it waits for its first call, or the
    socket to report its own on."""

    def __init__(self, ranges: Optional[List[Tuple[int, int]]], report: Optional[socket.socket]) -> None:
        self.ranges = ranges
        self.report = report if ranges is None else None

    def serve(self, handler: Handler, listener: socket.socket) -> None:
        """Serves calls forever. A child with learned ranges faults them in once the platform
        connected to it ahead of any call (the invoker does for a child it parks) and no call came
        for IDLE_S after it began to listen, a chunk at a time, each after a look for a call, and
        not at all once a call came: a child forked for a waiting call serves it at once, taking
        the faults inside it as before, and a child nobody connected to costs nothing more. A
        learning child reports its pages once its first call is out."""
        poller = select.epoll()
        dispatcher = _Answering(handler)
        calls = CallService(listener, dispatcher, poller)
        chunks = None if not self.ranges else _chunks(self.ranges)
        idle_from = time.monotonic() + IDLE_S
        while True:
            timeout = -1.0
            if chunks is not None and len(calls.sockets()) > 1:
                timeout = max(0.0, idle_from - time.monotonic())
            events = poller.poll(timeout)
            for fd, _ in events:
                calls.on_ready(fd)
            if dispatcher.answered:
                chunks = None
                if self.report is not None:
                    self._report()
            elif (chunks is not None and not events and time.monotonic() >= idle_from
                  and len(calls.sockets()) > 1):
                chunk = next(chunks, None)
                if chunk is None:
                    chunks = None
                else:
                    fault_in(chunk)

    def _report(self) -> None:
        report, self.report = self.report, None
        try:
            data = encode(own_pages())
            if data:
                report.send(data)
        except OSError:
            pass  # the seed learned from another child already, or cannot: nothing lost
        finally:
            report.close()


def _chunks(ranges: List[Tuple[int, int]]) -> Iterator[List[Tuple[int, int]]]:
    """The mapped parts of ``ranges`` (read when the first chunk is asked for) cut into lists of
    CHUNK_PAGES pages or fewer (a fraction of a ms to fault in)."""
    ranges = mapped(ranges)
    chunk: List[Tuple[int, int]] = []
    pages = 0
    for start, end in ranges:
        while start < end:
            stop = min(end, start + (CHUNK_PAGES - pages) * _PAGE)
            chunk.append((start, stop))
            pages += (stop - start) // _PAGE
            start = stop
            if pages == CHUNK_PAGES:
                yield chunk
                chunk, pages = [], 0
    if chunk:
        yield chunk


class _Answering(Dispatcher):
    def __init__(self, handler: Handler) -> None:
        super().__init__(handler)
        self.answered = False

    def call(self, headers, body):  # type: ignore[no-untyped-def]
        reply = super().call(headers, body)
        self.answered = True
        return reply

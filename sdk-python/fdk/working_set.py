"""The pages a child's first call writes, learned once per seed and faulted in ahead by later children.

A child starts with every page shared with its seed, copy-on-write: the first call of a numpy +
PIL function then takes hundreds of page faults (refcounts, allocator headers, module state), a
few ms, as it runs. Until its seed learned which pages that is, each child says when its first call
is answered: it sends one byte to its seed, which names the latest sender (by the kernel's credentials
of the datagram, not by anything the child says) in its next fork or ping answer (``"learn": <pid>``;
forkd pings a seed that has not learned before it deletes one of its children).
forkd, root, then reads that child's /proc/<pid>/pagemap (the child, undumpable and of another
uid, cannot read its own) and sends the seed the page ranges of the child's private writable
mappings it holds alone (present and exclusively mapped: copied on write, or new) in a ``pages``
order, with the present pages of its read-only private file mappings (code and constants of the
interpreter and libraries: fork leaves their page tables empty, so the child faulted each of them
in, a fault-around block at a time). The seed checks them (:func:`checked`) and keeps them. A child forked after that which
waits idle for its first call (forked ahead and parked) faults those ranges in meanwhile with
MADV_POPULATE_WRITE (no data changed; MADV_POPULATE_READ in read-only file mappings), so the call that takes it does not take them
(learned pages past its heap's end, where the learner's call grew the C heap, are made heap first,
through malloc, so the call's allocations land on them: see :func:`grow_heap`), then reads
each of those pages and each resident page of its data mappings (:func:`touch`, :func:`resident`:
where a hypervisor shadows page tables, a process's first access to a mapped page still traps); a child
forked for a waiting call serves it at once and takes its faults as it runs, as before (faulting
in costs more CPU than the call's own faults: the set also holds pages a later call may not write).

Only address ranges reach a seed, and only from forkd: a hostile learner can at worst make
later children of the same function own more of their memory, which their cgroup's limit bounds
as it bounds any call.
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
    from typing import Iterable, Iterator, List, Optional, Tuple
    from fdk.customer_code import Handler

_MADV_POPULATE_READ = 22  # Linux 5.14; older kernels answer EINVAL and the child goes on
_MADV_POPULATE_WRITE = 23
_PAGE = mmap.PAGESIZE
MAX_RANGES = 4096
MAX_PAGES = 32768  # 128 MiB with 4 KiB pages: beyond that faulting ahead is not worth its memory
_UCRED = struct.Struct("=iII")  # struct ucred: pid, uid, gid
_MAX_ADDRESS = 1 << 57  # above any user address (5-level paging)
IDLE_S = 0.025  # connected to, then no call for this long after it began to listen: parked
CHUNK_PAGES = 128
_NOT_DATA = ("[stack]", "[vvar]", "[vdso]", "[vsyscall]", "[vvar_vclock]")

_libc = ctypes.CDLL(None, use_errno=True)
_madvise = _libc.madvise
_madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_madvise.restype = ctypes.c_int
_malloc = _libc.malloc
_malloc.argtypes = (ctypes.c_size_t,)
_malloc.restype = ctypes.c_void_p
_free = _libc.free
_free.argtypes = (ctypes.c_void_p,)
_free.restype = None
_sbrk = _libc.sbrk
_sbrk.argtypes = (ctypes.c_ssize_t,)
_sbrk.restype = ctypes.c_void_p
_mallopt = _libc.mallopt
_mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
_mallopt.restype = ctypes.c_int
_mincore = _libc.mincore
_mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p)
_mincore.restype = ctypes.c_int
READ_ONLY = 0  # advice of a chunk whose pages are only read (see :func:`resident`), not faulted in
# mincore's byte per page: bit 0 says resident, the other bits are reserved.
_RESIDENT_BIT = bytes(b & 1 for b in range(256))
_RESIDENT_RUN = re.compile(b"\x01+")
_M_TOP_PAD = -2
_DEFAULT_TOP_PAD = 128 * 1024
_MAX_TOP_PAD = MAX_PAGES * _PAGE
# Pieces the heap is grown by: below glibc's smallest mmap threshold (128 KiB), so malloc takes each
# from the heap, extending its top when no free chunk fits.
HEAP_PIECE = 64 * 1024


def populatable() -> List[Tuple[int, int, int]]:
    """This process's private mappings a call faults pages in: writable ones that hold data (heap,
    anonymous, .data of libraries) and read-only ones of a file (code, constants), as (start, end,
    madvise advice to fault them in) triples."""
    out = []
    with open("/proc/self/maps", "rb") as maps:
        for line in maps:
            fields = line.split(None, 5)
            perms = fields[1]
            if perms[3:4] != b"p":
                continue
            name = fields[5].strip().decode(errors="replace") if len(fields) > 5 else ""
            if perms[1:2] == b"w" and name not in _NOT_DATA:
                advice = _MADV_POPULATE_WRITE
            elif perms[:2] == b"r-" and name.startswith("/"):
                advice = _MADV_POPULATE_READ
            else:
                continue
            start, _, end = fields[0].partition(b"-")
            out.append((int(start, 16), int(end, 16), advice))
    return out


def checked(ranges: object) -> Optional[List[Tuple[int, int]]]:
    """The ranges of a ``pages`` order ([[start, end], ...]), or None when they break a rule
    (page-aligned, sorted, not overlapping, within the count and size limits)."""
    if not isinstance(ranges, list) or not ranges or len(ranges) > MAX_RANGES:
        return None
    out, pages, last = [], 0, 0
    for r in ranges:
        if (not isinstance(r, list) or len(r) != 2
                or not all(isinstance(x, int) and not isinstance(x, bool) for x in r)):
            return None
        start, end = r
        if start % _PAGE or end % _PAGE or not last <= start < end or end > _MAX_ADDRESS:
            return None
        pages += (end - start) // _PAGE
        if pages > MAX_PAGES:
            return None
        out.append((start, end))
        last = end
    return out


def mapped(ranges: List[Tuple[int, int]]) -> List[Tuple[int, int, int]]:
    """The parts of ``ranges`` inside this process's :func:`populatable` mappings, each with the
    advice that faults it in (a copy of the seed maps what its learner mapped, unless the seed
    mapped or unmapped memory since)."""
    mine = populatable()
    out = []
    i = 0
    for start, end in ranges:
        while i < len(mine) and mine[i][1] <= start:
            i += 1
        j = i
        while j < len(mine) and mine[j][0] < end:
            lo, hi = max(start, mine[j][0]), min(end, mine[j][1])
            if lo < hi:
                out.append((lo, hi, mine[j][2]))
            j += 1
    return out


def heap_growth(ranges: List[Tuple[int, int]], limit: int = _MAX_TOP_PAD) -> int:
    """Where the learner's heap ended, when learned pages lie past this process's heap end (and
    below the next mapping; a range may begin inside the heap, the learner's heap being one
    mapping): the learner's call grew the heap there, and a copy of the seed's heap does not reach
    them yet. 0 when none do. Only pages at most ``limit`` bytes past the heap's end count: further
    up lies what the learner mapped on its own (a large block malloc took with mmap, placed below
    the lowest mapping), which growing the heap to would take all of this process's memory."""
    heap_end = next_start = 0
    with open("/proc/self/maps", "rb") as maps:
        for line in maps:
            start, _, end = line.split(None, 1)[0].partition(b"-")
            if heap_end:
                next_start = int(start, 16)
                break
            if line.rstrip().endswith(b"[heap]"):
                heap_end = int(end, 16)
    if not heap_end:
        return 0
    beyond = [end for start, end in ranges
              if heap_end < end <= heap_end + limit and (not next_start or end <= next_start)]
    return max(beyond, default=0)


def grow_heap(target: int) -> int:
    """Extends the C heap's top to ``target`` through malloc, so that the allocations of the first
    call reuse those pages, once faulted in, instead of extending the heap page by page as it runs.
    The pieces, freed at once, merge into the top chunk, which glibc trims down to its top pad: the
    pad grows first by what the heap lacks (twice at most: the top may have held free memory below
    the heap's end), so the heap stays that large, as it did in the learner after its call.

    Returns the page where the heap ended before (0: it reached ``target`` already)."""
    before = (_sbrk(0) or target) // _PAGE * _PAGE
    pad = _DEFAULT_TOP_PAD
    for _ in range(2):
        short = target - (_sbrk(0) or target)
        if short <= 0:
            break
        pad = min(pad + short, _MAX_TOP_PAD)
        _mallopt(_M_TOP_PAD, pad)
        pieces = []
        limit = short // HEAP_PIECE + 64  # malloc takes free chunks inside the heap first
        while len(pieces) < limit and (_sbrk(0) or target) < target:
            piece = _malloc(HEAP_PIECE)
            if not piece:
                break
            pieces.append(piece)
        for piece in reversed(pieces):
            _free(piece)
    return before if before < target else 0


def budget_pages() -> int:
    """Pages a parked child faults in at most: half its memory limit (``FN_MEMORY``, MB), so that
    what one call held when its pages were learned never makes later children run out of memory
    before their first call; :data:`MAX_PAGES` without a limit."""
    try:
        memory_mb = int(os.environ.get("FN_MEMORY", ""))
    except ValueError:
        return MAX_PAGES
    if memory_mb <= 0:
        return MAX_PAGES
    return min(MAX_PAGES, memory_mb * 1024 * 1024 // 2 // _PAGE)


def with_span(ranges: List[Tuple[int, int]], start: int, end: int) -> List[Tuple[int, int]]:
    """``ranges`` (sorted, not overlapping) with all of [start, end) in them: the heap's new top,
    where this call's allocations may fall on other pages than the learner's did."""
    out = [(lo, hi) for lo, hi in ranges if hi <= start or lo >= end]
    out += [(lo, start) for lo, hi in ranges if lo < start < hi]
    out += [(end, hi) for lo, hi in ranges if lo < end < hi]
    return sorted(out + [(start, end)])


def fault_in(ranges: List[Tuple[int, int, int]]) -> None:
    """Faults in the pages of ``ranges`` (from :func:`mapped`): written ones become this process's
    own, read ones get mapped, then each is read once (:func:`touch`); those of :data:`READ_ONLY`
    ranges are only read. Failures (an old kernel, the cgroup's limit) only mean a call takes those
    faults itself."""
    for start, end, advice in ranges:
        if advice == READ_ONLY or _madvise(start, end - start, advice) == 0:
            touch(start, end)


def resident(limit: int) -> List[Tuple[int, int, int]]:
    """The resident pages of this process's private writable data mappings, as :data:`READ_ONLY`
    ranges, ``limit`` pages at most: a child shares them with its seed and its call reads many it
    never writes (module dicts, code objects), which the learned set, of pages a call wrote, does
    not name. Reading them costs nothing in memory; on a host that shadows page tables it saves the
    call a trap on each (a numpy+PIL call: 1.3 ms with the learned pages faulted in, 0.4 ms with
    these read too, in a probe)."""
    out: List[Tuple[int, int, int]] = []
    for start, end, advice in populatable():
        if advice != _MADV_POPULATE_WRITE or limit <= 0:
            continue
        pages = (end - start) // _PAGE
        vector = ctypes.create_string_buffer(pages)
        if _mincore(start, end - start, vector) != 0:
            continue
        # Runs of resident pages, found in C: with a Python loop over each page, resident() took
        # 1.1-1.9 ms for 12,000 pages here, 0.4-0.5 ms this way.
        for run in _RESIDENT_RUN.finditer(vector.raw.translate(_RESIDENT_BIT)):
            i, j = run.span()
            j = min(j, i + limit)
            out.append((start + i * _PAGE, start + j * _PAGE, READ_ONLY))
            limit -= j - i
            if limit <= 0:
                break
    return out


def touch(start: int, end: int) -> None:
    """Reads one byte of each page of [start, end), mapped already. Where a hypervisor shadows the
    guest's page tables (PVM, or no EPT), a page the kernel mapped still traps on the process's
    first access, some 10 us each: a numpy+PIL call took 3.1 ms after MADV_POPULATE_WRITE alone,
    1.4 ms once its pages were read too. Pages already touched cost some 40 ns each (a second pass
    over 14,929 pages: 0.57 ms), in C (a strided copy of one byte per page)."""
    bytes(memoryview((ctypes.c_char * (end - start)).from_address(start)).cast("B")[::_PAGE])


class SeedPages:
    """The seed's side: a datagram socket pair (receiving credentials) whose sending end its
    children inherit until one said its first call is out; then the ranges forkd sends."""

    def __init__(self) -> None:
        self.ranges: Optional[List[Tuple[int, int]]] = None
        self.learner: Optional[int] = None  # told forkd in the next fork or ping answer, then None
        self._receive: Optional[socket.socket] = None
        self._send: Optional[socket.socket] = None
        try:
            self._receive, self._send = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._receive.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            self._receive.setblocking(False)
        except OSError:
            self.close()  # nothing is learned: children take their faults as they run

    def register(self, poller: "select.epoll") -> None:
        if self._receive is not None:
            poller.register(self._receive.fileno(), select.EPOLLIN)

    def owns(self, fd: int) -> bool:
        return self._receive is not None and fd == self._receive.fileno()

    def on_readable(self, poller: "select.epoll") -> None:
        """Takes children's word that their first call is out: the latest sender's pid, as the
        kernel vouches for it, is the one forkd is to learn from (an earlier one may be gone by
        the time forkd asks). The pair stays open until forkd's pages came."""
        while self._receive is not None:
            try:
                _, ancillary, _, _ = self._receive.recvmsg(1, socket.CMSG_SPACE(_UCRED.size))
            except OSError:  # drained (EAGAIN), or broken: nothing more to take now
                return
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(data) >= _UCRED.size:
                    pid = _UCRED.unpack_from(data)[0]
                    if pid > 0:
                        self.learner = pid

    def learn(self) -> Optional[int]:
        """The pid forkd is to learn from, named once per first call that came out."""
        pid, self.learner = self.learner, None
        return pid

    def take(self, ranges: object, poller: "select.epoll") -> Optional[int]:
        """A ``pages`` order's ranges: the number of pages kept, None when refused. Learning
        ends with the first ranges kept."""
        found = checked(ranges)
        if found is None or self.ranges is not None:
            return None
        self.ranges = found
        if self._receive is not None:
            poller.unregister(self._receive.fileno())
        self.close()
        return sum((end - start) // _PAGE for start, end in found)

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
    socket to say its first call is out on."""

    def __init__(self, ranges: Optional[List[Tuple[int, int]]], report: Optional[socket.socket]) -> None:
        self.ranges = ranges
        self.report = report if ranges is None else None

    def serve(self, handler: Handler, listener: socket.socket) -> None:
        """Serves calls forever. A child with learned ranges faults them in once the platform
        connected to it ahead of any call (the invoker does for a child it parks) and no call came
        for IDLE_S after it began to listen, a chunk at a time, each after a look for a call, and
        not at all once a call came: a child forked for a waiting call serves it at once, taking
        the faults inside it as before, and a child nobody connected to costs nothing more. A
        learning child says so once its first call is out."""
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
            report.send(b"\0")
        except OSError:
            pass  # another child was first, or the seed is gone: nothing lost
        finally:
            report.close()


def _chunks(ranges: List[Tuple[int, int]]) -> Iterator[List[Tuple[int, int, int]]]:
    """The mapped parts of ``ranges`` (read when the first chunk is asked for, after the heap grew
    over those past its end, see :func:`heap_growth`, all of its growth with them), at most
    :func:`budget_pages`, then the :func:`resident` pages of its data mappings, to be read; each
    cut into lists of CHUNK_PAGES pages or fewer (a fraction of a ms to fault in)."""
    budget = budget_pages()
    target = heap_growth(ranges, min(_MAX_TOP_PAD, budget * _PAGE))
    if target:
        grown_from = grow_heap(target)
        if grown_from:
            ranges = with_span(ranges, grown_from, target)
    yield from _packed(_within(mapped(ranges), budget))
    yield from _packed(resident(MAX_PAGES))


def _within(ranges: Iterable[Tuple[int, int, int]], pages: int) -> Iterator[Tuple[int, int, int]]:
    """The first ``pages`` pages of ``ranges``."""
    for start, end, advice in ranges:
        end = min(end, start + pages * _PAGE)
        if end <= start:
            return
        pages -= (end - start) // _PAGE
        yield start, end, advice


def _packed(ranges: Iterable[Tuple[int, int, int]]) -> Iterator[List[Tuple[int, int, int]]]:
    """``ranges`` cut and packed into lists of CHUNK_PAGES pages or fewer."""
    chunk: List[Tuple[int, int, int]] = []
    pages = 0
    for start, end, advice in ranges:
        while start < end:
            stop = min(end, start + (CHUNK_PAGES - pages) * _PAGE)
            chunk.append((start, stop, advice))
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

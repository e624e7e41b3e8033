"""The seed: an initialised function that forks children on order and never serves calls.

Control protocol (docs/CONTRACTS.md): newline-delimited JSON over a unix stream socket, one
answer line per request line; ops ``ping``, ``fork``, ``prepare``, ``pages`` and ``exit``
(``pages``: the first-call pages forkd learned from a child, see fdk.working_set).

``prepare`` snapshots the seed through the node's page server (the fork primitive's Python
binding, kmod/python/cleave_fork.py): the seed answers the snapshot's handle and key, and goes on
serving. A child resumed from the snapshot on any node returns from the same call (with None,
like ``os.fork()`` returning 0): it reads its order from the file the request named, and becomes
an instance as a local fork child does.

The seed is undumpable (PR_SET_DUMPABLE 0) and so is every child it forks (the flag is
inherited): its children share its uid, and a dumpable process's /proc/<pid>/mem, environ, fds
and ptrace are open to every process of its uid, so one call could read or write another's
memory. Only while it prepares is the seed dumpable: the fork primitive reads the frozen
holder's /proc to describe the snapshot (the holder turns itself undumpable once that is done).

A fork copies only the forking thread. A seed whose import left other threads running (counted
in /proc, so threads started by C extensions count too) refuses fork orders with the reason and
``"code": "not-forkable"``, unless the function called ``fdk.allow_fork()`` after registering
``os.register_at_fork`` handlers that restart its threads in each child.
"""

from __future__ import annotations

import _thread
import ctypes
import gc
import importlib
import json
import os
import select
import signal
import socket
import sys

from fdk.instance import ForkOrder, prepare_process, rehearse_call_path, run_child
from fdk.runner import Dispatcher, Reply, drop_kept_state, flush_stdio
from fdk.server import CallService, bind_unix, set_io_timeout, unix_path
from fdk.working_set import MAX_PAGES, MAX_RANGES, SeedPages

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, NoReturn, Optional, Tuple
    from fdk.customer_code import Handler

MAX_LINE = 1 << 20
_PR_SET_DUMPABLE = 4
NOT_FORKABLE = "not-forkable"  # the refusal forkd answers with 422
_DETACHED: List[Any] = []
KEPT_BYTES_HEADER = "cleave-kept-bytes"  # seed objects whose descriptors a resumed child must not close
# On a call to a kept instance: the body is not a call but other producers' results to copy in,
# under the key this gives, for the children whose fork order names that key (docs/CONTRACTS.md).
COPY_FOR_HEADER = "cleave-copy-for"
# In a fork order's environment: the copied results (by the key they came with) its child holds.
COPIED_ENV = "CLEAVE_COPIED"


def set_dumpable(dumpable: bool) -> None:
    """PR_SET_DUMPABLE for this process (and the children it forks from now on)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, int(dumpable), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "prctl(PR_SET_DUMPABLE, {}): {}".format(int(dumpable), os.strerror(err)))


def _binding(directory: str) -> Any:
    """The fork primitive's binding (cleave_fork.py; it finds libcleave.so in ../build)."""
    module = sys.modules.get("cleave_fork")
    if module is None:
        sys.path.insert(0, directory)
        try:
            module = importlib.import_module("cleave_fork")
        finally:
            sys.path.remove(directory)
    return module


class _SeedExit(Exception):
    """An ``exit`` order was answered."""


class _Connection:
    __slots__ = ("sock", "pending")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.pending = b""


class Seed:
    """Serves the control socket of one seed."""

    def __init__(self, handler: Handler, listener: socket.socket, control_path: str,
                 call_listener: Optional[socket.socket] = None) -> None:
        self._handler = handler
        self._listener = listener
        self._control_path = control_path
        self._poller = select.epoll()
        # A kept instance (CLEAVE_MODE=keep) also serves calls; a seed never does.
        self._keeping = None if call_listener is None else KeepingDispatcher(handler)
        self._calls = None if call_listener is None else CallService(
            call_listener, self._keeping, self._poller)
        self._connections: Dict[int, _Connection] = {}
        # Fork orders waiting for the call they follow to be answered (a kept instance's), with
        # the control connection to answer them on.
        self._waiting: List[Tuple[int, Dict[str, Any]]] = []
        self._forks = 0  # children forked so far
        self._exiting = False
        self._forked_order: Optional[ForkOrder] = None
        # A seed found forkable stays so: only its main thread runs, and it runs no function code
        # between orders (a kept instance does, in its calls; a prepare runs the binding's).
        # Checking costs a /proc listing and ~10 copy-on-write faults per fork.
        self._forkable = False
        # What a child's first call writes, learned from one child (a kept instance's children
        # run another function's code: nothing to learn for them).
        self._pages = SeedPages() if call_listener is None else None
        # The environment children start from (see become_instance): a seed runs no function
        # code, so it stays as it is now, unless the function left threads running (forkable
        # after fdk.allow_fork()) or the seed is a kept instance, whose calls may change it.
        self._environ = dict(os.environ) if call_listener is None and not other_threads() else None

    def run(self) -> None:
        self._listener.setblocking(False)
        self._poller.register(self._listener.fileno(), select.EPOLLIN)
        if self._pages is not None:
            self._pages.register(self._poller)
        try:
            while True:
                for fd, _ in self._poller.poll():
                    if fd == self._listener.fileno():
                        self._accept_all()
                    elif self._calls is not None and self._calls.owns(fd):
                        self._calls.on_ready(fd)
                        if self._keeping.answered:  # the answer is out: off the call's path
                            self._keeping.answered = False
                            if not self._fork_after_call():
                                _share_pages_ahead()
                    elif self._pages is not None and self._pages.owns(fd):
                        self._pages.on_readable(self._poller)
                    else:
                        self._on_readable(fd)
        except _SeedExit:
            pass
        finally:
            self._close()

    def _accept_all(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as ex:
                print("fdk seed: accept failed: {}".format(ex), file=sys.stderr, flush=True)
                return
            set_io_timeout(sock)
            self._connections[sock.fileno()] = _Connection(sock)
            self._poller.register(sock.fileno(), select.EPOLLIN)

    def _on_readable(self, fd: int) -> None:
        conn = self._connections.get(fd)
        if conn is None:
            return
        try:
            # Never waits: an event may be stale, its line read already (_fork_after_call reads
            # the lines that came while a call ran) or its socket closed and the number reused.
            # A blocking read there once kept a kept instance deaf to calls and orders for a minute.
            data = conn.sock.recv(65536, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(fd)
            return
        conn.pending += data
        while True:
            line, newline, rest = conn.pending.partition(b"\n")
            if not newline:
                break
            conn.pending = rest
            if line.strip():
                answer = self._handle_line(fd, line)
                if answer is None:  # a fork order waiting for its call: answered once it forked
                    continue
                self._answer(fd, conn, answer)
        if len(conn.pending) > MAX_LINE:
            self._answer(fd, conn, {"ok": False, "error": "request line longer than {} bytes"
                                    .format(MAX_LINE)})
            self._drop(fd)

    def _answer(self, fd: int, conn: _Connection, answer: Dict[str, Any]) -> None:
        try:
            conn.sock.sendall(_encode(answer))
        except OSError:
            self._drop(fd)
        if self._forked_order is not None:
            self._forked_order.release(forked=True)
            self._forked_order = None
        if self._exiting:
            raise _SeedExit()

    def _drop(self, fd: int) -> None:
        if self._waiting:
            self._waiting = [w for w in self._waiting if w[0] != fd]
        conn = self._connections.pop(fd, None)
        if conn is not None:
            self._poller.unregister(fd)
            conn.sock.close()

    def _handle_line(self, fd: int, line: bytes) -> Optional[Dict[str, Any]]:
        try:
            request = json.loads(line)
        except ValueError as ex:
            return {"ok": False, "error": "request is not JSON: {}".format(ex)}
        if not isinstance(request, dict):
            return {"ok": False, "error": "request must be a JSON object"}
        op = request.get("op")
        if op == "ping":
            answer = {"ok": True, "pid": os.getpid(), "threads": 1 + len(other_threads()),
                      "forkable": fork_refusal() is None}
            learner = None if self._pages is None else self._pages.learn()
            if learner is not None:
                answer["learn"] = learner
            return answer
        if op == "fork":
            return self._fork(fd, request)
        if op == "prepare":
            return self._prepare(request)
        if op == "pages":
            return self._take_pages(request)
        if op == "exit":
            self._exiting = True
            return {"ok": True}
        return {"ok": False, "error": "unknown op {!r} (want ping, fork, prepare, pages or exit)".format(op)}

    def _fork_after_call(self) -> bool:
        """Right after a call was answered: forks the children whose orders followed it, those
        that waited and those that came while it ran (the first of them pays the copy-on-write
        marking the throwaway fork would have); whether there were any."""
        forks = self._forks
        # A waiting order's call comes next: one that waited through another call's answer
        # follows a call this instance will not serve (refused, not left waiting for ever).
        last = self._keeping.last_call
        waiting, self._waiting = self._waiting, []
        for fd, request in waiting:
            conn = self._connections.get(fd)
            if conn is not None:
                after = request.get("after")
                self._answer(fd, conn, self._fork(fd, request) if last is not None and after == last[0]
                             else _not_next(after))
        for fd, events in self._poller.poll(0):
            if fd in self._connections:
                self._on_readable(fd)
        return self._forks != forks

    def _take_pages(self, request: Dict[str, Any]) -> Dict[str, Any]:
        kept = None if self._pages is None else self._pages.take(request.get("ranges"), self._poller)
        if kept is None:
            return {"ok": False, "error": "pages refused: learned already, not learning, or ranges not "
                    "page-aligned, sorted and within {} ranges of {} pages in all".format(
                        MAX_RANGES, MAX_PAGES)}
        return {"ok": True, "pages": kept}

    def _fork(self, fd: int, request: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """The answer to a fork order read on control connection ``fd``, or None for one that
        waits for the call it follows (answered on ``fd`` once that call was answered)."""
        try:
            order = ForkOrder.from_request(request)
        except ValueError as ex:
            return {"ok": False, "error": str(ex)}
        if order.after is not None:
            if self._keeping is None:
                return {"ok": False, "error": "after is for a kept instance's fork orders"}
            last = self._keeping.last_call
            if last is None or last[0] != order.after:
                if order.after in self._keeping.answered_ids:
                    return _not_next(order.after)
                self._waiting.append((fd, request))
                return None
            if last[1] != 200:
                return {"ok": False, "error": "call {} answered {}: no child is forked from it".format(
                    order.after, last[1])}
        if not self._forkable:  # before prepare: a refused order leaves nothing behind
            refusal = fork_refusal()
            if refusal is not None:
                return {"ok": False, "code": NOT_FORKABLE, "error": refusal}
            self._forkable = self._calls is None
        try:
            order.prepare()
        except ValueError as ex:
            return {"ok": False, "error": str(ex)}
        flush_stdio()
        gc.freeze()  # objects of the seed stay out of the children's collections: pages stay shared
        try:
            pid = os.fork()
        except OSError as ex:
            order.release(forked=False)
            return {"ok": False, "error": "fork failed: {}".format(ex)}
        if pid == 0:
            if self._keeping is not None:
                from fdk import state
                state.adopt_copied(order.env.get(COPIED_ENV))
            pages = None if self._pages is None else self._pages.for_child()
            run_child(self._handler, order, self._inherited(), pages, self._environ)
        if self._keeping is not None:
            self._forks += 1  # a seed writes nothing it need not after a fork: each page written is a fault
        # Released once the answer is out: after a fork every page the seed writes costs a
        # copy-on-write fault, and forkd is waiting for the pid.
        self._forked_order = order
        learner = None if self._pages is None else self._pages.learn()
        if learner is not None:
            return {"ok": True, "pid": pid, "learn": learner}
        return {"ok": True, "pid": pid}

    def _prepare(self, request: Dict[str, Any]) -> Dict[str, Any]:
        paths = {}
        for name in ("sock", "binding", "order"):
            value = request.get(name)
            if not isinstance(value, str) or not os.path.isabs(value):
                return {"ok": False, "error": "{} must be an absolute path".format(name)}
            paths[name] = value
        others = other_threads()
        if others:  # a snapshot holds the calling thread only, and no at-fork handler runs
            return {"ok": False, "code": NOT_FORKABLE, "error": (
                "seed cannot be prepared: {} thread{} besides the main one running ({}); a "
                "snapshot holds only the calling thread".format(
                    len(others), "" if len(others) == 1 else "s", ", ".join(others)))}
        try:
            cleave_fork = _binding(paths["binding"])
        except (ImportError, OSError) as ex:
            return {"ok": False, "error": "cannot load the fork primitive from {}: {}".format(
                paths["binding"], ex)}
        flush_stdio()
        self._forkable = False
        set_dumpable(True)  # the binding reads its holder's /proc, and the holder is our copy
        try:
            prepared = cleave_fork.prepare(sock=paths["sock"])
        except cleave_fork.CleaveError as ex:
            set_dumpable(False)
            return {"ok": False, "error": "prepare failed: {}".format(ex)}
        if prepared is None:
            self._resumed(paths["order"])
        set_dumpable(False)
        return {"ok": True, "handle": prepared.handle, "key": prepared.key,
                "rss_bytes": prepared.rss_bytes, "prepare_ns": prepared.prepare_ns}

    def _resumed(self, order_path: str) -> NoReturn:
        """In a child resumed from the snapshot, on any node: become an instance, never return.

        Its descriptors are the restorer's (stdio on the instance's output), not the seed's: the
        seed's socket objects let go of their numbers without closing them, since those numbers
        are free here or will be this child's own.
        """
        learning = [] if self._pages is None else self._pages.sockets()
        for sock in [self._listener] + [c.sock for c in self._connections.values()] + learning:
            sock.detach()
        self._pages = None
        _DETACHED.append(self._poller)  # no detach for epoll: kept, so never closed
        self._connections.clear()
        try:
            with open(order_path, "rb") as f:
                order = ForkOrder.from_request(json.loads(f.read()))
        except (OSError, ValueError) as ex:
            print("fdk: resumed child: bad order {}: {}".format(order_path, ex), file=sys.stderr,
                  flush=True)
            os._exit(1)
        run_child(self._handler, order)

    def _inherited(self) -> List[Any]:
        calls = [] if self._calls is None else self._calls.sockets()
        learning = [] if self._pages is None else self._pages.seed_only()
        return ([self._poller, self._listener] + [c.sock for c in self._connections.values()] + calls
                + learning)

    def _close(self) -> None:
        for fd in list(self._connections):
            self._drop(fd)
        self._poller.close()
        self._listener.close()
        if self._pages is not None:
            self._pages.close()
        try:
            os.unlink(self._control_path)
        except OSError:
            pass


def _not_next(call_id: Any) -> Dict[str, Any]:
    return {"ok": False, "error": "call {} was not the last call this kept instance answered: no child "
            "is forked from it".format(call_id)}


def _encode(answer: Dict[str, Any]) -> bytes:
    """An answer line. A fork's usual one is written out directly: json.dumps allocates objects
    of several sizes, each a page of the allocator's that the fork just made copy-on-write."""
    if len(answer) == 2 and answer.get("ok") is True and type(answer.get("pid")) is int:
        return b'{"ok": true, "pid": %d}\n' % answer["pid"]
    return json.dumps(answer).encode() + b"\n"


def other_threads() -> List[str]:
    """The names of this process's threads besides the calling one: a Python thread's name, or
    for a thread Python does not know (started by C code) its kernel name."""
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:  # no /proc: only Python's own threads can be seen
        threading = sys.modules.get("threading")
        if threading is None:
            return []
        return [t.name for t in threading.enumerate() if t is not threading.current_thread()]
    me = str(_thread.get_native_id())
    named = _python_thread_names()
    others = [named.get(tid) or _kernel_thread_name(tid) for tid in sorted(tids, key=int)
              if tid != me]
    return others[:max(0, len(tids) - 1)]


def _python_thread_names() -> Dict[str, str]:
    threading = sys.modules.get("threading")
    if threading is None:  # never imported: no thread was started through it
        return {}
    return {str(t.native_id): t.name for t in threading.enumerate() if t.native_id is not None}


def _kernel_thread_name(tid: str) -> str:
    try:
        with open("/proc/self/task/{}/comm".format(tid)) as comm:
            return "{} (tid {}, not a Python thread)".format(comm.read().strip(), tid)
    except OSError:
        return "tid {}".format(tid)


def fork_refusal() -> Optional[str]:
    """Why this seed must not fork now, or None when it may."""
    import fdk
    if fdk.fork_allowed():
        return None
    others = other_threads()
    if not others:
        return None
    return ("seed is not forkable: {} thread{} besides the main one running after import ({}); "
            "a fork copies only the forking thread. Call fdk.allow_fork() after registering "
            "os.register_at_fork(after_in_child=...) handlers that restart them".format(
                len(others), "" if len(others) == 1 else "s", ", ".join(others)))


class KeepingDispatcher(Dispatcher):
    """A kept instance's calls: what the function kept stays after the call, and the answer
    says how much it holds (``Cleave-Kept-Bytes``, read by the platform, not the caller). The
    platform sends a kept instance its next call (the next run's producer) once the children of
    the last one are gone: what that call kept is dropped first."""

    def __init__(self, handler: Handler) -> None:
        super().__init__(handler, keeps_state=True)
        self.answered = False
        self._served = False
        # The last call answered: its Fn-Call-Id and status (fork orders may follow it), and
        # the ids of the calls answered lately (an order following one of the others is refused).
        self.last_call: Optional[Tuple[Any, int]] = None
        self.answered_ids: List[Any] = []

    def call(self, headers: Dict[str, Any], body: bytes) -> Reply:
        consumer = headers.get(COPY_FOR_HEADER)
        if consumer is not None:
            return _copy_in(consumer, body)
        if self._served:
            drop_kept_state()
        self._served = True
        reply = super().call(headers, body)
        state = sys.modules.get("fdk.state")
        reply.headers[KEPT_BYTES_HEADER] = str(0 if state is None else state.kept_bytes())
        self.answered = True
        self.last_call = (headers.get("fn-call-id"), reply.status)
        self.answered_ids.append(self.last_call[0])
        del self.answered_ids[:-64]
        return reply


def _copy_in(consumer: Any, body: bytes) -> Reply:
    """Parses other producers' results (a JSON object by step name) once, here, for the children
    forked with the key ``consumer`` from now on: none of them parses or receives them again."""
    if isinstance(consumer, list):
        consumer = consumer[0] if consumer else ""
    try:
        results = json.loads(body)
    except ValueError as ex:
        return Reply(400, {}, "copied results are not JSON: {}".format(ex).encode())
    if not consumer or not isinstance(results, dict):
        return Reply(400, {}, b"copied results need a consumer and a JSON object by step name")
    from fdk import state
    state.copy_in(consumer, results)
    return Reply(200, {}, b"")


def _share_pages_ahead() -> None:
    """After a kept instance's call: one fork whose child exits at once. The first fork of a
    process marks every private page it holds copy-on-write, one by one (about 6 ms for 64 MB
    of kept state on this 2-core machine, 20 ms loaded); later forks only copy page tables
    (about 1 ms). Done here, while the platform stores the producer's result, the first consumer's
    fork does not pay it."""
    flush_stdio()
    gc.freeze()  # as before every fork: a collection would write to every object's header
    try:
        pid = os.fork()
    except OSError:
        return  # the consumer's fork pays it then
    if pid == 0:
        os._exit(0)  # reaped by the kernel (SIGCHLD is ignored)


def run_kept(handler: Handler, control_address: Optional[str], call_address: Optional[str]) -> None:
    """A kept instance: serves the producer's call on FN_LISTENER, keeps what it passed to
    ``fdk.state.keep``, and forks children from that state on orders from CLEAVE_CONTROL, each
    loading the consumer's function the order names (docs/CONTRACTS.md)."""
    if not call_address:
        sys.exit("fdk keep: FN_LISTENER is not set")
    try:
        call_listener = bind_unix(unix_path(call_address))
    except (OSError, ValueError) as ex:
        sys.exit("fdk keep: cannot listen on {}: {}".format(call_address, ex))
    run_seed(handler, control_address, call_listener)


def run_seed(handler: Handler, control_address: Optional[str],
             call_listener: Optional[socket.socket] = None) -> None:
    """Becomes the seed: binds CLEAVE_CONTROL and serves fork orders until ``exit`` (and calls
    on ``call_listener``, for a kept instance)."""
    if not control_address:
        sys.exit("fdk seed: CLEAVE_CONTROL is not set")
    if _is_coroutine_function(handler):
        importlib.import_module("asyncio")  # imported once here rather than in every child
    prepare_process()
    rehearse_call_path()
    gc.collect()
    gc.freeze()
    # Children are reaped by the kernel as they exit: no zombies, no handler to run.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    refusal = fork_refusal()
    if refusal is not None:  # in the seed's output too, where its owner looks first
        print("fdk seed: " + refusal, file=sys.stderr, flush=True)
    try:
        set_dumpable(False)  # before any child: they inherit it
    except OSError as ex:
        sys.exit("fdk seed: {}".format(ex))
    try:
        path = unix_path(control_address)
        listener = bind_unix(path)
    except (OSError, ValueError) as ex:
        sys.exit("fdk seed: cannot listen on {}: {}".format(control_address, ex))
    Seed(handler, listener, path, call_listener).run()


def _is_coroutine_function(handler: Handler) -> bool:
    code = getattr(handler, "__code__", None)
    return code is not None and bool(code.co_flags & 0x80)  # CO_COROUTINE

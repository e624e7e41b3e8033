"""Becoming an instance that serves calls: from a cold start, or as a child of a seed.

``become_instance`` is everything a child does to stop being a copy of its seed. A local fork
runs it right after ``os.fork``; a child resumed on another node from a snapshot of the seed
runs the same function when it continues.
"""

from __future__ import annotations

import _signal
import _socket
import os
import random
import socket
import sys

from fdk import constants, response, server
from fdk.customer_code import code_of
from fdk.runner import Dispatcher, flush_stdio, install_deadline_timer
from fdk.server import HiddenListener, bind_unix, serve, unix_path

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any, Dict, Iterable, Mapping, NoReturn, Optional, Tuple
    from fdk.customer_code import Handler
    from fdk.working_set import ChildPages

_socket_close = _socket.socket.close  # without socket.py's layers over it
_OUTPUT_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
_UNIX_PATH_MAX = 107  # sun_path holds 108 bytes with the terminating NUL
_CONSUMER_PYCACHE = "/tmp/.cleave-pycache"
_MT_WORDS = 624  # MT19937's state
REHEARSALS = 12  # see rehearse_call_path


class ForkOrder:
    """What a new child must become (the ``fork`` request of the seed control protocol)."""

    def __init__(self, child_id: str, listener: str, stdout: Optional[str] = None,
                 stderr: Optional[str] = None, env: Optional[Dict[str, str]] = None,
                 function: Optional[Tuple[str, str]] = None, after: Optional[str] = None) -> None:
        self.child_id = child_id
        # A kept instance's call (its Fn-Call-Id) the child must be forked after: the order may
        # come while that call runs, or before it arrives (a kept instance only).
        self.after = after
        # Another function's file and handler for the child to load and serve: a consumer
        # forked from a kept instance runs its own code on the producer's objects.
        self.function = function
        self.listener = listener
        self.stdout = stdout
        self.stderr = stderr
        self.env: Dict[str, str] = env if env is not None else {}
        # What the seed made before forking, so that a bad path fails the order; the child
        # owns them after the fork. A child resumed elsewhere has none and makes its own.
        self.stdout_fd: Optional[int] = None
        self.stderr_fd: Optional[int] = None
        self.hidden_listener: Optional[HiddenListener] = None
        # The consumer's bytecode, compiled by the kept instance before forking (None: the
        # child compiles it).
        self.code: Optional[CodeType] = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "ForkOrder":
        """Validates a fork request; ValueError says what is wrong with it."""
        child_id = request.get("child_id")
        if not isinstance(child_id, str) or not child_id:
            raise ValueError("child_id must be a non-empty string")
        listener = request.get("listener")
        if not isinstance(listener, str):
            raise ValueError("listener must be a string unix:<path>")
        path = unix_path(listener)
        if not os.path.isabs(path):
            raise ValueError("listener path must be absolute: {}".format(path))
        if len(os.fsencode(path)) > _UNIX_PATH_MAX:
            raise ValueError("listener path is longer than {} bytes: {}".format(
                _UNIX_PATH_MAX, path))
        outputs = {}
        for name in ("stdout", "stderr"):
            value = request.get(name)
            if value is not None and (not isinstance(value, str) or not os.path.isabs(value)):
                raise ValueError("{} must be an absolute file path".format(name))
            outputs[name] = value
        env = request.get("env") or {}
        if not isinstance(env, dict):
            raise ValueError("env must be an object of strings")
        for key, value in env.items():
            if (not isinstance(value, str) or not key or "=" in key or "\0" in key
                    or "\0" in value):
                raise ValueError("bad env entry {!r}".format(key))
        after = request.get("after")
        if after is not None and (not isinstance(after, str) or not after):
            raise ValueError("after must be a call id")
        return cls(child_id, listener, outputs["stdout"], outputs["stderr"], dict(env),
                   _function_of(request.get("function")), after)

    def prepare(self) -> None:
        """Seed side, before forking: opens the output files and binds the hidden listener, and
        for a consumer's order has its module's bytecode ready. A kept instance compiles a
        consumer's file on the first order naming it (none when it is its own function's file,
        compiled at its start) and keeps it for the next, so that no child compiles it (1.5-3
        ms each; a map's children forked ahead would all compile it at once). Only compiled:
        none of the consumer's code runs in the kept instance.

        ValueError says what is wrong; nothing is left open then.
        """
        if self.function is not None:
            self.code = code_of(self.function[0])
        self.open_outputs()
        try:
            self.hidden_listener = HiddenListener(unix_path(self.listener))
        except OSError as ex:
            self.close_outputs()
            raise ValueError("cannot listen on {}: {}".format(self.listener, ex)) from None

    def release(self, forked: bool) -> None:
        """Seed side, after forking (or failing to): drops the seed's copies."""
        self.close_outputs()
        if self.hidden_listener is not None:
            if forked:
                self.hidden_listener.sock.close()  # the child reveals it
            else:
                self.hidden_listener.discard()
            self.hidden_listener = None

    def open_outputs(self) -> None:
        """Opens the stdout/stderr files now, so that a bad path fails the order (ValueError)."""
        try:
            if self.stdout is not None:
                self.stdout_fd = _open_output("stdout", self.stdout)
            if self.stderr is not None and self.stderr == self.stdout:
                self.stderr_fd = self.stdout_fd  # forkd's usual order: one interleaved file
            elif self.stderr is not None:
                self.stderr_fd = _open_output("stderr", self.stderr)
        except ValueError:
            self.close_outputs()
            raise

    def close_outputs(self) -> None:
        for fd in {self.stdout_fd, self.stderr_fd}:
            if fd is not None:
                os.close(fd)
        self.stdout_fd = self.stderr_fd = None


def _function_of(value: Any) -> Optional[Tuple[str, str]]:
    """The ``function`` of a fork order: {"file": absolute path, "handler": name}, or absent."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("function must be an object {file, handler}")
    file, handler = value.get("file"), value.get("handler", "handler")
    if not isinstance(file, str) or not os.path.isabs(file):
        raise ValueError("function.file must be an absolute path")
    if not isinstance(handler, str) or not handler.isidentifier():
        raise ValueError("function.handler must be a Python name")
    return file, handler


def _open_output(name: str, path: str) -> int:
    try:
        return os.open(path, _OUTPUT_FLAGS, 0o644)
    except OSError as ex:
        raise ValueError("cannot open {} file {}: {}".format(name, path, ex.strerror)) from None


def reseed_random(forked: bool = False) -> None:
    """Gives this copy its own random streams (every child starts from the seed's state).
    ``forked``: made by ``os.fork``, whose at-fork handler (registered by ``random`` itself)
    reseeded ``random``'s global generator already: a second reseed would cost the child another
    2.5 KB from the kernel and its Python calls."""
    if not forked:
        random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        # numpy's global generator gets a Mersenne Twister state straight from the kernel, as
        # numpy's own seeding from /dev/urandom did before 1.17: a third of the CPU of
        # numpy.random.seed() (0.7 ms of a child's start on a 2-core machine).
        try:
            key = numpy.frombuffer(os.urandom(_MT_WORDS * 4), dtype=numpy.uint32)
            numpy.random.set_state(("MT19937", key, _MT_WORDS))
        except (AttributeError, TypeError, ValueError):  # a numpy without the legacy state
            numpy.random.seed()


def _redirect_stdio(order: ForkOrder) -> None:
    if order.stdout_fd is None and order.stderr_fd is None:
        order.open_outputs()
    if order.stdout_fd is not None:
        os.dup2(order.stdout_fd, 1)
    if order.stderr_fd is not None:
        os.dup2(order.stderr_fd, 2)
    order.close_outputs()


def become_instance(order: ForkOrder, inherited: Iterable[Any] = (),
                    seed_environ: Optional[Mapping[str, str]] = None) -> socket.socket:
    """Turns a copy of a seed into an instance and returns its listener.

    The listener appears first: a call sent from then on waits in the socket's backlog while
    the child points fds 1 and 2 at its files, drops what belongs to the seed (inherited
    sockets, SIGCHLD ignored), reseeds random state and applies the order's environment; the
    caller accepts calls only after that. Overlapping the re-initialisation with the
    platform's reaction to readiness shortens the first call.

    ``seed_environ``: given by a seed that forked this process with ``os.fork`` (its environment
    as it forked, which it does not change), so that the order's variables are compared with it
    in a plain dict: every Python function a child runs for the first time, and every object it
    touches, costs it copy-on-write faults (os.environ's lookups run several per variable).
    A seed flushed its stdio right before forking, so such a child has nothing to flush.
    """
    if order.hidden_listener is not None:
        listener = order.hidden_listener.reveal()
        order.hidden_listener = None
    else:
        listener = bind_unix(unix_path(order.listener))
    forked = seed_environ is not None
    if not forked:
        flush_stdio()
    _redirect_stdio(order)  # first, so that whatever goes wrong next lands in the child's output
    for resource in inherited:
        if isinstance(resource, socket.socket):
            _socket_close(resource)  # socket.close's own Python layers are no use here
        else:
            resource.close()
    # The seed lets the kernel reap its children; this process's own children must be
    # waitable again. (_signal skips signal.signal's enum conversions: each object touched
    # after a fork costs a copy-on-write page fault.)
    _signal.signal(_signal.SIGCHLD, _signal.SIG_DFL)
    reseed_random(forked)
    environ = os.environ
    now = seed_environ if forked else environ
    for key, value in order.env.items():
        # Most of the order's environment is the seed's own (its function's config): setting an
        # unchanged variable still costs a putenv and copy-on-write faults (~25 us each).
        if now.get(key) != value:
            environ[key] = value
    environ[constants.FN_LISTENER] = order.listener
    return listener


def run_child(handler: Handler, order: ForkOrder, inherited: Iterable[Any] = (),
              pages: Optional[ChildPages] = None,
              seed_environ: Optional[Mapping[str, str]] = None) -> NoReturn:
    """The whole life of a child: become an instance, serve calls, exit (never returns into
    the seed's code). A local fork calls it right after ``os.fork`` (with what its seed learned
    of a first call's pages, see fdk.working_set, and the seed's environment, see
    :func:`become_instance`); a child resumed on another node calls it with the order it was
    resumed for."""
    code = 1
    try:
        listener = become_instance(order, inherited, seed_environ)
        if order.function is not None:
            handler = _load_other_function(*order.function, code=order.code)
            serve_calls(handler, listener, keeps_state=True)
        elif pages is not None:
            pages.serve(handler, listener)
        else:
            serve_calls(handler, listener)
    except SystemExit as ex:
        code = ex.code if isinstance(ex.code, int) else 1
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        flush_stdio()
        os._exit(code)


def _load_other_function(path: str, entrypoint: str, code: Optional[CodeType] = None) -> Handler:
    """The handler of the function a fork order named, imported now in the child (its
    directory and that bundle's installed packages on the module path; ``code``: its bytecode,
    compiled by the kept instance). A module that fails to import answers each call 502 with its
    traceback in the call's log, as a cold start does."""
    import fdk
    from fdk.customer_code import FunctionLoadError, RetryingLoad
    # The consumer's bundle is read-only: the bytecode of the modules it imports goes to the kept
    # instance's /tmp, which all its children share, so only the first child compiles each.
    if sys.pycache_prefix is None:
        sys.pycache_prefix = _CONSUMER_PYCACHE
    packages = os.path.join(os.path.dirname(path), ".python_packages")
    if os.path.isdir(packages):
        sys.path.insert(1, packages)
    try:
        return fdk.load_handler(path, entrypoint, code)
    except FunctionLoadError:
        raise
    except Exception:
        import traceback
        traceback.print_exc()
        return RetryingLoad(lambda: fdk.load_handler(path, entrypoint))


def prepare_process() -> None:
    """Process-wide settings of an instance, made before serving (by a seed: before forking,
    so that its children inherit them instead of paying for them)."""
    install_deadline_timer()
    # stdout and stderr usually share one output file: line buffering keeps their lines in
    # the order the function wrote them.
    try:
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        pass


def rehearse_call_path() -> None:
    """Runs the runtime's own share of a call a few times, with a made-up request and a handler
    that does nothing: HTTP head parsing, the call's context, deadline timer and reply, and the
    reply's encoding; nothing of the function runs.

    A seed does it before it forks: the first runs of that code in a process cost more than later
    ones, and every child inherits the seed's warmed state instead of paying for it on its first
    call (1-3 ms of a numpy + PIL function's 6-7 ms first call on a 2-core machine). The request
    has no Fn-Call-Id, so no log frame is written.

    REHEARSALS runs, not fewer: CPython (3.11+) rewrites a function's bytecode into its adaptive
    ("quickened") form once it was entered 8 times, and specialises its instructions on the next
    runs; a child inherits that too, where with fewer runs it would run the call path unquickened,
    rewriting each function's bytecode (and faulting in its copy-on-write page) on its first call.
    """
    head = (b"POST /call HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Fn-Deadline: 2099-01-01T00:00:00.000Z\r\nContent-Length: 2")
    dispatcher = Dispatcher(_rehearsal_handler)
    for _ in range(REHEARSALS):
        _method, _target, _version, headers = server.parse_head(head)
        server.encode_reply(dispatcher.call(headers, b"{}"), True)


def _rehearsal_handler(ctx: Any, data: Any = None) -> Any:
    return response.Response(ctx, response_data="{}", headers={constants.CONTENT_TYPE: "application/json"})


def serve_calls(handler: Handler, listener: socket.socket, keeps_state: bool = False) -> None:
    """Serves calls forever (cold instances and children alike)."""
    serve(listener, Dispatcher(handler, keeps_state))


def run_cold(handler: Handler) -> None:
    """A cold instance: Fn's http-stream FDK on FN_LISTENER."""
    fn_format = os.environ.get(constants.FN_FORMAT)
    if fn_format not in (None, "", constants.HTTPSTREAM):
        sys.exit("fdk: incompatible function format {!r} (want {})".format(
            fn_format, constants.HTTPSTREAM))
    address = os.environ.get(constants.FN_LISTENER)
    if not address:
        sys.exit("fdk: {} is not set".format(constants.FN_LISTENER))
    prepare_process()
    try:
        listener = bind_unix(unix_path(address))
    except (OSError, ValueError) as ex:
        sys.exit("fdk: cannot listen on {}: {}".format(address, ex))
    serve_calls(handler, listener)

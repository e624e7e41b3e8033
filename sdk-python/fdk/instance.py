"""Becoming an instance that serves calls: from a cold start, or as a child of a seed.

``become_instance`` is everything a child does to stop being a copy of its seed. A local fork
runs it right after ``os.fork``; a child resumed on another node from a snapshot of the seed
runs the same function when it continues.
"""

import os
import random
import signal
import socket
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Mapping, Optional

from fdk import constants
from fdk.customer_code import Handler
from fdk.runner import Dispatcher
from fdk.server import bind_unix, serve, unix_path

_OUTPUT_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
_UNIX_PATH_MAX = 107  # sun_path holds 108 bytes with the terminating NUL


@dataclass
class ForkOrder:
    """What a new child must become (the ``fork`` request of the seed control protocol)."""

    child_id: str
    listener: str
    stdout: Optional[str] = None
    stderr: Optional[str] = None
    env: Dict[str, str] = field(default_factory=dict)
    # Files the seed opened before forking (so it could report a bad path); the child owns them.
    stdout_fd: Optional[int] = None
    stderr_fd: Optional[int] = None

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
        if len(os.fsencode(path)) > _UNIX_PATH_MAX:
            raise ValueError("listener path is longer than {} bytes: {}".format(
                _UNIX_PATH_MAX, path))
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise ValueError("listener directory does not exist: {}".format(path))
        outputs = {}
        for name in ("stdout", "stderr"):
            value = request.get(name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError("{} must be a file path".format(name))
            outputs[name] = value
        env = request.get("env") or {}
        if not isinstance(env, dict):
            raise ValueError("env must be an object of strings")
        for key, value in env.items():
            if (not isinstance(value, str) or not key or "=" in key or "\0" in key
                    or "\0" in value):
                raise ValueError("bad env entry {!r}".format(key))
        return cls(child_id, listener, outputs["stdout"], outputs["stderr"], dict(env))

    def open_outputs(self) -> None:
        """Opens the stdout/stderr files now, so that a bad path fails the order (ValueError)."""
        try:
            if self.stdout is not None:
                self.stdout_fd = _open_output("stdout", self.stdout)
            if self.stderr is not None:
                self.stderr_fd = _open_output("stderr", self.stderr)
        except ValueError:
            self.close_outputs()
            raise

    def close_outputs(self) -> None:
        for fd in (self.stdout_fd, self.stderr_fd):
            if fd is not None:
                os.close(fd)
        self.stdout_fd = self.stderr_fd = None


def _open_output(name: str, path: str) -> int:
    try:
        return os.open(path, _OUTPUT_FLAGS, 0o644)
    except OSError as ex:
        raise ValueError("cannot open {} file {}: {}".format(name, path, ex.strerror)) from None


def reseed_random() -> None:
    """Gives this copy its own random streams (every child starts from the seed's state)."""
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _redirect(target_fd: int, path: Optional[str], fd: Optional[int]) -> None:
    if fd is None:
        if path is None:
            return
        fd = os.open(path, _OUTPUT_FLAGS, 0o644)
    os.dup2(fd, target_fd)
    os.close(fd)


def _flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def become_instance(order: ForkOrder, inherited: Iterable[Any] = ()) -> socket.socket:
    """Turns a copy of a seed into an instance and returns its bound listener.

    Drops what belongs to the seed (inherited sockets, the SIGCHLD reaper), reseeds random
    state, applies the order's environment, points fds 1 and 2 at its files and binds the
    listener, which appears atomically: from then on the platform may send calls.
    """
    for resource in inherited:
        resource.close()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    reseed_random()
    os.environ.update(order.env)
    os.environ[constants.FN_LISTENER] = order.listener
    _flush_stdio()
    _redirect(1, order.stdout, order.stdout_fd)
    _redirect(2, order.stderr, order.stderr_fd)
    order.stdout_fd = order.stderr_fd = None
    return bind_unix(unix_path(order.listener))


def serve_calls(handler: Handler, listener: socket.socket) -> None:
    """Serves calls forever (cold instances and children alike)."""
    serve(listener, Dispatcher(handler))


def run_cold(handler: Handler) -> None:
    """A cold instance: Fn's http-stream FDK on FN_LISTENER."""
    fn_format = os.environ.get(constants.FN_FORMAT)
    if fn_format not in (None, "", constants.HTTPSTREAM):
        sys.exit("fdk: incompatible function format {!r} (want {})".format(
            fn_format, constants.HTTPSTREAM))
    address = os.environ.get(constants.FN_LISTENER)
    if not address:
        sys.exit("fdk: {} is not set".format(constants.FN_LISTENER))
    try:
        listener = bind_unix(unix_path(address))
    except (OSError, ValueError) as ex:
        sys.exit("fdk: cannot listen on {}: {}".format(address, ex))
    serve_calls(handler, listener)

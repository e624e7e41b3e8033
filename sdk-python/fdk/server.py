"""A lean HTTP/1.1 server for Fn's http-stream contract: ``POST /call`` on a unix socket.

One thread, epoll over the listener and the platform's keep-alive connections. Once a request
has begun it is read to its end and answered before the next one (the platform sends whole
requests), so calls on concurrent connections run one at a time, as sync handlers do under Fn's
FDK. Bodies come with Content-Length or chunked; answers always carry Content-Length.
"""

from __future__ import annotations

import json
import os
import select
import socket
import stat
import struct
import sys
from http import HTTPStatus

from fdk.runner import FAILED_MESSAGE, Dispatcher, Reply

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Tuple

IO_TIMEOUT = 60.0  # seconds a started request or an answer may stall before the connection is dropped
RECV_SIZE = 65536
MAX_HEAD = 65536
BIG_BODY = 65536  # from this size on, a body is received straight into one buffer

_REASONS = {status.value: status.phrase for status in HTTPStatus}
# The runtime frames every answer itself; a function's copies of these would corrupt it.
_FRAMING = frozenset(("content-length", "transfer-encoding", "connection", "keep-alive"))


class _Closed(Exception):
    """The peer closed the connection."""


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def set_io_timeout(sock: socket.socket) -> None:
    """Bounds how long a blocking read or write may stall, in the kernel (SO_RCVTIMEO and
    SO_SNDTIMEO), so reads and writes cost one system call each instead of poll + call."""
    sock.setblocking(True)
    timeval = struct.pack("ll", int(IO_TIMEOUT), 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)


def unix_path(address: str) -> str:
    """The path of a ``unix:<path>`` address."""
    if not address.startswith("unix:") or len(address) == len("unix:"):
        raise ValueError("not a unix socket address (want unix:<path>): {!r}".format(address))
    return address[len("unix:"):]


def _remove_stale_socket(path: str) -> None:
    """Removes a socket left by an earlier process; anything else at path is an error."""
    # access() answers "absent" without raising: cheaper than lstat's exception when, as
    # usual, there is nothing there.
    if not os.access(path, os.F_OK, follow_symlinks=False):
        return
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise FileExistsError("{} exists and is not a socket".format(path))
    os.unlink(path)


class HiddenListener:
    """A listening unix socket bound under a temporary name next to its real path.

    Nobody connects to it until ``reveal`` renames it into place, atomically: whoever sees
    the real path can connect. It is open to everyone (the platform may run as another user).
    """

    def __init__(self, path: str, backlog: int = 128) -> None:
        directory, name = os.path.split(path)
        if not name:
            raise ValueError("socket path names a directory: {!r}".format(path))
        self.path = path
        self.temp = os.path.join(directory, ".~" + name)
        for stale in (path, self.temp):
            _remove_stale_socket(stale)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.bind(self.temp)
            os.chmod(self.temp, 0o666)
            self.sock.listen(backlog)
        except BaseException:
            self.discard()
            raise

    def reveal(self) -> socket.socket:
        os.rename(self.temp, self.path)
        return self.sock

    def discard(self) -> None:
        """Closes the socket and removes its temporary name (the seed's copy after a fork)."""
        self.sock.close()
        try:
            os.unlink(self.temp)
        except OSError:
            pass


def bind_unix(path: str, backlog: int = 128) -> socket.socket:
    """A listening unix socket that appears at path atomically, ready to accept."""
    hidden = HiddenListener(path, backlog)
    try:
        return hidden.reveal()
    except BaseException:
        hidden.discard()
        raise


class _Stream:
    """Buffered reads of one connection's requests."""

    __slots__ = ("sock", "buf")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> None:
        data = self.sock.recv(RECV_SIZE)
        if not data:
            raise _Closed()
        self.buf = self.buf + data if self.buf else data

    def read_head(self) -> bytes:
        """The request line and headers, without the blank line that ends them."""
        scan_from = 0
        while True:
            buf = self.buf.lstrip(b"\r\n") if self.buf[:1] in (b"\r", b"\n") else self.buf
            end = buf.find(b"\r\n\r\n", scan_from)
            if end >= 0:
                self.buf = buf[end + 4:]
                return buf[:end]
            if len(buf) > MAX_HEAD:
                raise _BadRequest(431, "request head too large")
            self.buf = buf
            scan_from = max(0, len(buf) - 3)
            self._fill()

    def read_line(self) -> bytes:
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = self.buf[:end]
                self.buf = self.buf[end + 2:]
                return line
            if len(self.buf) > MAX_HEAD:
                raise _BadRequest(400, "line too long")
            self._fill()

    def read_exact(self, size: int) -> bytes:
        buf = self.buf
        if len(buf) >= size:
            self.buf = buf[size:]
            return buf[:size]
        if size < BIG_BODY:
            while len(self.buf) < size:
                self._fill()
            return self.read_exact(size)
        body = bytearray(size)
        view = memoryview(body)
        view[:len(buf)] = buf
        got = len(buf)
        self.buf = b""
        while got < size:
            n = self.sock.recv_into(view[got:])
            if n == 0:
                raise _Closed()
            got += n
        view.release()
        return bytes(body)

    def has_buffered(self) -> bool:
        return bool(self.buf)


def parse_head(head: bytes) -> Tuple[str, str, str, Dict[str, Any]]:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequest(400, "malformed request line")
    headers: Dict[str, Any] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name[-1] in " \t" or line[0] in " \t":
            raise _BadRequest(400, "malformed header line")
        name = name.lower()
        value = value.strip(" \t")
        current = headers.get(name)
        if current is None:
            headers[name] = value
        elif isinstance(current, list):
            current.append(value)
        else:
            headers[name] = [current, value]
    return parts[0], parts[1], parts[2], headers


def _read_body(stream: _Stream, headers: Dict[str, Any]) -> bytes:
    coding = headers.get("transfer-encoding")
    if coding is not None:
        if isinstance(coding, list):
            coding = ",".join(coding)
        if coding.rsplit(",", 1)[-1].strip().lower() != "chunked":
            raise _BadRequest(501, "unsupported transfer-encoding: " + coding)
        return _read_chunked(stream)
    length = headers.get("content-length")
    if length is None:
        return b""
    if isinstance(length, list):
        if len(set(length)) != 1:
            raise _BadRequest(400, "conflicting content-length headers")
        length = length[0]
    if not length.isdigit():
        raise _BadRequest(400, "malformed content-length")
    return stream.read_exact(int(length))


def _read_chunked(stream: _Stream) -> bytes:
    chunks: List[bytes] = []
    while True:
        size_text = stream.read_line().split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _BadRequest(400, "malformed chunk size") from None
        if size == 0:
            while stream.read_line():  # trailers, ignored
                pass
            return b"".join(chunks)
        chunks.append(stream.read_exact(size))
        if stream.read_exact(2) != b"\r\n":
            raise _BadRequest(400, "malformed chunk")


def _clean(text: str) -> str:
    if "\r" in text or "\n" in text:
        return text.replace("\r", " ").replace("\n", " ")
    return text


def encode_reply(reply: Reply, keep_alive: bool) -> bytes:
    lines = ["HTTP/1.1 {} {}\r\n".format(reply.status, _REASONS.get(reply.status, "Unknown"))]
    for name, value in reply.headers.items():
        name = _clean(str(name))
        if name.lower() in _FRAMING:
            continue
        for item in (value if isinstance(value, (list, tuple)) else (value,)):
            lines.append("{}: {}\r\n".format(name, _clean(str(item))))
    lines.append("Content-Length: {}\r\nConnection: {}\r\n\r\n".format(
        len(reply.body), "keep-alive" if keep_alive else "close"))
    return "".join(lines).encode("utf-8")


def _error_reply(status: int, message: str) -> Reply:
    return Reply(status, {"content-type": "application/json; charset=utf-8"},
                 json.dumps({"message": message}).encode())


def _send(sock: socket.socket, reply: Reply, keep_alive: bool) -> None:
    head = encode_reply(reply, keep_alive)
    if len(reply.body) < BIG_BODY:
        sock.sendall(head + reply.body)
    else:
        sock.sendall(head)
        sock.sendall(reply.body)


def _wants_keep_alive(version: str, headers: Dict[str, Any]) -> bool:
    connection = headers.get("connection", "")
    if isinstance(connection, list):
        connection = ",".join(connection)
    tokens = {token.strip().lower() for token in connection.split(",")}
    if version == "HTTP/1.0":
        return "keep-alive" in tokens
    return "close" not in tokens


def _serve_request(stream: _Stream, dispatcher: Dispatcher) -> bool:
    """Reads one request, answers it; False when the connection should close."""
    method, target, version, headers = parse_head(stream.read_head())
    expect = headers.get("expect")
    if isinstance(expect, str) and expect.lower() == "100-continue":
        stream.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = _read_body(stream, headers)
    keep_alive = _wants_keep_alive(version, headers)
    path = target.split("?", 1)[0]
    if path != "/call":
        reply = _error_reply(404, "not found: " + path)
    elif method != "POST":
        reply = _error_reply(405, "method not allowed: " + method)
        reply.headers["allow"] = "POST"
    else:
        try:
            reply = dispatcher.call(headers, body)
        except Exception:  # a runtime bug: its text, like a function's, stays in the log
            import traceback
            traceback.print_exc()
            reply = _error_reply(502, FAILED_MESSAGE)
    _send(stream.sock, reply, keep_alive)
    return keep_alive


def _serve_connection(stream: _Stream, dispatcher: Dispatcher) -> bool:
    """Serves the requests that have arrived on a connection; False when it is done."""
    try:
        while True:
            if not _serve_request(stream, dispatcher):
                return False
            if not stream.has_buffered():
                return True
    except _BadRequest as bad:
        try:
            _send(stream.sock, _error_reply(bad.status, str(bad)), False)
        except OSError:
            pass
        return False
    except (_Closed, OSError):
        return False
    except Exception:  # a runtime bug must cost one connection, never the instance
        import traceback
        traceback.print_exc()
        return False


def serve(listener: socket.socket, dispatcher: Dispatcher) -> None:
    """Serves calls on listener forever."""
    poller = select.epoll()
    calls = CallService(listener, dispatcher, poller)
    while True:
        for fd, _ in poller.poll():
            calls.on_ready(fd)


class CallService:
    """The calls of one listener, served from an epoll loop that may watch other sockets too
    (a kept instance's loop also serves fork orders)."""

    def __init__(self, listener: socket.socket, dispatcher: Dispatcher,
                 poller: "select.epoll") -> None:
        self._listener = listener
        self._dispatcher = dispatcher
        self._poller = poller
        self._streams: Dict[int, _Stream] = {}
        listener.setblocking(False)
        poller.register(listener.fileno(), select.EPOLLIN)

    def owns(self, fd: int) -> bool:
        return fd == self._listener.fileno() or fd in self._streams

    def on_ready(self, fd: int) -> None:
        if fd == self._listener.fileno():
            _accept_all(self._listener, self._poller, self._streams)
            return
        stream = self._streams.get(fd)
        if stream is not None and not _serve_connection(stream, self._dispatcher):
            self._poller.unregister(fd)
            del self._streams[fd]
            stream.sock.close()

    def sockets(self) -> List[socket.socket]:
        """The listener and its connections (what a forked child must close)."""
        return [self._listener] + [s.sock for s in self._streams.values()]


def _accept_all(listener: socket.socket, poller: "select.epoll",
                streams: Dict[int, _Stream]) -> None:
    while True:
        try:
            sock, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as ex:  # e.g. out of descriptors: keep serving the connections we have
            print("fdk: accept failed: {}".format(ex), file=sys.stderr, flush=True)
            return
        set_io_timeout(sock)
        streams[sock.fileno()] = _Stream(sock)
        poller.register(sock.fileno(), select.EPOLLIN)

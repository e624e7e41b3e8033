"""ctypes binding of libcleave (kmod/include/cleave_fork.h) for Python seeds.

    import cleave_fork
    h = cleave_fork.prepare()          # seed: a Prepared; child: None (like os.fork() == 0)
    cleave_fork.revoke(h)

The library is found through $CLEAVE_LIB, else ../build/libcleave.so next to this file.
The page server's unix socket is $CLEAVE_PAGESERVER_SOCK or /run/cleave/pageserver.sock.
"""
from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass

ABI_VERSION = 1
PREPARE_FILE = 0x1
_PATH = 256


class _PrepareArgs(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint32), ("flags", ctypes.c_uint32),
        ("path", ctypes.c_char * _PATH), ("handle", ctypes.c_uint64),
        ("key", ctypes.c_uint8 * 16), ("holder_pid", ctypes.c_int32),
        ("desc_bytes", ctypes.c_uint32), ("rss_bytes", ctypes.c_uint64),
        ("fetch_bytes", ctypes.c_uint64), ("nvmas", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32), ("prepare_ns", ctypes.c_uint64),
        ("reserved", ctypes.c_uint64 * 4),
    ]


class _HandleArgs(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint32), ("reserved0", ctypes.c_uint32),
        ("path", ctypes.c_char * _PATH), ("handle", ctypes.c_uint64),
        ("key", ctypes.c_uint8 * 16),
    ]


class _Stats(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint32), ("reserved0", ctypes.c_uint32),
        ("handle", ctypes.c_uint64), ("holder_pid", ctypes.c_int32),
        ("desc_bytes", ctypes.c_uint32), ("rss_bytes", ctypes.c_uint64),
        ("fetch_pages", ctypes.c_uint64), ("connections", ctypes.c_uint64),
        ("batches", ctypes.c_uint64), ("pages_served", ctypes.c_uint64),
        ("bytes_sent", ctypes.c_uint64), ("reserved", ctypes.c_uint64 * 4),
    ]


class _ResumeArgs(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint32), ("flags", ctypes.c_uint32),
        ("server", ctypes.c_char * _PATH), ("handle", ctypes.c_uint64),
        ("key", ctypes.c_uint8 * 16), ("prefetch", ctypes.c_char * _PATH),
        ("record", ctypes.c_char * _PATH), ("reserved", ctypes.c_uint64 * 4),
    ]


class CleaveError(OSError):
    """A fork primitive call failed; .code is the CLEAVE_E_* number."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Prepared:
    handle: int
    key: str
    sock: str
    holder_pid: int
    rss_bytes: int
    fetch_bytes: int
    prepare_ns: int


def _load() -> ctypes.CDLL:
    path = os.environ.get("CLEAVE_LIB") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "build", "libcleave.so")
    lib = ctypes.CDLL(path)
    lib.cleave_prepare.argtypes = [ctypes.POINTER(_PrepareArgs)]
    lib.cleave_revoke.argtypes = [ctypes.POINTER(_HandleArgs)]
    lib.cleave_stats.argtypes = [ctypes.POINTER(_HandleArgs), ctypes.POINTER(_Stats)]
    lib.cleave_resume.argtypes = [ctypes.POINTER(_ResumeArgs)]
    lib.cleave_last_error.restype = ctypes.c_char_p
    return lib


_lib = _load()


def _check(rc: int) -> int:
    if rc < 0:
        raise CleaveError(-rc, _lib.cleave_last_error().decode(errors="replace"))
    return rc


def prepare(sock: str = "", checkpoint: str = "") -> Prepared | None:
    """Snapshot this process. Returns None in every child resumed from the snapshot."""
    args = _PrepareArgs()
    args.version = ABI_VERSION
    target = checkpoint or sock
    if len(target.encode()) >= _PATH:
        raise CleaveError(1, "path too long")
    args.flags = PREPARE_FILE if checkpoint else 0
    args.path = target.encode()
    # Buffered output would be written again by every child.
    sys.stdout.flush()
    sys.stderr.flush()
    if _check(_lib.cleave_prepare(ctypes.byref(args))) == 1:
        return None
    return Prepared(args.handle, bytes(args.key).hex(), sock, args.holder_pid, args.rss_bytes,
                    args.fetch_bytes, args.prepare_ns)


def _handle_args(p: Prepared) -> _HandleArgs:
    a = _HandleArgs()
    a.version = ABI_VERSION
    a.path = p.sock.encode()
    a.handle = p.handle
    a.key[:] = list(bytes.fromhex(p.key))
    return a


def revoke(p: Prepared) -> None:
    """Free the snapshot's holder; later resumes of the handle fail."""
    _check(_lib.cleave_revoke(ctypes.byref(_handle_args(p))))


def stats(p: Prepared) -> dict[str, int]:
    s = _Stats()
    _check(_lib.cleave_stats(ctypes.byref(_handle_args(p)), ctypes.byref(s)))
    return {name: getattr(s, name) for name, _ in _Stats._fields_
            if not name.startswith("reserved") and name != "version"}


def resume(server: str, handle: int, key: str, eager: bool = False, prefetch: str = "",
           record: str = "") -> None:
    """Replace this process by a child of the handle (runs cleave-restore); raises on failure."""
    a = _ResumeArgs()
    a.version = ABI_VERSION
    a.flags = 0x1 if eager else 0
    a.server = server.encode()
    a.handle = handle
    a.key[:] = list(bytes.fromhex(key))
    a.prefetch = prefetch.encode()
    a.record = record.encode()
    sys.stdout.flush()
    _check(_lib.cleave_resume(ctypes.byref(a)))

"""Hostile clients of the module's page server and device (tests/vm.sh): each case prints one
line "NAME RESULT"; the server must answer with the twin's error codes and stay up."""
from __future__ import annotations

import fcntl
import mmap
import os
import socket
import struct
import sys

MAGIC = 0x50564C43
HDR = struct.Struct("<IHHII")
M_HELLO, M_DESC, M_READ, M_DATA, M_RDMA = 1, 2, 3, 4, 10
MSG_CAP_RDMA = 1
PREPARE_ARGS_BYTES = 360
IOC_PREPARE = (3 << 30) | (PREPARE_ARGS_BYTES << 16) | (ord("C") << 8) | 1
STAGE_MAGIC = 0x53564C43
RESUME_ARGS_BYTES = 832
IOC_RESUME = (1 << 30) | (RESUME_ARGS_BYTES << 16) | (ord("C") << 8) | 2


def resume_args(version: int, server: str, handle: int, key: bytes) -> bytearray:
    args = bytearray(RESUME_ARGS_BYTES)
    struct.pack_into("<II", args, 0, version, 0)
    args[8 : 8 + len(server)] = server.encode()
    struct.pack_into("<Q", args, 264, handle)
    args[272:288] = key
    return args


def resume(name: str, args: bytearray) -> int | None:
    """Prints NAME and the module's refusal code; returns the open fd when it resumed."""
    fd = os.open("/dev/cleave_fork", os.O_RDWR)
    try:
        fcntl.ioctl(fd, IOC_RESUME, args)
        return fd
    except OSError as e:
        print(name, e.errno)
        os.close(fd)
        return None


def hostile_resumes(addr: str, handle: int, key: bytes) -> None:
    resume("resume_bad_version", resume_args(7, addr, handle, key))  # CLEAVE_E_INVAL (1)
    resume("resume_no_server", resume_args(1, addr.split(":")[0] + ":1", handle, key))  # 4
    resume("resume_bad_key", resume_args(1, addr, handle, bytes(16)))  # CLEAVE_E_KEY (5)
    resume("resume_no_handle", resume_args(1, addr, 999999, key))  # CLEAVE_E_NOHANDLE (6)
    fd = os.open("/dev/cleave_fork", os.O_RDWR)
    try:
        mmap.mmap(fd, 4096, mmap.MAP_PRIVATE, mmap.PROT_READ)
        print("mmap_without_session mapped")
    except OSError as e:
        print("mmap_without_session", e.errno)  # EINVAL (22)
    os.close(fd)
    fd = resume("resume_ok", resume_args(1, addr, handle, key))
    if fd is None:
        return
    desc = os.read(fd, 1 << 20)
    print("resume_desc", "ok" if struct.unpack_from("<I", desc)[0] == 0x44564C43 else "bad")
    try:  # the kernel picks the address: not the seed's, so refused
        mmap.mmap(fd, 4096, mmap.MAP_PRIVATE, mmap.PROT_READ, offset=0x7F0000000000)
        print("mmap_elsewhere mapped")
    except OSError as e:
        print("mmap_elsewhere", e.errno)  # EINVAL (22)
    try:
        fcntl.ioctl(fd, IOC_RESUME, resume_args(1, addr, handle, key))
        print("resume_twice accepted")
    except OSError as e:
        print("resume_twice", e.errno)  # CLEAVE_E_INVAL (1)
    os.close(fd)


def conn(addr: str) -> socket.socket:
    host, port = addr.split(":")
    s = socket.create_connection((host, int(port)), timeout=30)
    return s


def recv_exact(s: socket.socket, n: int) -> bytes:
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b


def reply(s: socket.socket) -> tuple[int, int, bytes]:
    return reply_pad(s)[:3]


def reply_pad(s: socket.socket) -> tuple[int, int, bytes, int]:
    magic, typ, status, ln, pad = HDR.unpack(recv_exact(s, HDR.size))
    return typ, status, recv_exact(s, ln), pad


def rdma_ep(ip: str) -> bytes:
    """A queue pair's address (msg_rdma_ep) at GID ::ffff:ip, queue pair 17."""
    return bytes(10) + b"\xff\xff" + socket.inet_aton(ip) + struct.pack("<II", 17, 1)


def hello(addr: str, handle: int, key: bytes) -> tuple[socket.socket, bytes]:
    s = conn(addr)
    s.sendall(HDR.pack(MAGIC, M_HELLO, 0, 24, 0) + struct.pack("<Q", handle) + key)
    typ, status, desc = reply(s)
    assert typ == M_DESC and status == 0, (typ, status)
    return s, desc


def main(addr: str, handle: int, key: bytes, silent: bool) -> None:
    s = conn(addr)
    s.sendall(b"x" * 100)
    print("garbage", reply(s)[1])  # CLEAVE_E_SERVER (4)
    s.close()

    # no rkey before the key is proven: M_RDMA instead of a hello is a protocol error
    s = conn(addr)
    s.sendall(HDR.pack(MAGIC, M_RDMA, 0, 24, 0) + rdma_ep("10.232.0.2"))
    typ, status, body, _ = reply_pad(s)
    print("rdma_before_hello", status, "no_offer" if typ != M_RDMA else "offer")  # 4
    s.close()

    s = conn(addr)
    s.sendall(HDR.pack(MAGIC, M_HELLO, 0, 24, 0) + struct.pack("<Q", handle) + key)
    typ, status, _, pad = reply_pad(s)
    print("desc_offers_rdma", pad & MSG_CAP_RDMA)  # the module's server answers M_RDMA
    # the key is proven: a queue pair (one nobody has here) gets an offer of the handle's pages
    s.sendall(HDR.pack(MAGIC, M_RDMA, 0, 24, 0) + rdma_ep("10.99.99.99"))
    typ, status, body, _ = reply_pad(s)
    print("rdma_queue_pair_offer", status, len(body))  # 0
    s.sendall(HDR.pack(MAGIC, M_READ, 0, 16, 0) + struct.pack("<QII", 0, 1, 0))
    print("tcp_after_rdma", reply(s)[1])  # CLEAVE_E_INVAL (1): the session still answers
    s.close()

    s, desc = hello(addr, handle, key)
    s.sendall(HDR.pack(MAGIC, M_READ, 0, 16, 0) + struct.pack("<QII", 0, 1, 0))
    print("read_outside", reply(s)[1])  # CLEAVE_E_INVAL (1)
    s.close()

    s, _ = hello(addr, handle, key)
    s.sendall(HDR.pack(MAGIC, M_READ, 0, 16 * 2000, 0))
    print("too_many_ranges", reply(s)[1])  # CLEAVE_E_SERVER (4)
    s.close()

    s, _ = hello(addr, handle, key)
    s.sendall(HDR.pack(MAGIC, M_READ, 0, 16, 0)[:7])
    s.close()
    print("half_header_then_close ok")

    if silent:
        s = conn(addr)  # says nothing: the server gives up after its hello timeout (10 s)
        print("silent", reply(s)[1])  # CLEAVE_E_SERVER (4)
        s.close()

    fd = os.open("/dev/cleave_fork", os.O_RDWR)
    args = bytearray(PREPARE_ARGS_BYTES)
    struct.pack_into("<I", args, 0, 1)
    # a real descriptor, but the holder named is init: nobody takes over another's memory
    os.write(fd, struct.pack("<IiII", STAGE_MAGIC, 1, len(desc), 0) + desc)
    try:
        fcntl.ioctl(fd, IOC_PREPARE, args)
        print("foreign_holder accepted")
    except OSError as e:
        print("foreign_holder", e.errno)  # CLEAVE_E_INVAL (1)
    os.write(fd, struct.pack("<IiII", STAGE_MAGIC, os.getpid(), 100, 0) + desc[:100])
    try:
        fcntl.ioctl(fd, IOC_PREPARE, args)
        print("truncated_desc accepted")
    except OSError as e:
        print("truncated_desc", e.errno)  # CLEAVE_E_DESC (7)
    os.close(fd)
    hostile_resumes(addr, handle, key)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]), "--silent" in sys.argv[4:])

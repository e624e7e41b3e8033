"""A page server gone wrong, for resumes through the module (tests/vm.sh).

    vm_proxy.py PORT cut UPSTREAM BYTES   relays one connection to UPSTREAM (HOST:PORT) and
                                          closes both ends once BYTES came back: the server is
                                          gone mid-restore
    vm_proxy.py PORT baddesc              answers the hello with a corrupt descriptor
    vm_proxy.py PORT damage UPSTREAM TAMPER DAMAGE...
                                          relays a connection per DAMAGE to UPSTREAM, the
                                          descriptor damaged by `TAMPER FILE DAMAGE --desc` (vdso,
                                          cpu) and offering no RDMA: a seed from another kernel
                                          or CPU
Prints "listening" once it accepts connections, then serves one connection (one per DAMAGE) and
ends."""
from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import tempfile

# the page protocol's wire, as the hostile clients beside this script speak it
from vm_hostile import HDR, M_DESC, MAGIC, recv_exact

HELLO_BYTES = HDR.size + 24


def connect(upstream: str) -> socket.socket:
    host, port = upstream.split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def damaged_desc(client: socket.socket, up: socket.socket, damage: str, tamper: str) -> None:
    """Relays the hello, and the descriptor answering it damaged."""
    up.sendall(recv_exact(client, HELLO_BYTES))
    magic, typ, status, ln, _ = HDR.unpack(recv_exact(up, HDR.size))
    desc = recv_exact(up, ln)
    if typ == M_DESC and status == 0:
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(desc)
        subprocess.run([tamper, f.name, damage, "--desc"], check=True)
        with open(f.name, "rb") as f2:
            desc = f2.read()
        os.unlink(f.name)
    client.sendall(HDR.pack(magic, typ, status, len(desc), 0) + desc)


def relay(client: socket.socket, up: socket.socket, limit: int) -> None:
    sent = 0
    while sent < limit:
        ready, _, _ = select.select([client, up], [], [], 60)
        if not ready:
            break
        if client in ready:
            data = client.recv(65536)
            if not data:
                break
            up.sendall(data)
        if up in ready:
            data = up.recv(min(65536, limit - sent))
            if not data:
                break
            client.sendall(data)
            sent += len(data)
    up.close()


def main() -> None:
    port, mode = int(sys.argv[1]), sys.argv[2]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    print("listening", flush=True)
    if mode == "damage":
        for damage in sys.argv[5:]:
            client, _ = ls.accept()
            up = connect(sys.argv[3])
            damaged_desc(client, up, damage, sys.argv[4])
            relay(client, up, 1 << 40)
            client.close()
        ls.close()
        return
    client, _ = ls.accept()
    if mode == "cut":
        relay(client, connect(sys.argv[3]), int(sys.argv[4]))
    else:
        recv_exact(client, HDR.size + 24)
        client.sendall(HDR.pack(MAGIC, M_DESC, 0, 100, 0) + b"\x07" * 100)
        client.recv(1)
    client.close()
    ls.close()


if __name__ == "__main__":
    main()

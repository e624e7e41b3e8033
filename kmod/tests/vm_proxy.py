"""A page server gone wrong, for resumes through the module (tests/vm.sh).

    vm_proxy.py PORT cut UPSTREAM BYTES   relays one connection to UPSTREAM (HOST:PORT) and
                                          closes both ends once BYTES came back: the server is
                                          gone mid-restore
    vm_proxy.py PORT baddesc              answers the hello with a corrupt descriptor
Prints "listening" once it accepts connections, then serves one connection and ends."""
from __future__ import annotations

import select
import socket
import sys

# the page protocol's wire, as the hostile clients beside this script speak it
from vm_hostile import HDR, M_DESC, MAGIC, recv_exact


def relay(client: socket.socket, upstream: str, limit: int) -> None:
    host, port = upstream.split(":")
    up = socket.create_connection((host, int(port)), timeout=30)
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
    client, _ = ls.accept()
    if mode == "cut":
        relay(client, sys.argv[3], int(sys.argv[4]))
    else:
        recv_exact(client, HDR.size + 24)
        client.sendall(HDR.pack(MAGIC, M_DESC, 0, 100, 0) + b"\x07" * 100)
        client.recv(1)
    client.close()
    ls.close()


if __name__ == "__main__":
    main()

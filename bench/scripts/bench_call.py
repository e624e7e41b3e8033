#!/usr/bin/python3
"""Warm-call overhead of the runtime: round trips of POST /call on one keep-alive connection.

Runs, in the same session: (1) the fdk runtime serving a handler that returns a constant,
(2) a baseline server on the same kind of socket that answers a fixed response without
parsing headers or calling anything, and (3) the runtime's per-call work without sockets
(parse, context, handler, reply encoding). The runtime's overhead is (1) - (2), or (3).

    /usr/bin/python3 bench/scripts/bench_call.py [--calls 5000]
"""

import argparse
import datetime as dt
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import List

SDK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk-python")
PYTHON = "/usr/bin/python3"
ROUNDS = 20

FUNC = '''
def handler(ctx, data=None):
    return "ok"
'''

# Reads a request head and its Content-Length body, answers a fixed response: the floor.
BASELINE_SERVER = r'''
import os, socket, sys
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path + ".tmp"); srv.listen(8); os.rename(path + ".tmp", path)
conn, _ = srv.accept()
reply = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
buf = b""
while True:
    data = conn.recv(65536)
    if not data:
        break
    buf += data
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            break
        length = int(buf[:end].lower().split(b"content-length:")[1].split(b"\r\n")[0])
        if len(buf) < end + 4 + length:
            break
        buf = buf[end + 4 + length:]
        conn.sendall(reply)
'''


def request_bytes(call_id: int) -> bytes:
    deadline = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=60)).isoformat()
    body = b'{"name": "bench"}'
    return (b"POST /call HTTP/1.1\r\nHost: localhost\r\nFn-Call-Id: %d\r\nFn-Deadline: %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (call_id, deadline.encode(), len(body), body))


def read_response(sock: socket.socket, buf: bytes) -> bytes:
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[:end].lower()
            length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
            if len(buf) >= end + 4 + length:
                return buf[end + 4 + length:]
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection")
        buf += data


class Client:
    """One keep-alive connection; times request-to-answer round trips."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.samples: List[float] = []
        self.count = 0

    def run(self, calls: int, record: bool = True) -> None:
        for _ in range(calls):
            req = request_bytes(self.count)
            self.count += 1
            start = time.perf_counter()
            self.sock.sendall(req)
            self.buf = read_response(self.sock, self.buf)
            if record:
                self.samples.append(time.perf_counter() - start)

    def close(self) -> None:
        self.sock.close()


def wait_for(path: str, proc: subprocess.Popen) -> None:
    while not os.path.exists(path):
        if proc.poll() is not None:
            sys.exit("server exited early with {}".format(proc.returncode))
        time.sleep(0.001)


def in_process_us(calls: int) -> List[float]:
    """Per-call work of the runtime with the sockets taken out."""
    sys.path.insert(0, SDK_DIR)
    from fdk import server, runner
    dispatcher = runner.Dispatcher(lambda ctx, data=None: "ok")
    head = request_bytes(0).split(b"\r\n\r\n")[0]
    samples = []
    for i in range(calls + 200):
        start = time.perf_counter()
        _, _, _, headers = server._parse_head(head)
        reply = dispatcher.call(headers, b'{"name": "bench"}')
        server.encode_reply(reply, True)
        if i >= 200:
            samples.append(time.perf_counter() - start)
    return samples


def summary(name: str, samples: List[float]) -> float:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1e6
    p90 = ordered[int(len(ordered) * 0.9)] * 1e6
    p99 = ordered[int(len(ordered) * 0.99)] * 1e6
    print("{:<34} p50 {:8.1f} us   p90 {:8.1f} us   p99 {:8.1f} us".format(name, p50, p90, p99))
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="cleave-bench-call-")
    try:
        func = os.path.join(work, "func.py")
        with open(func, "w") as f:
            f.write(FUNC)
        fdk_sock = os.path.join(work, "fdk.sock")
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": SDK_DIR, "FN_FORMAT": "http-stream",
               "FN_LISTENER": "unix:" + fdk_sock, "FN_APP_ID": "bench", "FN_FN_ID": "bench"}
        runtime = subprocess.Popen([PYTHON, "-m", "fdk", func, "handler"], env=env)
        base_sock = os.path.join(work, "base.sock")
        baseline = subprocess.Popen([PYTHON, "-c", BASELINE_SERVER, base_sock])
        try:
            wait_for(fdk_sock, runtime)
            wait_for(base_sock, baseline)
            print("{} calls each, one keep-alive connection each, in {} interleaved rounds, "
                  "python {}".format(args.calls, ROUNDS, sys.version.split()[0]))
            clients = [Client(base_sock), Client(fdk_sock)]
            for client in clients:
                client.run(200, record=False)  # warm-up
            # Alternate between the two servers so that both see the same background noise.
            for _ in range(ROUNDS):
                for client in clients:
                    client.run(args.calls // ROUNDS)
            for client in clients:
                client.close()
            base = summary("baseline (fixed answer, no parse)", clients[0].samples)
            fdk_p50 = summary("fdk runtime round trip", clients[1].samples)
            work_p50 = summary("fdk per-call work, no sockets", in_process_us(args.calls))
            print("runtime overhead per warm call: {:.1f} us (round trip - baseline), "
                  "{:.1f} us in-process; round trip = {:.2f} x baseline".format(
                      fdk_p50 - base, work_p50, fdk_p50 / base))
        finally:
            runtime.kill()
            baseline.kill()
            runtime.wait()
            baseline.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

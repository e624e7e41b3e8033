#!/usr/bin/python3
"""Fork-to-ready of the seed runtime: fork order sent -> child's listener exists -> first call.

Measured in the same run, for ratios:
  * bare fork floor: this process (with the same libraries imported) does os.fork(); the child
    binds a listener the same way (bind, chmod, listen, rename) and waits;
  * cold start: python3 -m fdk started from nothing until its listener exists.
It also counts the page faults (copy-on-write, after the fork) of the child and the seed, and
what one costs on this machine: the part of the fork time that the machine's load does not
change.

    /usr/bin/python3 bench/scripts/bench_fork.py [--func hello|numpy] [--forks 200] [--colds 10]
"""

import argparse
import ctypes
import importlib
import json
import os
import shutil
import signal
import socket
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

SDK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk-python")
PYTHON = "/usr/bin/python3"
ROUNDS = 10

FUNCS = {
    "hello": '''
import json
def handler(ctx, data=None):
    return json.dumps({"hello": data.getvalue().decode()})
''',
    "numpy": '''
import numpy as np
from PIL import Image
IMAGE = Image.fromarray((np.random.RandomState(1).rand(256, 256) * 255).astype(np.uint8))
def handler(ctx, data=None):
    return {"sum": int(np.asarray(IMAGE.resize((64, 64))).sum())}
''',
}

CALL = (b"POST /call HTTP/1.1\r\nFn-Call-Id: bench\r\nFn-Deadline: 2099-01-01T00:00:00Z\r\n"
        b"Content-Length: 2\r\n\r\nhi")


class Appearance:
    """Sleeps until a file appears in a directory (inotify), then tells when.

    Spinning on stat() instead would take one of the machine's cores away from the child
    being measured.
    """

    IN_CREATE = 0x100
    IN_MOVED_TO = 0x80

    def __init__(self) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = self._libc.inotify_init1(os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")

    def watch(self, directory: str) -> int:
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(directory),
                                          self.IN_CREATE | self.IN_MOVED_TO)
        if wd < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch " + directory)
        return wd

    def unwatch(self, wd: int) -> None:
        self._libc.inotify_rm_watch(self._fd, wd)

    def wait(self, wd: int, name: str, limit: float = 10.0) -> float:
        end = time.monotonic() + limit
        while True:
            ready, _, _ = select.select([self._fd], [], [], max(0.0, end - time.monotonic()))
            now = time.perf_counter()
            if not ready:
                raise TimeoutError("{} did not appear".format(name))
            data = os.read(self._fd, 65536)
            offset = 0
            while offset < len(data):
                event_wd, _, _, length = struct.unpack_from("iIII", data, offset)
                event_name = data[offset + 16:offset + 16 + length].rstrip(b"\0").decode()
                offset += 16 + length
                if event_wd == wd and event_name == name:
                    return now


def wait_exists(path: str, limit: float = 60.0) -> None:
    end = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise TimeoutError("{} did not appear".format(path))
        time.sleep(0.001)


def first_call(path: str) -> float:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        sock.sendall(CALL)
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("instance closed the connection")
            answer += data
        if not answer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError("call failed: {!r}".format(answer[:200]))
    return time.perf_counter()


def minor_faults(pid: int) -> int:
    """Page faults of a process so far (minflt): after a fork, mostly copy-on-write faults."""
    with open("/proc/{}/stat".format(pid), "rb") as stat:
        return int(stat.read().rsplit(b")", 1)[1].split()[7])


def cow_fault_us(pages: int = 2000) -> float:
    """What one copy-on-write page fault costs on this machine, in microseconds."""
    buf = bytearray(pages * 4096)
    for offset in range(0, len(buf), 4096):
        buf[offset] = 1
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        start = time.perf_counter()
        for offset in range(0, len(buf), 4096):
            buf[offset] = 2
        os.write(write_end, struct.pack("d", (time.perf_counter() - start) / pages * 1e6))
        os._exit(0)
    os.waitpid(pid, 0)
    cost = struct.unpack("d", os.read(read_end, 8))[0]
    os.close(read_end)
    os.close(write_end)
    return cost


def wait_gone(pid: int) -> None:
    end = time.monotonic() + 10
    while os.path.exists("/proc/{}".format(pid)) and time.monotonic() < end:
        time.sleep(0.0005)


def control_request(conn_file, fields: Dict) -> Dict:
    conn_file.write(json.dumps(fields).encode() + b"\n")
    conn_file.flush()
    return json.loads(conn_file.readline())


class SeedForks:
    """A seed of the function; ``one()`` forks a child, times it, and kills it."""

    def __init__(self, work: str, func: str, appearance: Appearance) -> None:
        self.work = work
        self.appearance = appearance
        self.count = 0
        self.samples: Dict[str, List[float]] = {"reply": [], "ready": [], "first_call": [],
                                                "child_faults": [], "seed_faults": []}
        control = os.path.join(work, "ctl.sock")
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": SDK_DIR, "CLEAVE_MODE": "seed",
               "CLEAVE_CONTROL": "unix:" + control, "FN_APP_ID": "bench", "FN_FN_ID": "bench"}
        self.seed = subprocess.Popen([PYTHON, "-m", "fdk", func, "handler"], env=env)
        wait_exists(control)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(control)
        self.conn = self.sock.makefile("rwb")

    def one(self, record: bool = True) -> None:
        self.count += 1
        child_dir = os.path.join(self.work, "child-{}".format(self.count))
        os.mkdir(child_dir)
        wd = self.appearance.watch(child_dir)
        listener = os.path.join(child_dir, "lsnr.sock")
        output = os.path.join(child_dir, "output")
        order = {"op": "fork", "child_id": str(self.count), "listener": "unix:" + listener,
                 "stdout": output, "stderr": output, "env": {"CHILD": str(self.count)}}
        seed_faults = minor_faults(self.seed.pid)
        start = time.perf_counter()
        answer = control_request(self.conn, order)
        replied = time.perf_counter()
        if not answer.get("ok"):
            raise RuntimeError("fork refused: {}".format(answer))
        ready = self.appearance.wait(wd, "lsnr.sock")
        called = first_call(listener)
        child_faults = minor_faults(answer["pid"])
        seed_faults = minor_faults(self.seed.pid) - seed_faults
        self.appearance.unwatch(wd)
        os.kill(answer["pid"], signal.SIGKILL)
        wait_gone(answer["pid"])
        shutil.rmtree(child_dir)
        if record:
            self.samples["reply"].append(replied - start)
            self.samples["ready"].append(ready - start)
            self.samples["first_call"].append(called - start)
            self.samples["child_faults"].append(child_faults)
            self.samples["seed_faults"].append(seed_faults)

    def close(self) -> None:
        try:
            control_request(self.conn, {"op": "exit"})
            self.seed.wait(10)
        finally:
            if self.seed.poll() is None:
                self.seed.kill()
                self.seed.wait()


class BareForks:
    """os.fork() of this process + the same atomic listener bind in the child: the floor."""

    def __init__(self, work: str, func_name: str, appearance: Appearance) -> None:
        if func_name == "numpy":
            # the same libraries as the seed, for a like-sized process
            importlib.import_module("numpy")
            importlib.import_module("PIL.Image")
        self.appearance = appearance
        self.dir = os.path.join(work, "bare")
        os.mkdir(self.dir)
        self.wd = appearance.watch(self.dir)
        self.count = 0
        self.samples: List[float] = []

    def one(self, record: bool = True) -> None:
        self.count += 1
        name = "bare-{}.sock".format(self.count)
        path = os.path.join(self.dir, name)
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(path + ".tmp")
            os.chmod(path + ".tmp", 0o666)
            sock.listen(16)
            os.rename(path + ".tmp", path)
            time.sleep(30)
            os._exit(0)
        ready = self.appearance.wait(self.wd, name)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.unlink(path)
        if record:
            self.samples.append(ready - start)


class ColdStarts:
    """``one()`` starts the function cold, times it to its listener and first call."""

    def __init__(self, work: str, func: str, appearance: Appearance) -> None:
        self.work = work
        self.func = func
        self.appearance = appearance
        self.count = 0
        self.samples: Dict[str, List[float]] = {"ready": [], "first_call": []}

    def one(self) -> None:
        self.count += 1
        cold_dir = os.path.join(self.work, "cold-{}".format(self.count))
        os.mkdir(cold_dir)
        wd = self.appearance.watch(cold_dir)
        listener = os.path.join(cold_dir, "lsnr.sock")
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": SDK_DIR, "FN_FORMAT": "http-stream",
               "FN_LISTENER": "unix:" + listener, "FN_APP_ID": "bench", "FN_FN_ID": "bench"}
        start = time.perf_counter()
        proc = subprocess.Popen([PYTHON, "-m", "fdk", self.func, "handler"], env=env)
        ready = self.appearance.wait(wd, "lsnr.sock", 60)
        called = first_call(listener)
        self.appearance.unwatch(wd)
        proc.kill()
        proc.wait()
        self.samples["ready"].append(ready - start)
        self.samples["first_call"].append(called - start)


def line(name: str, samples: List[float]) -> float:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1e3
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] * 1e3
    print("  {:<40} p50 {:8.3f} ms   p90 {:8.3f} ms   (n={})".format(name, p50, p90,
                                                                     len(ordered)))
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--func", choices=sorted(FUNCS), default="hello")
    parser.add_argument("--forks", type=int, default=200)
    parser.add_argument("--colds", type=int, default=10)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="cleave-bench-fork-")
    try:
        func = os.path.join(work, "func.py")
        with open(func, "w") as f:
            f.write(FUNCS[args.func])
        print("function '{}', python {}, {} CPUs".format(args.func, sys.version.split()[0],
                                                        os.cpu_count()))
        appearance = Appearance()
        seed = SeedForks(work, func, appearance)
        bare = BareForks(work, args.func, appearance)
        cold = ColdStarts(work, func, appearance)
        try:
            for _ in range(5):  # warm-up: caches, the seed's first copy-on-write faults
                seed.one(record=False)
                bare.one(record=False)
            # Rounds alternate the three, so that they share the machine's background noise.
            for round_number in range(ROUNDS):
                for _ in range(args.forks // ROUNDS):
                    seed.one()
                    time.sleep(0.002)
                for _ in range(args.forks // ROUNDS):
                    bare.one()
                    time.sleep(0.002)
                if round_number < args.colds:
                    cold.one()
        finally:
            seed.close()
        forks = seed.samples
        print("seed fork (order sent ->):")
        line("answer with pid", forks["reply"])
        ready = line("listener ready (fork-to-ready)", forks["ready"])
        fork_call = line("first call answered", forks["first_call"])
        print("baselines:")
        floor = line("bare os.fork + bind in child -> ready", bare.samples)
        cold_ready = line("cold start -> listener ready", cold.samples["ready"])
        cold_call = line("cold start -> first call answered", cold.samples["first_call"])
        fault_us = cow_fault_us()
        child_faults = statistics.median(forks["child_faults"])
        seed_faults = statistics.median(forks["seed_faults"])
        print("page faults per fork (p50): child until its first call answered {:.0f} (~{:.2f} ms),"
              " seed handling the order {:.0f} (~{:.2f} ms), at {:.1f} us per copy-on-write fault"
              " measured now".format(child_faults, child_faults * fault_us / 1000, seed_faults,
                                     seed_faults * fault_us / 1000, fault_us))
        print("ratios (p50): fork-to-ready = {:.2f} x bare fork floor; cold start ready = "
              "{:.1f} x fork-to-ready; first call: cold = {:.1f} x fork".format(
                  ready / floor, cold_ready / ready, cold_call / fork_call))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

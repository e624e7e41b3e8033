"""Starting real runtime processes and talking to them like the invoker and forkd do."""

import datetime as dt
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Any, Dict, List, Optional

PYTHON = "/usr/bin/python3"  # the runtime's interpreter (Debian's), whatever runs the tests
SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUNCTIONS = os.path.join(SDK_DIR, "tests", "functions")
START_TIMEOUT = 20.0


def function_path(name: str) -> str:
    return os.path.join(FUNCTIONS, name)


def deadline_in(seconds: float) -> str:
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return when.isoformat(timespec="microseconds").replace("+00:00", "Z")


def wait_for_path(path: str, proc: Optional[subprocess.Popen] = None,
                  timeout: float = START_TIMEOUT) -> None:
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc is not None and proc.poll() is not None:
            raise AssertionError("runtime exited with {} before {} appeared".format(
                proc.returncode, path))
        if time.monotonic() > end:
            raise AssertionError("{} did not appear within {} s".format(path, timeout))
        time.sleep(0.002)


def pid_alive(pid: int) -> bool:
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/{}/stat".format(pid)) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Runtime:
    """One runtime process (cold, seed or keep) in its own temporary directory."""

    def __init__(self, func: str, entrypoint: Optional[str] = "handler", mode: str = "cold",
                 env: Optional[Dict[str, str]] = None, argv: Optional[List[str]] = None,
                 wait: bool = True) -> None:
        self.dir = tempfile.mkdtemp(prefix="cleave-sdk-")
        self.listener = os.path.join(self.dir, "lsnr.sock")
        self.control = os.path.join(self.dir, "control.sock")
        self.stdout_path = os.path.join(self.dir, "stdout")
        self.stderr_path = os.path.join(self.dir, "stderr")
        full_env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": SDK_DIR,
            "FN_FORMAT": "http-stream",
            "FN_APP_ID": "app-1",
            "FN_FN_ID": "fn-1",
            "FN_APP_NAME": "myapp",
            "FN_FN_NAME": "myfn",
            "FN_MEMORY": "128",
        }
        if mode in ("seed", "keep"):
            full_env["CLEAVE_MODE"] = mode
            full_env["CLEAVE_CONTROL"] = "unix:" + self.control
        if mode != "seed":
            full_env["FN_LISTENER"] = "unix:" + self.listener
        full_env.update(env or {})
        if argv is None:
            argv = [PYTHON, "-m", "fdk", func] + ([entrypoint] if entrypoint else [])
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(argv, env=full_env, stdout=out, stderr=err,
                                         cwd=self.dir)
        self.children: List[int] = []
        if wait:
            try:
                wait_for_path(self.listener if mode == "cold" else self.control, self.proc)
            except BaseException:
                self.close()
                raise

    def stdout(self) -> str:
        with open(self.stdout_path) as f:
            return f.read()

    def stderr(self) -> str:
        with open(self.stderr_path) as f:
            return f.read()

    def close(self) -> None:
        for pid in self.children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for pid in self.children:  # children of the seed: wait until the seed's reaper is gone
            end = time.monotonic() + 5
            while pid_alive(pid) and time.monotonic() < end:
                time.sleep(0.01)
        shutil.rmtree(self.dir, ignore_errors=True)


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a unix socket, as the invoker talks to an instance."""

    def __init__(self, path: str, timeout: float = 30.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


class Answer:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name)


def call(conn: UnixHTTPConnection, body: bytes = b"", headers: Optional[Dict[str, str]] = None,
         deadline_s: float = 30.0, call_id: str = "call-1", method: str = "POST",
         path: str = "/call") -> Answer:
    all_headers = {"Fn-Call-Id": call_id, "Fn-Deadline": deadline_in(deadline_s),
                   "Content-Type": "application/octet-stream"}
    all_headers.update(headers or {})
    conn.request(method, path, body=body, headers=all_headers)
    resp = conn.getresponse()
    return Answer(resp.status, resp.headers, resp.read())


class ControlClient:
    """forkd's side of the seed control protocol."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb")

    def send_line(self, line: bytes) -> Dict[str, Any]:
        self.file.write(line + b"\n")
        self.file.flush()
        answer = self.file.readline()
        if not answer:
            raise AssertionError("seed closed the control connection")
        return json.loads(answer)

    def request(self, **fields: Any) -> Dict[str, Any]:
        return self.send_line(json.dumps(fields).encode())

    def close(self) -> None:
        self.file.close()
        self.sock.close()

"""A small stand-in for the Cleave Python runtime, speaking the same contracts (docs/CONTRACTS.md):
cold mode serves HTTP POST /call on FN_LISTENER; seed mode (CLEAVE_MODE=seed) serves the
newline-JSON control protocol on CLEAVE_CONTROL and forks children that serve like cold instances.
The call body names what to do, so tests can probe the lean container from inside."""
import http.server
import json
import os
import random
import signal
import socket
import socketserver
import sys
import time

# "Module-level initialisation": done once in a seed, inherited by its children.
TABLE = {i: str(i) * 8 for i in range(20000)}
BORN = os.getpid()


def unix_path(address: str) -> str:
    assert address.startswith("unix:"), address
    return address[5:]


def bind_atomically(path: str) -> socket.socket:
    target = os.environ.get("TEST_SYMLINK")
    if target:
        # A hostile instance: its "listener" is a link to some host socket.
        os.symlink(target, path)
        time.sleep(60)
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(tmp)
    s.listen(64)
    os.rename(tmp, path)
    return s


def writable(path: str) -> bool:
    probe = os.path.join(path, ".probe-%d" % os.getpid())
    try:
        with open(probe, "w") as f:
            f.write("x")
        os.unlink(probe)
        return True
    except OSError:
        return False


def status_field(name: str) -> str:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    return ""


def inspect() -> dict:
    return {
        "pid": os.getpid(),
        "uid": os.getuid(),
        "euid": os.geteuid(),
        "gid": os.getgid(),
        "groups": os.getgroups(),
        "cap_eff": status_field("CapEff"),
        "cap_prm": status_field("CapPrm"),
        "cap_bnd": status_field("CapBnd"),
        "no_new_privs": status_field("NoNewPrivs"),
        "procs": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "hostname": socket.gethostname(),
        "cwd": os.getcwd(),
        "writable": {p: writable(p) for p in ("/", "/function", "/tmp", "/usr", "/etc", "/cleave/run")},
        "exists": {p: os.path.exists(p) for p in sys.argv[1:]},
        "table": len(TABLE),
        "born": BORN,
        "random": random.random(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("FN_", "CLEAVE_", "TEST_"))},
    }


def hog() -> None:
    chunks = []
    while True:
        chunks.append(bytearray(b"x" * (4 << 20)))


def fork_bomb() -> dict:
    started, error = 0, ""
    while started < 100000:
        try:
            pid = os.fork()
        except OSError as e:
            error = e.strerror
            break
        if pid == 0:
            time.sleep(120)
            os._exit(0)
        started += 1
    return {"started": started, "error": error}


def swap_listener() -> dict:
    """Tries to replace its own listener (after forkd took it over) with a link elsewhere."""
    path = unix_path(os.environ["FN_LISTENER"])
    result = {}
    for name, attempt in (("unlink", lambda: os.unlink(path)),
                          ("rename", lambda: (os.symlink("/etc/passwd", path + ".x"), os.rename(path + ".x", path)))):
        try:
            attempt()
            result[name] = "done"
        except OSError as e:
            result[name] = e.strerror
    return result


class Call(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self) -> str:
        return "unix"

    def log_message(self, fmt, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        action, _, arg = body.partition(":")
        if action == "inspect":
            answer = inspect()
        elif action == "hog":
            hog()
        elif action == "forkbomb":
            answer = fork_bomb()
        elif action == "print":
            print("out:" + arg, flush=True)
            print("err:" + arg, file=sys.stderr, flush=True)
            answer = {"printed": arg}
        elif action == "swap":
            answer = swap_listener()
        elif action == "exit":
            os._exit(int(arg))
        else:
            answer = {"hello": self.headers.get("Fn-Call-Id", ""), "pid": os.getpid()}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Listener(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Serves each connection on a thread: a client may open a new connection while an idle
    keep-alive one is still open (the real runtime multiplexes its connections too)."""
    daemon_threads = True

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(None, Call, bind_and_activate=False)
        self.socket = sock


def serve_calls(listener: str) -> None:
    Listener(bind_atomically(unix_path(listener))).serve_forever()


def reap(signum, frame) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def become_child(order: dict, closing: list) -> None:
    for s in closing:
        s.close()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    random.seed()
    os.environ.update(order.get("env", {}))
    out = os.open(order["stdout"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    err = os.open(order["stderr"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(out, 1)
    os.dup2(err, 2)
    try:
        serve_calls(order["listener"])
    finally:
        os._exit(1)


def serve_control(control: str) -> None:
    signal.signal(signal.SIGCHLD, reap)
    server = bind_atomically(unix_path(control))
    while True:
        conn, _ = server.accept()
        reader = conn.makefile("rb")
        for line in reader:
            order = json.loads(line)
            if order["op"] == "ping":
                answer = {"ok": True, "pid": os.getpid()}
            elif order["op"] == "fork":
                if order.get("env", {}).get("TEST_REFUSE"):
                    answer = {"ok": False, "error": "refused on request"}
                else:
                    pid = os.fork()
                    if pid == 0:
                        reader.close()
                        become_child(order, [server, conn])
                    answer = {"ok": True, "pid": pid}
            elif order["op"] == "exit":
                conn.sendall(b'{"ok": true}\n')
                os._exit(0)
            else:
                answer = {"ok": False, "error": "unknown op"}
            conn.sendall(json.dumps(answer).encode() + b"\n")
        reader.close()
        conn.close()


if __name__ == "__main__":
    if os.environ.get("CLEAVE_MODE") == "seed":
        serve_control(os.environ["CLEAVE_CONTROL"])
    else:
        serve_calls(os.environ["FN_LISTENER"])

"""A hostile function: each call body names an attack on the platform or on other calls, and the
answer says what the attack got (``"denied: <error>"`` or what it reached). Also ``works``: what a
function may do (numpy, PIL, /tmp)."""
import ctypes
import json
import os
import socket
import threading

LIBC = ctypes.CDLL(None, use_errno=True)
SYS_IO_URING_SETUP = 425
SYS_ADD_KEY = 248
SYS_PTRACE = 101
PTRACE_ATTACH = 16
KEY_SPEC_USER_KEYRING = -4
CLONE_NEWUSER = 0x10000000


def syscall_result(nr, *args):
    r = LIBC.syscall(nr, *args)
    if r < 0:
        return "denied: " + os.strerror(ctypes.get_errno())
    return "got %d" % r


def attempt(action):
    try:
        got = action()
        return "got " + str(got)
    except OSError as e:
        return "denied: " + (e.strerror or str(e))


def read_paths(paths):
    out = {}
    for p in paths:
        out[p] = attempt(lambda p=p: sorted(os.listdir(p))[:5] if os.path.isdir(p) else open(p).read(64))
    return out


def connect(port):
    def go():
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            return s.recv(16).decode()
    return attempt(go)


LISTENER = []


def listen(port):
    def go():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(8)
        LISTENER.append(s)  # kept open while the test looks from the host
        return port
    return attempt(go)


def user_namespace():
    """unshare(CLONE_NEWUSER), as `unshare -Ur` does (Python 3.11 has no os.unshare)."""
    if LIBC.unshare(CLONE_NEWUSER) != 0:
        return "denied: " + os.strerror(ctypes.get_errno())
    return "got a user namespace"


def io_uring():
    params = ctypes.create_string_buffer(120)
    return syscall_result(SYS_IO_URING_SETUP, ctypes.c_uint(1), params)


def keyring():
    return syscall_result(SYS_ADD_KEY, b"user", b"left-behind", b"secret", ctypes.c_size_t(6),
                          ctypes.c_int(KEY_SPEC_USER_KEYRING))


def ptrace_parent():
    return syscall_result(SYS_PTRACE, ctypes.c_long(PTRACE_ATTACH), ctypes.c_long(os.getppid()), None, None)


def others_memory():
    """Opens /proc/<pid>/mem of every other process this one sees (its seed, its siblings)."""
    me = os.getpid()
    out = {}
    for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
        if pid in (me, 1):
            continue

        def read(pid=pid):
            with open("/proc/%d/mem" % pid, "rb") as f:
                return "opened"
        out[str(pid)] = attempt(read)
    return out


def write_file(path):
    def go():
        with open(path, "a") as f:
            f.write("written by a sibling\n")
        return "appended"
    return attempt(go)


def connect_unix(path):
    def go():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(path)
        s.sendall(b'{"op": "ping"}\n')
        answer = s.recv(4096).decode()
        s.close()
        return answer
    return attempt(go)


def burn(threads):
    def spin():
        while True:
            pass
    for _ in range(threads):
        threading.Thread(target=spin, daemon=True).start()
    return threads


def works():
    import numpy
    import PIL.Image
    img = PIL.Image.new("RGB", (8, 8), (1, 2, 3))
    with open("/tmp/scratch", "w") as f:
        f.write("x" * 1000)
    with open("/tmp/scratch") as f:
        size = len(f.read())
    return {"numpy": int(numpy.arange(10).sum()), "pil": img.getpixel((0, 0))[2], "tmp": size}


def handler(ctx, data=None):
    action, _, arg = data.getvalue().decode().partition(":")
    if action == "read":
        answer = read_paths(arg.split("\n"))
    elif action == "connect":
        answer = connect(int(arg))
    elif action == "listen":
        answer = listen(int(arg))
    elif action == "userns":
        answer = user_namespace()
    elif action == "io_uring":
        answer = io_uring()
    elif action == "keyring":
        answer = keyring()
    elif action == "ptrace":
        answer = ptrace_parent()
    elif action == "memory":
        answer = others_memory()
    elif action == "write":
        answer = write_file(arg)
    elif action == "unix":
        answer = connect_unix(arg)
    elif action == "burn":
        answer = burn(int(arg))
    elif action == "works":
        answer = works()
    else:
        answer = {"pid": os.getpid(), "uid": os.getuid()}
    return json.dumps(answer if isinstance(answer, dict) else {"answer": answer})

"""A function that looks at its lean container from inside, run by the real runtime
(python3 -m fdk). The call body names what to do: ``inspect[:path\\npath...]`` (identity, limits,
what is visible and writable, which of the paths exist), ``print:X``, ``swap`` (try to replace its
own listener), ``hog`` (allocate until the cgroup stops it), ``forkbomb``, ``exit:N``; anything
else answers hello. Module state (TABLE, BORN) is made once: in a seed, children inherit it."""
import json
import os
import random
import socket
import sys
import time

TABLE = {i: str(i) * 8 for i in range(20000)}
BORN = os.getpid()


def writable(path):
    probe = os.path.join(path, ".probe-%d" % os.getpid())
    try:
        with open(probe, "w") as f:
            f.write("x")
        os.unlink(probe)
        return True
    except OSError:
        return False


def status_field(name):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    return ""


def inspect(paths):
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
        "exists": {p: os.path.exists(p) for p in paths},
        "table": len(TABLE),
        "born": BORN,
        "random": random.random(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("FN_", "CLEAVE_", "TEST_"))},
    }


HELD = []


def hog():
    chunks = []
    while True:
        chunks.append(bytearray(b"x" * (4 << 20)))


def fork_bomb():
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


def swap_listener():
    """Tries to replace its own listener (after forkd took it over) with a link elsewhere."""
    path = os.environ["FN_LISTENER"][len("unix:"):]
    result = {}
    for name, attempt in (("unlink", lambda: os.unlink(path)),
                          ("rename", lambda: (os.symlink("/etc/passwd", path + ".x"), os.rename(path + ".x", path)))):
        try:
            attempt()
            result[name] = "done"
        except OSError as e:
            result[name] = e.strerror
    return result


def handler(ctx, data=None):
    action, _, arg = data.getvalue().decode().partition(":")
    if action == "inspect":
        answer = inspect([p for p in arg.split("\n") if p])
    elif action == "hog":
        hog()
    elif action == "hold":
        HELD.append(bytearray(b"x" * (int(arg) << 20)))
        answer = {"held_mb": sum(len(h) for h in HELD) >> 20}
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
        answer = {"hello": ctx.CallID(), "pid": os.getpid()}
    return json.dumps(answer)

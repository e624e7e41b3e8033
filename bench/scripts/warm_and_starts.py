"""Warm-path overhead and start latencies through running Cleave servers (HTTP, like a client).

warm:   the same keep-alive client calls a function through the gateway (/invoke) and straight on
        its instance's unix socket (POST /call), 5 interleaved rounds of 1000; overhead = p50 difference.
starts: alternates calls to a --policy fork server and a --policy cold-only server, waiting past the
        function's idle_timeout (1 s) between rounds, so each call needs a new instance (fork vs cold).

usage: python3 bench/scripts/warm_and_starts.py BASE_URL DATA_DIR warm
       python3 bench/scripts/warm_and_starts.py BASE_FORK BASE_COLD starts
"""
import glob
import http.client
import io
import json
import socket
import statistics
import sys
import tarfile
import time
import urllib.request

FUNC = b"""
def handler(ctx, data=None):
    return "ok"
"""


def api(base, method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(base + path, data=body, method=method, headers={"Content-Type": ctype})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")


def deploy(base, name, idle_timeout):
    app = api(base, "POST", "/v2/apps", json.dumps({"name": name}).encode())["id"]
    fn = api(base, "POST", "/v2/fns", json.dumps({"name": name, "app_id": app, "memory": 128,
                                                  "idle_timeout": idle_timeout}).encode())["id"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("func.py")
        info.size = len(FUNC)
        tar.addfile(info, io.BytesIO(FUNC))
    api(base, "PUT", "/cleave/v1/fns/%s/bundle" % fn, buf.getvalue(), "application/gzip")
    return fn


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def timed(conn, method, path, headers, n):
    out = []
    for i in range(n):
        t0 = time.perf_counter_ns()
        conn.request(method, path, body=b"x", headers=headers)
        r = conn.getresponse()
        r.read()
        out.append((time.perf_counter_ns() - t0) / 1e6)
        assert r.status == 200, r.status
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def warm(base, data):
    fn = deploy(base, "warmbench", 300)
    host, port = base.split("//")[1].split(":")
    gw = http.client.HTTPConnection(host, int(port))
    timed(gw, "POST", "/invoke/" + fn, {"Content-Type": "text/plain"}, 300)
    socks = [s for s in glob.glob(data + "/run/instances/*/lsnr.sock") + glob.glob(data + "/run/forks/*/*/lsnr.sock")]
    assert len(socks) == 1, socks
    direct = UnixConnection(socks[0])
    hdrs = {"Content-Type": "text/plain", "Fn-Call-Id": "bench", "Fn-Deadline": "2099-01-01T00:00:00Z"}
    timed(direct, "POST", "/call", hdrs, 300)
    rounds = []
    for _ in range(5):  # interleaved rounds share the machine's noise
        g = timed(gw, "POST", "/invoke/" + fn, {"Content-Type": "text/plain"}, 1000)
        d = timed(direct, "POST", "/call", hdrs, 1000)
        rounds.append((g, d))
    g = [x for r in rounds for x in r[0]]
    d = [x for r in rounds for x in r[1]]
    print("through gateway  p50 %.3f ms  p99 %.3f ms  (n=%d)" % (pct(g, 50), pct(g, 99), len(g)))
    print("instance direct  p50 %.3f ms  p99 %.3f ms  (n=%d)" % (pct(d, 50), pct(d, 99), len(d)))
    print("overhead p50 %.3f ms; ratio gateway/direct p50 %.2f" % (pct(g, 50) - pct(d, 50), pct(g, 50) / pct(d, 50)))


def starts(base_fork, base_cold):
    """Alternates calls to a fork-policy server and a cold-only server, so both see the same noise."""
    fns = {base_fork: deploy(base_fork, "startbench", 1), base_cold: deploy(base_cold, "startbench", 1)}
    by_mode = {}
    for i in range(25):
        for base in (base_fork, base_cold):
            host, port = base.split("//")[1].split(":")
            conn = http.client.HTTPConnection(host, int(port))
            t0 = time.perf_counter_ns()
            conn.request("POST", "/invoke/" + fns[base], body=b"x", headers={"Content-Type": "text/plain"})
            r = conn.getresponse()
            r.read()
            ms = (time.perf_counter_ns() - t0) / 1e6
            by_mode.setdefault(r.getheader("Cleave-Start-Mode"), []).append(ms)
            conn.close()
        time.sleep(2.2)  # past idle_timeout (1 s): the next call on the fork server needs a new instance
    for mode, xs in sorted(by_mode.items()):
        print("%-5s n=%2d  p50 %.1f ms  min %.1f ms  max %.1f ms" % (mode, len(xs), pct(xs, 50), min(xs), max(xs)))
    if "fork" in by_mode and "cold" in by_mode:
        print("fork/cold p50 ratio %.3f" % (pct(by_mode["fork"], 50) / pct(by_mode["cold"], 50)))


if __name__ == "__main__":
    {"warm": warm, "starts": starts}[sys.argv[3]](sys.argv[1], sys.argv[2])

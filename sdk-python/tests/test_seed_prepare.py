"""The seed's prepare op: a snapshot through a real page server, a child resumed from it by the
real restorer, serving calls with the seed's module state (kmod/ must be built; needs root for
userfaultfd)."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import unittest

from tests.support import (ControlClient, Runtime, UnixHTTPConnection, call, function_path,
                           pid_alive, wait_for_path)

KMOD = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "kmod")
BUILD = os.path.join(KMOD, "build")


@unittest.skipUnless(os.geteuid() == 0, "the restorer needs userfaultfd (root here)")
class SeedPrepareTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls) -> None:
        subprocess.run(["make", "-s", "-C", KMOD], check=True)

    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="cleave-sdk-prepare-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.sock = os.path.join(self.dir, "ps.sock")
        port_file = os.path.join(self.dir, "port")
        with open(os.path.join(self.dir, "ps.log"), "wb") as log:
            self.server = subprocess.Popen(
                [os.path.join(BUILD, "cleave-pageserver"), "--bind", "127.0.0.1", "--port", "0",
                 "--sock", self.sock, "--port-file", port_file], stderr=log)
        self.addCleanup(self._stop, self.server)
        wait_for_path(port_file, self.server)
        with open(port_file) as f:
            self.address = "127.0.0.1:" + f.read().strip()
        self.seed = Runtime(function_path("seed_func.py"), mode="seed",
                            env={"IMPORT_LOG": os.path.join(self.dir, "imports.log")})
        self.addCleanup(self.seed.close)
        self.control = ControlClient(self.seed.control)
        self.addCleanup(self.control.close)
        self.order = os.path.join(self.dir, "order.json")

    @staticmethod
    def _stop(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)

    def prepare(self, **fields) -> dict:
        request = {"op": "prepare", "sock": self.sock, "binding": os.path.join(KMOD, "python"),
                   "order": self.order}
        request.update(fields)
        return self.control.request(**request)

    def restore(self, answer: dict, name: str) -> subprocess.Popen:
        out = open(os.path.join(self.dir, name + ".out"), "wb")
        proc = subprocess.Popen(
            ["timeout", "-k", "5", "60", os.path.join(BUILD, "cleave-restore"), "--server",
             self.address, "--handle", str(answer["handle"]), "--key", answer["key"], "--cache",
             "none"], stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.addCleanup(self._stop, proc)
        return proc

    def output(self, name: str) -> str:
        with open(os.path.join(self.dir, name + ".out")) as f:
            return f.read()

    def test_prepare_answers_a_handle_and_a_resumed_child_serves_calls(self) -> None:
        answer = self.prepare()
        self.assertTrue(answer["ok"], answer)
        self.assertGreater(answer["handle"], 0)
        self.assertRegex(answer["key"], "^[0-9a-f]{32}$")
        ping = self.control.request(op="ping")
        self.assertEqual(ping["threads"], 1, "the seed stays single-threaded")

        child_dir = os.path.join(self.dir, "r1")
        os.mkdir(child_dir)
        listener = os.path.join(child_dir, "lsnr.sock")
        with open(self.order, "w") as f:
            json.dump({"child_id": "r1", "listener": "unix:" + listener,
                       "env": {"CHILD_NAME": "remote-1"}}, f)
        restorer = self.restore(answer, "r1")
        wait_for_path(listener, restorer)
        conn = UnixHTTPConnection(listener)
        first = call(conn, b"one")
        conn.close()
        self.assertEqual(first.status, 200, self.output("r1"))
        body = first.json()
        with open(os.path.join(self.dir, "imports.log")) as log:
            imports = log.read().splitlines()
        self.assertEqual(len(imports), 1, "module init ran once, in the seed")
        self.assertEqual(body["init_stamp"], int(imports[0].split()[1]))
        self.assertEqual(body["child_name"], "remote-1")
        self.assertEqual(body["greeting"], "hello from a sibling module")
        self.assertEqual(body["cache_sum"], sum(i * i for i in range(1000)))
        self.assertNotEqual(body["pid"], self.seed.proc.pid)
        self.assertNotEqual(body["pid"], restorer.pid)
        self.assertTrue(self.control.request(op="ping")["ok"])
        restorer.send_signal(signal.SIGKILL)
        restorer.wait(timeout=10)

    def test_a_resumed_child_without_its_order_exits_saying_so(self) -> None:
        answer = self.prepare()
        self.assertTrue(answer["ok"], answer)
        restorer = self.restore(answer, "r2")  # no order file written
        self.assertEqual(restorer.wait(timeout=60), 1, self.output("r2"))
        self.assertIn("fdk: resumed child: bad order " + self.order, self.output("r2"))

    def test_bad_prepare_orders_are_refused_and_the_seed_serves_on(self) -> None:
        for fields, error in (({"sock": "relative.sock"}, "sock must be an absolute path"),
                              ({"order": 7}, "order must be an absolute path"),
                              ({"binding": "/nonexistent"}, "cannot load the fork primitive"),
                              ({"sock": "/nonexistent/ps.sock"}, "prepare failed: ")):
            answer = self.prepare(**fields)
            self.assertFalse(answer["ok"], answer)
            self.assertIn(error, answer["error"])
        self.assertTrue(self.control.request(op="ping")["ok"])
        self.assertTrue(pid_alive(self.seed.proc.pid))


if __name__ == "__main__":
    unittest.main()

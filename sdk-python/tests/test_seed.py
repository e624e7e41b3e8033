"""A seed: module init once, fork orders over the control protocol, children that serve calls."""

import json
import mmap
import os
import shutil
import signal
import tempfile
import time
import unittest

from fdk import working_set
from tests.support import (PYTHON, ControlClient, Runtime, UnixHTTPConnection, call, function_path,
                           pid_alive, wait_for_path)


class SeedTest(unittest.TestCase):

    def setUp(self) -> None:
        log_dir = tempfile.mkdtemp(prefix="cleave-sdk-log-")
        self.addCleanup(shutil.rmtree, log_dir, True)
        self.import_log = os.path.join(log_dir, "imports.log")
        self.seed = Runtime(function_path("seed_func.py"), mode="seed",
                            env={"IMPORT_LOG": self.import_log})
        self.addCleanup(self.seed.close)
        self.control = ControlClient(self.seed.control)
        self.addCleanup(self.control.close)

    def fork(self, name: str, env=None, client=None) -> dict:
        child_dir = os.path.join(self.seed.dir, name)
        os.mkdir(child_dir)
        order = {"op": "fork", "child_id": name,
                 "listener": "unix:" + os.path.join(child_dir, "lsnr.sock"),
                 "stdout": os.path.join(child_dir, "stdout"),
                 "stderr": os.path.join(child_dir, "stderr"),
                 "env": dict({"CHILD_NAME": name}, **(env or {}))}
        answer = (client or self.control).request(**order)
        self.assertTrue(answer["ok"], answer)
        self.seed.children.append(answer["pid"])
        wait_for_path(os.path.join(child_dir, "lsnr.sock"))
        return {"pid": answer["pid"], "dir": child_dir,
                "listener": os.path.join(child_dir, "lsnr.sock"), "learn": answer.get("learn")}

    def read(self, path: str) -> str:
        with open(path) as f:
            return f.read()

    def test_ping_answers_with_the_seed_pid(self) -> None:
        self.assertEqual(self.control.request(op="ping"),
                         {"ok": True, "pid": self.seed.proc.pid, "threads": 1, "forkable": True})
        self.assertEqual(os.stat(self.seed.control).st_mode & 0o777, 0o666)

    def test_children_serve_calls_from_the_seed_state(self) -> None:
        children = [self.fork("child-{}".format(n)) for n in range(4)]
        answers = []
        for child in children:
            conn = UnixHTTPConnection(child["listener"])
            first = call(conn, b"one")
            second = call(conn, b"two")
            conn.close()
            self.assertEqual((first.status, second.status), (200, 200))
            answers.append((child, first.json(), second.json()))

        with open(self.import_log) as log:
            imports = log.read().splitlines()
        self.assertEqual(len(imports), 1, "module init must run once, in the seed")
        seed_pid, seed_stamp = (int(v) for v in imports[0].split())
        self.assertEqual(seed_pid, self.seed.proc.pid)

        pids = set()
        randoms = set()
        for child, first, second in answers:
            self.assertEqual(first["pid"], child["pid"])
            self.assertNotEqual(first["pid"], self.seed.proc.pid)
            self.assertEqual(first["init_stamp"], seed_stamp)
            self.assertEqual(first["cache_sum"], sum(i * i for i in range(1000)))
            self.assertEqual(first["greeting"], "hello from a sibling module")
            self.assertEqual(first["child_name"], os.path.basename(child["dir"]))
            self.assertEqual(second["body"], "two")
            pids.add(first["pid"])
            randoms.add(first["random"])
            name = os.path.basename(child["dir"])
            self.assertEqual(self.read(os.path.join(child["dir"], "stdout")).count(
                "stdout of " + name + "\n"), 2)
            self.assertIn("stderr of " + name, self.read(os.path.join(child["dir"], "stderr")))
        self.assertEqual(len(pids), 4)
        self.assertEqual(len(randoms), 4, "every child must have its own random stream")
        self.assertNotIn("stdout of", self.seed.stdout())

    def test_child_enforces_deadlines(self) -> None:
        child = self.fork("deadline-child")
        conn = UnixHTTPConnection(child["listener"])
        self.assertEqual(call(conn, deadline_s=-1).status, 504)
        self.assertEqual(call(conn).status, 200)
        conn.close()

    def test_the_first_child_to_answer_a_call_is_named_once_then_the_seed_takes_checked_pages(self) -> None:
        learner = self.fork("learner")
        before = self.fork("before-its-call")
        self.assertIsNone(before["learn"])
        conn = UnixHTTPConnection(learner["listener"])
        self.assertEqual(call(conn, b"one").status, 200)
        conn.close()
        deadline = time.monotonic() + 5
        named = None
        n = 0
        while named is None and time.monotonic() < deadline:
            named = self.fork("after-{}".format(n))["learn"]
            n += 1
        self.assertEqual(named, learner["pid"], "the seed names the child whose first call is out")
        self.assertIsNone(self.fork("named-once")["learn"])
        # Named but no pages came (forkd no longer had that child): the next first call is named, in a ping answer too.
        conn = UnixHTTPConnection(before["listener"])
        self.assertEqual(call(conn, b"two").status, 200)
        conn.close()
        deadline = time.monotonic() + 5
        named = None
        while named is None and time.monotonic() < deadline:
            named = self.control.request(op="ping").get("learn")
        self.assertEqual(named, before["pid"])
        page = mmap.PAGESIZE
        base = 0x10000 * page
        for bad in ([], "x", [[base + 1, base + page]], [[base + page, base]],
                    [[base + 2 * page, base + 3 * page], [base, base + page]],
                    [[base, base + (working_set.MAX_PAGES + 1) * page]], [[base, True]],
                    [[base + 2 * i * page, base + (2 * i + 1) * page] for i in range(working_set.MAX_RANGES + 1)]):
            answer = self.control.request(op="pages", ranges=bad)
            self.assertFalse(answer["ok"], bad[:2] if isinstance(bad, list) else bad)
        self.assertEqual(self.control.request(op="pages", ranges=[[base, base + 3 * page]]), {"ok": True, "pages": 3})
        self.assertFalse(self.control.request(op="pages", ranges=[[base, base + page]])["ok"], "learned once")
        self.assertTrue(self.control.request(op="ping")["ok"])

    def test_stdout_and_stderr_sharing_one_file(self) -> None:
        child_dir = os.path.join(self.seed.dir, "shared")
        os.mkdir(child_dir)
        output = os.path.join(child_dir, "output")
        answer = self.control.request(op="fork", child_id="shared",
                                      listener="unix:" + os.path.join(child_dir, "lsnr.sock"),
                                      stdout=output, stderr=output, env={"CHILD_NAME": "shared"})
        self.assertTrue(answer["ok"], answer)
        self.seed.children.append(answer["pid"])
        wait_for_path(os.path.join(child_dir, "lsnr.sock"))
        conn = UnixHTTPConnection(os.path.join(child_dir, "lsnr.sock"))
        for _ in range(3):
            self.assertEqual(call(conn).status, 200)
        conn.close()
        self.assertEqual(self.read(output), "stdout of shared\nstderr of shared\n" * 3)

    def test_bad_orders_are_refused_and_the_seed_keeps_running(self) -> None:
        missing_dir = "unix:" + os.path.join(self.seed.dir, "nowhere", "lsnr.sock")
        good_listener = "unix:" + os.path.join(self.seed.dir, "x.sock")
        bad = [
            b"this is not json",
            b"[1, 2, 3]",
            json.dumps({"op": "launch"}).encode(),
            json.dumps({"no_op": True}).encode(),
            json.dumps({"op": "fork"}).encode(),
            json.dumps({"op": "fork", "child_id": "c", "listener": "/tmp/no-scheme"}).encode(),
            json.dumps({"op": "fork", "child_id": "c", "listener": "unix:relative.sock"}).encode(),
            json.dumps({"op": "fork", "child_id": "c", "listener": good_listener,
                        "stderr": "relative/output"}).encode(),
            json.dumps({"op": "fork", "child_id": "c", "listener": missing_dir}).encode(),
            json.dumps({"op": "fork", "child_id": "c", "listener": "unix:/" + "x" * 200}).encode(),
            json.dumps({"op": "fork", "child_id": "c", "listener": good_listener,
                        "stdout": "/nonexistent-dir/stdout"}).encode(),
            json.dumps({"op": "fork", "child_id": "c", "listener": good_listener,
                        "env": ["A=1"]}).encode(),
            json.dumps({"op": "fork", "child_id": "c", "listener": good_listener,
                        "env": {"A": 1}}).encode(),
            json.dumps({"op": "fork", "child_id": "c",
                        "listener": "unix:" + self.seed.stdout_path}).encode(),
        ]
        for line in bad:
            answer = self.control.send_line(line)
            self.assertFalse(answer["ok"], line)
            self.assertIsInstance(answer["error"], str)
            self.assertTrue(answer["error"])
        self.assertIn("stdout", self.control.send_line(bad[10])["error"])
        self.assertEqual(self.control.request(op="ping")["ok"], True)
        self.assertFalse(os.path.exists(os.path.join(self.seed.dir, "x.sock")))
        self.assertEqual([n for n in os.listdir(self.seed.dir) if n.startswith(".~")], [])
        self.assertTrue(os.path.isfile(self.seed.stdout_path), "a bad order destroyed a file")
        self.fork("after-bad-orders")

    def test_several_control_connections(self) -> None:
        other = ControlClient(self.seed.control)
        try:
            first = self.fork("via-first")
            second = self.fork("via-second", client=other)
            self.assertNotEqual(first["pid"], second["pid"])
            self.assertTrue(other.request(op="ping")["ok"])
        finally:
            other.close()

    def test_seed_reaps_dead_children(self) -> None:
        child = self.fork("short-lived")
        os.kill(child["pid"], signal.SIGKILL)
        end = time.monotonic() + 10
        while pid_alive(child["pid"]) or os.path.exists("/proc/{}".format(child["pid"])):
            self.assertLess(time.monotonic(), end, "the killed child was never reaped")
            time.sleep(0.01)
        self.assertTrue(self.control.request(op="ping")["ok"])

    def test_exit_ends_the_seed_and_children_live_on(self) -> None:
        child = self.fork("survivor")
        self.assertEqual(self.control.request(op="exit"), {"ok": True})
        self.assertEqual(self.seed.proc.wait(10), 0)
        self.assertFalse(os.path.exists(self.seed.control))
        conn = UnixHTTPConnection(child["listener"])
        self.assertEqual(call(conn).status, 200)
        conn.close()


class ForkSafetyTest(unittest.TestCase):
    """A seed forks only while it runs one thread, unless the function allowed it."""

    def start(self, **env: str) -> Runtime:
        seed = Runtime(function_path("threaded_func.py"), mode="seed", env=env)
        self.addCleanup(seed.close)
        self.control = ControlClient(seed.control)
        self.addCleanup(self.control.close)
        return seed

    def order(self, seed: Runtime, name: str) -> dict:
        child_dir = os.path.join(seed.dir, name)
        os.mkdir(child_dir)
        return {"op": "fork", "child_id": name,
                "listener": "unix:" + os.path.join(child_dir, "lsnr.sock"),
                "stdout": os.path.join(child_dir, "output"),
                "stderr": os.path.join(child_dir, "output")}

    def fork_and_call(self, seed: Runtime, name: str) -> dict:
        order = self.order(seed, name)
        answer = self.control.request(**order)
        self.assertTrue(answer["ok"], answer)
        seed.children.append(answer["pid"])
        listener = order["listener"][len("unix:"):]
        wait_for_path(listener)
        conn = UnixHTTPConnection(listener)
        self.addCleanup(conn.close)
        result = call(conn)
        self.assertEqual(result.status, 200, result.body)
        return result.json()

    def test_a_thread_started_at_import_makes_the_seed_refuse_forks(self) -> None:
        seed = self.start()
        self.assertEqual(self.control.request(op="ping"),
                         {"ok": True, "pid": seed.proc.pid, "threads": 2, "forkable": False})
        order = self.order(seed, "refused")
        for _ in range(2):
            answer = self.control.request(**order)
            self.assertEqual(answer["ok"], False)
            self.assertEqual(answer["code"], "not-forkable")
            self.assertTrue(answer["error"].startswith(
                "seed is not forkable: 1 thread besides the main one running after import "
                "(ticker); "), answer["error"])
            self.assertIn("fdk.allow_fork()", answer["error"])
            self.assertIn("os.register_at_fork", answer["error"])
        self.assertEqual(os.listdir(os.path.join(seed.dir, "refused")), [],
                         "a refused order left files behind")
        self.assertIn("fdk seed: seed is not forkable", seed.stderr())
        self.assertTrue(self.control.request(op="ping")["ok"])
        self.assertEqual(self.control.request(op="exit"), {"ok": True})
        self.assertEqual(seed.proc.wait(10), 0)

    def test_threads_python_does_not_know_count_too(self) -> None:
        seed = self.start(THREAD="native")
        answer = self.control.request(**self.order(seed, "refused"))
        self.assertEqual(answer.get("code"), "not-forkable", answer)
        self.assertIn("not a Python thread", answer["error"])

    def test_allow_fork_forks_and_the_child_restarts_its_thread(self) -> None:
        seed = self.start(AT_FORK="1", ALLOW_FORK="1")
        self.assertEqual(self.control.request(op="ping")["forkable"], True)
        self.assertNotIn("not forkable", seed.stderr())
        for n in range(2):
            child = self.fork_and_call(seed, "child-{}".format(n))
            self.assertNotEqual(child["pid"], seed.proc.pid)
            self.assertEqual(child, dict(child, ticking=True, ticker_alive=True, threads=2))

    def test_without_an_at_fork_handler_the_child_has_lost_the_thread(self) -> None:
        # Why the rule exists: allowed to fork, a seed that restarts nothing gives dead threads.
        seed = self.start(ALLOW_FORK="1")
        child = self.fork_and_call(seed, "orphan")
        self.assertEqual((child["ticking"], child["ticker_alive"], child["threads"]),
                         (False, False, 1))


class LegacyEntrySeedTest(unittest.TestCase):

    def test_fdk_handle_style_function_as_a_seed(self) -> None:
        seed = Runtime("", mode="seed", argv=[PYTHON, function_path("legacy_func.py")])
        self.addCleanup(seed.close)
        control = ControlClient(seed.control)
        self.addCleanup(control.close)
        listener = os.path.join(seed.dir, "child.sock")
        answer = control.request(op="fork", child_id="legacy", listener="unix:" + listener)
        self.assertTrue(answer["ok"], answer)
        seed.children.append(answer["pid"])
        wait_for_path(listener)
        conn = UnixHTTPConnection(listener)
        self.assertEqual(call(conn, b"from a child").body, b"legacy says from a child")
        conn.close()


class BrokenImportSeedTest(unittest.TestCase):

    def test_children_of_a_seed_whose_import_failed_answer_fn_502(self) -> None:
        seed = Runtime(function_path("broken_import_func.py"), mode="seed",
                       env={"READY_FILE": "/nonexistent/ready"})
        self.addCleanup(seed.close)
        self.assertIn("RuntimeError: cannot read /srv/secret/", seed.stderr())
        control = ControlClient(seed.control)
        self.addCleanup(control.close)
        listener = os.path.join(seed.dir, "child.sock")
        output = os.path.join(seed.dir, "child.out")
        answer = control.request(op="fork", child_id="c", listener="unix:" + listener,
                                 stdout=output, stderr=output)
        self.assertTrue(answer["ok"], answer)
        seed.children.append(answer["pid"])
        wait_for_path(listener)
        conn = UnixHTTPConnection(listener)
        self.addCleanup(conn.close)
        failed = call(conn)
        self.assertEqual((failed.status, failed.json()), (502, {"message": "function failed"}))
        with open(output) as f:
            self.assertIn("RuntimeError: cannot read /srv/secret/", f.read())


class NumpySeedTest(unittest.TestCase):

    def setUp(self) -> None:
        self.seed = Runtime(function_path("image_func.py"), mode="seed")
        self.addCleanup(self.seed.close)
        self.control = ControlClient(self.seed.control)
        self.addCleanup(self.control.close)

    def test_children_compute_with_the_seed_image_and_matrix(self) -> None:
        import numpy as np
        from PIL import Image, ImageFilter
        matrix = np.random.RandomState(7).rand(64, 64)
        image = Image.fromarray((matrix * 255).astype(np.uint8), mode="L")
        expected = {size: int(np.asarray(image.resize((size, size), Image.BILINEAR)
                                         .filter(ImageFilter.BLUR), dtype=np.int64).sum())
                    for size in (16, 48)}
        noises = set()
        for n in range(3):
            child_dir = os.path.join(self.seed.dir, "child-{}".format(n))
            os.mkdir(child_dir)
            listener = os.path.join(child_dir, "lsnr.sock")
            answer = self.control.request(op="fork", child_id="c{}".format(n),
                                          listener="unix:" + listener,
                                          stdout=os.path.join(child_dir, "out"),
                                          stderr=os.path.join(child_dir, "err"), env={})
            self.assertTrue(answer["ok"], answer)
            self.seed.children.append(answer["pid"])
            wait_for_path(listener)
            conn = UnixHTTPConnection(listener)
            for size in (16, 48):
                result = call(conn, str(size).encode()).json()
                self.assertEqual(result["pixel_sum"], expected[size])
                self.assertAlmostEqual(result["trace"], float(np.trace(matrix @ matrix.T)))
                noises.add(result["noise"])
            conn.close()
        self.assertEqual(len(noises), 6, "numpy's global generator must be reseeded per child")


if __name__ == "__main__":
    unittest.main()

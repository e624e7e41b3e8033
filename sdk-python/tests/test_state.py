"""fdk.state over a fork edge: a kept instance serves the producer's call, then forks a child that
loads the consumer's function and reads the producer's very objects."""

import json
import os
import socket
import time
import tempfile
import unittest
from typing import Optional

from fdk.customer_code import code_of
from fdk.server import IO_TIMEOUT
from tests.support import (ControlClient, Runtime, UnixHTTPConnection, call, function_path,
                           wait_for_path)


class KeptStateTest(unittest.TestCase):

    def setUp(self) -> None:
        self.kept = Runtime(function_path("producer_func.py"), mode="keep")
        self.addCleanup(self.kept.close)
        self.control = ControlClient(self.kept.control)
        self.addCleanup(self.control.close)

    def call_producer(self, body: bytes = b"producer input") -> dict:
        conn = UnixHTTPConnection(self.kept.listener)
        answer = call(conn, body)
        conn.close()
        self.assertEqual(answer.status, 200, answer.body)
        self.assertGreaterEqual(int(answer.header("Cleave-Kept-Bytes")), 8 << 20)
        return answer.json()

    def copy_in(self, consumer: str, body: bytes):
        conn = UnixHTTPConnection(self.kept.listener)
        answer = call(conn, body, headers={"Cleave-Copy-For": consumer, "Content-Type": "application/json"})
        conn.close()
        return answer

    def fork_consumer(self, name: str, function: dict, env: Optional[dict] = None) -> str:
        child_dir = os.path.join(self.kept.dir, name)
        os.mkdir(child_dir)
        listener = os.path.join(child_dir, "lsnr.sock")
        answer = self.control.request(op="fork", child_id=name, listener="unix:" + listener,
                                      stdout=os.path.join(child_dir, "output"),
                                      stderr=os.path.join(child_dir, "output"),
                                      function=function, env=env or {})
        self.assertTrue(answer["ok"], answer)
        self.kept.children.append(answer["pid"])
        wait_for_path(listener)
        return listener

    def test_the_consumer_reads_the_very_objects_the_producer_kept(self) -> None:
        produced = self.call_producer()
        consumer = {"file": function_path("consumer/func.py"), "handler": "handler"}
        for name in ("first", "second"):  # each consumer call forks a child of its own
            conn = UnixHTTPConnection(self.fork_consumer(name, consumer))
            answer = call(conn, b"consumer input")
            conn.close()
            self.assertEqual(answer.status, 200, answer.body)
            seen = answer.json()
            self.assertEqual(seen["marker_id"], produced["marker_id"])  # the object, not a copy
            self.assertEqual(seen["block_address"], produced["block_address"])  # no copied buffer
            self.assertTrue(seen["mutated"])
            self.assertEqual((seen["block_head"], seen["block_len"]), ("kept!", 8 << 20))
            self.assertEqual(seen["input"], "consumer input")

    def test_a_later_call_drops_what_the_last_one_kept_before_it_runs(self) -> None:
        # The platform sends a kept instance the next run's producer call once it is released.
        self.assertEqual(self.call_producer(b"also:first")["kept"], ["block", "first", "marker"])
        self.assertEqual(self.call_producer(b"second")["kept"], ["block", "marker"])

    def test_results_copied_in_once_are_read_by_the_consumers_children_by_step_name(self) -> None:
        self.call_producer()
        self.assertEqual(self.copy_in("fn-a", b'{"portfolio": {"trades": [1, 2]}}').status, 200)
        self.assertEqual(self.copy_in("fn-b", b'{"other": 1}').status, 200)
        bad = self.copy_in("fn-a", b"not json")
        self.assertEqual(bad.status, 400, bad.body)
        self.assertEqual(self.copy_in("fn-a", b"[1]").status, 400)
        consumer = {"file": function_path("copied_consumer_func.py"), "handler": "handler"}
        seen = []
        for name in ("a1", "a2"):
            conn = UnixHTTPConnection(self.fork_consumer(name, consumer, {"CLEAVE_COPIED": "fn-a"}))
            answer = call(conn, b"item")
            conn.close()
            self.assertEqual(answer.status, 200, answer.body)
            seen.append(answer.json())
        for s in seen:
            # Beside the kept objects, only this consumer's copied results (not fn-b's).
            self.assertEqual(s["names"], ["block", "marker", "portfolio"])
            self.assertEqual(s["portfolio"], {"trades": [1, 2]})
            self.assertEqual(s["input"], "item")
        # Parsed once, in the kept instance: both children hold that one object.
        self.assertEqual(seen[0]["portfolio_id"], seen[1]["portfolio_id"])
        # The next producer call (the next run) drops what was copied in for this one.
        self.call_producer()
        conn = UnixHTTPConnection(self.fork_consumer("a3", consumer, {"CLEAVE_COPIED": "fn-a"}))
        answer = call(conn, b"item")
        conn.close()
        self.assertEqual(answer.json()["names"], ["block", "marker"])

    def test_an_order_read_right_after_a_call_leaves_no_stale_wait_behind(self) -> None:
        # A call and a control line become ready together while the instance is busy; the call
        # is served first and, once answered, the instance reads the control line too. The
        # control connection's readiness it had already been told of must not make it wait on
        # that connection (it once blocked there for a minute, deaf to calls and orders).
        self.call_producer()
        busy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(busy.close)
        busy.connect(self.kept.listener)
        # Half of IO_TIMEOUT: a call stuck behind the stale wait times out here instead of answering.
        later = UnixHTTPConnection(self.kept.listener, timeout=IO_TIMEOUT / 2)
        self.addCleanup(later.close)
        self.assertEqual(call(later, b"warm-up", call_id="c1").status, 200)
        body = json.dumps({"big": list(range(3_000_000))}).encode()  # some 100 ms to parse
        busy.sendall(b"POST /call HTTP/1.1\r\nHost: x\r\nFn-Call-Id: copy\r\nCleave-Copy-For: fn-a\r\n"
                     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        time.sleep(0.02)  # the instance is parsing the results
        later.request("POST", "/call", body=b"next", headers={"Fn-Call-Id": "c2"})
        time.sleep(0.005)
        self.control.file.write(b'{"op": "ping"}\n')
        self.control.file.flush()
        answer = later.getresponse()
        answer.read()
        self.assertEqual(answer.status, 200)
        self.assertTrue(json.loads(self.control.file.readline())["ok"])
        self.assertEqual(call(later, b"after", call_id="c3").status, 200)

    def test_a_bad_function_in_the_order_is_refused_and_the_instance_keeps_serving(self) -> None:
        self.call_producer()
        answer = self.control.request(op="fork", child_id="bad", listener="unix:/tmp/x.sock",
                                      function={"file": "relative.py"})
        self.assertEqual(answer, {"ok": False, "error": "function.file must be an absolute path"})
        self.assertTrue(self.control.request(op="ping")["ok"])


class ConsumerCodeTest(unittest.TestCase):
    """A kept instance compiles a consumer's module once, for all the children it forks."""

    def test_compiled_once_per_version_of_the_file(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "func.py")
            with open(path, "w") as f:
                f.write("def handler(ctx, data=None):\n    return 'one'\n")
            first = code_of(path)
            self.assertIs(code_of(path), first)  # the next fork order reuses it
            linked = os.path.join(d, "linked.py")
            os.link(path, linked)  # the same file under another path (a consumer of the same bundle)
            self.assertIs(code_of(linked), first)
            namespace: dict = {}
            exec(first, namespace)
            self.assertEqual(namespace["handler"](None), "one")
            with open(path, "w") as f:  # another version of the file: compiled again
                f.write("def handler(ctx, data=None):\n    return 'two, longer'\n")
            second = code_of(path)
            self.assertIsNot(second, first)
            exec(second, namespace)
            self.assertEqual(namespace["handler"](None), "two, longer")

    def test_a_file_that_does_not_compile_is_left_to_the_import(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "func.py")
            with open(path, "w") as f:
                f.write("def handler(:\n")
            self.assertIsNone(code_of(path))
            self.assertIsNone(code_of(os.path.join(d, "missing.py")))


class DroppedStateTest(unittest.TestCase):

    def test_an_instance_not_kept_drops_state_after_each_call(self) -> None:
        cold = Runtime(function_path("producer_func.py"))
        self.addCleanup(cold.close)
        conn = UnixHTTPConnection(cold.listener)
        self.assertEqual(call(conn, b"one").status, 200)
        conn.close()
        consumer = Runtime(function_path("consumer/func.py"))
        self.addCleanup(consumer.close)
        conn = UnixHTTPConnection(consumer.listener)
        self.assertEqual(call(conn, b"one").status, 502)  # nothing kept: fdk.state.get raises
        conn.close()
        self.assertIn("no state kept as 'marker'", consumer.stderr())


if __name__ == "__main__":
    unittest.main()

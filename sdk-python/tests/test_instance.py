"""A cold instance: Fn's http-stream contract on FN_LISTENER, driven like the invoker drives it."""

import os
import shutil
import socket
import tempfile
import threading
import time
import unittest

from tests.support import (PYTHON, Answer, Runtime, UnixHTTPConnection, call, deadline_in,
                           function_path)


class FnApiTest(unittest.TestCase):
    """One instance of a function written against Fn's FDK API."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.runtime = Runtime(function_path("api_func.py"), env={"GREETING": "hi there"})

    @classmethod
    def tearDownClass(cls) -> None:
        cls.runtime.close()

    def setUp(self) -> None:
        self.conn = UnixHTTPConnection(self.runtime.listener)

    def tearDown(self) -> None:
        self.conn.close()

    def act(self, action: str, body: bytes = b"", **kwargs) -> Answer:
        headers = {"X-Action": action}
        headers.update(kwargs.pop("headers", {}))
        return call(self.conn, body, headers=headers, **kwargs)

    def test_socket_is_open_to_everyone(self) -> None:
        self.assertEqual(os.stat(self.runtime.listener).st_mode & 0o777, 0o666)

    def test_context_shows_ids_config_and_headers(self) -> None:
        deadline = deadline_in(30)
        answer = call(self.conn, b"payload", call_id="call-42",
                      headers={"X-Action": "describe", "Fn-Deadline": deadline, "X-Extra": "e"})
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.header("Content-Type"), "application/json")
        ctx = answer.json()
        self.assertEqual(ctx["app_id"], "app-1")
        self.assertEqual(ctx["fn_id"], "fn-1")
        self.assertEqual(ctx["app_name"], "myapp")
        self.assertEqual(ctx["fn_name"], "myfn")
        self.assertEqual(ctx["call_id"], "call-42")
        self.assertEqual(ctx["greeting"], "hi there")
        self.assertEqual(ctx["deadline"], deadline)
        self.assertEqual(ctx["format"], "http-stream")
        self.assertEqual(ctx["headers"]["x-extra"], "e")
        self.assertEqual(ctx["headers"]["fn-call-id"], "call-42")
        self.assertEqual(ctx["http_headers"], {})
        self.assertIsNone(ctx["method"])
        self.assertEqual(ctx["body"], "payload")

    def test_http_trigger_headers_are_translated_both_ways(self) -> None:
        answer = self.act("describe", b"{}", headers={
            "Fn-Intent": "httprequest", "Fn-Http-Method": "PUT",
            "Fn-Http-Request-Url": "http://host/t/app/path?q=1",
            "Fn-Http-H-Accept": "text/html", "Fn-Http-H-X-Action": "describe"})
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.header("Fn-Http-Status"), "200")
        ctx = answer.json()
        self.assertEqual(ctx["method"], "PUT")
        self.assertEqual(ctx["request_url"], "http://host/t/app/path?q=1")
        self.assertEqual(ctx["http_headers"], {"accept": "text/html", "x-action": "describe"})
        self.assertEqual(ctx["headers"]["accept"], "text/html")
        self.assertEqual(ctx["headers"]["fn-intent"], "httprequest")

        made = self.act("respond", headers={"Fn-Intent": "httprequest",
                                            "Fn-Http-H-X-Action": "respond",
                                            "Fn-Http-H-X-Status": "404"})
        self.assertEqual(made.status, 200)  # only 200/502/504 reach the platform as status
        self.assertEqual(made.header("Fn-Http-Status"), "404")
        self.assertEqual(made.header("Fn-Http-H-X-Out"), "1")
        self.assertEqual(made.headers.get_all("Fn-Http-H-Set-Cookie"), ["a=1", "b=2"])
        self.assertEqual(made.header("Content-Type"), "text/plain")
        self.assertIsNone(made.header("X-Out"))
        self.assertTrue(made.header("Fn-Fdk-Version").startswith("fdk-python/"))
        self.assertEqual(made.body, b"made")

    def test_response_status_and_headers_without_trigger(self) -> None:
        made = self.act("respond", headers={"X-Status": "201"})
        self.assertEqual(made.status, 200)
        self.assertIsNone(made.header("Fn-Http-Status"))
        self.assertEqual(made.header("X-Out"), "1")
        self.assertEqual(made.body, b"made")
        failed = self.act("fail502")
        self.assertEqual(failed.status, 502)
        self.assertEqual(failed.body, b"upstream down")

    def test_set_response_headers_then_return_a_value(self) -> None:
        answer = self.act("set_headers", headers={"Fn-Intent": "httprequest",
                                                  "Fn-Http-H-X-Action": "set_headers"})
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.header("Fn-Http-Status"), "202")
        self.assertEqual(answer.header("Fn-Http-H-X-Set"), "yes")
        self.assertEqual(answer.body, b"with headers")

    def test_return_types(self) -> None:
        text = self.act("str")
        self.assertEqual((text.status, text.body), (200, b"plain text"))
        self.assertEqual(text.header("Content-Type"), "text/plain; charset=utf-8")
        raw = self.act("bytes")
        self.assertEqual(raw.body, bytes(range(256)))
        self.assertEqual(raw.header("Content-Type"), "application/octet-stream")
        doc = self.act("dict")
        self.assertEqual(doc.json(), {"answer": 42, "list": [1, 2]})
        self.assertEqual(doc.header("Content-Type"), "application/json")
        empty = self.act("none")
        self.assertEqual((empty.status, empty.body), (200, b""))

    def test_exception_is_fn_502_and_its_text_goes_only_to_stderr(self) -> None:
        answer = self.act("fail", b"zero")
        self.assertEqual(answer.status, 502)
        self.assertEqual(answer.header("Content-Type"), "application/json; charset=utf-8")
        self.assertEqual(answer.json(), {"message": "function failed"})
        other = self.act("fail", b"x", headers={"Fn-Intent": "httprequest",
                                               "Fn-Http-H-X-Action": "fail"})
        self.assertEqual(other.status, 502)
        self.assertEqual(other.header("Fn-Http-Status"), "502")
        self.assertEqual(other.json(), {"message": "function failed"})
        stderr = self.runtime.stderr()
        self.assertIn("Traceback (most recent call last)", stderr)
        self.assertIn("ZeroDivisionError: division by zero", stderr)
        self.assertIn("invalid literal for int()", stderr)
        self.assertIn(function_path("api_func.py"), stderr)
        self.assertEqual(self.act("str").body, b"plain text")  # the instance lives on

    def test_failures_outside_the_handler_body_do_not_reach_the_caller_either(self) -> None:
        unencodable = self.act("unencodable")
        self.assertEqual((unencodable.status, unencodable.json()),
                         (502, {"message": "function failed"}))
        own_timeout = self.act("own_timeout")
        self.assertEqual(own_timeout.status, 504)
        self.assertEqual(own_timeout.json(), {"message": "function timed out"})
        stderr = self.runtime.stderr()
        self.assertIn("LookupError: unknown encoding: no-such-codec", stderr)
        self.assertIn("TimeoutError: backend at /srv/secret/db.sock did not answer", stderr)
        for answer in (unencodable, own_timeout):
            self.assertNotIn(b"secret", answer.body)

    def test_overrunning_the_deadline_is_504_and_the_instance_lives_on(self) -> None:
        started = time.monotonic()
        answer = self.act("sleep", b"20", deadline_s=0.3)
        self.assertEqual(answer.status, 504)
        self.assertLess(time.monotonic() - started, 10)
        self.assertIn("deadline", answer.json()["message"])
        swallowed = self.act("swallow", b"20", deadline_s=0.3)
        self.assertEqual(swallowed.status, 504)  # even when the handler catches the timeout
        late = self.act("str", deadline_s=-1)
        self.assertEqual(late.status, 504)
        self.assertEqual(self.act("sleep", b"0.01", deadline_s=10).body, b"slept")

    def test_large_body_round_trip(self) -> None:
        payload = os.urandom(16 * 1024 * 1024 + 3)
        answer = self.act("echo", payload)
        self.assertEqual(answer.status, 200)
        self.assertEqual(len(answer.body), len(payload))
        self.assertEqual(answer.body, payload)

    def test_keep_alive_many_sequential_calls_on_one_connection(self) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(self.runtime.listener)
            reader = sock.makefile("rb")
            for i in range(300):
                body = "call {}".format(i).encode()
                sock.sendall(b"POST /call HTTP/1.1\r\nHost: x\r\nX-Action: echo\r\n"
                             b"Fn-Call-Id: c%d\r\nContent-Length: %d\r\n\r\n%s"
                             % (i, len(body), body))
                status = reader.readline()
                self.assertEqual(status, b"HTTP/1.1 200 OK\r\n", "call {}".format(i))
                length = None
                while True:
                    line = reader.readline()
                    if line == b"\r\n":
                        break
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    if name.lower() == "connection":
                        self.assertEqual(value.strip(), "keep-alive")
                self.assertEqual(reader.read(length), body)

    def test_chunked_and_pipelined_requests(self) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(self.runtime.listener)
            chunked = (b"POST /call HTTP/1.1\r\nX-Action: echo\r\nTransfer-Encoding: chunked\r\n"
                       b"\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n")
            plain = b"POST /call HTTP/1.1\r\nX-Action: echo\r\nContent-Length: 3\r\n\r\nbye"
            sock.sendall(chunked + plain)
            reader = sock.makefile("rb")
            bodies = []
            for _ in range(2):
                self.assertEqual(reader.readline(), b"HTTP/1.1 200 OK\r\n")
                headers = {}
                while True:
                    line = reader.readline()
                    if line == b"\r\n":
                        break
                    name, _, value = line.decode().partition(":")
                    headers[name.lower()] = value.strip()
                bodies.append(reader.read(int(headers["content-length"])))
            self.assertEqual(bodies, [b"hello, world", b"bye"])

    def test_concurrent_connections_are_all_answered(self) -> None:
        results = {}

        def worker(n: int) -> None:
            conn = UnixHTTPConnection(self.runtime.listener)
            try:
                results[n] = call(conn, b"0.05", headers={"X-Action": "sleep"}).body
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual(results, {n: b"slept" for n in range(4)})

    def test_wrong_method_path_and_malformed_requests(self) -> None:
        self.assertEqual(call(self.conn, method="GET").status, 405)
        self.conn.close()
        self.assertEqual(call(self.conn, path="/other").status, 404)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(self.runtime.listener)
            sock.sendall(b"NONSENSE\r\n\r\n")
            self.assertTrue(sock.recv(4096).startswith(b"HTTP/1.1 400 "))
        self.assertEqual(self.act("str").status, 200)

    def test_stdout_and_logging_reach_the_files_by_the_end_of_the_call(self) -> None:
        answer = self.act("log", call_id="call-log-7")
        self.assertEqual(answer.body, b"logged")
        self.assertIn("printed-call-log-7\n", self.runtime.stdout())
        self.assertIn("call-log-7 - root - INFO - logged-call-log-7", self.runtime.stderr())


class EntryPointTest(unittest.TestCase):

    def start(self, *args, **kwargs) -> Runtime:
        runtime = Runtime(*args, **kwargs)
        self.addCleanup(runtime.close)
        return runtime

    def test_async_handler(self) -> None:
        self.runtime = self.start(function_path("api_func.py"), "async_handler")
        conn = UnixHTTPConnection(self.runtime.listener)
        self.assertEqual(call(conn, b"0.01").json(), {"async": True, "delay": 0.01})
        self.assertEqual(call(conn, b"10", deadline_s=0.3).status, 504)
        self.assertEqual(call(conn, b"0").status, 200)
        conn.close()

    def test_legacy_fdk_handle_entry(self) -> None:
        self.runtime = self.start("", argv=[PYTHON, function_path("legacy_func.py")])
        conn = UnixHTTPConnection(self.runtime.listener)
        self.assertEqual(call(conn, b"hello").body, b"legacy says hello")
        conn.close()

    def test_handler_exiting_ends_the_instance(self) -> None:
        self.runtime = self.start(function_path("api_func.py"))
        conn = UnixHTTPConnection(self.runtime.listener)
        with self.assertRaises((ConnectionError, OSError)):
            call(conn, headers={"X-Action": "exit"})
        self.assertEqual(self.runtime.proc.wait(10), 3)
        conn.close()

    def test_missing_handler_fails_to_start_with_a_clear_message(self) -> None:
        self.runtime = self.start(function_path("api_func.py"), "no_such_handler", wait=False)
        self.assertEqual(self.runtime.proc.wait(20), 1)
        self.assertIn("has no callable 'no_such_handler'", self.runtime.stderr())
        self.assertFalse(os.path.exists(self.runtime.listener))

    def test_import_failure_is_fn_502_with_the_traceback_in_the_log(self) -> None:
        ready = os.path.join(self.start_dir(), "ready")
        self.runtime = self.start(function_path("broken_import_func.py"),
                                  env={"READY_FILE": ready})
        stderr_at_start = self.runtime.stderr()
        self.assertIn("RuntimeError: cannot read /srv/secret/config.yaml", stderr_at_start)
        conn = UnixHTTPConnection(self.runtime.listener)
        self.addCleanup(conn.close)
        for call_id in ("first", "second"):
            answer = call(conn, call_id=call_id)
            self.assertEqual(answer.status, 502)
            self.assertEqual(answer.json(), {"message": "function failed"})
        # Each call retried the import: its traceback is in that call's part of the log.
        self.assertEqual(self.runtime.stderr().count("RuntimeError: cannot read /srv/secret/"), 3)
        open(ready, "w").close()
        self.assertEqual(call(conn).body, b"imported at last")
        self.assertEqual(call(conn).body, b"imported at last")

    def start_dir(self) -> str:
        directory = tempfile.mkdtemp(prefix="cleave-sdk-test-")
        self.addCleanup(shutil.rmtree, directory, True)
        return directory

    def test_missing_listener_env_is_an_error(self) -> None:
        self.runtime = self.start(function_path("api_func.py"), env={"FN_LISTENER": ""},
                               wait=False)
        self.assertNotEqual(self.runtime.proc.wait(20), 0)
        self.assertIn("FN_LISTENER is not set", self.runtime.stderr())


if __name__ == "__main__":
    unittest.main()


class RehearsalTest(unittest.TestCase):
    """What a seed runs before forking to warm the runtime's call path for its children."""

    def test_rehearsal_writes_nothing_and_leaves_the_timer_and_alarm_handler_alone(self) -> None:
        import contextlib
        import io
        import signal

        from fdk.instance import rehearse_call_path

        before = signal.getsignal(signal.SIGALRM)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rehearse_call_path()
        self.assertEqual("", out.getvalue() + err.getvalue())
        self.assertIs(before, signal.getsignal(signal.SIGALRM))
        self.assertEqual((0.0, 0.0), signal.getitimer(signal.ITIMER_REAL))

    def test_rehearsal_leaves_the_call_path_quickened_for_children(self) -> None:
        # CPython 3.11+ quickens a function's bytecode once it was entered 8 times: a seed's
        # children inherit the rehearsed call path in that form instead of each rewriting it on
        # its first call. Run in a process of its own, where nothing ran the call path before.
        import subprocess
        import sys

        from fdk.instance import rehearse_call_path
        from tests.support import SDK_DIR

        if not hasattr(rehearse_call_path.__code__, "_co_code_adaptive"):
            self.skipTest("this Python does not show quickened bytecode")
        probe = (
            "from fdk import server\n"
            "from fdk.instance import rehearse_call_path\n"
            "from fdk.runner import Dispatcher\n"
            "rehearse_call_path()\n"
            "for f in (server.parse_head, server.encode_reply, Dispatcher.call):\n"
            "    print(f.__qualname__, f.__code__._co_code_adaptive != f.__code__.co_code)\n")
        out = subprocess.run([sys.executable, "-c", probe], cwd=SDK_DIR, capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertEqual(["parse_head True", "encode_reply True", "Dispatcher.call True"],
                         out.stdout.split("\n")[:3])

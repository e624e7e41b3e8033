"""Fn FDK's public surface beyond handle/context/response: fixtures, errors, log, version,
event_handler, async_http, start; and a function with README-style inline tests, run in-process
and served by the runtime."""

import asyncio
import importlib.util
import inspect
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest

import fdk
from fdk import constants, context, fixtures, response
from tests.support import PYTHON, SDK_DIR, Runtime, UnixHTTPConnection, call, function_path

# What pytest-asyncio does for the inline tests, when pytest is not installed: mark.asyncio
# leaves the coroutine function as it is, and the test runs it on an event loop.
PYTEST_STANDIN = '''
class _Mark:
    def __getattr__(self, name):
        return lambda fn: fn

mark = _Mark()
'''


# Looked up before any stand-in is installed.
PYTEST_INSTALLED = importlib.util.find_spec("pytest") is not None


def load_inline_test_module() -> types.ModuleType:
    if not PYTEST_INSTALLED and "pytest" not in sys.modules:
        standin = types.ModuleType("pytest")
        exec(PYTEST_STANDIN, standin.__dict__)
        sys.modules["pytest"] = standin
    spec = importlib.util.spec_from_file_location("fixtures_func", function_path("fixtures_func.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_fixture(handle_func, **kwargs):
    """fdk-python's own test style: one event loop to set the call up, another to run it."""
    prepared = asyncio.run(fixtures.setup_fn_call(handle_func, **kwargs))
    return asyncio.run(prepared)


class InlineTestsTest(unittest.TestCase):
    """The README-style function's own tests, run against Cleave's fdk."""

    def setUp(self) -> None:
        self.module = load_inline_test_module()
        self.tests = {name: fn for name, fn in vars(self.module).items()
                      if name.startswith("test_") and inspect.iscoroutinefunction(fn)}

    def test_every_inline_test_passes(self) -> None:
        self.assertEqual(len(self.tests), 4)
        for name, test in sorted(self.tests.items()):
            with self.subTest(name):
                asyncio.run(test())

    def test_inline_tests_notice_a_broken_handler(self) -> None:
        self.module.handler = lambda ctx, data=None: response.Response(
            ctx, response_data="{}", status_code=500)
        for name, test in sorted(self.tests.items()):
            with self.subTest(name), self.assertRaises(AssertionError):
                asyncio.run(test())


class FixturesTest(unittest.TestCase):

    def test_plain_return_values_and_data_as_given(self) -> None:
        seen = []

        def handler(ctx, data=None):
            seen.append(data)
            return "got {!r}".format(data)

        content, status, headers = run_fixture(handler)
        self.assertEqual((content, status), ("got None", 200))
        self.assertEqual(headers[constants.FN_FDK_VERSION], constants.VERSION_HEADER_VALUE)
        content, _, _ = run_fixture(handler, content=b"raw")
        self.assertEqual(content, "got b'raw'")
        self.assertEqual(seen, [None, b"raw"])

    def test_context_has_the_headers_method_url_and_a_deadline(self) -> None:
        captured = {}

        def handler(ctx, data=None):
            captured["ctx"] = ctx
            return response.Response(ctx, response_data="OK", status_code=201)

        content, status, _ = run_fixture(handler, request_url="/a/b?c=1", method="PUT",
                                         headers={"x-custom": "yes"})
        self.assertEqual((content, status), ("OK", 201))
        ctx = captured["ctx"]
        self.assertIsInstance(ctx, context.InvokeContext)
        self.assertEqual(ctx.RequestURL(), "/a/b?c=1")
        self.assertEqual(ctx.Method(), "PUT")
        self.assertEqual(ctx.Headers()["x-custom"], "yes")
        self.assertEqual(ctx.HTTPHeaders(), {})
        self.assertTrue(ctx.Deadline() > ctx.Deadline()[:4])  # an ISO time was set

    def test_gateway_calls_see_client_headers_and_answer_prefixed_ones(self) -> None:
        captured = {}

        def handler(ctx, data=None):
            captured["http"] = ctx.HTTPHeaders()
            return response.Response(ctx, response_data="OK", status_code=404,
                                     headers={"Content-Type": "text/x", "X-Out": "1"})

        content, status, headers = run_fixture(handler, gateway=True,
                                               headers={"X-In": "a"})
        self.assertEqual(captured["http"], {"x-in": "a"})
        self.assertEqual(status, 404)
        self.assertEqual(headers["fn-http-status"], "404")
        self.assertEqual(headers["fn-http-h-x-out"], "1")
        self.assertEqual(headers["content-type"], "text/x")
        self.assertNotIn("Content-Type", headers)

    def test_raw_call_keeps_the_headers_as_given(self) -> None:
        captured = {}

        def handler(ctx, data=None):
            captured["headers"] = ctx.Headers()
            return "OK"

        prepared = asyncio.run(fixtures.setup_fn_call_raw(
            handler, headers={"fn-intent": "httprequest", "fn-http-h-a": "1", "b": "2"}))
        self.assertEqual(asyncio.run(prepared)[0], "OK")
        self.assertEqual(captured["headers"]["a"], "1")
        self.assertEqual(captured["headers"]["b"], "2")
        self.assertNotIn(constants.FN_DEADLINE, captured["headers"])

    def test_errors_coroutines_and_bytes(self) -> None:
        def failing(ctx, data=None):
            raise Exception("custom_error")

        async def coro(ctx, data=None):
            await asyncio.sleep(0)
            return "from a coroutine"

        content, status, headers = run_fixture(failing)
        self.assertEqual((content, status), ("custom_error", 502))
        self.assertEqual(headers["content-type"], "application/json; charset=utf-8")
        self.assertEqual(run_fixture(coro)[:2], ("from a coroutine", 200))
        binary = run_fixture(lambda ctx, data=None: response.Response(ctx, response_data=b"\x01\x02"))
        self.assertEqual(binary[0], b"\x01\x02")

    def test_setup_headers(self) -> None:
        plain = fixtures.setup_headers(headers={"a": "1"})
        self.assertEqual(plain["a"], "1")
        self.assertEqual(plain[constants.FN_HTTP_METHOD], "POST")
        self.assertEqual(plain[constants.FN_HTTP_REQUEST_URL], "/")
        self.assertIn(constants.FN_DEADLINE, plain)
        wrapped = fixtures.setup_headers(headers={"A": "1"}, gateway=True, deadline="d")
        self.assertEqual(wrapped["fn-http-h-a"], "1")
        self.assertEqual(wrapped[constants.FN_INTENT], "httprequest")
        self.assertEqual(wrapped[constants.FN_DEADLINE], "d")
        self.assertEqual(fixtures.code(len).handler(), len)
        self.assertEqual(fixtures.fake_request().body, b"")


class EventHandlerTest(unittest.TestCase):

    def answer(self, handle_func, gateway=True):
        endpoint = fdk.event_handler.event_handle(fixtures.code(handle_func))
        return asyncio.run(endpoint(fixtures.fake_request(gateway=gateway)))

    def test_only_200_502_504_reach_the_platform(self) -> None:
        for made, wire in ((404, 200), (201, 200), (502, 502), (504, 504)):
            resp = self.answer(lambda ctx, data=None, s=made: response.Response(ctx, status_code=s))
            self.assertIsInstance(resp, fdk.async_http.response.HTTPResponse)
            self.assertEqual(resp.status, wire)
            self.assertEqual(resp.headers.get("Fn-Http-Status"), str(made))

    def test_body_and_raised_errors(self) -> None:
        ok = self.answer(lambda ctx, data=None: "hello", gateway=False)
        self.assertEqual((ok.status, ok.body), (200, b"hello"))
        self.assertEqual(ok.content_type, "text/plain; charset=utf-8")
        failed = self.answer(lambda ctx, data=None: 1 / 0, gateway=False)
        self.assertEqual(failed.status, 502)

    def test_log_frame_goes_to_stdout_and_stderr(self) -> None:
        script = ("import fdk.event_handler as e\n"
                  "e.fn_logframe_name, e.fn_logframe_hdr = 'foo', 'Fn-Call-Id'\n"
                  "e.log_frame_header({'fn-call-id': 12345})\n")
        done = subprocess.run([PYTHON, "-c", script], env={"PYTHONPATH": SDK_DIR},
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("\nfoo=12345\n", done.stdout)
        self.assertIn("\nfoo=12345\n", done.stderr)


class ModulesTest(unittest.TestCase):

    def test_errors_dispatch_exception_becomes_its_response(self) -> None:
        ctx, _ = context.context_from_format(constants.HTTPSTREAM, headers={})
        resp = fdk.errors.DispatchException(ctx, 504, "too slow").response()
        self.assertEqual((resp.status(), resp.body()), (504, "too slow"))
        self.assertEqual(ctx.GetResponseHeaders()["content-type"], "application/json; charset=utf-8")

    def test_version_is_the_one_in_the_header(self) -> None:
        self.assertEqual(constants.VERSION_HEADER_VALUE,
                         "fdk-python/{}+cleave".format(fdk.version.VERSION))

    def test_async_http_response_on_the_wire(self) -> None:
        http = fdk.async_http.response
        wire = http.json({"a": 1}, status=201, headers={"X-A": "b"}).output()
        head, body = wire.split(b"\r\n\r\n", 1)
        self.assertEqual(body, b'{"a":1}')
        self.assertTrue(head.startswith(b"HTTP/1.1 201 Created\r\n"))
        self.assertIn(b"content-type: application/json", head)
        self.assertIn(b"content-length: 7", head)
        self.assertEqual(http.redirect("/x y").headers["Location"], "/x+y")
        self.assertEqual(http.raw(b"\x00").body, b"\x00")

    def test_log_log_writes_only_with_fdk_debug(self) -> None:
        script = "import fdk\nfdk.log.log('fdk debug line')\n"
        env = {"PYTHONPATH": SDK_DIR}
        quiet = subprocess.run([PYTHON, "-c", script], env=env, capture_output=True, text=True,
                               timeout=30)
        loud = subprocess.run([PYTHON, "-c", script], env=dict(env, FDK_DEBUG="1"),
                              capture_output=True, text=True, timeout=30)
        self.assertEqual((quiet.returncode, loud.returncode), (0, 0), quiet.stderr + loud.stderr)
        self.assertNotIn("fdk debug line", quiet.stderr)
        self.assertIn("None - fdk - DEBUG - fdk debug line", loud.stderr)

    def test_unknown_attribute_is_still_an_error(self) -> None:
        with self.assertRaises(AttributeError):
            fdk.no_such_module  # noqa: B018

    def test_start_serves_on_a_socket(self) -> None:
        directory = tempfile.mkdtemp(prefix="cleave-sdk-start-")
        self.addCleanup(shutil.rmtree, directory, True)
        sock = os.path.join(directory, "fn.sock")
        script = ("import fdk\nfrom fdk import fixtures\n"
                  "fdk.start(fixtures.code(lambda ctx, data=None: 'started: ' + "
                  "data.getvalue().decode()), 'unix:{}')\n".format(sock))
        runtime = Runtime("", argv=[PYTHON, "-c", script], wait=False)
        self.addCleanup(runtime.close)
        from tests.support import wait_for_path
        wait_for_path(sock, runtime.proc)
        conn = UnixHTTPConnection(sock)
        self.addCleanup(conn.close)
        self.assertEqual(call(conn, b"yes").body, b"started: yes")


class ServedUnchangedTest(unittest.TestCase):
    """The README-style function deployed with its requirements in .python_packages (where the
    deploy installs them), one of which vendors fdk-python itself: Cleave's fdk still serves."""

    def setUp(self) -> None:
        self.bundle = tempfile.mkdtemp(prefix="cleave-sdk-bundle-")
        self.addCleanup(shutil.rmtree, self.bundle, True)
        shutil.copy(function_path("fixtures_func.py"), os.path.join(self.bundle, "func.py"))
        packages = os.path.join(self.bundle, ".python_packages")
        os.makedirs(os.path.join(packages, "fdk"))
        with open(os.path.join(packages, "fdk", "__init__.py"), "w") as f:
            f.write("raise ImportError('the vendored fdk-python shadowed Cleave\\'s runtime')\n")
        if not PYTEST_INSTALLED:
            with open(os.path.join(packages, "pytest.py"), "w") as f:
                f.write(PYTEST_STANDIN)
        self.runtime = Runtime(os.path.join(self.bundle, "func.py"),
                               env={"PYTHONPATH": SDK_DIR + os.pathsep + packages})
        self.addCleanup(self.runtime.close)
        self.conn = UnixHTTPConnection(self.runtime.listener)
        self.addCleanup(self.conn.close)

    def test_answers_as_its_inline_tests_expect(self) -> None:
        answer = call(self.conn, json.dumps({"who": "Ada"}).encode())
        self.assertEqual(answer.status, 200, answer.body)
        self.assertEqual(answer.json(), {"greeting": "Good day, Ada"})
        self.assertTrue(answer.header("Fn-Fdk-Version").endswith("+cleave"))
        trigger = call(self.conn, b"", headers={"Fn-Intent": "httprequest"})
        self.assertEqual(trigger.header("Fn-Http-H-X-Greeter"), "fixtures_func")
        refused = call(self.conn, b'{"who": "nobody"}')
        self.assertEqual((refused.status, refused.json()), (502, {"message": "function failed"}))
        self.assertIn("ValueError: nobody is not a name", self.runtime.stderr())
        self.assertNotIn("shadowed", self.runtime.stderr())


if __name__ == "__main__":
    unittest.main()

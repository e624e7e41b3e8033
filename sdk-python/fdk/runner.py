"""Runs one call: builds the context, calls the handler within its deadline, turns whatever it
returned (or raised) into the HTTP answer Fn's FDK would give."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import sys
import time
import types

from fdk import constants
from fdk import context
from fdk import response

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional
    from fdk.customer_code import Handler

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class Reply:
    """An answer to the platform: HTTP status, headers (lower-case names), body."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: Dict[str, Any], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class DeadlineExceeded(TimeoutError):
    """Raised inside a handler that runs past its call's Fn-Deadline."""


# SIGALRM raises only while a handler runs; outside it a late alarm just marks the call late.
_armed = False
_fired = False


def _on_alarm(signum: int, frame: Optional[types.FrameType]) -> None:
    global _fired
    _fired = True
    if _armed:
        raise DeadlineExceeded("function exceeded its deadline")


def install_deadline_timer() -> None:
    """Lets SIGALRM interrupt a handler that overruns its deadline (inherited by children)."""
    signal.signal(signal.SIGALRM, _on_alarm)


def parse_deadline(deadline: Optional[str]) -> Optional[float]:
    """An RFC 3339 deadline as a Unix time, or None when there is none (or it is unreadable)."""
    if not deadline:
        return None
    try:
        return dt.datetime.fromisoformat(deadline).timestamp()
    except ValueError:
        return None


def _default_content_type(data: Any) -> str:
    if isinstance(data, (dict, list)):
        return "application/json"
    if isinstance(data, (bytes, bytearray, memoryview)):
        return "application/octet-stream"
    return "text/plain; charset=utf-8"


class Dispatcher:
    """Turns calls into replies for one handler. Calls run one at a time in the main thread."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._loop: Any = None
        self._logframe_name = os.environ.get(constants.FN_LOGFRAME_NAME)
        self._logframe_hdr = (os.environ.get(constants.FN_LOGFRAME_HDR) or "").lower()
        self._log: Any = None

    def call(self, headers: Dict[str, Any], body: bytes) -> Reply:
        ctx, data = context.context_from_format(constants.HTTPSTREAM, headers=headers,
                                                data=io.BytesIO(body))
        self._before_call(ctx, headers)
        try:
            try:
                result = self._run(ctx, data, parse_deadline(headers.get(constants.FN_DEADLINE)))
            except TimeoutError as ex:
                return self._error(ctx, 504, str(ex) or "function timed out")
            except Exception as ex:
                import traceback
                traceback.print_exc()
                return self._error(ctx, 502, str(ex) or type(ex).__name__)
            return self._reply(ctx, result)
        finally:
            flush_stdio()

    def _before_call(self, ctx: context.InvokeContext, headers: Dict[str, Any]) -> None:
        # Fn's logging setup, done once the function has imported logging (importing it for
        # functions that never log would slow every cold start).
        if self._log is None and "logging" in sys.modules:
            from fdk import log
            log.configure_root_logging()
            self._log = log
        if self._log is not None:
            self._log.set_request_id(ctx.CallID())
        if self._logframe_name and self._logframe_hdr in headers:
            frame = "\n{}={}\n".format(self._logframe_name, headers[self._logframe_hdr])
            sys.stdout.write(frame)
            sys.stderr.write(frame)

    def _run(self, ctx: context.InvokeContext, data: io.BytesIO,
             deadline: Optional[float]) -> Any:
        global _armed, _fired
        timeout = None if deadline is None else deadline - time.time()
        if timeout is not None and timeout <= 0:
            raise DeadlineExceeded("deadline passed before the call started")
        _fired = False
        if timeout is not None:
            _armed = True
            signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            result = self._handler(ctx, data=data)
        finally:
            _armed = False
            if timeout is not None:
                signal.setitimer(signal.ITIMER_REAL, 0)
        if _fired:
            raise DeadlineExceeded("function exceeded its deadline")
        if isinstance(result, types.CoroutineType):
            result = self._await(result, deadline)
        return result

    def _await(self, coroutine: Any, deadline: Optional[float]) -> Any:
        # A coroutine runs on the runtime's own event loop; asyncio enforces its deadline
        # (SIGALRM would leave the loop half-way through a step).
        import asyncio
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        timeout = None if deadline is None else deadline - time.time()
        if timeout is not None and timeout <= 0:
            coroutine.close()
            raise DeadlineExceeded("function exceeded its deadline")
        return self._loop.run_until_complete(asyncio.wait_for(coroutine, timeout))

    def _reply(self, ctx: context.InvokeContext, result: Any) -> Reply:
        if not isinstance(result, response.Response):
            result = response.Response(ctx, response_data=result, status_code=ctx.ResponseStatus())
        headers = result.context().GetResponseHeaders()
        if constants.CONTENT_TYPE not in headers:
            headers[constants.CONTENT_TYPE] = _default_content_type(result.body())
        status = result.status()
        if status not in constants.FN_ENFORCED_RESPONSE_CODES:
            status = constants.FN_DEFAULT_RESPONSE_CODE
        return Reply(status, headers, result.body_bytes())

    def _error(self, ctx: context.InvokeContext, status: int, message: str) -> Reply:
        failed = response.Response(ctx, response_data=json.dumps({"message": message}),
                                   headers={constants.CONTENT_TYPE: JSON_CONTENT_TYPE},
                                   status_code=status)
        return Reply(status, failed.context().GetResponseHeaders(), failed.body_bytes())


def flush_stdio() -> None:
    """Writes out Python's stdout/stderr buffers (the invoker cuts each call's logs from the
    output file by offset, so they must be there by the time the call is answered)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass

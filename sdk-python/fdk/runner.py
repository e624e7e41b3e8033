"""Runs one call: builds the context, calls the handler within its deadline, turns whatever it
returned (or raised) into the HTTP answer Fn gives.

A handler that raises (or whose module failed to import) answers 502 ``{"message": "function
failed"}``, Fn's own words to the caller: the platform passes the answer on, so the exception's
text and traceback (server paths) go to stderr, the call's log, never to the caller.

``handle_request`` is Fn FDK's coroutine of the same name, used by ``fdk.fixtures`` and
``fdk.event_handler`` in unit tests; like Fn's FDK it answers a failure with the exception's text.
"""

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
# What Fn tells a caller when the FDK answers 502, and when a call runs out of time.
FAILED_MESSAGE = "function failed"
TIMED_OUT_MESSAGE = "function timed out"


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


def drop_kept_state() -> None:
    state = sys.modules.get("fdk.state")  # never imported: nothing was kept
    if state is not None:
        state.clear()


class Dispatcher:
    """Turns calls into replies for one handler. Calls run one at a time in the main thread."""

    def __init__(self, handler: Handler, keeps_state: bool = False) -> None:
        self._handler = handler
        # Only a kept instance (and a child forked from one) holds fdk.state past a call; any
        # other instance drops it, so a warm instance never carries one call's state into the next.
        self._keeps_state = keeps_state
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
                # Inside the try: turning the result into bytes runs the function's own code
                # (``__str__``, an encoding it named) and may fail like the handler.
                return self._reply(ctx, result)
            except DeadlineExceeded as ex:
                return self._error(ctx, 504, str(ex))
            except TimeoutError:
                print_traceback()
                return self._error(ctx, 504, TIMED_OUT_MESSAGE)
            except Exception:
                print_traceback()
                return self._error(ctx, 502, FAILED_MESSAGE)
        finally:
            flush_stdio()
            if not self._keeps_state:
                drop_kept_state()

    def _before_call(self, ctx: context.InvokeContext, headers: Dict[str, Any]) -> None:
        # Fn's logging setup, done once the function has imported logging (importing it for
        # functions that never log would slow every cold start).
        if self._log is None and "logging" in sys.modules:
            from fdk import log
            log.configure_root_logging()
            self._log = log
        if self._log is not None:
            self._log.set_request_id(ctx.CallID())
        write_log_frame(self._logframe_name, self._logframe_hdr, headers)

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
        try:
            return self._loop.run_until_complete(asyncio.wait_for(coroutine, timeout))
        except TimeoutError:
            if deadline is not None and time.time() >= deadline:
                raise DeadlineExceeded("function exceeded its deadline") from None
            raise  # the function's own timeout

    def _reply(self, ctx: context.InvokeContext, result: Any) -> Reply:
        if not isinstance(result, response.Response):
            result = response.Response(ctx, response_data=result, status_code=ctx.ResponseStatus())
        return to_reply(result)

    def _error(self, ctx: context.InvokeContext, status: int, message: str) -> Reply:
        failed = response.Response(ctx, response_data=json.dumps({"message": message}),
                                   headers={constants.CONTENT_TYPE: JSON_CONTENT_TYPE},
                                   status_code=status)
        return Reply(status, failed.context().GetResponseHeaders(), failed.body_bytes())


def enforced_status(status: int) -> int:
    """The HTTP status the platform sees: 200, 502 or 504; any other travels in Fn-Http-Status."""
    if status in constants.FN_ENFORCED_RESPONSE_CODES:
        return status
    return constants.FN_DEFAULT_RESPONSE_CODE


def to_reply(result: response.Response) -> Reply:
    """A handler's Response as the runtime sends it to the platform."""
    headers = result.context().GetResponseHeaders()
    if constants.CONTENT_TYPE not in headers:
        headers[constants.CONTENT_TYPE] = _default_content_type(result.body())
    return Reply(enforced_status(result.status()), headers, result.body_bytes())


def write_log_frame(name: Optional[str], header: Optional[str], headers: Dict[str, Any]) -> None:
    """Fn's log frame: ``<name>=<value of the call's header>`` on a line of its own in stdout
    and stderr, so a log collector can split the output by call."""
    if not name or not header:
        return
    value = headers.get(header.lower())
    if value is not None:
        frame = "\n{}={}\n".format(name, value)
        sys.stdout.write(frame)
        sys.stderr.write(frame)


def print_traceback() -> None:
    """The exception being handled, in full, on stderr (the call's log)."""
    import traceback
    traceback.print_exc()


async def with_deadline(ctx: context.InvokeContext, handler_code: Any, data: Any) -> Any:
    """Fn FDK's step that runs a handler (``handler_code.handler()``), awaiting a coroutine.
    Unit tests only: the runtime's own calls are bounded by the Dispatcher."""
    result = handler_code.handler()(ctx, data=data)
    if isinstance(result, types.CoroutineType):
        return await result
    return result


async def handle_request(handler_code: Any, format_def: str, **kwargs: Any) -> response.Response:
    """Fn FDK's ``handle_request``: one call (``headers=``, ``data=`` as given) to a Response.

    As in Fn's FDK, a failure answers 502 (504 for a timeout) with the exception's text as body:
    a unit test sees why its handler failed. The runtime's own answers to callers never carry it.
    """
    from fdk import errors
    from fdk import log
    ctx, data = context.context_from_format(format_def, **kwargs)
    log.set_request_id(ctx.CallID())
    try:
        result = await with_deadline(ctx, handler_code, data)
    except TimeoutError as ex:
        print_traceback()
        return errors.DispatchException(ctx, 504, str(ex)).response()
    except Exception as ex:
        print_traceback()
        return errors.DispatchException(ctx, 502, str(ex)).response()
    if isinstance(result, response.Response):
        return result
    return response.Response(ctx, response_data=result, status_code=ctx.ResponseStatus())


def flush_stdio() -> None:
    """Writes out Python's stdout/stderr buffers (the invoker cuts each call's logs from the
    output file by offset, so they must be there by the time the call is answered)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass

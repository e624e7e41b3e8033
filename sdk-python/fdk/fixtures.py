"""Fn FDK's unit-test fixtures: call a handler in-process, the way the runtime would.

    from fdk import fixtures

    async def test_hello():
        call = await fixtures.setup_fn_call(handler, content=b'{"name": "John"}')
        content, status, headers = await call
        assert status == 200

``content`` is what the handler answered (``Response.body()``), ``headers`` the response headers
as they go to the platform (``Fn-Http-H-`` prefixed for a ``gateway=True`` call). The handler gets
``content`` as given (bytes or None) as its data. A handler that raises gives 502 with the
exception's text as content, as in Fn's FDK; on the platform its caller gets
``{"message": "function failed"}`` instead.
"""

from __future__ import annotations

import datetime as dt

from fdk import constants
from fdk import headers as hs
from fdk import runner

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Awaitable, Callable, Coroutine, Dict, Optional, Tuple
    from fdk.response import Response


async def process_response(fn_call_coro: Awaitable[Response]) -> Tuple[Any, int, Dict[str, Any]]:
    """Awaits a call and answers ``(content, status, headers)``."""
    resp = await fn_call_coro
    return resp.body(), resp.status(), resp.context().GetResponseHeaders()


class fake_request:
    """A request with only the headers the platform always sends, and no body."""

    def __init__(self, gateway: bool = False) -> None:
        self.headers = setup_headers(gateway=gateway)
        self.body = b""


class code:
    """A plain handler in the shape the runner takes (``customer_code.Function``)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def handler(self) -> Callable[..., Any]:
        return self.fn


def setup_headers(deadline: Optional[str] = None, headers: Optional[Dict[str, Any]] = None,
                  request_url: str = "/", method: str = "POST",
                  gateway: bool = False) -> Dict[str, Any]:
    """A call's headers as the platform sends them: ``headers`` (wrapped as an HTTP trigger's
    ``Fn-Http-H-*`` when gateway), method, request URL and a deadline (30 s from now unless
    given)."""
    if gateway:
        new_headers = hs.encap_headers(headers)
        new_headers[constants.FN_INTENT] = constants.INTENT_HTTP_REQUEST
    else:
        new_headers = dict(headers) if headers is not None else {}
    new_headers[constants.FN_HTTP_REQUEST_URL] = request_url
    new_headers[constants.FN_HTTP_METHOD] = method
    if deadline is None:
        now = dt.datetime.now(dt.timezone.utc).astimezone()
        deadline = (now + dt.timedelta(seconds=constants.DEFAULT_DEADLINE)).isoformat()
    new_headers[constants.FN_DEADLINE] = deadline
    return new_headers


async def setup_fn_call(handle_func: Callable[..., Any], request_url: str = "/",
                        method: str = "POST", headers: Optional[Dict[str, Any]] = None,
                        content: Any = None, deadline: Optional[str] = None,
                        gateway: bool = False
                        ) -> Coroutine[Any, Any, Tuple[Any, int, Dict[str, Any]]]:
    """Prepares a call of handle_func; await the answer to run it and get
    ``(content, status, headers)``."""
    new_headers = setup_headers(deadline=deadline, headers=headers, method=method,
                                request_url=request_url, gateway=gateway)
    return await setup_fn_call_raw(handle_func, content, new_headers)


async def setup_fn_call_raw(handle_func: Callable[..., Any], content: Any = None,
                            headers: Optional[Dict[str, Any]] = None
                            ) -> Coroutine[Any, Any, Tuple[Any, int, Dict[str, Any]]]:
    """Like ``setup_fn_call`` with the headers exactly as given (none added, none decoded)."""
    return process_response(runner.handle_request(
        code(handle_func), constants.HTTPSTREAM, headers=headers if headers is not None else {},
        data=content))

"""Fn FDK's ``fdk.event_handler``: a handler as an async HTTP endpoint, request in, response out.

Cleave's runtime does not serve through this module (``fdk.runner.Dispatcher`` does, with
deadlines); it gives tests that drive ``event_handle`` directly the answers Fn's FDK gives.
"""

from __future__ import annotations

import io
import os

from fdk import constants
from fdk import runner
from fdk.async_http import response

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Awaitable, Callable, Dict

# Read at import as in Fn's FDK; tests may replace them.
fn_logframe_name = os.environ.get(constants.FN_LOGFRAME_NAME)
fn_logframe_hdr = os.environ.get(constants.FN_LOGFRAME_HDR)


def event_handle(handle_code: Any) -> Callable[[Any], Awaitable[response.HTTPResponse]]:
    """An async function answering a request (``.headers``, ``.body``) with handle_code's
    ``handler()`` (a ``customer_code.Function`` or ``fixtures.code``)."""

    async def pure_handler(request: Any) -> response.HTTPResponse:
        headers = dict(request.headers)
        log_frame_header(headers)
        func_response = await runner.handle_request(
            handle_code, constants.HTTPSTREAM, headers=headers, data=io.BytesIO(request.body))
        reply = runner.to_reply(func_response)
        return response.HTTPResponse(headers=reply.headers, status=reply.status,
                                     content_type=reply.headers.get(constants.CONTENT_TYPE),
                                     body_bytes=reply.body)

    return pure_handler


def log_frame_header(headers: Dict[str, Any]) -> None:
    """Writes Fn's log frame for this call's headers when FN_LOGFRAME_NAME/_HDR are set."""
    runner.write_log_frame(fn_logframe_name, fn_logframe_hdr, headers)
    runner.flush_stdio()

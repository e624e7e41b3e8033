"""Fn FDK's error type: a failure that knows the answer it becomes."""

from __future__ import annotations

from fdk import constants
from fdk import response

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
    from fdk.context import InvokeContext

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class DispatchException(Exception):
    """A call that ends with ``status`` and ``message`` as its JSON-typed answer."""

    def __init__(self, ctx: InvokeContext, status: int, message: Any) -> None:
        super().__init__(message)
        self.ctx = ctx
        self.status = status
        self.message = message

    def response(self) -> response.Response:
        return response.Response(self.ctx, response_data=self.message,
                                 headers={constants.CONTENT_TYPE: JSON_CONTENT_TYPE},
                                 status_code=self.status)

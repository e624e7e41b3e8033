"""``fdk.response.Response``: a handler's answer with its own status and headers."""

from __future__ import annotations

import json

from fdk import constants

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping, Optional
    from fdk.context import InvokeContext


class Response:

    def __init__(self, ctx: InvokeContext, response_data: Any = None,
                 headers: Optional[Mapping[str, Any]] = None, status_code: int = 200,
                 response_encoding: str = "utf-8") -> None:
        self.ctx = ctx
        self.status_code = status_code
        self.response_data = response_data if response_data is not None else ""
        self.response_encoding = response_encoding
        all_headers = dict(headers) if headers else {}
        all_headers[constants.FN_FDK_VERSION] = constants.VERSION_HEADER_VALUE
        all_headers[constants.FN_FDK_RUNTIME] = constants.RUNTIME_HEADER_VALUE
        ctx.SetResponseHeaders(all_headers, status_code)

    def status(self) -> int:
        return self.status_code

    def body(self) -> Any:
        return self.response_data

    def body_bytes(self) -> bytes:
        data = self.response_data
        if isinstance(data, (bytes, bytearray, memoryview)):
            return bytes(data)
        if isinstance(data, str):
            return data.encode(self.response_encoding)
        if isinstance(data, (dict, list)):
            return json.dumps(data).encode(self.response_encoding)
        return str(data).encode(self.response_encoding)

    def context(self) -> InvokeContext:
        return self.ctx

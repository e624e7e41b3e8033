"""HTTP responses as Fn FDK's ``fdk.async_http.response`` has them: ``HTTPResponse`` and the
``json``/``text``/``raw``/``html``/``redirect`` helpers."""

from __future__ import annotations

import json as _json
from http import HTTPStatus
from urllib.parse import quote_plus

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Mapping, Optional

# Responses to these statuses carry no body (RFC 9110).
_NO_BODY = frozenset((204, 304))
_ENTITY_HEADERS = frozenset(("allow", "content-encoding", "content-language", "content-length",
                             "content-md5", "content-range", "content-type", "expires",
                             "last-modified", "extension-header"))


class CaseInsensitiveDict(dict):
    """A dict of header names that finds ``Content-Type`` and ``content-type`` alike (keys are
    stored lower-case)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.update(*args, **kwargs)

    @staticmethod
    def _k(key: Any) -> Any:
        return key.lower() if isinstance(key, str) else key

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._k(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(self._k(key), value)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(self._k(key))

    def __contains__(self, key: Any) -> bool:
        return super().__contains__(self._k(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._k(key), default)

    def pop(self, key: Any, *default: Any) -> Any:
        return super().pop(self._k(key), *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        return super().setdefault(self._k(key), default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


def has_message_body(status: int) -> bool:
    return status not in _NO_BODY and not 100 <= status < 200


def _encode(data: Any) -> bytes:
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    return str(data).encode("utf-8")


class HTTPResponse:
    """An HTTP answer: ``status``, ``headers`` (case-insensitive), ``body`` (bytes)."""

    __slots__ = ("body", "status", "content_type", "headers")

    def __init__(self, body: Any = None, status: int = 200,
                 headers: Optional[Mapping[str, Any]] = None, content_type: Optional[str] = "text/plain",
                 body_bytes: bytes = b"") -> None:
        self.content_type = content_type
        self.body = _encode(body) if body is not None else body_bytes
        self.status = status
        self.headers = CaseInsensitiveDict(headers or {})

    def output(self, version: str = "1.1", keep_alive: bool = False,
               keep_alive_timeout: Optional[int] = None) -> bytes:
        """The response as bytes on the wire (status line, headers, body)."""
        body = b""
        if has_message_body(self.status):
            body = self.body
            self.headers.setdefault("Content-Length", len(body))
        if self.content_type is not None:
            self.headers.setdefault("Content-Type", self.content_type)
        if self.status == 304:
            for name in [n for n in self.headers if n in _ENTITY_HEADERS]:
                del self.headers[name]
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "UNKNOWN RESPONSE"
        lines = ["HTTP/{} {} {}".format(version, self.status, reason),
                 "Connection: {}".format("keep-alive" if keep_alive else "close")]
        if keep_alive and keep_alive_timeout is not None:
            lines.append("Keep-Alive: {}".format(keep_alive_timeout))
        lines.extend("{}: {}".format(name, value) for name, value in self.headers.items())
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def json(body: Any, status: int = 200, headers: Optional[Mapping[str, Any]] = None,
         content_type: str = "application/json",
         dumps: Callable[..., str] = _json.dumps, **kwargs: Any) -> HTTPResponse:
    kwargs.setdefault("separators", (",", ":"))
    return HTTPResponse(dumps(body, **kwargs), status=status, headers=headers,
                        content_type=content_type)


def text(body: str, status: int = 200, headers: Optional[Mapping[str, Any]] = None,
         content_type: str = "text/plain; charset=utf-8") -> HTTPResponse:
    return HTTPResponse(body, status=status, headers=headers, content_type=content_type)


def raw(body: bytes, status: int = 200, headers: Optional[Mapping[str, Any]] = None,
        content_type: str = "application/octet-stream") -> HTTPResponse:
    return HTTPResponse(body_bytes=body, status=status, headers=headers,
                        content_type=content_type)


def html(body: str, status: int = 200,
         headers: Optional[Mapping[str, Any]] = None) -> HTTPResponse:
    return HTTPResponse(body, status=status, headers=headers,
                        content_type="text/html; charset=utf-8")


def redirect(to: str, headers: Optional[Mapping[str, Any]] = None, status: int = 302,
             content_type: str = "text/html; charset=utf-8") -> HTTPResponse:
    all_headers = dict(headers or {})
    all_headers["Location"] = quote_plus(to, safe=":/%#?&=@[]!$&'()*+,;")
    return HTTPResponse(status=status, headers=all_headers, content_type=content_type)

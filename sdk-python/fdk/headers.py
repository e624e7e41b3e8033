"""Fn's HTTP-trigger header translation.

A call that came through an HTTP trigger carries the client's headers as ``Fn-Http-H-<name>``;
the function's own response headers go back the same way, plus ``Fn-Http-Status``.
"""

from __future__ import annotations

from fdk import constants

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Mapping, Optional
    HeaderValue = Any  # a str, or a list of str for a repeated header

# Kept under their own name when encapsulated: the platform reads them itself.
_UNPREFIXED = frozenset((constants.CONTENT_TYPE, constants.FN_FDK_VERSION,
                         constants.FN_FDK_RUNTIME))


def push_header(target: Dict[str, HeaderValue], key: str, value: HeaderValue) -> None:
    """Adds a value under key; a repeated key collects its values in a list."""
    current = target.get(key)
    if current is None:
        target[key] = value
        return
    merged = list(current) if isinstance(current, list) else [current]
    merged.extend(value if isinstance(value, list) else [value])
    target[key] = merged


def decap_headers(headers: Optional[Mapping[str, HeaderValue]],
                  merge: bool = True) -> Dict[str, HeaderValue]:
    """The client's headers of an HTTP-trigger call, names lower-cased.

    With merge, the platform's own headers are kept too, unless a client header has that name.
    """
    http: Dict[str, HeaderValue] = {}
    if not headers:
        return http
    prefix_len = len(constants.FN_HTTP_PREFIX)
    for name, value in headers.items():
        name = name.lower()
        if name.startswith(constants.FN_HTTP_PREFIX):
            push_header(http, name[prefix_len:], value)
    if merge:
        for name, value in headers.items():
            name = name.lower()
            if not name.startswith(constants.FN_HTTP_PREFIX) and name not in http:
                http[name] = value
    return http


def encap_headers(headers: Optional[Mapping[str, HeaderValue]],
                  status: Optional[int] = None) -> Dict[str, HeaderValue]:
    """A function's response headers as an HTTP trigger sends them back to the platform."""
    wire: Dict[str, HeaderValue] = {}
    if headers:
        for name, value in headers.items():
            name = name.lower()
            if name in _UNPREFIXED:
                wire[name] = value
            elif name.startswith(constants.FN_HTTP_PREFIX):
                push_header(wire, name, value)
            else:
                push_header(wire, constants.FN_HTTP_PREFIX + name, value)
    if status is not None:
        wire[constants.FN_HTTP_STATUS] = str(status)
    return wire

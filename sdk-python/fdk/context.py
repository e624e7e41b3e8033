"""The invoke context a handler receives as ``ctx`` (Fn FDK's ``InvokeContext``)."""

from __future__ import annotations

import collections
import datetime as dt
import os
import random

from fdk import constants
from fdk import headers as hs

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Mapping, Optional, Tuple


ZipkinAttrs = collections.namedtuple(
    "ZipkinAttrs", ("trace_id", "span_id", "parent_span_id", "is_sampled", "flags"))


def generate_id() -> str:
    return "{:016x}".format(random.getrandbits(64))


class TracingContext:
    """Zipkin (B3) tracing attributes of a call, as Fn's FDK exposes them."""

    def __init__(self, is_tracing_enabled: bool, trace_collector_url: Optional[str],
                 trace_id: Optional[str], span_id: Optional[str],
                 parent_span_id: Optional[str], is_sampled: Optional[int],
                 flags: Optional[str]) -> None:
        self.__is_tracing_enabled = is_tracing_enabled
        self.__trace_collector_url = trace_collector_url
        self.__trace_id = trace_id
        self.__span_id = span_id
        self.__parent_span_id = parent_span_id
        self.__is_sampled = is_sampled
        self.__flags = flags
        self.__app_name = os.environ.get(constants.FN_APP_NAME)
        self.__app_id = os.environ.get(constants.FN_APP_ID)
        self.__fn_name = os.environ.get(constants.FN_NAME)
        self.__fn_id = os.environ.get(constants.FN_ID)
        # The platform sends the caller's span as the span id: it becomes our parent.
        if is_tracing_enabled:
            parent_span_id, span_id = span_id, generate_id()
        self.__zipkin_attrs = ZipkinAttrs(trace_id, span_id, parent_span_id,
                                          bool(is_sampled), flags)

    def is_tracing_enabled(self) -> bool:
        return self.__is_tracing_enabled

    def trace_collector_url(self) -> Optional[str]:
        return self.__trace_collector_url

    def trace_id(self) -> Optional[str]:
        return self.__trace_id

    def span_id(self) -> Optional[str]:
        return self.__span_id

    def parent_span_id(self) -> Optional[str]:
        return self.__parent_span_id

    def is_sampled(self) -> bool:
        return bool(self.__is_sampled)

    def flags(self) -> Optional[str]:
        return self.__flags

    def zipkin_attrs(self) -> ZipkinAttrs:
        return self.__zipkin_attrs

    def service_name(self, override: Optional[str] = None) -> str:
        name = override if override is not None else "{}::{}".format(self.__app_name,
                                                                     self.__fn_name)
        return name.lower()

    def annotations(self) -> Dict[str, Optional[str]]:
        return {"generatedBy": "faas", "appName": self.__app_name, "appID": self.__app_id,
                "fnName": self.__fn_name, "fnID": self.__fn_id}


def tracing_from_headers(headers: Mapping[str, Any]) -> TracingContext:
    enabled_flag = os.environ.get(constants.OCI_TRACING_ENABLED)
    enabled = bool(int(enabled_flag)) if enabled_flag else False
    collector = os.environ.get(constants.OCI_TRACE_COLLECTOR_URL)
    if not enabled:
        return TracingContext(False, collector, None, None, None, None, None)
    sampled = headers.get(constants.X_B3_SAMPLED)
    return TracingContext(
        True, collector,
        headers.get(constants.X_B3_TRACEID) or generate_id(),
        headers.get(constants.X_B3_SPANID) or generate_id(),
        headers.get(constants.X_B3_PARENTSPANID),
        int(sampled) if sampled is not None else 1,
        headers.get(constants.X_B3_FLAGS))


class InvokeContext:
    """What a handler knows about its call: ids, config, request headers, deadline.

    For a call from an HTTP trigger (``Fn-Intent: httprequest``) ``Headers()`` and
    ``HTTPHeaders()`` show the client's headers, and response headers set here go back to the
    client through the platform.
    """

    def __init__(self, app_id: Optional[str], app_name: Optional[str], fn_id: Optional[str],
                 fn_name: Optional[str], call_id: Optional[str],
                 content_type: Optional[str] = "application/octet-stream",
                 deadline: Optional[str] = None, config: Optional[Mapping[str, str]] = None,
                 headers: Optional[Dict[str, Any]] = None, request_url: Optional[str] = None,
                 method: Optional[str] = "POST", fn_format: Optional[str] = None,
                 tracing_context: Optional[TracingContext] = None) -> None:
        self.__app_id = app_id
        self.__app_name = app_name
        self.__fn_id = fn_id
        self.__fn_name = fn_name
        self.__call_id = call_id
        self.__content_type = content_type
        self.__deadline = deadline
        self.__config = config if config is not None else {}
        self.__request_headers = headers if headers else {}
        self.__request_url = request_url
        self.__method = method
        self.__fn_format = fn_format
        self.__tracing_context = tracing_context
        self.__gateway = (self.__request_headers.get(constants.FN_INTENT)
                          == constants.INTENT_HTTP_REQUEST)
        if self.__gateway:
            self.__headers = hs.decap_headers(self.__request_headers, True)
            self.__http_headers = hs.decap_headers(self.__request_headers, False)
        else:
            self.__headers = self.__request_headers
            self.__http_headers = {}
        self.__response_headers: Dict[str, Any] = {}
        self.__response_status: Optional[int] = None

    def AppID(self) -> Optional[str]:
        return self.__app_id

    def AppName(self) -> Optional[str]:
        return self.__app_name

    def FnID(self) -> Optional[str]:
        return self.__fn_id

    def FnName(self) -> Optional[str]:
        return self.__fn_name

    def CallID(self) -> Optional[str]:
        return self.__call_id

    def Config(self) -> Mapping[str, str]:
        return self.__config

    def Headers(self) -> Dict[str, Any]:
        return self.__headers

    def HTTPHeaders(self) -> Dict[str, Any]:
        return self.__http_headers

    def Format(self) -> Optional[str]:
        return self.__fn_format

    def ContentType(self) -> Optional[str]:
        return self.__content_type

    def TracingContext(self) -> TracingContext:
        if self.__tracing_context is None:
            self.__tracing_context = tracing_from_headers(self.__request_headers)
        return self.__tracing_context

    def Deadline(self) -> str:
        if self.__deadline is None:
            now = dt.datetime.now(dt.timezone.utc).astimezone()
            return (now + dt.timedelta(seconds=constants.DEFAULT_DEADLINE)).isoformat()
        return self.__deadline

    def RequestURL(self) -> Optional[str]:
        return self.__request_url

    def Method(self) -> Optional[str]:
        return self.__method

    def SetResponseHeaders(self, headers: Mapping[str, Any], status_code: int) -> None:
        """Sets response headers (merged with earlier ones) and the response status."""
        for name, value in headers.items():
            self.__response_headers[name.lower()] = value
        self.__response_status = status_code

    def GetResponseHeaders(self) -> Dict[str, Any]:
        """The response headers as they go back to the platform."""
        if self.__gateway:
            return hs.encap_headers(self.__response_headers, status=self.ResponseStatus())
        return dict(self.__response_headers)

    def ResponseStatus(self) -> int:
        """The status the function set, 200 unless it set one."""
        if self.__response_status is None:
            return constants.FN_DEFAULT_RESPONSE_CODE
        return self.__response_status


def context_from_format(format_def: str, **kwargs: Any) -> Tuple[InvokeContext, Any]:
    """Builds the context of one call from its (lower-cased) headers, as Fn's FDK does."""
    if format_def != constants.HTTPSTREAM:
        raise ValueError("unsupported function format: {}".format(format_def))
    headers: Dict[str, Any] = kwargs.get("headers") or {}
    data = kwargs.get("data")
    environ = os.environ
    ctx = InvokeContext(
        environ.get(constants.FN_APP_ID), environ.get(constants.FN_APP_NAME),
        environ.get(constants.FN_ID), environ.get(constants.FN_NAME),
        headers.get(constants.FN_CALL_ID),
        content_type=headers.get(constants.CONTENT_TYPE),
        deadline=headers.get(constants.FN_DEADLINE),
        config=environ,
        headers=headers,
        request_url=headers.get(constants.FN_HTTP_REQUEST_URL),
        method=headers.get(constants.FN_HTTP_METHOD),
        fn_format=constants.HTTPSTREAM)
    # The data as given, as Fn's FDK does (unit tests pass bytes or None; the runtime a BytesIO).
    return ctx, data

"""Names shared by the runtime: environment variables and header names of Fn's FDK contract."""

import sys

from fdk.version import VERSION

HTTPSTREAM = "http-stream"
INTENT_HTTP_REQUEST = "httprequest"
DEFAULT_DEADLINE = 30  # seconds, what ctx.Deadline() reports when the call carries none

# environment
FN_FORMAT = "FN_FORMAT"
FN_LISTENER = "FN_LISTENER"
FN_APP_ID = "FN_APP_ID"
FN_ID = "FN_FN_ID"
FN_APP_NAME = "FN_APP_NAME"
FN_NAME = "FN_FN_NAME"
FN_LOGFRAME_NAME = "FN_LOGFRAME_NAME"
FN_LOGFRAME_HDR = "FN_LOGFRAME_HDR"
OCI_TRACE_COLLECTOR_URL = "OCI_TRACE_COLLECTOR_URL"
OCI_TRACING_ENABLED = "OCI_TRACING_ENABLED"
CLEAVE_MODE = "CLEAVE_MODE"
CLEAVE_CONTROL = "CLEAVE_CONTROL"

# headers, always lower case (the runtime lower-cases every request header name, as Fn's FDK does)
FN_INTENT = "fn-intent"
FN_HTTP_PREFIX = "fn-http-h-"
FN_HTTP_STATUS = "fn-http-status"
FN_DEADLINE = "fn-deadline"
FN_FDK_VERSION = "fn-fdk-version"
FN_FDK_RUNTIME = "fn-fdk-runtime"
FN_HTTP_REQUEST_URL = "fn-http-request-url"
FN_CALL_ID = "fn-call-id"
FN_HTTP_METHOD = "fn-http-method"
CONTENT_TYPE = "content-type"
CONTENT_LENGTH = "content-length"
X_B3_TRACEID = "x-b3-traceid"
X_B3_SPANID = "x-b3-spanid"
X_B3_PARENTSPANID = "x-b3-parentspanid"
X_B3_SAMPLED = "x-b3-sampled"
X_B3_FLAGS = "x-b3-flags"

# Only these statuses reach the platform as the HTTP status; any other status a function sets
# travels in Fn-Http-Status (HTTP triggers) and the HTTP status becomes 200, as in Fn.
FN_ENFORCED_RESPONSE_CODES = (200, 502, 504)
FN_DEFAULT_RESPONSE_CODE = 200

VERSION_HEADER_VALUE = "fdk-python/" + VERSION + "+cleave"
RUNTIME_HEADER_VALUE = "python/{}.{}.{} {}".format(
    sys.version_info.major, sys.version_info.minor, sys.version_info.micro,
    sys.version_info.releaselevel)

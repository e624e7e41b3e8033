"""Python logging the way Fn's FDK sets it up: the root logger writes to stderr, each record
prefixed with the call id, so ``logging.getLogger().info(...)`` in a handler lands in the logs.
``log(message)`` is the FDK's own debug log, shown when FDK_DEBUG is set."""

from __future__ import annotations

import logging
import os
import sys

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

_request_id: Optional[str] = None

_TRUTHY = ("true", "1", "t", "y", "yes", "yeah", "yup", "certainly", "uh-huh")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.fn_request_id = _request_id
        return True


def set_request_id(request_id: Optional[str]) -> None:
    global _request_id
    _request_id = request_id


def configure_root_logging() -> None:
    """Sets the FDK logger's level from FDK_DEBUG and installs the stderr handler, unless the
    function configured logging itself."""
    fdk_debug = os.environ.get("FDK_DEBUG", "").lower() in _TRUTHY
    logging.getLogger("fdk").setLevel(logging.DEBUG if fdk_debug else logging.WARNING)
    root = logging.getLogger()
    if root.handlers:
        return
    root.setLevel(logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(logging.Formatter(
        "%(fn_request_id)s - %(name)s - %(levelname)s - %(message)s"))
    root.addHandler(handler)


def get_logger() -> logging.Logger:
    return logging.getLogger("fdk")


def get_request_log() -> logging.Logger:
    return logging.getLogger("fn")


def log(message: str) -> None:
    """A debug line of the FDK's logger: on stderr when FDK_DEBUG is set, else dropped."""
    configure_root_logging()
    get_logger().debug(message)

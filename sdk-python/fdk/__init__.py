"""Cleave's Python function kit: the API of Fn's Python FDK, so Fn functions run unchanged.

    import fdk
    from fdk import response

    def handler(ctx, data: io.BytesIO = None):
        return response.Response(ctx, response_data="hi", headers={"Content-Type": "text/plain"})

The runtime starts as ``python3 -m fdk /function/func.py handler`` (see ``fdk.__main__``);
``fdk.handle(handler)`` at the end of a func.py starts it the same way.
"""

from __future__ import annotations

import os
import sys

from fdk import constants
from fdk import context
from fdk import customer_code
from fdk import response
from fdk.customer_code import FunctionLoadError

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Union
    from fdk.customer_code import Handler

__all__ = ["constants", "context", "customer_code", "response", "handle", "load_handler", "run"]

# While ``load_handler`` imports a function module, ``fdk.handle`` calls made by that module
# name its handler instead of starting a server inside the import.
_loading = False
_registered: Optional[Handler] = None


def handle(handle_code: Union[customer_code.Function, Handler]) -> None:
    """Fn's entry point: serves calls with handle_code (a function or ``customer_code.Function``)."""
    global _registered
    handler = (handle_code.handler() if isinstance(handle_code, customer_code.Function)
               else handle_code)
    if not callable(handler):
        sys.exit("fdk.handle needs a function handler(ctx, data), got {!r}".format(handler))
    if _loading:
        _registered = handler
        return
    run(handler)


def load_handler(path: str, entrypoint: str = "handler") -> Handler:
    """Imports a function file (its module-level code runs now) and returns its handler."""
    global _loading, _registered
    _loading, _registered = True, None
    try:
        module = customer_code.load_module(path)
    finally:
        _loading = False
    entry = getattr(module, entrypoint, None)
    if callable(entry):
        return entry
    if _registered is not None:
        return _registered
    raise FunctionLoadError("{} has no callable '{}'".format(path, entrypoint))


def run(handler: Handler) -> None:
    """Runs as CLEAVE_MODE says: ``cold`` (default) serves calls, ``seed`` serves fork orders."""
    mode = os.environ.get(constants.CLEAVE_MODE) or "cold"
    if mode == "cold":
        from fdk.instance import run_cold
        run_cold(handler)
    elif mode == "seed":
        from fdk.seed import run_seed
        run_seed(handler, os.environ.get(constants.CLEAVE_CONTROL))
    else:
        sys.exit("fdk: unknown {} {!r} (want cold or seed)".format(constants.CLEAVE_MODE, mode))

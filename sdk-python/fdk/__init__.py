"""Cleave's Python function kit: the API of Fn's Python FDK, so Fn functions run unchanged.

    import fdk
    from fdk import response

    def handler(ctx, data: io.BytesIO = None):
        return response.Response(ctx, response_data="hi", headers={"Content-Type": "text/plain"})

The runtime starts as ``python3 -m fdk /function/func.py handler`` (see ``fdk.__main__``);
``fdk.handle(handler)`` at the end of a func.py starts it the same way.

Fn FDK's other modules (``fdk.fixtures``, ``fdk.errors``, ``fdk.log``, ``fdk.version``,
``fdk.event_handler``, ``fdk.async_http``, ``fdk.runner``, ``fdk.headers``) load on first use, so
that ``import fdk`` stays cheap for every cold start.

A seed is forked only while it runs one thread: a function that starts threads at import calls
``fdk.allow_fork()`` once it has registered ``os.register_at_fork(after_in_child=...)`` handlers
that restart them in each child.
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
    from types import CodeType
    from typing import Optional, Union
    from fdk.customer_code import Handler

__all__ = ["constants", "context", "customer_code", "response", "handle", "start", "allow_fork",
           "load_handler", "run"]

_LAZY_SUBMODULES = frozenset(("async_http", "errors", "event_handler", "fixtures", "headers",
                              "log", "runner", "state", "version"))


def __getattr__(name: str) -> object:
    # ``import fdk`` then ``fdk.log.log(...)`` works as with Fn's FDK, which imports these eagerly.
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module("fdk." + name)
    raise AttributeError("module 'fdk' has no attribute {!r}".format(name))


# While ``load_handler`` imports a function module, ``fdk.handle`` calls made by that module
# name its handler instead of starting a server inside the import.
_loading = False
_registered: Optional[Handler] = None
_fork_allowed = False


def allow_fork() -> None:
    """Lets the seed fork although threads besides the main one run.

    A fork copies only the forking thread: in a child every other thread is gone, and a lock one
    of them held stays locked. Call this at import, after ``os.register_at_fork(after_in_child=
    ...)`` handlers that restart those threads (and reset their locks) in each child.
    """
    global _fork_allowed
    _fork_allowed = True


def fork_allowed() -> bool:
    return _fork_allowed


def _handler_of(handle_code: Union[customer_code.Function, Handler]) -> Handler:
    # A customer_code.Function, fixtures.code or anything else with handler(); or the handler.
    if not callable(handle_code) and callable(getattr(handle_code, "handler", None)):
        return handle_code.handler()  # type: ignore[union-attr]
    return handle_code  # type: ignore[return-value]


def handle(handle_code: Union[customer_code.Function, Handler]) -> None:
    """Fn's entry point: serves calls with handle_code (a function or ``customer_code.Function``)."""
    global _registered
    handler = _handler_of(handle_code)
    if not callable(handler):
        sys.exit("fdk.handle needs a function handler(ctx, data), got {!r}".format(handler))
    if _loading:
        _registered = handler
        return
    run(handler)


def start(handle_code: Union[customer_code.Function, Handler], uds: str, loop: object = None) -> None:
    """Fn FDK's ``start``: serves calls on the unix socket ``uds`` (``unix:<path>`` or a path)
    until the process ends. ``loop`` is accepted for Fn's signature; calls run on the runtime's
    own loop."""
    from fdk.instance import prepare_process, serve_calls
    from fdk.server import bind_unix
    handler = _handler_of(handle_code)
    path = uds[len("unix:"):] if uds.startswith("unix:") else uds
    prepare_process()
    try:
        listener = bind_unix(os.path.normpath(path))
    except (OSError, ValueError) as ex:
        sys.exit("fdk: cannot listen on {}: {}".format(uds, ex))
    serve_calls(handler, listener)


def load_handler(path: str, entrypoint: str = "handler", code: Optional[CodeType] = None) -> Handler:
    """Imports a function file (its module-level code runs now) and returns its handler;
    ``code`` is the file's bytecode when it was compiled already."""
    global _loading, _registered
    _loading, _registered = True, None
    try:
        module = customer_code.load_module(path, code)
    finally:
        _loading = False
    entry = getattr(module, entrypoint, None)
    if callable(entry):
        return entry
    if _registered is not None:
        return _registered
    raise FunctionLoadError("{} has no callable '{}'".format(path, entrypoint))


def run(handler: Handler) -> None:
    """Runs as CLEAVE_MODE says: ``cold`` (default) serves calls, ``seed`` serves fork orders,
    ``keep`` serves a flow producer's call and then fork orders from the state it kept."""
    mode = os.environ.get(constants.CLEAVE_MODE) or "cold"
    if mode == "cold":
        from fdk.instance import run_cold
        run_cold(handler)
    elif mode == "seed":
        from fdk.seed import run_seed
        run_seed(handler, os.environ.get(constants.CLEAVE_CONTROL))
    elif mode == "keep":
        from fdk.seed import run_kept
        run_kept(handler, os.environ.get(constants.CLEAVE_CONTROL),
                 os.environ.get(constants.FN_LISTENER))
    else:
        sys.exit("fdk: unknown {} {!r} (want cold, seed or keep)".format(constants.CLEAVE_MODE, mode))

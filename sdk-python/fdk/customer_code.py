"""Loading a function's module (Fn FDK's ``customer_code``)."""

from __future__ import annotations

import importlib.util
import os
import sys
from types import CodeType, ModuleType

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Optional, Tuple
    Handler = Callable[..., Any]


# (device, inode, mtime, size) of a file -> its bytecode (see code_of).
_CODE: Dict[Tuple[int, int, int, int], CodeType] = {}


class FunctionLoadError(Exception):
    """The function's module cannot be imported or has no such handler."""


def load_module(path: str, code: Optional[CodeType] = None) -> ModuleType:
    """Imports a function's file once, under its file name, with its directory on sys.path.

    Module-level code runs here: in a seed that is the initialisation every child inherits.
    ``code`` is the file's bytecode when the caller has it already (see ``code_of``).
    """
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise FunctionLoadError("function file {} does not exist".format(path))
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FunctionLoadError("{} is not a Python module".format(path))
    module = importlib.util.module_from_spec(spec)
    # Registered so that the function's own code can import it by name, unless the name is
    # already a loaded module (a file called json.py must not replace json).
    registered = name not in sys.modules
    if registered:
        sys.modules[name] = module
    try:
        if code is None:
            spec.loader.exec_module(module)
        else:
            exec(code, module.__dict__)
    except BaseException:
        if registered:
            sys.modules.pop(name, None)
        raise
    return module


def code_of(path: str) -> Optional[CodeType]:
    """The bytecode of a function's file, compiled once per version of the file in this process
    (nothing of it runs): the same file under another path (a hard link, a bind mount) is the
    same entry. None when it cannot be read or compiled: an import then reports why."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    identity = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
    code = _CODE.get(identity)
    if code is None:
        try:
            with open(path, "rb") as f:
                code = compile(f.read(), path, "exec", dont_inherit=True)
        except Exception:  # SyntaxError and the like
            return None
        _CODE[identity] = code
    return code


class Function:
    """A handler named by its file and entry point, loaded on first use (Fn's API)."""

    def __init__(self, func_module_path: str, entrypoint: str = "handler") -> None:
        self._path = func_module_path
        self._entrypoint = entrypoint
        self._module: Optional[ModuleType] = None

    def handler(self) -> Handler:
        if self._module is None:
            self._module = load_module(self._path)
        entry = getattr(self._module, self._entrypoint, None)
        if not callable(entry):
            raise FunctionLoadError("{} has no callable '{}'".format(self._path,
                                                                     self._entrypoint))
        return entry


class RetryingLoad:
    """The handler of a function whose module failed to import: every call imports it again (as
    Fn's FDK imports on the first call) and fails like a raising handler until it loads, so the
    caller gets Fn's 502 and the call's log gets the traceback."""

    def __init__(self, load: Callable[[], Handler]) -> None:
        self._load = load
        self._handler: Optional[Handler] = None

    def __call__(self, ctx: Any, data: Any = None) -> Any:
        if self._handler is None:
            self._handler = self._load()
        return self._handler(ctx, data=data)

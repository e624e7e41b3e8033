"""``python3 -m fdk <func.py> [handler]``: load a function and run it (Fn's ``fdk`` command)."""

from __future__ import annotations

import os
import sys

import fdk
from fdk import constants
from fdk.customer_code import FunctionLoadError, RetryingLoad, code_of

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List

USAGE = "usage: python3 -m fdk <path/to/func.py> [handler]  (env CLEAVE_MODE=cold|seed|keep)"


def main(argv: List[str]) -> int:
    if not argv or argv[0] in ("-h", "--help") or len(argv) > 2:
        print(USAGE, file=sys.stderr)
        return 2
    path, entrypoint = argv[0], argv[1] if len(argv) == 2 else "handler"
    # A kept instance keeps its module's bytecode: a consumer forked from it whose file is the
    # same file (a function of the same bundle) runs it without compiling it again.
    code = code_of(path) if os.environ.get(constants.CLEAVE_MODE) == "keep" else None
    try:
        handler = fdk.load_handler(path, entrypoint, code)
    except FunctionLoadError as ex:  # no such file or handler: nothing a retry can mend
        print("fdk: {}".format(ex), file=sys.stderr)
        return 1
    except Exception:
        # Served anyway, as Fn's FDK does: each call retries the import, so a caller gets Fn's
        # 502 "function failed" and the call's log the traceback, never the text itself.
        import traceback
        traceback.print_exc()
        print("fdk: {} failed to import; calls answer 502 until it imports".format(path),
              file=sys.stderr, flush=True)
        handler = RetryingLoad(lambda: fdk.load_handler(path, entrypoint))
    fdk.run(handler)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

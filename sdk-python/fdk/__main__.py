"""``python3 -m fdk <func.py> [handler]``: load a function and run it (Fn's ``fdk`` command)."""

from __future__ import annotations

import sys

import fdk
from fdk.customer_code import FunctionLoadError

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List

USAGE = "usage: python3 -m fdk <path/to/func.py> [handler]  (env CLEAVE_MODE=cold|seed)"


def main(argv: List[str]) -> int:
    if not argv or argv[0] in ("-h", "--help") or len(argv) > 2:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        handler = fdk.load_handler(argv[0], argv[1] if len(argv) == 2 else "handler")
    except FunctionLoadError as ex:
        print("fdk: {}".format(ex), file=sys.stderr)
        return 1
    except Exception:
        import traceback
        traceback.print_exc()
        print("fdk: cannot load {}".format(argv[0]), file=sys.stderr)
        return 1
    fdk.run(handler)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

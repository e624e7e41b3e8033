"""A function whose module-level initialisation leaves traces: an import log and a stamp."""

import json
import os
import random
import sys
import time

from helper_module import GREETING  # the function's own module, next to this file

INIT_STAMP = time.time_ns()
with open(os.environ["IMPORT_LOG"], "a") as log:
    log.write("{} {}\n".format(os.getpid(), INIT_STAMP))
CACHE = {"built_at_init": [i * i for i in range(1000)]}


def handler(ctx, data=None):
    print("stdout of", os.environ.get("CHILD_NAME"), flush=False)
    print("stderr of", os.environ.get("CHILD_NAME"), file=sys.stderr)
    return json.dumps({
        "pid": os.getpid(), "init_stamp": INIT_STAMP, "random": random.random(),
        "child_name": os.environ.get("CHILD_NAME"), "greeting": GREETING,
        "cache_sum": sum(CACHE["built_at_init"]), "body": data.getvalue().decode(),
    })

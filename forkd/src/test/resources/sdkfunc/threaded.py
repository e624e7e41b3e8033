"""A function that starts a thread at import, for the seed's fork-safety rule. With ALLOW_FORK=1
it restarts the thread in each child (os.register_at_fork) and calls fdk.allow_fork()."""
import json
import os
import threading
import time

import fdk


def _beat():
    while True:
        time.sleep(0.01)


def start_heartbeat():
    threading.Thread(target=_beat, name="heartbeat", daemon=True).start()


start_heartbeat()
if os.environ.get("ALLOW_FORK") == "1":
    os.register_at_fork(after_in_child=start_heartbeat)
    fdk.allow_fork()


def handler(ctx, data=None):
    return json.dumps({"pid": os.getpid(), "threads": threading.active_count(),
                       "names": sorted(t.name for t in threading.enumerate())})

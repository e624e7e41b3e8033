"""A function whose state is made once, at import in the seed: what a remote child must find."""
import json
import os
import random

TABLE = {i: str(i) for i in range(20000)}
COUNTER = [41]
LOADED_BY = os.getpid()
SEED_TOKEN = os.urandom(8).hex()
# Memory no call touches: a remote child stays lazy on it (its pages are only on the seed's node).
BALLAST = bytearray(os.urandom(1 << 20)) * 24


def handler(ctx, data=None):
    body = data.getvalue().decode() if data is not None else ""
    COUNTER[0] += 1
    return json.dumps({"hello": body, "pid": os.getpid(), "uid": os.getuid(), "loaded_by": LOADED_BY,
                       "table": len(TABLE), "table_17": TABLE[17], "counter": COUNTER[0],
                       "token": SEED_TOKEN, "random": random.random(),
                       "mode": os.environ.get("CLEAVE_MODE"), "fn": os.environ.get("FN_FN_ID"),
                       "listener": os.environ.get("FN_LISTENER")})

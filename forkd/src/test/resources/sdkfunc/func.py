"""A hello function for the real Cleave Python runtime (sdk-python), with module-level state."""
import json
import os

TABLE = {i: str(i) for i in range(10000)}
LOADED_BY = os.getpid()


def handler(ctx, data=None):
    body = data.getvalue().decode() if data is not None else ""
    return json.dumps({"hello": body, "pid": os.getpid(), "uid": os.getuid(),
                       "loaded_by": LOADED_BY, "table": len(TABLE)})

"""Hello world for the startup benchmark: the smallest function, so start costs show bare.

A body may ask the call to hold its instance ``hold_ms`` milliseconds (at most 10 s) before
answering: the cluster benchmark's rate rounds do, so that every call of a burst needs an instance
of its own.
"""
import io
import json
import time

import fdk  # noqa: F401  (the runtime this function is written against)
from fdk import response


def handler(ctx, data: io.BytesIO = None):
    raw = data.getvalue() if data is not None else b""
    name = "World"
    if raw.strip():
        body = json.loads(raw)
        name = str(body.get("name", name))
        hold_ms = float(body.get("hold_ms", 0))
        if not 0 <= hold_ms <= 10000:
            raise ValueError("hold_ms must be within 0..10000")
        if hold_ms > 0:
            time.sleep(hold_ms / 1000.0)
    return response.Response(ctx, response_data=json.dumps({"message": "Hello {}".format(name)}),
                             headers={"Content-Type": "application/json"})

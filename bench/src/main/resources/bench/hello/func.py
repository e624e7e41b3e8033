"""Hello world for the startup benchmark: the smallest function, so start costs show bare."""
import io
import json

import fdk  # noqa: F401  (the runtime this function is written against)
from fdk import response


def handler(ctx, data: io.BytesIO = None):
    raw = data.getvalue() if data is not None else b""
    name = "World"
    if raw.strip():
        name = str(json.loads(raw).get("name", name))
    return response.Response(ctx, response_data=json.dumps({"message": "Hello {}".format(name)}),
                             headers={"Content-Type": "application/json"})

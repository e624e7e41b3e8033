"""A function written against Fn's FDK API; the X-Action header picks what it does."""

import io
import json
import logging
import os
import sys
import time

from fdk import response


def describe(ctx, data):
    return {
        "app_id": ctx.AppID(), "fn_id": ctx.FnID(), "call_id": ctx.CallID(),
        "app_name": ctx.AppName(), "fn_name": ctx.FnName(),
        "greeting": ctx.Config().get("GREETING"), "headers": ctx.Headers(),
        "http_headers": ctx.HTTPHeaders(), "deadline": ctx.Deadline(),
        "request_url": ctx.RequestURL(), "method": ctx.Method(), "format": ctx.Format(),
        "body": data.getvalue().decode(),
    }


def respond(ctx, data):
    return response.Response(
        ctx, response_data="made",
        headers={"X-Out": "1", "Content-Type": "text/plain", "Set-Cookie": ["a=1", "b=2"]},
        status_code=int(ctx.Headers().get("x-status", "200")))


def set_headers(ctx, data):
    ctx.SetResponseHeaders({"X-Set": "yes"}, 202)
    return "with headers"


def swallow(ctx, data):
    try:
        time.sleep(float(data.getvalue()))
    except Exception:
        return "swallowed"
    return "slept"


def log(ctx, data):
    print("printed-" + ctx.CallID())
    logging.getLogger().info("logged-" + ctx.CallID())
    return "logged"


ACTIONS = {
    "describe": describe,
    "respond": respond,
    "set_headers": set_headers,
    "swallow": swallow,
    "log": log,
    "str": lambda ctx, data: "plain text",
    "bytes": lambda ctx, data: bytes(range(256)),
    "dict": lambda ctx, data: {"answer": 42, "list": [1, 2]},
    "none": lambda ctx, data: None,
    "echo": lambda ctx, data: data.getvalue(),
    "fail": lambda ctx, data: 1 / 0 if data.getvalue() == b"zero" else int("not a number"),
    "fail502": lambda ctx, data: response.Response(ctx, response_data="upstream down",
                                                   status_code=502),
    "sleep": lambda ctx, data: time.sleep(float(data.getvalue())) or "slept",
    "pid": lambda ctx, data: {"pid": os.getpid()},
    "exit": lambda ctx, data: sys.exit(3),
    "own_timeout": lambda ctx, data: (_ for _ in ()).throw(
        TimeoutError("backend at /srv/secret/db.sock did not answer")),
    "unencodable": lambda ctx, data: response.Response(
        ctx, response_data="caf\u00e9 /srv/secret", response_encoding="no-such-codec"),
}


def handler(ctx, data: io.BytesIO = None):
    return ACTIONS[ctx.Headers().get("x-action", "describe")](ctx, data)


async def async_handler(ctx, data: io.BytesIO = None):
    import asyncio
    delay = float(data.getvalue() or b"0")
    await asyncio.sleep(delay)
    return json.dumps({"async": True, "delay": delay})

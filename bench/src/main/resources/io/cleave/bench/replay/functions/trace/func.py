"""Trace-replay function: stands in for one function of an Azure trace.

A call runs for a given time and uses a given amount of memory. Both come from the call's JSON
body (``duration_ms``, ``memory_mb``, ``busy``) or, when absent, from the function's config
(``TRACE_DURATION_MS``, ``TRACE_MEMORY_MB``, ``TRACE_BUSY``). The memory stays with the instance
after the call, like a real function's heap, so an idle kept-alive instance holds it too.
"""
import io
import json
import os
import time

import fdk  # noqa: F401  (the runtime this function is written against)
from fdk import response

PAGE = 4096
_held = bytearray()


def _setting(body: dict, key: str, env: str, default: str) -> str:
    value = body.get(key)
    return str(value) if value is not None else os.environ.get(env, default)


def _use_memory(mb: int) -> None:
    """Grows the instance's buffer to ``mb`` MB and writes one byte per page of it.

    The old buffer goes before the larger one is made: holding both for a moment would touch
    their sum, beyond the memory limit the replay derives from the largest draw.
    """
    global _held
    want = mb * 1024 * 1024
    if len(_held) < want:
        _held = bytearray()
        _held = bytearray(want)
    pages = len(range(0, want, PAGE))
    _held[0:want:PAGE] = b"\x01" * pages


def _run_for(seconds: float, busy: bool, start: float) -> None:
    deadline = start + seconds
    if busy:
        while time.perf_counter() < deadline:
            pass
    else:
        remaining = deadline - time.perf_counter()
        if remaining > 0:
            time.sleep(remaining)


def handler(ctx, data: io.BytesIO = None):
    start = time.perf_counter()
    raw = data.getvalue() if data is not None else b""
    body = json.loads(raw) if raw.strip() else {}
    duration_ms = float(_setting(body, "duration_ms", "TRACE_DURATION_MS", "0"))
    memory_mb = int(float(_setting(body, "memory_mb", "TRACE_MEMORY_MB", "0")))
    busy = _setting(body, "busy", "TRACE_BUSY", "false").lower() in ("1", "true", "yes")
    if duration_ms < 0 or memory_mb < 0:
        raise ValueError("duration_ms and memory_mb must be non-negative")
    _use_memory(memory_mb)
    _run_for(duration_ms / 1000.0, busy, start)
    result = {
        "ran_ms": round((time.perf_counter() - start) * 1000.0, 3),
        "memory_mb": memory_mb,
        "pid": os.getpid(),
    }
    return response.Response(ctx, response_data=json.dumps(result), headers={"Content-Type": "application/json"})

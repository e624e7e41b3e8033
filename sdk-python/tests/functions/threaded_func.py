"""A function that starts a thread at import: a ticker counting in the background.

THREAD=native starts it with _thread, unknown to ``threading`` (as a C extension's thread is).
AT_FORK=1 registers a handler that starts a fresh ticker in each child; ALLOW_FORK=1 calls
fdk.allow_fork().
"""

import _thread
import os
import threading
import time

import fdk

TICKS = [0]
TICKER = [None]


def _tick():
    while True:
        TICKS[0] += 1
        time.sleep(0.002)


def start_ticker():
    TICKS[0] = 0
    ticker = threading.Thread(target=_tick, name="ticker", daemon=True)
    ticker.start()
    TICKER[0] = ticker


if os.environ.get("THREAD") == "native":
    _thread.start_new_thread(_tick, ())
else:
    start_ticker()
if os.environ.get("AT_FORK") == "1":
    os.register_at_fork(after_in_child=start_ticker)
if os.environ.get("ALLOW_FORK") == "1":
    fdk.allow_fork()


def handler(ctx, data=None):
    before = TICKS[0]
    time.sleep(0.05)
    return {"pid": os.getpid(), "ticking": TICKS[0] > before,
            "ticker_alive": TICKER[0] is not None and TICKER[0].is_alive(),
            "threads": len(os.listdir("/proc/self/task"))}

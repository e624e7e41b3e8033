"""FINRA trade validation (the MITOSIS workflow), one step per function; OP in the config says which.

Market data and the portfolio come from yfinance.csv (bundled beside this file): rows of five
tickers one after another, a ticker ending where the date goes back. Everything is read as the
CSV's text, so the test's reference (Java) finds the very same violations.

Producers keep their result with fdk.state under their step's name: over a ``pass: fork`` edge
the consumer is forked from the producer's instance, gets no copy of that producer's result in
its input and reads the kept object instead (``produced``). The run's input says which way the
big state goes (``"pass"``): with ``fork`` the producers whose state only fork consumers read
(fetchMarketData, produce) answer a short summary instead of the state, so nothing of it is
serialised; with ``copy`` they answer the whole state, which the platform serialises (JSON) and
the consumer parses.
"""
import csv
import json
import math
import os
import time

import fdk

CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "yfinance.csv")
TICKERS = ["GOOG", "AMZN", "MSFT", "SVFAU", "AB"]
KINDS = ["price", "side", "quantity", "trade-date", "market-price"]


def rows():
    """(ticker, row) for each data row, in file order."""
    with open(CSV, newline="") as f:
        reader = csv.DictReader(f)
        segment, previous = 0, None
        for row in reader:
            if previous is not None and row["Date"] < previous:
                segment += 1
            previous = row["Date"]
            yield TICKERS[segment], row


def trade_date(date):
    return date[2:4] + date[5:7] + date[8:10]


def fetch_portfolio(params):
    """Every stride-th row as a trade; Side 5 (invalid) where the volume is a multiple of 97."""
    stride = int(params.get("stride", 10))
    trades = []
    for i, (ticker, row) in enumerate(rows()):
        if i % stride:
            continue
        n = len(trades)
        side = "5" if int(row["Volume"]) % 97 == 0 else "128"[n % 3]
        trades.append({"Security": ticker, "LastQty": row["Volume"], "LastPx": row["Close"], "Side": side,
                       "TrdSubType": "0", "TradeDate": trade_date(row["Date"])})
    return {"trades": trades, "balance": float(params.get("balance", 1e12))}


def fetch_market(params):
    """Per ticker and trade date, the day's low and high as text."""
    market = {}
    for ticker, row in rows():
        market.setdefault(ticker, {})[trade_date(row["Date"])] = [row["Low"], row["High"]]
    return market


def market_summary(market):
    """What fetchMarketData answers when its consumers read the market by fork."""
    return {"tickers": len(market), "days": sum(len(days) for days in market.values())}


def audit_rules(params):
    n = int(params["rules"])
    shards = math.ceil(n / len(KINDS))
    return [{"rule": r, "kind": KINDS[r % len(KINDS)], "shard": r // len(KINDS), "shards": shards} for r in range(n)]


def violates(kind, trade, market):
    if kind == "price":
        return not float(trade["LastPx"]) > 0
    if kind == "side":
        return trade["Side"] not in ("1", "2", "8")
    if kind == "quantity":
        return not (trade["LastQty"].isdigit() and int(trade["LastQty"]) > 0)
    if kind == "trade-date":
        d = trade["TradeDate"]
        return not (len(d) == 6 and d.isdigit() and 1 <= int(d[2:4]) <= 12 and 1 <= int(d[4:6]) <= 31)
    if kind == "market-price":
        day = market.get(trade["Security"], {}).get(trade["TradeDate"])
        return day is None or not float(day[0]) <= float(trade["LastPx"]) <= float(day[1])
    raise ValueError("unknown rule kind " + kind)


def produced(inputs, step):
    """A producer's result: in the input (a copy edge), else in memory (a fork edge): the object
    it kept under its step's name when this call was forked from it, else its result, which the
    platform copied into the instance this call was forked from (once per run, not per call)."""
    if isinstance(inputs, dict) and step in inputs:
        return inputs[step]
    return fdk.state.get(step)


def run_audit_rule(inputs):
    rule = inputs["auditRules"]
    trades = produced(inputs, "fetchPortfolioData")["trades"]
    market = produced(inputs, "fetchMarketData")
    return [{"trade": i, "rule": rule["kind"]} for i, t in enumerate(trades)
            if i % rule["shards"] == rule["shard"] and violates(rule["kind"], t, market)]


def merge_results(inputs):
    portfolio = inputs["fetchPortfolioData"]
    violations = sorted((v for found in inputs["runAuditRule"] for v in found), key=lambda v: (v["trade"], v["rule"]))
    exposure = 0.0
    for t in portfolio["trades"]:
        exposure += int(t["LastQty"]) * float(t["LastPx"])
    return {"trades": len(portfolio["trades"]), "violations": violations,
            "margin_ok": portfolio["balance"] >= 0.25 * exposure}


def produce(params):
    """The transfer benchmark's producer: a payload of the given size (a string) and when it was
    ready, the start of the transfer the consumer times."""
    payload = "x" * int(params["bytes"])
    return {"payload": payload, "sent_at": time.time()}


def produce_summary(state):
    return {"bytes": len(state["payload"]), "sent_at": state["sent_at"]}


def consume(state):
    """How long the producer's state took to reach this call (ms): for a copy, the producer's
    answer serialised, stored and parsed here; for a fork, the fork and this call's start."""
    if state is None:
        state = fdk.state.get("produce")
    return {"bytes": len(state["payload"]), "transfer_ms": (time.time() - state["sent_at"]) * 1000.0}


# The step whose result each OP's function keeps for fork consumers, and what it answers instead
# of that result when the run passes state by fork (absent: the result itself, which copy
# consumers read).
KEEPS = {"portfolio": "fetchPortfolioData", "market": "fetchMarketData", "produce": "produce"}
SUMMARIES = {"market": market_summary, "produce": produce_summary}
OPS = {"portfolio": fetch_portfolio, "market": fetch_market, "rules": audit_rules, "audit": run_audit_rule,
       "merge": merge_results, "produce": produce, "consume": consume}


def handler(ctx, data=None):
    raw = data.getvalue() if data else b""
    op = ctx.Config()["OP"]
    params = json.loads(raw) if raw else None
    result = OPS[op](params)
    if op in KEEPS:
        fdk.state.keep(KEEPS[op], result)
        if op in SUMMARIES and isinstance(params, dict) and params.get("pass") == "fork":
            result = SUMMARIES[op](result)
    return json.dumps(result, separators=(",", ":"))

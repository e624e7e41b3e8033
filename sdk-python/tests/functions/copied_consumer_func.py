"""A flow consumer of two producers: forked from one, the other's result copied into that one."""

import json

import fdk


def handler(ctx, data=None):
    names = sorted(fdk.state.names())
    copied = fdk.state.get("portfolio") if "portfolio" in names else None
    return json.dumps({"names": names, "portfolio": copied, "portfolio_id": id(copied),
                       "input": data.getvalue().decode()})

"""Prints as many bytes as its call asks for, ending with a marker line, and says it did."""
import json
import sys


def handler(ctx, data=None):
    n, marker = data.getvalue().decode().split(" ", 1)
    sys.stdout.write("x" * int(n) + "\n" + marker + "\n")
    sys.stdout.flush()
    return json.dumps({"printed": int(n), "marker": marker})

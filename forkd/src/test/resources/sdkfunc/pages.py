"""A function whose every call touches a module-level table: a child's first call copies the
table's pages (reference counts) from its seed."""
import json

TABLE = [str(i) for i in range(100000)]


def handler(ctx, data=None):
    return json.dumps({"chars": sum(len(s) for s in TABLE)})

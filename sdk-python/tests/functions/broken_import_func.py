"""A function whose module fails to import until the file READY_FILE names exists."""

import os

if not os.path.exists(os.environ["READY_FILE"]):
    raise RuntimeError("cannot read /srv/secret/config.yaml")


def handler(ctx, data=None):
    return "imported at last"

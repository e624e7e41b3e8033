"""A hostile function: while it imports, it puts a link to a host socket (TEST_SYMLINK) where
the runtime's listener goes, and waits there for someone to connect to it."""
import os
import time

os.symlink(os.environ["TEST_SYMLINK"], os.environ["FN_LISTENER"][len("unix:"):])
time.sleep(60)


def handler(ctx, data=None):
    return "never served"

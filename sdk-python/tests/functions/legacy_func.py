"""An old-style Fn function that starts the FDK itself."""

import fdk


def handler(ctx, data=None):
    return "legacy says " + data.getvalue().decode()


if __name__ == "__main__":
    fdk.handle(handler)

"""Python seeds for the fork primitive tests and benchmark.

    seed.py hello|image server SOCK   prepare, print REF/HANDLE lines, revoke on stdin EOF
    seed.py hello|image file PATH     checkpoint to PATH, print REF, exit
    seed.py hello|image cold          initialise, answer once, exit (cold start baseline)
A resumed child answers once on stdout (its first response) and exits.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # a seed must be single-threaded
os.environ.setdefault("OMP_NUM_THREADS", "1")


def hello_init():
    return lambda: "hello world"


def image_init():
    import hashlib
    import io

    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(42)
    base = np.linspace(0, 255, 384 * 384 * 3).reshape(384, 384, 3)
    pixels = ((base + rng.random((384, 384, 3)) * 40) % 256).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=90)
    jpeg = buf.getvalue()

    def handler() -> str:
        img = Image.open(io.BytesIO(jpeg)).convert("L").resize((192, 192))
        img = img.filter(ImageFilter.GaussianBlur(2))
        a = np.asarray(img, dtype=np.float64)
        digest = hashlib.sha256(img.tobytes()).hexdigest()[:16]
        return f"image mean={a.mean():.4f} std={a.std():.4f} sha={digest}"

    return handler


def main() -> int:
    kind, mode = sys.argv[1], sys.argv[2]
    handler = {"hello": hello_init, "image": image_init}[kind]()
    if mode == "cold":
        os.write(1, (handler() + "\n").encode())
        return 0
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "python"))
    import cleave_fork

    target = sys.argv[3]
    ref = handler()
    print("REF", ref, flush=True)
    prepared = cleave_fork.prepare(checkpoint=target) if mode == "file" else \
        cleave_fork.prepare(sock=target)
    if prepared is None:
        os.write(1, (handler() + "\n").encode())
        os._exit(0)
    print("PREPARED", prepared.prepare_ns, prepared.rss_bytes, prepared.fetch_bytes, flush=True)
    if mode == "file":
        return 0
    print("HANDLE", prepared.handle, prepared.key, flush=True)
    sys.stdin.read()
    st = cleave_fork.stats(prepared)
    print("STATS", st["connections"], st["pages_served"], flush=True)
    cleave_fork.revoke(prepared)
    return 0


if __name__ == "__main__":
    sys.exit(main())

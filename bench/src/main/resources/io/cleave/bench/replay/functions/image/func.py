"""Image function for the load-spike experiment: thumbnails of real photographs (numpy + PIL).

Initialisation (once per cold instance or seed) imports numpy and PIL and decodes every JPEG of
``IMAGE_DIR`` (or only ``IMAGE_FILES``, comma-separated) into memory: this is the state a forked
child inherits instead of rebuilding. A call resizes one decoded image to ``size`` pixels wide,
encodes it as JPEG and answers its size, byte count and mean colour. ``io_ms`` then waits that
long without using the CPU, standing for the object-store transfers of a thumbnailing service
(fetch the original, store the thumbnail). Body (JSON, optional):
``{"image": <index or file name>, "size": 256, "io_ms": 0}``.
"""
import io
import json
import os
import time

import fdk  # noqa: F401  (the runtime this function is written against)
import numpy as np
from fdk import response
from PIL import Image


def _load_images() -> dict:
    directory = os.environ.get("IMAGE_DIR", "")
    if not directory or not os.path.isdir(directory):
        raise RuntimeError(f"IMAGE_DIR '{directory}' is not a directory (set it in the function's config)")
    wanted = [n for n in os.environ.get("IMAGE_FILES", "").split(",") if n]
    names = wanted or sorted(n for n in os.listdir(directory) if n.lower().endswith((".jpg", ".jpeg")))
    if not names:
        raise RuntimeError(f"no JPEG images in {directory}")
    images = {}
    for name in names:
        with Image.open(os.path.join(directory, name)) as img:
            images[name] = img.convert("RGB")
    return images


IMAGES = _load_images()
NAMES = list(IMAGES)


def _pick(choice) -> str:
    if isinstance(choice, int) or (isinstance(choice, str) and choice.isdigit()):
        return NAMES[int(choice) % len(NAMES)]
    if choice in IMAGES:
        return choice
    raise ValueError(f"unknown image {choice!r}; have {NAMES}")


def handler(ctx, data: io.BytesIO = None):
    raw = data.getvalue() if data is not None else b""
    body = json.loads(raw) if raw.strip() else {}
    name = _pick(body.get("image", 0))
    size = int(body.get("size", 256))
    io_ms = float(body.get("io_ms", 0))
    if not 8 <= size <= 4096:
        raise ValueError("size must be within 8..4096")
    if not 0 <= io_ms <= 600_000:
        raise ValueError("io_ms must be within 0..600000")
    img = IMAGES[name]
    thumb = img.resize((size, max(1, round(size * img.height / img.width))), Image.BILINEAR, reducing_gap=2.0)
    pixels = np.asarray(thumb, dtype=np.float32)
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=85)
    time.sleep(io_ms / 1000.0)
    result = {
        "image": name,
        "width": thumb.width,
        "height": thumb.height,
        "jpeg_bytes": out.tell(),
        "mean_rgb": [round(float(v), 2) for v in pixels.mean(axis=(0, 1))],
    }
    return response.Response(ctx, response_data=json.dumps(result), headers={"Content-Type": "application/json"})

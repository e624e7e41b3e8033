"""Image function for the startup benchmark: a JPEG thumbnail with numpy + PIL.

Initialisation is what a cold start pays and a fork inherits: importing numpy and PIL, and
decoding one photograph of ``IMAGE_DIR`` (``IMAGE_FILE``, default the first JPEG by name) at
reduced scale (at least 512 px). A call makes a thumbnail ``size`` pixels wide (body ``{"size": 128}``), encodes it
as JPEG and answers its dimensions, byte count and mean colour. A body may ask the call to hold its
instance ``hold_ms`` milliseconds (at most 10 s) before answering (the cluster benchmark's rate rounds).
"""
import io
import json
import os
import time

import fdk  # noqa: F401  (the runtime this function is written against)
import numpy as np
from fdk import response
from PIL import Image

DECODE_MAX_PX = 512


def _load() -> Image.Image:
    directory = os.environ.get("IMAGE_DIR", "")
    if not os.path.isdir(directory):
        raise RuntimeError("IMAGE_DIR '{}' is not a directory (set it in the function's config)".format(directory))
    name = os.environ.get("IMAGE_FILE") or next(
        (n for n in sorted(os.listdir(directory)) if n.lower().endswith((".jpg", ".jpeg"))), None)
    if name is None:
        raise RuntimeError("no JPEG image in {}".format(directory))
    with Image.open(os.path.join(directory, name)) as img:
        img.draft("RGB", (DECODE_MAX_PX, DECODE_MAX_PX))  # JPEG DCT scaling: decode at 1/2..1/8 size
        return img.convert("RGB")


IMAGE = _load()


def handler(ctx, data: io.BytesIO = None):
    raw = data.getvalue() if data is not None else b""
    body = json.loads(raw) if raw.strip() else {}
    size = int(body.get("size", 128))
    if not 8 <= size <= DECODE_MAX_PX:
        raise ValueError("size must be within 8..{}".format(DECODE_MAX_PX))
    hold_ms = float(body.get("hold_ms", 0))
    if not 0 <= hold_ms <= 10000:
        raise ValueError("hold_ms must be within 0..10000")
    height = max(1, round(size * IMAGE.height / IMAGE.width))
    thumb = IMAGE.resize((size, height), Image.BILINEAR, reducing_gap=2.0)
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=85)
    mean = np.asarray(thumb, dtype=np.float32).mean(axis=(0, 1))
    result = {"width": thumb.width, "height": thumb.height, "jpeg_bytes": out.tell(),
              "mean_rgb": [round(float(v), 2) for v in mean]}
    if hold_ms > 0:
        time.sleep(hold_ms / 1000.0)
    return response.Response(ctx, response_data=json.dumps(result), headers={"Content-Type": "application/json"})

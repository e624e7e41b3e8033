"""A flow producer: keeps a marker object and a large buffer with fdk.state, answers their ids."""

import json

import fdk


class Marker:
    def __init__(self) -> None:
        self.mutated_by_producer = False


def handler(ctx, data=None):
    marker = Marker()
    marker.mutated_by_producer = True
    block = bytearray(b"x" * (8 << 20))
    block[0:5] = b"kept!"
    fdk.state.keep("marker", marker)
    fdk.state.keep("block", block)
    text = data.getvalue().decode()
    if text.startswith("also:"):  # keeps one more object, named by the input
        fdk.state.keep(text[len("also:"):], True)
    return json.dumps({"marker_id": id(marker), "block_address": _address(block),
                       "input": text, "kept": sorted(fdk.state.names())})


def _address(block):
    import ctypes
    return ctypes.addressof((ctypes.c_char * len(block)).from_buffer(block))

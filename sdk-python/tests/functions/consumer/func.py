"""A flow consumer in another bundle: reads what the producer it was forked from kept."""

import ctypes
import json

import fdk


def handler(ctx, data=None):
    marker = fdk.state.get("marker")
    block = fdk.state.get("block")
    address = ctypes.addressof((ctypes.c_char * len(block)).from_buffer(block))
    return json.dumps({"marker_id": id(marker), "mutated": marker.mutated_by_producer,
                       "block_address": address, "block_head": bytes(block[0:5]).decode(),
                       "block_len": len(block), "input": data.getvalue().decode()})

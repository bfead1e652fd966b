#!/usr/bin/env python3
"""Allocate a known set of DRAM and L1 tensors on mock device 0, print the
allocator's own numbers as one JSON line, hold until stdin has a line (or
SIGUSR1), then free everything and close the device."""
import json
import os
import signal
import struct
import sys
import threading

import ttnn

# (shape, memory config name); bf16 tiles are 32x32x2 = 2048 B per page.
TENSORS = [
    ([1, 1, 1024, 1024], "DRAM"),  # 1024 pages, 2 MiB
    ([1, 1, 64, 96], "DRAM"),      # 6 pages
    ([1, 1, 32, 32], "L1"),        # 1 page
    ([1, 1, 256, 64], "L1"),       # 16 pages
]


def view(dev, bt):
    """Allocator statistics as seen through ttnn's memory view."""
    v = ttnn.get_memory_view(dev, bt)
    out = {}
    for k in dir(v):
        if k.startswith("_"):
            continue
        val = getattr(v, k)
        if isinstance(val, (int, float)):
            out[k] = val
    return out


def shm_slot(pid):
    """This process's slot in TT-Metal's own /dev/shm tracker (v3)."""
    try:
        with open("/dev/shm/tt_device_0_memory", "rb") as f:
            b = f.read()
    except OSError:
        return None
    off = 88 + 16 * 48
    for i in range(64):
        p, = struct.unpack_from("<i", b, off + i * 120)
        if p == pid:
            v = struct.unpack_from("<5Q", b, off + i * 120 + 8)
            return dict(zip(["DRAM", "L1", "L1_SMALL", "TRACE", "CB"], v))
    return None


def main():
    dev = ttnn.open_device(device_id=0)
    cfg = {"DRAM": ttnn.DRAM_MEMORY_CONFIG, "L1": ttnn.L1_MEMORY_CONFIG}
    bts = {"DRAM": ttnn.BufferType.DRAM, "L1": ttnn.BufferType.L1}
    before = {k: view(dev, bt) for k, bt in bts.items()}
    held, sizes = [], []
    for shape, mem in TENSORS:
        t = ttnn.zeros(shape, dtype=ttnn.bfloat16, layout=ttnn.TILE_LAYOUT,
                       device=dev, memory_config=cfg[mem])
        held.append(t)
        # Buffer::size(): whole tiles of 32x32 bf16 = 2048 B each.
        pages = -(-shape[2] // 32) * -(-shape[3] // 32)
        sizes.append({"type": mem, "shape": shape, "pages": pages,
                      "size": pages * 2048, "page_size": 2048})
    after = {k: view(dev, bt) for k, bt in bts.items()}
    print(json.dumps({"event": "ready", "pid": os.getpid(),
                      "tensors": sizes, "view_before": before,
                      "view_after": after, "shm": shm_slot(os.getpid())}),
          flush=True)
    go = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *a: go.set())
    threading.Thread(target=lambda: (sys.stdin.readline(), go.set()),
                     daemon=True).start()
    go.wait()
    for t in held:
        ttnn.deallocate(t)
    print(json.dumps({"event": "freed",
                      "view": {k: view(dev, bt) for k, bt in bts.items()},
                      "shm": shm_slot(os.getpid())}), flush=True)
    ttnn.close_device(dev)


if __name__ == "__main__":
    main()

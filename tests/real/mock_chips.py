#!/usr/bin/env python3
"""Allocate known tensors through a 1x2 MeshDevice (MODE mesh), its second
1x1 submesh (MODE submesh) or on device 0 (MODE dev), print the sizes and this process's slots in TT-Metal's own
per-chip records (/dev/shm/tt_device_<id>_memory) as one JSON line, hold
until stdin has a line ("alloc": one more tensor, then hold again), then
free everything and close.

usage: mock_chips.py MODE"""
import json
import os
import struct
import sys

import ttnn
from mock_workload import SHM_PROCS, own_records

# (shape, memory config); bf16 tiles are 32x32x2 = 2048 B per page. A
# tensor on a mesh is replicated: each chip holds the full size.
TENSORS = [
    ([1, 1, 512, 512], "DRAM"),  # 256 pages
    ([1, 1, 64, 96], "DRAM"),    # 6 pages
    ([1, 1, 128, 64], "L1"),     # 8 pages
]
TYPES = ["DRAM", "L1", "L1_SMALL", "TRACE", "CB"]


def shm_slots(pid):
    """Per record file: its chip ids and this process's (pid: our own) five
    totals (v3)."""
    out = []
    for path, b in own_records():
        version, = struct.unpack_from("<I", b, 0)
        asic, dev = struct.unpack_from("<QI", b, 0x20)
        for i in range(64):
            off = SHM_PROCS + i * 120
            p, = struct.unpack_from("<i", b, off)
            if p == pid:
                v = struct.unpack_from("<5Q", b, off + 8)
                out.append({"file": os.path.basename(path),
                            "version": version, "asic_id": asic,
                            "device_id": dev, "usage": dict(zip(TYPES, v))})
    return out


def main():
    mode = sys.argv[1]
    parent = subs = None
    if mode == "mesh":
        dev = ttnn.open_mesh_device(ttnn.MeshShape(1, 2))
        chips = sorted(dev.get_device_ids())
    elif mode == "submesh":
        # A 1x1 submesh of a 1x2 mesh: its own allocator, its own chip.
        parent = ttnn.open_mesh_device(ttnn.MeshShape(1, 2))
        subs = parent.create_submeshes(ttnn.MeshShape(1, 1))
        dev = subs[1]
        chips = sorted(dev.get_device_ids())
    else:
        dev = ttnn.open_device(device_id=0)
        chips = [0]
    cfg = {"DRAM": ttnn.DRAM_MEMORY_CONFIG, "L1": ttnn.L1_MEMORY_CONFIG}
    held, sizes = [], []
    for shape, mem in TENSORS:
        held.append(ttnn.zeros(shape, dtype=ttnn.bfloat16,
                               layout=ttnn.TILE_LAYOUT, device=dev,
                               memory_config=cfg[mem]))
        pages = -(-shape[2] // 32) * -(-shape[3] // 32)
        sizes.append({"type": mem, "size": pages * 2048})
    print(json.dumps({"event": "ready", "pid": os.getpid(), "mode": mode,
                      "local_chips": chips,
                      "visible": os.environ.get("TT_VISIBLE_DEVICES"),
                      "tensors": sizes, "shm": shm_slots(os.getpid())}),
          flush=True)
    # "alloc": one more tensor, then wait again; anything else: free, close.
    while sys.stdin.readline().strip() == "alloc":
        shape, mem = TENSORS[0]
        held.append(ttnn.zeros(shape, dtype=ttnn.bfloat16,
                               layout=ttnn.TILE_LAYOUT, device=dev,
                               memory_config=cfg[mem]))
        pages = -(-shape[2] // 32) * -(-shape[3] // 32)
        print(json.dumps({"event": "more", "type": mem,
                          "size": pages * 2048,
                          "shm": shm_slots(os.getpid())}), flush=True)
    for t in held:
        ttnn.deallocate(t)
    if subs:
        for m in subs:
            ttnn.close_mesh_device(m)
        ttnn.close_mesh_device(parent)
    elif mode == "mesh":
        ttnn.close_mesh_device(dev)
    else:
        ttnn.close_device(dev)


if __name__ == "__main__":
    main()

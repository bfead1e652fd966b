#!/usr/bin/env python3
"""Unit meshes: ttnn.CreateDevices([0, 1]) (MeshDevice::create_unit_meshes
in ttnn 0.81.1: one 1x1 MeshDevice per chip, each with its own
allocator). Chip 0 gets every tensor of mock_workload.TENSORS, chip 1 only
the first, so that a mix-up of the chips shows. Prints the sizes per
chip and this process's slots in TT-Metal's record as one JSON line,
holds until stdin has a line, then frees and closes."""
import json
import os
import sys

from mock_workload import TENSORS, shm_slots

import ttnn


def main():
    devs = ttnn.CreateDevices([0, 1])
    cfg = {"DRAM": ttnn.DRAM_MEMORY_CONFIG, "L1": ttnn.L1_MEMORY_CONFIG}
    plan = {0: TENSORS, 1: TENSORS[:1]}
    held, sizes = [], {}
    for chip, tensors in plan.items():
        per = sizes.setdefault(str(chip), {"DRAM": 0, "L1": 0})
        for shape, mem in tensors:
            held.append(ttnn.zeros(shape, dtype=ttnn.bfloat16,
                                   layout=ttnn.TILE_LAYOUT,
                                   device=devs[chip],
                                   memory_config=cfg[mem]))
            pages = -(-shape[2] // 32) * -(-shape[3] // 32)
            per[mem] += pages * 2048
    print(json.dumps({"event": "ready", "pid": os.getpid(),
                      "device_ids": {str(k): list(v.get_device_ids())
                                     for k, v in devs.items()},
                      "sizes": sizes, "shm_chips": shm_slots(os.getpid())}),
          flush=True)
    sys.stdin.readline()
    for t in held:
        ttnn.deallocate(t)
    ttnn.CloseDevices(devs)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Allocate and free one tensor, then leak two DRAM tensors from a function at a known line on a mock device
(the test reads the lines from the marker comments), and free one L1
tensor. Prints "ready" once the device is open and waits for a line on
stdin, leaks, prints "holding" and waits for another line."""
import sys

import ttnn


# One line per call: a frame's line is where its call starts.
KW = dict(dtype=ttnn.bfloat16, layout=ttnn.TILE_LAYOUT)
DRAM = ttnn.DRAM_MEMORY_CONFIG


def make_tensor(dev, shape, mem):
    return ttnn.zeros(shape, device=dev, memory_config=mem, **KW)  # LEAK-TENSOR


def leak(dev, kept):
    for _ in range(2):
        kept.append(make_tensor(dev, [1, 1, 64, 64], DRAM))  # CALL-LEAK


def scratch(dev):
    t = make_tensor(dev, [1, 1, 32, 32], ttnn.L1_MEMORY_CONFIG)  # SCRATCH
    ttnn.deallocate(t)


def main():
    dev = ttnn.open_device(device_id=0)
    # Freed at once; has ttbpf inspect this interpreter before the leaks.
    ttnn.deallocate(make_tensor(dev, [1, 1, 32, 32], ttnn.L1_MEMORY_CONFIG))
    print("ready", flush=True)
    sys.stdin.readline()
    kept = []
    leak(dev, kept)  # CALL-MAIN
    scratch(dev)
    print("holding", flush=True)
    sys.stdin.readline()
    for t in kept:
        ttnn.deallocate(t)
    ttnn.close_device(dev)


main()

#!/usr/bin/env python3
"""Allocate as soon as the mock device is open, no warm-up: N DRAM tensors
kept from one line, N L1 tensors freed at once from another. Prints one
JSON line: "holding", the line of each call site as the interpreter
reports it and how many tensors each made; waits for a line on stdin,
frees and closes.
   mock_late.py N"""
import json
import sys

import ttnn

KW = dict(dtype=ttnn.bfloat16, layout=ttnn.TILE_LAYOUT)
N = int(sys.argv[1])
at = {}


def here(site):
    at.setdefault(site, {"line": sys._getframe(1).f_lineno, "count": 0})
    at[site]["count"] += 1


def keep(dev, kept):
    for _ in range(N):
        kept.append(ttnn.zeros([1, 1, 32, 32], device=dev, memory_config=ttnn.DRAM_MEMORY_CONFIG, **KW)); here("keep")


def churn(dev):
    for _ in range(N):
        ttnn.deallocate(ttnn.zeros([1, 1, 32, 32], device=dev, memory_config=ttnn.L1_MEMORY_CONFIG, **KW)); here("churn")


def main():
    dev = ttnn.open_device(device_id=0)
    kept = []
    keep(dev, kept)
    churn(dev)
    print(json.dumps({"holding": True, "sites": at}), flush=True)
    sys.stdin.readline()
    for t in kept:
        ttnn.deallocate(t)
    ttnn.close_device(dev)


main()

#!/usr/bin/env python3
"""Allocate and free one stand-in TT-Metal buffer N times from Python
(ctypes), so that every allocation has a Python call chain to capture.
   py_burst.py LIBTT_METAL N
Prints "ready", waits for a line on stdin, runs the pairs, prints "done"."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tests/e2e"))
from ttsim_ctypes import DRAM, load  # noqa: E402

lib = load(sys.argv[1])
create, destroy = lib.create, lib.destroy


def pairs(dev, n):
    for _ in range(n):
        destroy(create(dev, -1, DRAM, 4096, 2048))


dev = lib.open_device(0, None)
print("ready", flush=True)
sys.stdin.readline()
pairs(dev, int(sys.argv[2]))
print("done", flush=True)
lib.close_device(dev)

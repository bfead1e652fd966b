#!/usr/bin/env python3
"""Allocate and free one stand-in TT-Metal buffer N times from Python
(ctypes), so that every allocation has a Python call chain to capture.
   py_burst.py LIBTT_METAL N
Prints "ready", waits for a line on stdin, runs the pairs, prints "done"."""
import ctypes
import sys

DRAM = 0
lib = ctypes.CDLL(sys.argv[1])
open_device = lib._ZN5ttsim11open_deviceEiPKNS_6configE
open_device.restype = ctypes.c_void_p
open_device.argtypes = [ctypes.c_int, ctypes.c_void_p]
create = lib._ZN5ttsim13create_bufferEPNS_6deviceEiimm
create.restype = ctypes.c_void_p
create.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                   ctypes.c_uint64, ctypes.c_uint64]
destroy = lib._ZN5ttsim14destroy_bufferEPNS_6bufferE
destroy.argtypes = [ctypes.c_void_p]
close_device = lib._ZN5ttsim12close_deviceEPNS_6deviceE
close_device.argtypes = [ctypes.c_void_p]


def pairs(dev, n):
    for _ in range(n):
        destroy(create(dev, -1, DRAM, 4096, 2048))


dev = open_device(0, None)
print("ready", flush=True)
sys.stdin.readline()
pairs(dev, int(sys.argv[2]))
print("done", flush=True)
close_device(dev)

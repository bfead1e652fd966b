# A Python program that leaks device buffers of the stand-in TT-Metal
# through ctypes (which releases the GIL around each call, as pybind11
# code may). The test finds the lines it expects by the marker comments.
#   py_leak.py LIBTT_METAL TRUTH_JSON
# Allocates and frees one buffer, prints "ready", waits for a line on stdin, leaks, writes the addresses of
# the leaked and of the freed buffers to TRUTH_JSON, prints "holding",
# waits for another line, closes the device.
import ctypes
import json
import sys
import threading

DRAM, L1 = 0, 1
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
address = lib._ZN5ttsim14buffer_addressEPKNS_6bufferE
address.restype = ctypes.c_uint64
address.argtypes = [ctypes.c_void_p]
close_device = lib._ZN5ttsim12close_deviceEPNS_6deviceE
close_device.argtypes = [ctypes.c_void_p]

kept, freed = [], []


def alloc_weights(dev, n):
    for _ in range(n):
        kept.append(create(dev, -1, DRAM, 1 << 20, 2048))  # LEAK-WEIGHTS


def scratch(dev):
    buf = create(dev, -1, L1, 8192, 1024)  # FREED-SCRATCH
    freed.append(address(buf))
    destroy(buf)


class Model:
    def build(self, dev):
        alloc_weights(dev, 3)  # CALL-WEIGHTS
        scratch(dev)  # CALL-SCRATCH

    def cache(self, dev):
        kept.append(create(dev, -1, L1, 4096, 1024))  # LEAK-CACHE


def main():
    dev = open_device(0, None)
    destroy(create(dev, -1, DRAM, 4096, 2048))  # WARM-UP: freed at once
    print("ready", flush=True)
    sys.stdin.readline()
    Model().build(dev)  # CALL-BUILD
    worker = threading.Thread(target=Model().cache, args=(dev,))
    worker.start()  # a thread's own frames, not the main thread's
    worker.join()
    with open(sys.argv[2], "w") as f:
        json.dump({"leaked": [address(b) for b in kept], "freed": freed}, f)
    print("holding", flush=True)
    sys.stdin.readline()
    close_device(dev)


main()  # CALL-MAIN

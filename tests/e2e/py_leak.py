# A Python program that leaks device buffers of the stand-in TT-Metal
# through ctypes (ttsim_ctypes.py). The test finds the lines it expects by the marker comments.
#   py_leak.py LIBTT_METAL TRUTH_JSON
# Allocates and frees one buffer, prints "ready", waits for a line on stdin, leaks, writes the addresses of
# the leaked and of the freed buffers to TRUTH_JSON, prints "holding",
# waits for another line, closes the device.
import json
import sys
import threading

from ttsim_ctypes import DRAM, L1, load

lib = load(sys.argv[1])
open_device, create, destroy = lib.open_device, lib.create, lib.destroy
address, close_device = lib.address, lib.close_device

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

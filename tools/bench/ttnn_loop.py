#!/usr/bin/env python3
"""The real ttnn allocation path, timed: ttnn.zeros + ttnn.deallocate of a
small DRAM tensor on mock device 0, in a loop. Opens the device once, then
for each line "N" on stdin runs N pairs and prints "PAIRS NS_PER_PAIR"; the
bench attaches and detaches tracers between batches."""
import sys
import time

import ttnn


def pairs(dev, n):
    for _ in range(n):
        t = ttnn.zeros([1, 1, 32, 32], dtype=ttnn.bfloat16,
                       layout=ttnn.TILE_LAYOUT, device=dev,
                       memory_config=ttnn.DRAM_MEMORY_CONFIG)
        ttnn.deallocate(t)


def main():
    dev = ttnn.open_device(device_id=0)
    pairs(dev, 200)  # warm caches and lazy initialisation
    print("ready", flush=True)
    for line in sys.stdin:
        n = int(line)
        t0 = time.perf_counter_ns()
        pairs(dev, n)
        ns = (time.perf_counter_ns() - t0) / n
        print(f"{n} {ns:.1f}", flush=True)
    ttnn.close_device(dev)


if __name__ == "__main__":
    main()

# A Python program that allocates stand-in TT-Metal buffers through ctypes
# (ttsim_ctypes.py) as soon as its device is open: no warm-up, no wait.
#   py_late.py LIBTT_METAL N TRUTH_JSON [fork]
# Keeps N DRAM buffers from one line, allocates and frees N L1 buffers from
# another, writes to TRUTH_JSON its pid, the line of each call site (as the
# interpreter itself reports it), how many buffers each allocated and the
# addresses of the kept ones, prints "holding", waits for a line on stdin,
# closes the device. With "fork" a child forked at once does all that,
# the parent waits for it.
import json
import os
import sys

from ttsim_ctypes import DRAM, L1, load

lib = load(sys.argv[1])
n = int(sys.argv[2])
at = {}


def here(site):
    at.setdefault(site, {"line": sys._getframe(1).f_lineno, "count": 0})
    at[site]["count"] += 1


def keep(dev, kept):
    for _ in range(n):
        kept.append(lib.create(dev, -1, DRAM, 4096, 2048)); here("keep")


def churn(dev):
    for _ in range(n):
        lib.destroy(lib.create(dev, -1, L1, 4096, 1024)); here("churn")


def main():
    if sys.argv[4:] == ["fork"]:
        child = os.fork()
        if child:
            sys.exit(os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]))
    kept = []
    dev = lib.open_device(0, None)
    keep(dev, kept)
    churn(dev)
    with open(sys.argv[3], "w") as f:
        json.dump({"pid": os.getpid(), "sites": at, "kept": [lib.address(b) for b in kept]}, f)
    print("holding", flush=True)
    sys.stdin.readline()
    lib.close_device(dev)


main()

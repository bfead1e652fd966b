#!/usr/bin/env python3
"""Allocate a known set of DRAM and L1 tensors on a mock device, print the
allocator's own numbers as one JSON line, hold until stdin has a line (or
SIGUSR1), then free everything and close the device.

usage: mock_workload.py [--device N | --mesh ROWS COLS]
  --device N        ttnn.open_device(device_id=N) (default 0)
  --mesh ROWS COLS  ttnn.open_mesh_device(ttnn.MeshShape(ROWS, COLS))

The JSON line's "shm" has this process's slot in TT-Metal's own record of
every chip, /dev/shm/tt_device_<unique chip id>_memory (layout below)."""
import glob
import json
import os
import signal
import struct
import sys
import threading

import ttnn

# (shape, memory config name); bf16 tiles are 32x32x2 = 2048 B per page.
TENSORS = [
    ([1, 1, 1024, 1024], "DRAM"),  # 1024 pages, 2 MiB
    ([1, 1, 64, 96], "DRAM"),      # 6 pages
    ([1, 1, 32, 32], "L1"),        # 1 page
    ([1, 1, 256, 64], "L1"),       # 16 pages
]


def view(dev, bt):
    """Allocator statistics as seen through ttnn's memory view."""
    v = ttnn.get_memory_view(dev, bt)
    out = {}
    for k in dir(v):
        if k.startswith("_"):
            continue
        val = getattr(v, k)
        if isinstance(val, (int, float)):
            out[k] = val
    return out


# TT-Metal's per-chip record, version 3 (ttnn 0.81.1; read from the file
# itself, see README "Real TT-Metal, no card"): +0 u32 version, +4 u32
# active processes, +0x20 u64 unique chip id, +0x28 u32 logical device id,
# +0x30 five u64 totals, +0x58 16 chip slots of 48 B, +0x358 64 process
# slots of 120 B: i32 pid, +8 five u64 (DRAM, L1, L1_SMALL, TRACE, CB), a
# u64 timestamp, +56 char name[64].
SHM_TYPES = ["DRAM", "L1", "L1_SMALL", "TRACE", "CB"]
SHM_PROCS = 0x358


def own_records():
    """(path, bytes) of each record file this process maps. A slot under
    our pid in a file we do not map is not ours: TT-Metal clears a slot only
    in its destructor, so a process killed with SIGKILL leaves its slot, and
    its pid may be ours now."""
    mapped = set()
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 5 and fields[4] != "0":
                maj, mnr = (int(x, 16) for x in fields[3].split(":"))
                mapped.add((os.makedev(maj, mnr), int(fields[4])))
    for path in sorted(glob.glob("/dev/shm/tt_device_*_memory")):
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                b = f.read()
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in mapped and \
                len(b) >= SHM_PROCS + 64 * 120:
            yield path, b


def shm_slots(pid):
    """{unique chip id: {"device_id", "version", bytes per type}} for every
    chip where this process (pid: our own) has a slot in TT-Metal's
    record."""
    out = {}
    for _, b in own_records():
        version, = struct.unpack_from("<I", b, 0)
        unique, device = struct.unpack_from("<QI", b, 0x20)
        for i in range(64):
            off = SHM_PROCS + i * 120
            p, = struct.unpack_from("<i", b, off)
            if p == pid:
                v = struct.unpack_from("<5Q", b, off + 8)
                slot = dict(zip(SHM_TYPES, v))
                slot.update(version=version, device_id=device)
                out[str(unique)] = slot
    return out


def shm_slot(pid):
    """This process's slot on unique chip 0 (a single n150)."""
    return shm_slots(pid).get("0")


def open_device(argv):
    if argv[:1] == ["--mesh"]:
        shape = ttnn.MeshShape(int(argv[1]), int(argv[2]))
        return ttnn.open_mesh_device(shape)
    if argv[:1] == ["--device"]:
        return ttnn.open_device(device_id=int(argv[1]))
    return ttnn.open_device(device_id=0)


def main():
    dev = open_device(sys.argv[1:])
    cfg = {"DRAM": ttnn.DRAM_MEMORY_CONFIG, "L1": ttnn.L1_MEMORY_CONFIG}
    bts = {"DRAM": ttnn.BufferType.DRAM, "L1": ttnn.BufferType.L1}
    before = {k: view(dev, bt) for k, bt in bts.items()}
    held, sizes = [], []
    for shape, mem in TENSORS:
        t = ttnn.zeros(shape, dtype=ttnn.bfloat16, layout=ttnn.TILE_LAYOUT,
                       device=dev, memory_config=cfg[mem])
        held.append(t)
        # Buffer::size(): whole tiles of 32x32 bf16 = 2048 B each.
        pages = -(-shape[2] // 32) * -(-shape[3] // 32)
        sizes.append({"type": mem, "shape": shape, "pages": pages,
                      "size": pages * 2048, "page_size": 2048})
    after = {k: view(dev, bt) for k, bt in bts.items()}
    print(json.dumps({"event": "ready", "pid": os.getpid(),
                      "device_ids": list(dev.get_device_ids()),
                      "visible": os.environ.get("TT_VISIBLE_DEVICES"),
                      "tensors": sizes, "view_before": before,
                      "view_after": after, "shm": shm_slot(os.getpid()),
                      "shm_chips": shm_slots(os.getpid())}),
          flush=True)
    go = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *a: go.set())
    threading.Thread(target=lambda: (sys.stdin.readline(), go.set()),
                     daemon=True).start()
    go.wait()
    for t in held:
        ttnn.deallocate(t)
    print(json.dumps({"event": "freed",
                      "view": {k: view(dev, bt) for k, bt in bts.items()},
                      "shm": shm_slot(os.getpid())}), flush=True)
    if sys.argv[1:2] == ["--mesh"]:
        ttnn.close_mesh_device(dev)
    else:
        ttnn.close_device(dev)


if __name__ == "__main__":
    main()

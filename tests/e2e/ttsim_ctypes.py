"""The stand-in TT-Metal's entry points through ctypes (which releases the
GIL around each call, as pybind11 code may), for the Python programs that
drive it: tests/e2e/py_leak.py and tools/bench/py_burst.py.
   lib = ttsim_ctypes.load(LIBTT_METAL)
   dev = lib.open_device(0, None)
   buf = lib.create(dev, -1, ttsim_ctypes.DRAM, size, page_size)"""
import ctypes
import types

DRAM, L1 = 0, 1


def load(path):
    so = ctypes.CDLL(path)
    f = types.SimpleNamespace()
    f.open_device = so._ZN5ttsim11open_deviceEiPKNS_6configE
    f.open_device.restype = ctypes.c_void_p
    f.open_device.argtypes = [ctypes.c_int, ctypes.c_void_p]
    f.create = so._ZN5ttsim13create_bufferEPNS_6deviceEiimm
    f.create.restype = ctypes.c_void_p
    f.create.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                         ctypes.c_uint64, ctypes.c_uint64]
    f.destroy = so._ZN5ttsim14destroy_bufferEPNS_6bufferE
    f.destroy.argtypes = [ctypes.c_void_p]
    f.address = so._ZN5ttsim14buffer_addressEPKNS_6bufferE
    f.address.restype = ctypes.c_uint64
    f.address.argtypes = [ctypes.c_void_p]
    f.close_device = so._ZN5ttsim12close_deviceEPNS_6deviceE
    f.close_device.argtypes = [ctypes.c_void_p]
    return f

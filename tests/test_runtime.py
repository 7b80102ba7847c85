"""resnet.runtime.tune_allocator: freed large buffers stay in the heap instead of going back to the kernel."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

PROBE = """
import ctypes, sys
from resnet.runtime import tune_allocator
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
if sys.argv[1] == "tuned":
    assert tune_allocator()
before = rss_mb()
block = libc.malloc(32 << 20)
ctypes.memset(block, 1, 32 << 20)  # touch every page
libc.free(block)
print(round(rss_mb() - before))
"""


def kept_after_free_mb(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_tuned_allocator_keeps_freed_blocks_for_reuse():
    assert kept_after_free_mb("default") < 4  # glibc maps 32 MB blocks and unmaps them on free
    assert kept_after_free_mb("tuned") >= 30  # tuned: served from the heap and kept there

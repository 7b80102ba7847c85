"""resnet.core.runtime: the CLI's allocator keeps freed buffers for reuse; the app keeps lean."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

PROBE = """
import ctypes, sys
from resnet.core.runtime import keep_server_lean, release_free_memory, tune_allocator
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
if sys.argv[1] in ("tuned", "released"):
    assert tune_allocator()
before = rss_mb()
block = libc.malloc(32 << 20)
ctypes.memset(block, 1, 32 << 20)  # touch every page
libc.free(block)
if sys.argv[1] == "released":
    assert release_free_memory()
if sys.argv[1] in ("default after", "lean"):
    if sys.argv[1] == "lean":
        assert keep_server_lean(period_s=3600)
    libc.free(libc.malloc(16 << 20))  # by default glibc now raises its mmap threshold to 16 MB
    before = rss_mb()
    block = libc.malloc(8 << 20)  # a request's activations
    ctypes.memset(block, 1, 8 << 20)
    libc.free(block)
print(round(rss_mb() - before))
"""


def kept_after_free_mb(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_tuned_allocator_keeps_freed_blocks_for_reuse():
    assert kept_after_free_mb("default") < 4  # glibc maps 32 MB blocks and unmaps them on free
    assert kept_after_free_mb("tuned") >= 30  # tuned: served from the heap and kept there


def test_released_memory_goes_back_to_the_system():
    assert kept_after_free_mb("released") < 4  # what the tuned heap kept is returned by malloc_trim


def test_lean_server_returns_a_requests_large_buffers_at_once():
    assert kept_after_free_mb("default after") >= 6  # glibc's raised threshold: 8 MB served from the heap, kept
    assert kept_after_free_mb("lean") < 2  # a fixed 4 MB threshold: mapped, and unmapped on free

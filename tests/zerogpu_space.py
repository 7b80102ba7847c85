"""The app started as a ZeroGPU Space starts it, on a machine without a GPU.

    python tests/zerogpu_space.py OFFLOAD_DIR app.py-flags...

What is real: the ``spaces`` package in ZeroGPU mode (``SPACES_ZERO_GPU``), which patches torch
at import so that ``model.to("cuda")`` leaves placeholder tensors behind, and at launch packs the
weights to disk (``spaces.zero.torch.pack()``) and releases them: from then on any torch function
applied to a model tensor outside a ``spaces.GPU`` call raises "Cannot apply function ... on
disk-offloaded Tensor". Every thread the server starts runs under the package's torch mode (on a
Space only the main thread does; elsewhere a placeholder silently reads as zeros), so touching
the model outside a GPU call fails loudly here.

What is emulated: the GPU worker. On a Space each ``spaces.GPU`` call is pickled to a forked
process that moves the packed weights onto its GPU. Here the call's arguments and results are
pickled the same way (with Gradio's context), and for the call's duration the placeholders point
at the weights again (on the CPU, which stands in for the GPU: pinned memory and the CUDA random
generator are the CPU's). Each call's function name is appended to ``OFFLOAD_DIR.calls``, and
``OFFLOAD_DIR.packed`` says how many tensors were packed at launch.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import pickle
import sys
import threading
from pathlib import Path

os.environ["SPACES_ZERO_GPU"] = "true"
os.environ.setdefault("SPACES_ZERO_DEVICE_API_URL", "http://127.0.0.1:9/")  # never reached: see below
OFFLOAD_DIR = os.environ["ZEROGPU_OFFLOAD_DIR"] = sys.argv[1]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import spaces
import spaces.zero.torch as zero_torch
import torch
from spaces.zero import client
from spaces.zero.gradio import GradioPartialContext
from spaces.zero.torch import patching

client.startup_report = lambda: None  # the device API's hello at launch (no device API here)

_bootstrap_inner = threading.Thread._bootstrap_inner


def _under_zerogpu_mode(self):
    patching.enter_mode()  # TorchModes are thread-local; the package enters it in the main thread only
    _bootstrap_inner(self)


threading.Thread._bootstrap_inner = _under_zerogpu_mode

# The CPU stands in for the GPU inside calls: no pinned memory, the CPU's random generator.
torch.Tensor.pin_memory = lambda self, *args, **kwargs: self
_empty = torch.empty
torch.empty = functools.wraps(_empty)(lambda *args, pin_memory=False, **kwargs: _empty(*args, **kwargs))
torch.cuda.get_rng_state = lambda device="cuda": torch.get_rng_state()
torch.cuda.set_rng_state = lambda state, device="cuda": None


class Worker:
    """``spaces.GPU`` as the package's worker runs a call, with the weights it packed at launch."""

    def __init__(self):
        self.weights: list[tuple[torch.Tensor, torch.Tensor]] = []  # (placeholder, weights) pairs
        self.lock = threading.Lock()  # one GPU: one call at a time

    def pack(self) -> int:
        """At launch: keep the weights the package is about to offload, then let it offload them."""
        self.weights = [(fake, real) for fake, real in patching.cuda_aliases.items() if real is not None]
        size = real_pack()
        Path(f"{OFFLOAD_DIR}.packed").write_text(str(len(self.weights)))
        return size

    @contextlib.contextmanager
    def weights_on_gpu(self):
        with self.lock:
            for fake, real in self.weights:
                patching.cuda_aliases[fake] = real
            try:
                yield
            finally:
                for fake, _ in self.weights:
                    patching.cuda_aliases[fake] = None

    def count(self, name: str) -> None:
        with self.lock, open(f"{OFFLOAD_DIR}.calls", "a") as calls:
            calls.write(name + "\n")

    def GPU(self, fn=None, duration=None):
        if fn is None:
            return lambda f: self.GPU(f, duration=duration)

        def call(*args, **kwargs):
            self.count(fn.__name__)
            args, kwargs, _ = round_trip((args, kwargs, GradioPartialContext.get()))
            with self.weights_on_gpu():
                return round_trip(fn(*args, **kwargs))

        def stream(*args, **kwargs):
            self.count(fn.__name__)
            args, kwargs, _ = round_trip((args, kwargs, GradioPartialContext.get()))
            values = fn(*args, **kwargs)
            while True:
                with self.weights_on_gpu():
                    try:
                        value = round_trip(next(values))
                    except StopIteration:
                        return
                yield value

        wrapper = functools.wraps(fn)(stream if inspect.isgeneratorfunction(fn) else call)
        wrapper.__wrapped__ = fn  # Gradio reads the signature (request, progress) through this
        return wrapper


def round_trip(value):
    return pickle.loads(pickle.dumps(value))


worker = Worker()
real_pack = zero_torch.pack
zero_torch.pack = worker.pack
spaces.GPU = worker.GPU


if __name__ == "__main__":
    import app

    app.main(sys.argv[2:])

"""Results from the model's device to the host: numpy arrays, packed into one copy on a GPU."""

from __future__ import annotations

import numpy as np
import torch


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """float32, C-contiguous, on the CPU (CUDA activations may be channels-last or fp16)."""
    return tensor.detach().float().cpu().contiguous().numpy()


def to_host(parts: dict[str, torch.Tensor], pack: bool | None = None) -> dict[str, np.ndarray]:
    """Batched tensors (B, ...) on the model's device -> numpy arrays (B, ...) on the host.

    Floating-point parts come back as float32, integer parts as int64, C-contiguous. On a GPU
    they are made contiguous there, packed into one buffer per kind and copied to pinned memory
    in one non-blocking copy, then waited for once. On the CPU nothing is copied that need not be
    (``pack=True`` packs there too: how the tests check the GPU's path).
    """
    device = next(iter(parts.values())).device
    cuda = device.type == "cuda"
    if not (cuda if pack is None else pack):
        return {
            name: (t.float() if t.is_floating_point() else t.long()).contiguous().numpy() for name, t in parts.items()
        }
    host: dict[str, np.ndarray] = {}
    for kind, dtype in ((True, torch.float32), (False, torch.int64)):
        chosen = {name: t for name, t in parts.items() if t.is_floating_point() == kind}
        if not chosen:
            continue
        batch = next(iter(chosen.values())).shape[0]
        packed = torch.cat([t.to(dtype).reshape(batch, -1) for t in chosen.values()], dim=1)  # (B, N) contiguous
        pinned = torch.empty(packed.shape, dtype=dtype, pin_memory=cuda)
        pinned.copy_(packed, non_blocking=cuda)
        if cuda:
            torch.cuda.synchronize(device)
        flat, start = pinned.numpy(), 0
        for name, t in chosen.items():
            size = t[0].numel()
            host[name] = flat[:, start : start + size].reshape(t.shape)
            start += size
    return {name: host[name] for name in parts}

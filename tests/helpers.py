"""Helpers shared by the test modules (imported as ``helpers``; never from another test module)."""

from __future__ import annotations

import copy
import socket
from pathlib import Path

import torch

from resnet.teach import Head


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A memory figure of a process from /proc (VmRSS: resident now, VmHWM: peak resident)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def reference_with_head(reference_model, head: Head) -> torch.nn.Module:
    """torchvision's resnet50 with ``fc`` replaced by a Linear(2048, K) holding the head."""
    model = copy.deepcopy(reference_model)
    model.fc = torch.nn.Linear(2048, len(head.classes))
    with torch.no_grad():
        model.fc.weight.copy_(torch.from_numpy(head.weight))
        model.fc.bias.copy_(torch.from_numpy(head.bias))
    return model.eval()

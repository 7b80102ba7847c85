"""A taught head: K new classes' rows in place of ``fc``, its file, and the model it makes.

A head file (safetensors) holds ``weight`` (K, 2048) and ``bias`` (K,) float32, and as metadata
the class names and the sha256 of the backbone it was taught on (``backbone_sha256``), so a
head is never used on another backbone. ``HeadCache`` keeps what is made of the heads in use.
Teaching one is ``resnet.learn.teaching``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import torch
from torch import nn

from resnet.core.network import head, walk
from resnet.core.weights import LoadedWeights

FEATURES = 2048  # pooled layer4 channels of ResNet50
MIN_CLASSES, MAX_CLASSES = 2, 10  # a head's classes
T = TypeVar("T")


@dataclass(frozen=True)
class Head:
    weight: np.ndarray  # (K, 2048) float32: row k is class k's direction, as fc.weight
    bias: np.ndarray  # (K,) float32
    classes: list[str]
    backbone_sha256: str  # of the backbone's parameters and buffers (see backbone_sha256)


def backbone_sha256(model: nn.Module) -> str:
    """sha256 of every parameter and buffer except ``fc``: names, dtypes, shapes and bytes."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        if name.startswith("fc."):
            continue
        value = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{value.dtype}:{tuple(value.shape)};".encode())
        digest.update(value.reshape(-1).view(torch.uint8).numpy())  # hashed in place, not copied
    return digest.hexdigest()


def predict(head: Head, features: np.ndarray) -> np.ndarray:
    """Class indices the head gives to (N, 2048) features."""
    return np.argmax(features @ head.weight.T + head.bias, axis=1)


def with_head(weights: LoadedWeights, head: Head, backbone: str | None = None) -> LoadedWeights:
    """The same backbone with the head in place of ``fc``: an Explainer on it explains the taught
    classes. The backbone's modules are shared, not copied; the shared model is left as it is.
    ``backbone``: the weights' ``backbone_sha256`` when already known (it takes a fraction of a second)."""
    if head.weight.shape[1] != FEATURES or head.bias.shape != (head.weight.shape[0],):
        raise ValueError(f"A head must be ({len(head.classes)}, {FEATURES}) weights and ({len(head.classes)},) bias.")
    actual = backbone or backbone_sha256(weights.model)
    if head.backbone_sha256 != actual:
        raise ValueError(
            f"This head was taught on another backbone (sha256 {head.backbone_sha256[:12]}…), not on these "
            f"weights ({weights.describe()}, {actual[:12]}…). Use the weights it was taught with, or teach it again."
        )
    fc = nn.Linear(FEATURES, len(head.classes)).to(weights.device)
    with torch.no_grad():
        fc.weight.copy_(torch.from_numpy(head.weight))
        fc.bias.copy_(torch.from_numpy(head.bias))
    model = TaughtModel(weights.model, fc.requires_grad_(False))
    return dataclasses.replace(weights, model=model, categories=list(head.classes))


class TaughtModel(nn.Module):
    """A shared ResNet50 backbone with a taught head as its ``fc``.

    The backbone's modules are the shared model's own (not copies), registered under the same
    names, so the network walk, the grad-cam package's target layers and ``backbone_sha256`` see
    a ResNet50; only ``fc`` is this visitor's.
    """

    def __init__(self, backbone: nn.Module, fc: nn.Linear):
        super().__init__()
        for name, module in backbone.named_children():
            if name != "fc":
                self.add_module(name, module)
        self.fc = fc
        self.eval()  # the flag of this wrapper and its head; the shared modules are already in eval mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 224, 224) -> (B, K) logits of the taught classes."""
        for step in walk(self, x):
            features = step.output  # layer4's output at the end: (B, 2048, 7, 7)
        return head(self, features)


def save_head(head: Head, path: str | Path) -> None:
    from safetensors.numpy import save_file

    metadata = {"classes": json.dumps(head.classes, ensure_ascii=False), "backbone_sha256": head.backbone_sha256}
    tensors = {
        "weight": np.ascontiguousarray(head.weight, np.float32),
        "bias": np.ascontiguousarray(head.bias, np.float32),
    }
    save_file(tensors, str(path), metadata=metadata)


def load_head(path: str | Path) -> Head:
    """A head file written by ``save_head`` (or by hand with the same keys); a ``ValueError`` whose
    sentence says what is wrong otherwise (never the file's path: on a server it means nothing)."""
    from safetensors import safe_open

    if Path(path).stat().st_size > MAX_HEAD_BYTES:
        raise ValueError(f"{_NOT_A_HEAD} It is over {MAX_HEAD_BYTES // 2**10} KB; a head of 10 classes is 80 KB.")
    try:
        with safe_open(str(path), framework="numpy") as file:
            metadata = file.metadata() or {}
            weight, bias = file.get_tensor("weight"), file.get_tensor("bias")
        classes = json.loads(metadata["classes"])
        backbone = metadata["backbone_sha256"]
    except Exception:  # safetensors raises its own error types; a missing key is a KeyError
        raise ValueError(f"{_NOT_A_HEAD} It is not one, or it is damaged.") from None
    return Head(*_checked_head(weight, bias, classes, backbone))


MAX_HEAD_BYTES = 2**20  # a head file's size limit (10 classes: 80 KB of weights)
_NOT_A_HEAD = (
    "This is not a head file made by the Teach tab or python -m resnet teach (safetensors with weight, "
    "bias, and classes and backbone_sha256 metadata)."
)


def _checked_head(weight: np.ndarray, bias: np.ndarray, classes, backbone) -> tuple:
    """The head's parts if they make a head the Teach tab could have made; a ValueError otherwise."""
    names_ok = isinstance(classes, list) and all(isinstance(c, str) and c.strip() and len(c) <= 60 for c in classes)
    if not names_ok or not MIN_CLASSES <= len(classes) <= MAX_CLASSES or len(set(classes)) != len(classes):
        raise ValueError(
            f"{_NOT_A_HEAD} Its classes must be a list of {MIN_CLASSES} to {MAX_CLASSES} different names "
            "(up to 60 characters each)."
        )
    if not (isinstance(backbone, str) and len(backbone) == 64 and all(ch in "0123456789abcdef" for ch in backbone)):
        raise ValueError(f"{_NOT_A_HEAD} Its backbone_sha256 is not a sha256 in hex.")
    if weight.shape != (len(classes), FEATURES) or bias.shape != (len(classes),):
        raise ValueError(
            f"A head of {len(classes)} classes needs weight ({len(classes)}, {FEATURES}) and bias "
            f"({len(classes)},); this file has {weight.shape} and {bias.shape}. Teach the head again."
        )
    if weight.dtype.kind != "f" or bias.dtype.kind != "f":
        raise ValueError(f"The head's weights must be floating-point numbers; they are {weight.dtype}. Teach it again.")
    weight, bias = weight.astype(np.float32), bias.astype(np.float32)
    if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
        raise ValueError("The head's weights include infinities or NaN (not-a-number). Teach the head again.")
    return weight, bias, list(classes), backbone


class HeadCache(Generic[T]):
    """What ``build`` makes of a taught head, made once per head and kept for the last ``keep``
    heads used (each may hold a model copy); thread-safe. Heads are told apart by their
    contents, and every head is checked against ``backbone`` (a ``backbone_sha256``) by ``build``."""

    def __init__(self, build: Callable[[Head], T], keep: int = 4):
        self.build, self.keep = build, keep
        self._made: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, head: Head) -> T:
        key = fingerprint(head)
        with self._lock:
            if key in self._made:
                self._made.move_to_end(key)
                return self._made[key]
        made = self.build(head)  # outside the lock: a model copy takes a while
        with self._lock:
            self._made[key] = made
            while len(self._made) > self.keep:
                self._made.popitem(last=False)
        return made


def fingerprint(head: Head) -> str:
    """sha256 of a head's weights, bias, class names and backbone: equal heads, equal prints."""
    digest = hashlib.sha256(head.weight.tobytes())
    digest.update(head.bias.tobytes())
    digest.update("\0".join(head.classes).encode())
    digest.update(head.backbone_sha256.encode())
    return digest.hexdigest()

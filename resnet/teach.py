"""Teach ResNet50 new classes: a linear head on the frozen backbone's pooled layer4 features.

Transfer learning as practitioners do it first: the backbone stays as it is, every example
photo (and its mirror image, as augmentation) goes through it once, and a multinomial logistic
regression is fitted on the 2048 pooled ``layer4`` features. The head replaces ``fc``: its rows
are the new classes' weights, so the engine's one-pass Grad-CAM (``fc.weight[c] / 49``) and
logit decomposition work for the taught classes unchanged.

A head file (safetensors) holds ``weight`` (K, 2048) and ``bias`` (K,) float32, and as metadata
the class names and the sha256 of the backbone it was taught on (``backbone_sha256``), so a
head is never used on another backbone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as nnf
from PIL import Image, ImageOps
from torch import nn

from .explain import Explainer
from .network import head, walk
from .preprocess import model_input
from .weights import LoadedWeights

FEATURES = 2048  # pooled layer4 channels of ResNet50
MIN_CLASSES, MAX_CLASSES = 2, 10
L2 = 1e-3  # weight decay of the head (features are ReLU outputs averaged over 7×7, about 0..5)


@dataclass(frozen=True)
class Head:
    weight: np.ndarray  # (K, 2048) float32: row k is class k's direction, as fc.weight
    bias: np.ndarray  # (K,) float32
    classes: list[str]
    backbone_sha256: str  # of the backbone's parameters and buffers (see backbone_sha256)


@dataclass(frozen=True)
class Taught:
    """A fitted head and how well it did."""

    head: Head
    examples: dict[str, int]  # photos per class
    train_accuracy: float  # on the photos it was fitted on (mirror images not counted)
    held_out_accuracy: float | None  # on photos left out of a first fit; None when too few photos
    held_out: int  # how many photos were left out for it


def backbone_sha256(model: nn.Module) -> str:
    """sha256 of every parameter and buffer except ``fc``: names, dtypes, shapes and bytes."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        if name.startswith("fc."):
            continue
        value = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{value.dtype}:{tuple(value.shape)};".encode())
        digest.update(value.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def pooled_features(
    explainer: Explainer,
    images: list[Image.Image],
    mirrored: bool = False,
    batch_size: int = 16,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """The pooled layer4 features the head sees, (N, 2048) float32; with ``mirrored`` each image's
    left-right mirror follows it, (2N, 2048). ``progress(n)`` is told after every batch."""
    pictures = [p for image in images for p in ((image, ImageOps.mirror(image)) if mirrored else (image,))]
    rows = []
    for start in range(0, len(pictures), batch_size):
        chunk = pictures[start : start + batch_size]
        x = torch.cat([model_input(p, explainer.weights.transforms)[0] for p in chunk])  # (B, 3, 224, 224)
        with torch.inference_mode():
            _, stages = explainer.forward_stages(x)
            rows.append(stages["layer4"].float().mean(dim=(2, 3)).cpu().numpy())  # (B, 2048)
        if progress:
            progress(len(chunk) // (2 if mirrored else 1))
    return np.concatenate(rows) if rows else np.zeros((0, FEATURES), np.float32)


def fit_head(features: np.ndarray, labels: np.ndarray, classes: list[str], backbone: str, l2: float = L2) -> Head:
    """Multinomial logistic regression on (N, 2048) features and (N,) labels, fitted with L-BFGS.

    It is fitted on standardised features (each channel's mean and spread over the examples)
    with an L2 penalty, and the scaling is folded into the returned weights and bias, so the
    head applies to the raw pooled features as ``fc`` does.
    """
    raw = torch.from_numpy(np.asarray(features, np.float32))  # (N, 2048)
    mean, spread = raw.mean(dim=0), raw.std(dim=0, correction=0) + 1e-6
    x = (raw - mean) / spread
    y = torch.from_numpy(np.asarray(labels, np.int64))
    weight = torch.zeros(len(classes), x.shape[1], requires_grad=True)
    bias = torch.zeros(len(classes), requires_grad=True)
    optimiser = torch.optim.LBFGS([weight, bias], lr=1, max_iter=200, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        value = nnf.cross_entropy(x @ weight.T + bias, y) + l2 * weight.pow(2).sum()
        value.backward()
        return value

    with torch.enable_grad():
        optimiser.step(loss)
    with torch.no_grad():
        folded = weight / spread  # (K, 2048): w·(f - mean)/spread + b = (w/spread)·f + (b - (w/spread)·mean)
        shift = bias - folded @ mean
    return Head(folded.numpy().astype(np.float32), shift.numpy().astype(np.float32), list(classes), backbone)


def predict(head: Head, features: np.ndarray) -> np.ndarray:
    """Class indices the head gives to (N, 2048) features."""
    return np.argmax(features @ head.weight.T + head.bias, axis=1)


def teach(
    explainer: Explainer, examples: dict[str, list[Image.Image]], progress: Callable[[int], None] | None = None
) -> Taught:
    """Fit a head for 2-10 named classes of example photos (upright RGB images).

    Every photo and its mirror image are features (see ``teach_features``).
    """
    check_classes(examples)
    features = {
        name: pooled_features(explainer, photos, mirrored=True, progress=progress) for name, photos in examples.items()
    }
    return teach_features(features, backbone_sha256(explainer.model))


def check_classes(examples: dict[str, list]) -> None:
    """2-10 classes, each with a name of its own and at least one photo; a clear ValueError otherwise."""
    classes = [name.strip() for name in examples]
    if not MIN_CLASSES <= len(classes) <= MAX_CLASSES:
        raise ValueError(f"Teach {MIN_CLASSES} to {MAX_CLASSES} classes; got {len(classes)}.")
    if len(set(classes)) != len(classes) or not all(classes):
        raise ValueError("Every class needs a name of its own.")
    empty = [name for name, photos in examples.items() if len(photos) == 0]
    if empty:
        raise ValueError(f"These classes have no photos: {', '.join(empty)}.")


def teach_features(features: dict[str, np.ndarray], backbone: str) -> Taught:
    """Fit a head on each class's pooled features, (2n, 2048): every photo followed by its mirror.

    When every class has at least 3 photos, one photo in 4 of each class (at least one) is first
    left out, and the accuracy of a head fitted without them is reported; the returned head is
    then fitted on all photos.
    """
    check_classes(features)
    classes = list(features)
    counts = {name: len(f) // 2 for name, f in features.items()}
    labels, photo_of = [], []
    for k, name in enumerate(classes):
        labels += [k] * (2 * counts[name])
        photo_of += [(k, i) for i in range(counts[name]) for _ in range(2)]
    x, y = np.concatenate(list(features.values())), np.array(labels)
    original = np.array([i % 2 == 0 for i in range(len(y))])  # the photo itself, not its mirror
    held_out_accuracy, held = None, 0
    if min(counts.values()) >= 3:
        out = np.array([i % 4 == 3 or (i == 0 and counts[classes[k]] < 4) for k, i in photo_of])
        first = fit_head(x[~out], y[~out], classes, backbone)
        test = out & original
        held = int(test.sum())
        held_out_accuracy = float((predict(first, x[test]) == y[test]).mean())
    head = fit_head(x, y, classes, backbone)
    train_accuracy = float((predict(head, x[original]) == y[original]).mean())
    return Taught(head, counts, train_accuracy, held_out_accuracy, held)


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

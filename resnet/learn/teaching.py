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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as nnf
from PIL import Image, ImageOps
from torchvision import transforms as T

from resnet.core.explainer import Explainer
from resnet.core.heads import FEATURES, MAX_CLASSES, MIN_CLASSES, Head, backbone_sha256, predict
from resnet.core.preprocess import model_input

L2 = 1e-3  # weight decay of the head (features are ReLU outputs averaged over 7×7, about 0..5)


@dataclass(frozen=True)
class Taught:
    """A fitted head and how well it did."""

    head: Head
    examples: dict[str, int]  # photos per class
    train_accuracy: float  # on the photos it was fitted on (mirror images not counted)
    held_out_accuracy: float | None  # on photos left out of a first fit; None when too few photos
    held_out: int  # how many photos were left out for it


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


def seeded_crops(photos: list[Image.Image], count: int, seed: int = 0) -> list[list[Image.Image]]:
    """``count`` random crops (35-100% of the area, 320×320) of each photo, the same on every
    call: a class from one photo, to try teaching without collecting any."""
    crop = T.RandomResizedCrop(size=(320, 320), scale=(0.35, 1.0))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return [[crop(photo) for _ in range(count)] for photo in photos]

"""Occlusion sensitivity: how much the class score drops when a patch of the image is covered.

A grey patch (the ImageNet mean colour: 0 in the normalised input) slides over the image; every
position is one forward pass, run in batches. A pixel's value is the average drop of the logit
over the patches that covered it, the same definition as captum's ``Occlusion`` with a zero
baseline, which the tests use as the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from resnet.core.explainer import Explainer


@dataclass(frozen=True)
class Occlusion:
    drop: np.ndarray  # (224, 224) float32: average logit drop over the patches covering each pixel
    forwards: int  # forward passes it took (one per patch position, plus the unoccluded image)


def positions(size: int, patch: int, stride: int) -> list[int]:
    """Top (or left) edges of the patches along one side, as captum places them."""
    return list(range(0, size - patch + 1, stride))


def occlusion_forwards(size: int = 224, patch: int = 32, stride: int = 16) -> int:
    """Forward passes an occlusion map costs: one per patch position, plus the image itself."""
    return len(positions(size, patch, stride)) ** 2 + 1


def occlusion_map(
    explainer: Explainer, x: np.ndarray, cam_class: int, patch: int = 32, stride: int = 16, batch_size: int = 32
) -> Occlusion:
    """The occlusion map of ``cam_class`` for an input (3, H, W), patches of ``patch`` pixels moved by ``stride``."""
    cam_class = explainer.check_class(cam_class)
    image = torch.from_numpy(x).to(explainer.device)  # (3, H, W)
    _, height, width = image.shape
    corners = [(top, left) for top in positions(height, patch, stride) for left in positions(width, patch, stride)]
    with torch.inference_mode():
        base = float(_logits(explainer, image[None])[0, cam_class])
        drops = []
        for start in range(0, len(corners), batch_size):
            chunk = corners[start : start + batch_size]
            batch = image.repeat(len(chunk), 1, 1, 1)  # (B, 3, H, W)
            for i, (top, left) in enumerate(chunk):
                batch[i, :, top : top + patch, left : left + patch] = 0  # the mean colour, normalised
            drops.append(base - _logits(explainer, batch)[:, cam_class].float())
        drop = torch.cat(drops).cpu()  # (positions,)
    total = torch.zeros(height, width)
    count = torch.zeros(height, width)
    for d, (top, left) in zip(drop, corners, strict=True):
        total[top : top + patch, left : left + patch] += d
        count[top : top + patch, left : left + patch] += 1
    return Occlusion((total / count.clamp(min=1)).numpy().astype(np.float32), len(corners) + 1)


def _logits(explainer: Explainer, batch: torch.Tensor) -> torch.Tensor:
    logits, _ = explainer.forward_stages(batch)
    return logits

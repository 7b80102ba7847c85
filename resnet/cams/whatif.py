"""What-if: paint over part of the picture the model saw, fill it, and explain the result.

The mask is painted over the 224×224 crop (at any display size); the painted pixels are filled
with a blur of the crop or with its mean colour, and the edited crop goes through the model as
it is (no second resize), so an empty mask gives back the original scores exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from resnet.core.explainer import Explainer
from resnet.core.explanation import Explanation

FILLS = ("blur", "mean colour")  # how painted pixels are filled
BLUR_RADIUS = 12  # Gaussian radius in crop pixels: enough to erase a cat's eye, not its silhouette


@dataclass(frozen=True)
class WhatIf:
    edited: Image.Image  # the crop with the painted region filled
    mask: np.ndarray  # (224, 224) bool: the painted pixels
    after: Explanation  # the edited crop explained, Grad-CAM of `cam_class`
    cam_class: int
    logit_before: float
    logit_after: float
    probability_before: float
    probability_after: float

    @property
    def painted(self) -> float:
        """Share of the crop painted, 0..1."""
        return float(self.mask.mean())


def painted_mask(layers: list[np.ndarray], size: tuple[int, int] = (224, 224)) -> np.ndarray:
    """Where any paint layer (H, W, 4) is at least half opaque, resized to ``size`` (width, height):
    (h, w) bool. A pixel of the crop counts as painted when half of what covers it is."""
    alpha = np.zeros(layers[0].shape[:2], np.float32) if layers else np.zeros(size[::-1], np.float32)
    for layer in layers:
        if layer.ndim == 3 and layer.shape[2] == 4:
            alpha = np.maximum(alpha, layer[..., 3].astype(np.float32) / 255)
    coverage = Image.fromarray(alpha, mode="F").resize(size, Image.Resampling.BOX)  # mean over each crop pixel
    return np.asarray(coverage) >= 0.5


def fill(crop: Image.Image, mask: np.ndarray, how: str) -> Image.Image:
    """The crop with ``mask``'s pixels replaced by a blur of the crop or by its mean colour."""
    if how not in FILLS:
        raise ValueError(f"Unknown fill {how!r}; choose one of {', '.join(FILLS)}.")
    crop = crop.convert("RGB")
    pixels = np.asarray(crop)  # (224, 224, 3) uint8
    if how == "blur":
        filler = np.asarray(crop.filter(ImageFilter.GaussianBlur(BLUR_RADIUS)))
    else:
        filler = np.broadcast_to(np.rint(pixels.reshape(-1, 3).mean(0)).astype(np.uint8), pixels.shape)
    return Image.fromarray(np.where(mask[..., None], filler, pixels))


def what_if(explainer: Explainer, before: Explanation, mask: np.ndarray, how: str, cam_class: int) -> WhatIf:
    """Explain ``before``'s crop with ``mask`` filled: one forward pass; Grad-CAM of ``cam_class``."""
    cam_class = explainer.check_class(cam_class)
    edited = fill(before.crop, mask, how)
    after = explainer.explain_crops([edited], [cam_class])[0]
    return WhatIf(
        edited=edited,
        mask=mask,
        after=after,
        cam_class=cam_class,
        logit_before=float(before.logits[cam_class]),
        logit_after=float(after.logits[cam_class]),
        probability_before=float(before.probabilities[cam_class]),
        probability_after=float(after.probabilities[cam_class]),
    )

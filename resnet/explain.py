"""Explain one image with one forward pass: top-5, top-1 Grad-CAM at layer4, stage activations.

ResNet50 ends in global average pooling and one linear layer, so for the ``layer4`` output
``A`` (2048×7×7) the logit of class c is ``sum_k fc.weight[c, k] * mean(A_k) + fc.bias[c]``.
Its gradient with respect to ``A_k[i, j]`` is ``fc.weight[c, k] / 49`` everywhere: Grad-CAM's
channel weights are known without a backward pass, and the CAM of any class is one product of
``fc.weight[c]`` with the stored activations.

The forward pass is written out stage by stage (as timm's ``forward_features``), so no hooks
are ever installed and concurrent calls share nothing but the read-only model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as nnf
from PIL import Image

from .preprocess import model_input
from .weights import LoadedWeights

STAGES = ("stem", "layer1", "layer2", "layer3", "layer4")
TOP_K = 5
_EPS = 1e-7  # the grad-cam package's normalisation epsilon, kept so results match it


@dataclass(frozen=True)
class Prediction:
    index: int  # ImageNet-1k class id, 0..999
    name: str  # human-readable class name from weights.meta["categories"]
    probability: float


@dataclass(frozen=True)
class Explanation:
    """Everything one forward pass tells about one image."""

    logits: np.ndarray  # (1000,) float32
    probabilities: np.ndarray  # (1000,) float32, softmax of logits
    top5: list[Prediction]  # most probable first
    cam_class: int  # the class the CAM explains
    cam: np.ndarray  # (224, 224) float32 in [0, 1], Grad-CAM at layer4 over `crop`
    stages: dict[str, np.ndarray]  # STAGES -> (C, H, W) float32 activations
    crop: Image.Image  # the 224×224 RGB picture the model saw

    @property
    def label_confidences(self) -> dict[str, float]:
        return {p.name: p.probability for p in self.top5}


class Explainer:
    """Runs the model on images. Holds only read-only state; safe to share across threads."""

    def __init__(self, weights: LoadedWeights):
        self.weights = weights
        self.model = weights.model
        self.device = weights.device

    def explain(self, image: Image.Image, cam_class: int | None = None) -> Explanation:
        """Explain a clean RGB image (see ``preprocess.load_image``).

        Args:
            image: upright RGB PIL image.
            cam_class: class id for the CAM; defaults to the top-1 class.
        """
        x, crop = model_input(image, self.weights.transforms)  # (1, 3, 224, 224)
        with torch.inference_mode():
            logits, stages = self.forward_stages(x.to(self.device))
            probabilities = logits.softmax(dim=1)[0]  # (1000,)
            cam_class = int(probabilities.argmax()) if cam_class is None else _check_class(cam_class)
            cam = self.layer4_gradcam(stages["layer4"][0], cam_class, size=tuple(x.shape[-2:]))
        top = probabilities.topk(TOP_K)
        names = self.weights.categories
        top5 = [Prediction(int(i), names[int(i)], float(p)) for p, i in zip(top.values, top.indices)]
        return Explanation(
            logits=logits[0].float().cpu().numpy(),
            probabilities=probabilities.float().cpu().numpy(),
            top5=top5,
            cam_class=cam_class,
            cam=cam.cpu().numpy(),
            stages={name: act[0].float().cpu().numpy() for name, act in stages.items()},
            crop=crop,
        )

    def forward_stages(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The torchvision ResNet forward, stage by stage. Returns logits (B, 1000) and activations."""
        m = self.model
        stem = m.maxpool(m.relu(m.bn1(m.conv1(x))))  # (B, 64, 56, 56)
        layer1 = m.layer1(stem)  # (B, 256, 56, 56)
        layer2 = m.layer2(layer1)  # (B, 512, 28, 28)
        layer3 = m.layer3(layer2)  # (B, 1024, 14, 14)
        layer4 = m.layer4(layer3)  # (B, 2048, 7, 7)
        logits = m.fc(torch.flatten(m.avgpool(layer4), 1))  # (B, 1000)
        return logits, dict(zip(STAGES, (stem, layer1, layer2, layer3, layer4)))

    def layer4_gradcam(self, layer4: torch.Tensor, cam_class: int, size: tuple[int, int]) -> torch.Tensor:
        """Grad-CAM of ``cam_class`` from layer4 activations (2048, h, w), upsampled to ``size``.

        Equals pytorch-grad-cam's ``GradCAM(model, [model.layer4[-1]])``: channel weights are
        the spatial mean of the gradient, which for avgpool+fc is ``fc.weight[c] / (h*w)``.
        """
        channels, h, w = layer4.shape
        alpha = self.model.fc.weight[cam_class].to(layer4.dtype) / (h * w)  # (2048,)
        cam = torch.relu(torch.einsum("k,khw->hw", alpha, layer4))  # (h, w)
        cam = _normalise(cam)
        cam = nnf.interpolate(cam[None, None].float(), size=size, mode="bilinear", align_corners=False)[0, 0]
        return _normalise(cam)  # (224, 224) in [0, 1]


def _normalise(cam: torch.Tensor) -> torch.Tensor:
    """Min-max scale to [0, 1] the way pytorch-grad-cam's ``scale_cam_image`` does."""
    cam = cam - cam.min()
    return cam / (_EPS + cam.max())


def _check_class(index: int) -> int:
    if not 0 <= int(index) < 1000:
        raise ValueError(f"Class {index} is not an ImageNet-1k class id; choose 0..999.")
    return int(index)

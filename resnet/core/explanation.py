"""What one forward pass tells about one image (``Explanation``), its scores and block
statistics, the class lookup, and the CAM upsampling that matches the grad-cam package."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as nnf
from PIL import Image

from resnet.core.network import STAGE_NAMES
from resnet.core.preprocess import crop_input

STAGES = ("stem", *STAGE_NAMES)  # whose activations an explanation can hold
TOP_K = 5
NUM_CLASSES = 1000
_EPS = 1e-7  # the grad-cam package's normalisation epsilon, kept so results match it


@dataclass(frozen=True)
class Prediction:
    index: int  # ImageNet-1k class id, 0..999
    name: str  # human-readable class name from weights.meta["categories"]
    probability: float


@dataclass(frozen=True)
class BlockStats:
    """What one bottleneck block adds: output = relu(F(x) + shortcut(x))."""

    name: str  # "layer3.2"
    ratio: float  # ‖F(x)‖ / ‖shortcut(x)‖ over the whole C×H×W tensor
    cosine: float  # cosine similarity of F(x) and shortcut(x)
    residual_map: np.ndarray  # (H, W) float32: ‖F(x)‖ over channels at each position


@dataclass(frozen=True)
class SparseMaps:
    """Activation maps held exactly in fewer bytes: one bit per value says whether it is non-zero,
    and the non-zero values follow in C order. After a ReLU many are zero (a third of layer4's for
    the cat with the tests' seeded checkpoint)."""

    shape: tuple[int, ...]  # (C, H, W)
    nonzero: np.ndarray  # (ceil(C*H*W / 8),) uint8: np.packbits of values != 0
    values: np.ndarray  # (count of non-zero,) float32

    @classmethod
    def of(cls, maps: np.ndarray) -> SparseMaps:
        where = maps != 0
        return cls(maps.shape, np.packbits(where), maps[where])

    def dense(self) -> np.ndarray:
        """The maps as they were, (C, H, W) float32 (a zero's sign is not kept)."""
        where = np.unpackbits(self.nonzero, count=int(np.prod(self.shape))).view(bool).reshape(self.shape)
        maps = np.zeros(self.shape, np.float32)
        maps[where] = self.values
        return maps


@dataclass(frozen=True)
class Explanation:
    """Everything one forward pass tells about one image."""

    crop: Image.Image  # the 224×224 RGB picture the model saw
    normalisation: tuple[tuple[float, ...], tuple[float, ...]]  # the transforms' (mean, std)
    logits: np.ndarray  # (1000,) float32
    probabilities: np.ndarray  # (1000,) float32, softmax of logits
    top5: list[Prediction]  # most probable first
    cam_class: int  # the class the CAM explains
    cam_grid: np.ndarray  # (7, 7) float32 in [0, 1], Grad-CAM at layer4 before upsampling
    stages: dict[str, np.ndarray | SparseMaps]  # STAGES -> (C, H, W) float32 (once kept: layer4, sparse)
    stage_grids: dict[str, np.ndarray] | None = None  # STAGE_NAMES -> (h, w) Grad-CAM before upsampling
    blocks: list[BlockStats] | None = None  # the 16 bottleneck blocks in network order, if asked for

    @property
    def cam(self) -> np.ndarray:
        """(224, 224) float32 in [0, 1]: Grad-CAM at layer4 over ``crop`` (the grid upsampled as the package does)."""
        return full_size_cam(self.cam_grid)

    @property
    def layer4(self) -> np.ndarray:
        """(2048, 7, 7) float32: the last stage's activations, every class's Grad-CAM and logit come from."""
        maps = self.stages["layer4"]
        return maps.dense() if isinstance(maps, SparseMaps) else maps

    @property
    def input(self) -> np.ndarray:
        """The normalised tensor the model saw, (3, 224, 224) float32, remade from the crop bit for bit."""
        return crop_input(self.crop, *self.normalisation).numpy()

    @property
    def stage_cams(self) -> dict[str, np.ndarray] | None:
        """STAGE_NAMES -> (224, 224) Grad-CAMs over the crop, if asked for."""
        return None if self.stage_grids is None else upsample_cams(self.stage_grids)

    @property
    def label_confidences(self) -> dict[str, float]:
        return {p.name: p.probability for p in self.top5}

    def kept(self) -> Explanation:
        """What a session keeps (about 0.5 MB instead of 7): the crop, the scores, the layer4
        activations that every class's Grad-CAM and logit decomposition come from (``SparseMaps``:
        the same values in 0.28 MB instead of 0.4 when a third are zero), and the small Grad-CAM
        grids and per-block maps. The earlier stages' activations (6 MB) are dropped;
        ``Explainer.activations`` remakes them with one forward pass. Arrays are copied so they do
        not hold a batch's buffers alive."""
        layer4 = self.stages["layer4"]
        return replace(
            self,
            logits=self.logits.copy(),
            probabilities=self.probabilities.copy(),
            stages={"layer4": layer4 if isinstance(layer4, SparseMaps) else SparseMaps.of(layer4)},
        )


@dataclass(frozen=True)
class LogitParts:
    """logit[c] = sum_k weight[k] * pooled[k] + bias, with contribution[k] = weight[k] * pooled[k]."""

    cam_class: int
    logit: float
    bias: float
    contributions: np.ndarray  # (2048,) float32

    def strongest(self, count: int, sign: int) -> list[int]:
        """Channels that push the logit up (sign=+1) or down (sign=-1) most, strongest first."""
        order = np.argsort(-sign * self.contributions, kind="stable")[:count]
        return [int(k) for k in order if sign * self.contributions[k] > 0]


def _upsample(grid: torch.Tensor, size: tuple[int, int] = (224, 224)) -> torch.Tensor:
    cam = nnf.interpolate(grid[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
    return _normalise(cam)


def upsample_cams(grids: dict[str, np.ndarray], size: tuple[int, int] = (224, 224)) -> dict[str, np.ndarray]:
    """Grad-CAM grids (h, w) to CAMs over the crop (``size``), scaled again as the package does."""
    return {name: full_size_cam(grid, size) for name, grid in grids.items()}


def full_size_cam(cam: np.ndarray, size: tuple[int, int] = (224, 224)) -> np.ndarray:
    """A CAM over the crop from its kept form: a Grad-CAM grid (h, w) upsampled and scaled again as
    the package does, a map already of ``size`` as it is. (``torch.tensor`` copies: a grid from a
    Ray replica is read-only.)"""
    return cam if cam.shape == size else _upsample(torch.tensor(cam), size).numpy()


def _normalise(cam: torch.Tensor) -> torch.Tensor:
    """Min-max scale to [0, 1] the way pytorch-grad-cam's ``scale_cam_image`` does."""
    cam = cam - cam.min()
    return cam / (_EPS + cam.max())


def find_class(query: str | int, categories: list[str]) -> int:
    """A class id from an id (``281``) or a name (``tabby``, case-insensitive, whole name)."""
    text = str(query).strip()
    if text.isdigit():
        return check_class(int(text), len(categories))
    lowered = [name.lower() for name in categories]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    close = difflib.get_close_matches(text.lower(), lowered, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(categories[lowered.index(c)]) for c in close)}?" if close else ""
    kind = "an ImageNet-1k class" if len(categories) == NUM_CLASSES else "a taught class"
    raise ValueError(f"{query!r} is not {kind} name or id (0..{len(categories) - 1}).{hint}")


def check_class(index: int, count: int = NUM_CLASSES) -> int:
    if not 0 <= int(index) < count:
        kind = "an ImageNet-1k class id" if count == NUM_CLASSES else f"one of the {count} taught classes"
        raise ValueError(f"Class {index} is not {kind}; choose 0..{count - 1}.")
    return int(index)

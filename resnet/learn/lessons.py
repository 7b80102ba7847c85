"""The Learn tab's numbers: convolution, pooling, BatchNorm, ReLU and one residual block, on a photo.

Every figure is computed directly from the model's own layers and the image's input tensor,
so what a lesson shows is what the network does to that photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as nnf

from resnet.core.explainer import Explainer
from resnet.core.host import to_numpy
from resnet.core.network import STEM

PRESET_KERNELS = {  # 3×3 kernels a reader can start from; applied to the grey-level crop
    "edges": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "vertical edges": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "blur": [[1 / 9] * 3] * 3,
}


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """floor((size + 2·padding − kernel) / stride) + 1: the side of a convolution's or pooling's output."""
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True)
class Stem:
    """The stem's tensors for one image: conv1 → bn1 → relu → maxpool (all (64, H, W))."""

    conv: np.ndarray  # (64, 112, 112)
    bn: np.ndarray  # (64, 112, 112)
    relu: np.ndarray  # (64, 112, 112)
    pool: np.ndarray  # (64, 56, 56)


def stem(explainer: Explainer, x: np.ndarray) -> Stem:
    """The stem's four outputs on an input (3, 224, 224), as the analysis's walk gives them
    (bn1's output is taken before any ReLU: it keeps its negative values)."""
    outputs = {}
    with torch.inference_mode():
        for step in explainer.walk(torch.from_numpy(x)[None]):
            if step.is_block:
                break
            outputs[step.name] = to_numpy(step.output[0])
    return Stem(*(outputs[name] for name in STEM))


def stem_shapes(explainer: Explainer, parts: Stem) -> list[dict]:
    """For conv1 and maxpool: kernel, stride, padding, input side, the formula's output side and the real one."""
    m = explainer.model
    rows = []
    for name, layer, size, real in (("conv1", m.conv1, 224, parts.conv), ("maxpool", m.maxpool, 112, parts.pool)):
        kernel, stride, padding = (
            v if isinstance(v, int) else v[0] for v in (layer.kernel_size, layer.stride, layer.padding)
        )
        rows.append(
            {
                "layer": name,
                "kernel": kernel,
                "stride": stride,
                "padding": padding,
                "input": size,
                "formula": output_size(size, kernel, stride, padding),
                "real": real.shape[-1],
            }
        )
    return rows


def conv1_kernels(explainer: Explainer) -> np.ndarray:
    """The 64 learned kernels of the first layer, (64, 3, 7, 7) float32."""
    return explainer.model.conv1.weight.detach().float().cpu().numpy()


def conv1_response(explainer: Explainer, x: np.ndarray, channel: int) -> np.ndarray:
    """Channel ``channel`` of conv1 on an input (3, 224, 224): one kernel slid with stride 2, padding 3. (112, 112)"""
    kernel = explainer.model.conv1.weight[channel : channel + 1].detach()  # (1, 3, 7, 7)
    with torch.inference_mode():
        out = nnf.conv2d(torch.from_numpy(x)[None].to(kernel.device), kernel, stride=2, padding=3)
    return out[0, 0].float().cpu().numpy()


def grey(crop_rgb: np.ndarray) -> np.ndarray:
    """Grey levels in [0, 1] of an (H, W, 3) uint8 picture (ITU-R 601 luma), (H, W) float32."""
    return (crop_rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)) / 255


def apply_kernel(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A 3×3 kernel slid over a grey (H, W) image, stride 1, padding 1 (zeros), as a conv layer does
    (no flip: cross-correlation). (H, W)"""
    out = nnf.conv2d(
        torch.from_numpy(np.asarray(image, np.float32))[None, None],
        torch.from_numpy(np.asarray(kernel, np.float32))[None, None],
        padding=1,
    )
    return out[0, 0].numpy()


@dataclass(frozen=True)
class Window:
    """One output value worked out by hand: the input patch, what it is multiplied by, and the result."""

    row: int
    col: int
    patch: np.ndarray  # (k, k) input values under the window (padding included)
    weights: np.ndarray  # (k, k) kernel, or None for max-pooling
    result: float  # sum(patch * weights), or max(patch)


def conv_window(image: np.ndarray, kernel: np.ndarray, row: int, col: int) -> Window:
    """The 3×3 patch around (row, col) of a zero-padded grey image, times the kernel, summed."""
    padded = np.pad(np.asarray(image, np.float32), 1)
    patch = padded[row : row + 3, col : col + 3]
    kernel = np.asarray(kernel, np.float32)
    return Window(row, col, patch, kernel, float((patch * kernel).sum()))


def pool_window(before: np.ndarray, row: int, col: int, kernel: int = 3, stride: int = 2, padding: int = 1) -> Window:
    """The max-pooling window of output (row, col) over one (H, W) channel (padding is −inf, as in torch)."""
    padded = np.pad(np.asarray(before, np.float32), padding, constant_values=-np.inf)
    patch = padded[row * stride : row * stride + kernel, col * stride : col * stride + kernel]
    return Window(row, col, patch, None, float(patch.max()))


@dataclass(frozen=True)
class OpenBlock:
    """One bottleneck block on one image: out = relu(F(x) + shortcut(x))."""

    name: str  # "layer2.0"
    x: np.ndarray  # (C_in, H, W) the block's input
    residual: np.ndarray  # (C_out, H', W') F(x)
    shortcut: np.ndarray  # (C_out, H', W') x itself, or its projection
    out: np.ndarray  # (C_out, H', W')
    projection: tuple[int, int, int] | None  # the shortcut's 1×1 conv (in, out, stride) where the shape changes


def open_block(explainer: Explainer, x: np.ndarray, name: str) -> OpenBlock:
    """Run the network up to block ``name`` ("layer3.2") and open it."""
    with torch.inference_mode():
        for step in explainer.walk(torch.from_numpy(x)[None], branches=True):
            if step.is_block and step.name == name:
                projection = None
                if step.module.downsample is not None:
                    conv = step.module.downsample[0]
                    projection = (conv.in_channels, conv.out_channels, conv.stride[0])
                arrays = (to_numpy(t[0]) for t in (step.input, step.residual, step.shortcut, step.output))
                return OpenBlock(name, *arrays, projection)
    raise ValueError(f"No block {name!r}; blocks are layer1.0 .. layer4.2.")

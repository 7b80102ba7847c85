"""Feature visualization by optimization: an image that makes one channel fire as hard as it can.

The image is a decorrelated Fourier spectrum (``fourier``), optimized with Adam to raise the
channel's mean activation, seen through random jitter, scale and rotation each step (so the
image must work wherever the network looks, not as one adversarial pattern). The forward pass
stops at the target layer (``network.walk``), on the analysis's device, memory format and
precision. Each row of a batch is its own channel with its own seeded start and transforms, so
a channel's image does not depend on what it was batched with, but for floating-point rounding
(which Adam's steps grow into other details of the image, not into another strength).
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as nnf

from resnet.channels import fourier
from resnet.channels.targets import LOGIT, STEM, Target
from resnet.core import network
from resnet.core.explainer import FP16_GRAD_SCALE, Explainer


@dataclass(frozen=True)
class Optimization:
    """How an image is optimized (the named settings); every field is part of the cache key."""

    size: int = 128  # pixels per side the network sees
    steps: int = 48  # Adam steps
    lr: float = 0.2  # Adam's learning rate on the spectrum
    jitter: int = 4  # random shift, ± pixels per step
    scale: float = 0.05  # random zoom, ± fraction per step
    degrees: float = 5.0  # random rotation, ± degrees per step
    seed: int = 0

    def __post_init__(self):
        if not 32 <= self.size <= 512:
            raise ValueError(f"size {self.size}: choose 32 to 512 pixels.")
        if not 1 <= self.steps <= 4096:
            raise ValueError(f"steps {self.steps}: choose 1 to 4096.")


@dataclass(frozen=True)
class Visualization:
    """One channel's optimized image and how strongly it drives the channel."""

    target: Target
    image: np.ndarray  # (size, size, 3) uint8
    activation: float  # the channel's mean activation (after its ReLU) on the 8-bit ``image``, no transform
    seconds: float  # the optimization's share of the batch's time


def unit_values(explainer: Explainer, x: torch.Tensor, targets: list[Target]) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row's target on normalised input ``x`` (B, 3, H, W), before and after the layer's ReLU:
    the channel's spatial mean, or the class's logit (both the same). The forward stops at the
    deepest target layer. -> (pre (B,), post (B,))

    The optimization raises the value before the ReLU (as Lucid's ``*_pre_relu`` layers do): a
    channel that is zero everywhere at the start still has a gradient. ReLU commutes with the stem's
    max-pool, so the stem's is the max-pool of bn1's output."""
    deepest = max(_depth(explainer, t.layer) for t in targets)
    model = explainer.model
    wanted = {t.layer for t in targets}
    pre: dict[str, torch.Tensor] = {}
    post: dict[str, torch.Tensor] = {}
    walk = network.walk(model, x, autocast=explainer.autocast, branches=True)
    for index, step in enumerate(walk):
        if step.name == "bn1":
            before_relu = step.output
        elif step.name == "maxpool" and STEM in wanted:
            pre[STEM], post[STEM] = step.module(before_relu), step.output
        elif step.name in wanted:
            pre[step.name], post[step.name] = step.residual + step.shortcut, step.output
        if index + 1 >= deepest:
            if LOGIT in wanted:
                pre[LOGIT] = post[LOGIT] = network.head(model, step.output)[..., None, None]  # (B, K, 1, 1)
            break
    rows = [(pre[t.layer][row, t.channel], post[t.layer][row, t.channel]) for row, t in enumerate(targets)]
    return torch.stack([a.float().mean() for a, _ in rows]), torch.stack([b.float().mean() for _, b in rows])


def _depth(explainer: Explainer, layer: str) -> int:
    """How many steps of the walk a layer needs: the stem is 4, layer1.0 is 5, logit all of them."""
    names = [name for name, _, _ in network.steps(explainer.model)]
    if layer == STEM:
        return names.index("maxpool") + 1
    if layer == LOGIT:
        return len(names)
    return names.index(layer) + 1


def normalise(explainer: Explainer, rgb: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1] (B, 3, H, W) -> the model's input: ImageNet mean and std, its memory format."""
    transforms = explainer.weights.transforms
    mean = torch.tensor(transforms.mean, device=rgb.device)[:, None, None]
    std = torch.tensor(transforms.std, device=rgb.device)[:, None, None]
    return ((rgb - mean) / std).contiguous(memory_format=explainer.weights.memory_format)


def seed_for(target: Target, seed: int) -> int:
    """A row's own seed: the settings' seed and the target's name (stable across processes)."""
    return zlib.crc32(f"{seed}:{target.name}".encode())


def random_view(rgb: torch.Tensor, settings: Optimization, generators: list[torch.Generator]) -> torch.Tensor:
    """Each row shifted, zoomed and turned by its own random draw; grey where the view leaves
    the image (as Lucid pads with 0.5). (B, 3, H, W) -> (B, 3, H, W)"""
    size = rgb.shape[-1]
    thetas = []
    for generator in generators:
        u = torch.rand(4, generator=generator) * 2 - 1  # shift x, shift y, zoom, turn in [-1, 1]
        zoom = 1 + settings.scale * float(u[2])
        turn = math.radians(settings.degrees * float(u[3]))
        shift = [2 * settings.jitter * float(u[i]) / size for i in (0, 1)]
        cos, sin = math.cos(turn) * zoom, math.sin(turn) * zoom
        thetas.append([[cos, -sin, shift[0]], [sin, cos, shift[1]]])
    theta = torch.tensor(thetas, device=rgb.device, dtype=rgb.dtype)  # (B, 2, 3)
    grid = nnf.affine_grid(theta, list(rgb.shape), align_corners=False)
    return nnf.grid_sample(rgb - 0.5, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + 0.5


class Adam:
    """Adam on one tensor, the update ``torch.optim.Adam`` makes with its defaults (a test holds
    them equal). Written out because ``torch.optim``'s step asks the accelerator for its current
    stream, which ZeroGPU's CUDA emulation (the Space's tests) refuses outside a real GPU."""

    BETAS, EPS = (0.9, 0.999), 1e-8

    def __init__(self, param: torch.Tensor, lr: float):
        self.param, self.lr, self.steps = param, lr, 0
        self.mean, self.square = torch.zeros_like(param), torch.zeros_like(param)

    @torch.no_grad()
    def step(self) -> None:
        (b1, b2), grad = self.BETAS, self.param.grad
        self.steps += 1
        self.mean.mul_(b1).add_(grad, alpha=1 - b1)
        self.square.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        denominator = (self.square.sqrt() / math.sqrt(1 - b2**self.steps)).add_(self.EPS)
        self.param.addcdiv_(self.mean, denominator, value=-self.lr / (1 - b1**self.steps))


def visualize(
    explainer: Explainer,
    targets: list[Target],
    settings: Optimization = Optimization(),
    progress: Callable[[int, int], None] | None = None,
) -> list[Visualization]:
    """One optimized image per target, all in one batch. ``progress(step, steps)`` after each step."""
    started = time.perf_counter()
    generators = [torch.Generator().manual_seed(seed_for(t, settings.seed)) for t in targets]
    start = torch.cat([fourier.random_spectrum(1, settings.size, g) for g in generators])
    spectrum = start.to(explainer.device).requires_grad_()  # (B, 3, H, H//2+1, 2)
    optimizer = Adam(spectrum, lr=settings.lr)
    for step in range(settings.steps):
        spectrum.grad = None
        view = random_view(fourier.image_of(spectrum), settings, generators)
        loss = -unit_values(explainer, normalise(explainer, view), targets)[0].sum()
        if explainer.precision == "fp16":  # fp16 gradients stay normal; Adam's steps ignore the scale
            loss = loss * FP16_GRAD_SCALE
        loss.backward()
        optimizer.step()
        if progress:
            progress(step + 1, settings.steps)
    with torch.no_grad():
        rgb = (fourier.image_of(spectrum).float() * 255).round() / 255  # the 8-bit image that is kept
        reached = unit_values(explainer, normalise(explainer, rgb), targets)[1].cpu()
    images = (rgb.permute(0, 2, 3, 1).cpu().numpy() * 255).round().astype(np.uint8)
    seconds = (time.perf_counter() - started) / len(targets)
    return [Visualization(t, images[i], float(reached[i]), seconds) for i, t in enumerate(targets)]

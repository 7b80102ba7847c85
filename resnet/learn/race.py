"""A training race: plain and residual networks of two depths, trained from scratch side by side.

He et al. (CVPR 2016, Fig. 1 and 6) found that a deeper *plain* network trains worse than a
shallower one, while a deeper *residual* network does not. This reproduces it at a scale a CPU
can run: CIFAR-style networks (a 3×3 stem, three stages of n basic blocks with 16, 32 and 64
channels, global average pooling, one linear layer; depth 6n + 2) on scikit-learn's handwritten
digits (8×8 pictures, shipped in its wheel). Plain and residual twins have the same layers and
the same parameters: the residual one adds its input to each block's output (a parameter-free
shortcut, zero-padded where the channels double, option A of the paper).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as nnf
from torch import nn

DATASETS = ("digits",)
WIDTHS = (16, 32, 64)  # channels of the three stages


class BasicBlock(nn.Module):
    """conv3×3-BN-ReLU-conv3×3-BN, then ReLU; with ``residual`` the input is added before the last ReLU."""

    def __init__(self, channels_in: int, channels: int, stride: int, residual: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.residual = residual
        self.stride, self.pad = stride, channels - channels_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(nnf.relu(self.bn1(self.conv1(x)))))
        if self.residual:
            shortcut = x[:, :, :: self.stride, :: self.stride]  # (B, C_in, H', W')
            out = out + nnf.pad(shortcut, (0, 0, 0, 0, 0, self.pad))  # zeros for the new channels
        return nnf.relu(out)


class CifarNet(nn.Module):
    """Depth 6n + 2: a stem conv, 3 stages × n blocks × 2 convs, and the classifier."""

    def __init__(self, depth: int, residual: bool, classes: int = 10):
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"Depth {depth} is not 6n + 2 (8, 14, 20, 32, 44, 56, ...).")
        n = (depth - 2) // 6
        self.depth, self.residual = depth, residual
        self.stem = nn.Sequential(nn.Conv2d(1, WIDTHS[0], 3, 1, 1, bias=False), nn.BatchNorm2d(WIDTHS[0]), nn.ReLU())
        blocks, channels_in = [], WIDTHS[0]
        for stage, channels in enumerate(WIDTHS):
            for i in range(n):
                blocks.append(BasicBlock(channels_in, channels, 2 if stage and not i else 1, residual))
                channels_in = channels
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(WIDTHS[-1], classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    @property
    def name(self) -> str:
        return f"{'resnet' if self.residual else 'plain'}-{self.depth}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) -> (B, classes)."""
        features = self.blocks(self.stem(x))  # (B, 64, H/4, W/4)
        return self.fc(features.mean(dim=(2, 3)))


@dataclass(frozen=True)
class Data:
    train_x: torch.Tensor  # (N, 1, 8, 8) float32, standardised
    train_y: torch.Tensor  # (N,) int64
    test_x: torch.Tensor
    test_y: torch.Tensor


def load_data(dataset: str = "digits", seed: int = 0) -> Data:
    """scikit-learn's 1797 handwritten digits, split 3:1 (the split fixed by ``seed``)."""
    if dataset not in DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}.")
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16)[:, None]  # (1797, 1, 8, 8)
    labels = torch.from_numpy(digits.target.astype(np.int64))
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    split = len(order) * 3 // 4
    train, test = order[:split], order[split:]
    mean, std = images[train].mean(), images[train].std()
    standard = (images - mean) / std
    return Data(standard[train], labels[train], standard[test], labels[test])


@dataclass(frozen=True)
class Point:
    """One model's state after one epoch of the race."""

    model: str  # "plain-56", "resnet-20"
    depth: int
    residual: bool
    step: int  # optimiser steps so far
    epoch: int
    train_loss: float  # mean cross-entropy over the epoch's batches
    train_error: float  # share of the training set misclassified, measured after the epoch (eval mode)
    test_error: float
    seconds: float  # training time so far


def error(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 512) -> float:
    """Share of (x, y) the model misclassifies, in eval mode."""
    model.eval()
    with torch.inference_mode():
        wrong = sum(int((model(x[i : i + batch]).argmax(1) != y[i : i + batch]).sum()) for i in range(0, len(y), batch))
    model.train()
    return wrong / len(y)


def train(
    depth: int,
    residual: bool,
    data: Data,
    *,
    epochs: int = 30,
    seconds: float | None = None,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 0.02,
) -> Iterator[Point]:
    """Train one model from scratch; yields its ``Point`` after every epoch.

    SGD with momentum 0.9 and weight decay 1e-4; the learning rate is ``lr``, divided by 10 for
    the last third of the training (of the epochs, or of the seconds), as He et al. divide theirs;
    the same seed for the weights and the batches of every model. Stops after ``epochs``, or when ``seconds`` of
    training have passed.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = CifarNet(depth, residual)
    optimiser = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    model.train()
    step, spent = 0, 0.0
    with torch.enable_grad():
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            done = max((epoch - 1) / epochs, spent / seconds if seconds else 0.0)
            for group in optimiser.param_groups:
                group["lr"] = lr if done < 2 / 3 else lr / 10
            losses = one_epoch(
                model, optimiser, data, torch.randperm(len(data.train_y), generator=generator), batch_size
            )
            step += len(losses)
            spent += time.perf_counter() - start
            yield Point(
                model.name,
                depth,
                residual,
                step,
                epoch,
                float(np.mean(losses)),
                error(model, data.train_x, data.train_y),
                error(model, data.test_x, data.test_y),
                spent,
            )
            if seconds is not None and spent >= seconds:
                return


def one_epoch(model: nn.Module, optimiser, data: Data, order: torch.Tensor, batch_size: int) -> list[float]:
    """One pass over the training images in ``order``; each batch's loss."""
    losses = []
    for i in range(0, len(order), batch_size):
        chosen = order[i : i + batch_size]
        loss = nnf.cross_entropy(model(data.train_x[chosen]), data.train_y[chosen])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()))
    return losses


def race(
    depths: tuple[int, ...] = (20, 56),
    *,
    epochs: int = 30,
    seconds: float | None = None,
    seed: int = 0,
    dataset: str = "digits",
) -> Iterator[Point]:
    """Every depth, plain and residual, trained side by side: one epoch of each model in turn, so
    the curves grow together. ``seconds``: training time per model."""
    data = load_data(dataset, seed)
    runners = [
        train(depth, residual, data, epochs=epochs, seconds=seconds, seed=seed)
        for depth in depths
        for residual in (False, True)
    ]
    while runners:
        for runner in list(runners):
            point = next(runner, None)
            if point is None:
                runners.remove(runner)
            else:
                yield point

"""The one place that walks ResNet50: the stem's four layers, then the 16 bottleneck blocks.

Every view that runs the network part-way (stage activations, block statistics, the Learn
tab's lessons, gradients along the depth, the architecture table) takes its tensors from
``walk``, so a device, precision or memory-format setting reaches all of them at once.

Nothing the walk hands out is overwritten later: torchvision's stem ReLU is in-place
(``nn.ReLU(inplace=True)``), which would turn bn1's output into the ReLU's; the walk applies
it out of place, so ``bn1``'s output keeps its negative values.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as nnf
from torch import nn

STEM = ("conv1", "bn1", "relu", "maxpool")  # the stem's layers, in order
STAGE_NAMES = ("layer1", "layer2", "layer3", "layer4")  # the residual stages


@dataclass
class Step:
    """One step of the walk: a stem layer or a bottleneck block, with what went in and came out."""

    name: str  # "conv1" .. "maxpool", then "layer1.0" .. "layer4.2"
    stage: str  # "stem" or "layer1" .. "layer4"
    module: nn.Module
    input: torch.Tensor  # (B, C_in, H, W)
    output: torch.Tensor  # (B, C_out, H', W')
    residual: torch.Tensor | None = None  # a block's F(x), with ``branches=True``
    shortcut: torch.Tensor | None = None  # a block's shortcut(x): x or its projection

    @property
    def is_block(self) -> bool:
        return self.stage != "stem"


def steps(model: nn.Module) -> list[tuple[str, str, nn.Module]]:
    """(name, stage, module) of every step, in network order, read off the model."""
    found = [(name, "stem", getattr(model, name)) for name in STEM]
    for stage in STAGE_NAMES:
        found += [(f"{stage}.{i}", stage, block) for i, block in enumerate(getattr(model, stage))]
    return found


def block_names(model: nn.Module) -> list[str]:
    """The bottleneck blocks' names in network order: ``layer1.0`` .. ``layer4.2``."""
    return [name for name, stage, _ in steps(model) if stage != "stem"]


def walk(
    model: nn.Module,
    x: torch.Tensor,
    *,
    autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    branches: bool = False,
    leaf: str | None = None,
    keep: dict[str, tuple] | None = None,
) -> Iterator[Step]:
    """Run the network body on ``x`` (B, 3, 224, 224) step by step, yielding each ``Step``.

    Args:
        autocast: a context for each step's computation (the analysis's precision).
        branches: compute each block as its two branches, so a step carries F(x) and shortcut(x);
            the block's output is then ``relu(F(x) + shortcut(x))``, equal to ``block(x)``.
        leaf: the step whose output becomes a leaf that requires grad (under grad mode): a backward
            pass stops there, and the steps before it run without recording a graph.
        keep: lesions, by block name: ``(residual, shortcut)`` weights, numbers or (B, 1, 1, 1)
            tensors (one per batch row); that block outputs ``relu(residual·F(x) + shortcut·shortcut(x))``,
            so ``(0, 1)`` removes its residual branch and ``(1, 0)`` its shortcut.

    Stop early by leaving the loop; the head (avgpool + fc) is ``head``.
    """
    h = x
    waiting = leaf is not None
    for name, stage, module in steps(model):
        with torch.no_grad() if waiting else contextlib.nullcontext(), autocast():
            residual = shortcut = None
            if name == "relu":
                out = nnf.relu(h)  # never in place: bn1's output stays what bn1 gave
            elif stage != "stem" and (branches or (keep and name in keep)):
                residual, shortcut = block_branches(module, h)
                if keep and name in keep:
                    weight_r, weight_s = keep[name]
                    out = module.relu(weight_r * residual + weight_s * shortcut)
                else:
                    out = module.relu(residual + shortcut)
            else:
                out = module(h)
        if name == leaf:
            out = out.detach().requires_grad_()
            waiting = False
        yield Step(name, stage, module, h, out, residual, shortcut)
        h = out


def stage_ends(model: nn.Module) -> dict[str, str]:
    """The last step of the stem and of each stage -> that stage: ``{"maxpool": "stem", "layer1.2": "layer1", ...}``."""
    last = {stage: name for name, stage, _ in steps(model)}  # later steps overwrite earlier ones
    return {name: stage for stage, name in last.items()}


def head(model: nn.Module, features: torch.Tensor) -> torch.Tensor:
    """avgpool + fc on layer4's output (B, 2048, 7, 7) -> logits (B, K), always in fp32."""
    return model.fc(torch.flatten(model.avgpool(features.float()), 1))


def block_branches(block: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A torchvision bottleneck's two branches on ``x``: (F(x), shortcut(x)); the block's output
    is ``block.relu(F(x) + shortcut(x))``."""
    shortcut = x if block.downsample is None else block.downsample(x)
    out = block.relu(block.bn1(block.conv1(x)))
    out = block.relu(block.bn2(block.conv2(out)))
    return block.bn3(block.conv3(out)), shortcut

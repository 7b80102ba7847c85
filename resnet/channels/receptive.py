"""Receptive fields from the architecture: which input pixels a position of a layer can see.

For each convolution or pooling along the longest path (a block's residual branch: its shortcut
is a 1×1 convolution with the same stride, centred on the same pixels), ``size`` grows by
``(kernel - 1) · jump``, ``jump`` (input pixels between neighbouring positions) multiplies by the
stride, and ``start`` (the centre of position 0) moves by ``((kernel - 1) / 2 - padding) · jump``.
The tests check them against the support of the input gradient of one position.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from resnet.channels.targets import LOGIT, STEM
from resnet.core import network


@dataclass(frozen=True)
class Field:
    """The receptive field of every position of a layer, in input pixels."""

    size: int  # pixels per side
    jump: int  # pixels between neighbouring positions
    start: float  # the centre of position 0

    def box(self, row: int, col: int, image: int) -> tuple[int, int, int, int]:
        """Position (row, col)'s field clipped to an ``image``×``image`` input: x0, y0, x1, y1 (x1, y1
        exclusive)."""
        half = (self.size - 1) / 2
        cy, cx = self.start + row * self.jump, self.start + col * self.jump
        x0, y0 = max(0, round(cx - half)), max(0, round(cy - half))
        return x0, y0, min(image, round(cx + half) + 1), min(image, round(cy + half) + 1)


def _grow(field: Field, kernel: int, stride: int, padding: int) -> Field:
    start = field.start + ((kernel - 1) / 2 - padding) * field.jump
    return Field(field.size + (kernel - 1) * field.jump, field.jump * stride, start)


def _pair(value) -> int:
    return value[0] if isinstance(value, tuple) else value


def fields(model: nn.Module) -> dict[str, Field]:
    """Every target layer's receptive field: ``stem``, ``layer1.0`` .. ``layer4.2``; ``logit`` sees
    the whole input."""
    field = Field(1, 1, 0.0)
    found: dict[str, Field] = {}
    for name, stage, module in network.steps(model):
        if stage == "stem":
            if isinstance(module, (nn.Conv2d, nn.MaxPool2d)):
                field = _grow(field, _pair(module.kernel_size), _pair(module.stride), _pair(module.padding))
            if name == "maxpool":
                found[STEM] = field
            continue
        for conv in (module.conv1, module.conv2, module.conv3):
            field = _grow(field, _pair(conv.kernel_size), _pair(conv.stride), _pair(conv.padding))
        found[name] = field
    found[LOGIT] = Field(10**6, 1, 0.0)
    return found

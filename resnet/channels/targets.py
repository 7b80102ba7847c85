"""Which unit a visualization or an example search is about: a layer of the walk and a channel.

Layers are the stem's output (``stem``), the 16 blocks' outputs (``layer1.0`` .. ``layer4.2``),
a stage's name for its last block (``layer3`` is ``layer3.5``), and ``logit`` (the channel is a
class id). Bad names and ranges raise ``ChannelError`` with a sentence a person can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torch import nn

from resnet.core import network

STEM = "stem"
LOGIT = "logit"
MAX_CHANNELS_PER_RANGE = 4096


class ChannelError(ValueError):
    """A layer, channel or range that does not exist; the message says what does."""


@dataclass(frozen=True)
class Target:
    """One unit: ``layer`` as the walk names it (``stem``, ``layer3.5``, ``logit``) and a channel."""

    layer: str
    channel: int

    @property
    def name(self) -> str:
        return f"{self.layer}:{self.channel}"


def layer_names(model: nn.Module) -> list[str]:
    """Every layer a target may name, in network order: stem, the blocks, logit."""
    return [STEM, *network.block_names(model), LOGIT]


def canonical_layer(model: nn.Module, layer: str) -> str:
    """``layer3`` -> ``layer3.5`` (a stage is its last block); ``stem``, blocks and ``logit`` stay.
    Raises ChannelError for a name the network does not have."""
    name = layer.strip()
    blocks = network.block_names(model)
    if name in network.STAGE_NAMES:
        return [b for b in blocks if b.startswith(f"{name}.")][-1]
    if name in (STEM, LOGIT, *blocks):
        return name
    raise ChannelError(
        f"There is no layer {layer!r}. Name the stem ({STEM}), a stage (layer1 .. layer4), "
        f"a block ({blocks[0]} .. {blocks[-1]}) or {LOGIT}."
    )


def channel_count(model: nn.Module, layer: str) -> int:
    """How many channels ``layer`` has: 64 for the stem, a block's output width, or the classes."""
    if layer == LOGIT:
        return model.fc.out_features
    if layer == STEM:
        return model.conv1.out_channels
    stage, index = layer.split(".")
    return getattr(model, stage)[int(index)].conv3.out_channels


def parse_channels(text: str, count: int, layer: str = "this layer") -> list[int]:
    """``"0-63"``, ``"5"`` or ``"0-3,17"`` -> the channels, each checked against ``count``."""
    channels: list[int] = []
    for part in str(text).replace(" ", "").split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise ChannelError(f"{text!r} is not a channel range; write one like 0-63, 5 or 0-3,17.")
        first, last = int(match[1]), int(match[2] if match[2] is not None else match[1])
        if last < first:
            raise ChannelError(f"The range {part} runs backwards; write the smaller channel first.")
        if last >= count:
            raise ChannelError(f"{layer} has channels 0 to {count - 1}; {last} is not one of them.")
        channels += [c for c in range(first, last + 1) if c not in channels]
        if len(channels) > MAX_CHANNELS_PER_RANGE:
            raise ChannelError(f"{text!r} names more than {MAX_CHANNELS_PER_RANGE} channels.")
    return channels


def target(model: nn.Module, layer: str, channel: int | str) -> Target:
    """One checked target: the layer made canonical, the channel within its count."""
    name = canonical_layer(model, layer)
    try:
        index = int(channel)
    except (TypeError, ValueError):
        raise ChannelError(f"{channel!r} is not a channel number.") from None
    count = channel_count(model, name)
    if not 0 <= index < count:
        raise ChannelError(f"{name} has channels 0 to {count - 1}; {index} is not one of them.")
    return Target(name, index)

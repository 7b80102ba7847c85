"""The data behind the page's charts and tables, as plain values (no UI, no language).

Each function turns an engine result into rows or a small record that a UI lays out and
labels; the JSON report (``report.py``) uses the same choices, so the page and its download
always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from resnet.core.explanation import BlockStats, LogitParts

TOP_CHANNELS = 10  # channels shown per direction in the logit decomposition (chart, maps, report)
ROAD_RELIES = 0.01  # a ROAD score above this means the model relies on the highlighted region
UP, DOWN = "up", "down"  # a channel raises or lowers the class's logit
RATIO, COSINE = "ratio", "cosine"  # the two series of the residual-blocks chart


@dataclass(frozen=True)
class ChannelBar:
    channel: int  # layer4 channel, 0..2047
    contribution: float  # fc.weight[class, channel] * mean(channel)
    effect: str  # UP or DOWN


def logit_bars(parts: LogitParts, count: int = TOP_CHANNELS) -> list[ChannelBar]:
    """The channels that push the logit up most, then those that push it down most."""
    return [
        ChannelBar(k, float(parts.contributions[k]), effect)
        for sign, effect in ((+1, UP), (-1, DOWN))
        for k in parts.strongest(count, sign)
    ]


@dataclass(frozen=True)
class BlockPoint:
    block: str  # "layer3.2"
    series: str  # RATIO (‖F(x)‖ / ‖shortcut‖) or COSINE (cosine of F(x) and the shortcut)
    value: float


def block_series(blocks: list[BlockStats]) -> list[BlockPoint]:
    """Both series of the residual-blocks chart, in network order."""
    return [
        point for b in blocks for point in (BlockPoint(b.name, RATIO, b.ratio), BlockPoint(b.name, COSINE, b.cosine))
    ]


def road_relies(score: float) -> bool:
    """Whether a ROAD score says the model relies on the highlighted region."""
    return score > ROAD_RELIES


@dataclass(frozen=True)
class ResidualSummary:
    """What the residual blocks did to one image."""

    strongest: BlockStats  # the block whose F(x) is largest relative to its shortcut
    weakest: BlockStats  # the block that changed the signal least
    opposing: list[str]  # blocks whose correction points against the signal (cosine < 0)


def residual_summary(blocks: list[BlockStats]) -> ResidualSummary:
    return ResidualSummary(
        strongest=max(blocks, key=lambda b: b.ratio),
        weakest=min(blocks, key=lambda b: b.ratio),
        opposing=[b.name for b in blocks if b.cosine < 0],
    )

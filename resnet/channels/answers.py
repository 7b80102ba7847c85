"""What the page and the API ask about channels, as engine functions (``fn(explainer, ...)``, so
they also run on Ray Serve replicas): one channel's card, the example photos' strongest crops,
and the layer4 channels behind an answer."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from resnet.channels.cache import Cache
from resnet.channels.examples import Finder, seen_crop, top_examples
from resnet.channels.targets import LOGIT, Target, target
from resnet.channels.visualize import Optimization, Visualization
from resnet.core.explainer import Explainer
from resnet.core.explanation import Explanation
from resnet.evaluate.engine import find_images

LAYER4 = "layer4.2"


@dataclass(frozen=True)
class ChannelCard:
    """One channel: what it looks for, how it fires on the visitor's photo, its share of an answer."""

    visualization: Visualization
    where: np.ndarray | None  # (H, W) the channel's map on the photo (a logit has none)
    logit_share: float | None  # layer4 channels: its part of the explained class's logit


def channel_card(
    explainer: Explainer,
    layer: str,
    channel: int,
    explanation: Explanation | None = None,
    cam_class: int | None = None,
    cache: str | None = None,
    settings: Optimization | None = None,
) -> ChannelCard:
    """The visualization (cached on disk), the map on ``explanation``'s crop, and for a layer4
    channel its contribution to ``cam_class``'s logit (``fc.weight[c, k] · mean(A_k)``)."""
    unit = target(explainer.model, layer, channel)
    shown = Cache(Path(cache) if cache else None).get(explainer, [unit], settings or Optimization())[0]
    where = share = None
    if explanation is not None and unit.layer != LOGIT:
        x = torch.from_numpy(explanation.input)[None]  # (1, 3, 224, 224)
        where = Finder(explainer, [unit.layer]).feature_maps(x)[unit.layer][unit.channel]  # (H, W)
        if unit.layer == LAYER4 and cam_class is not None:
            share = float(explainer.fc_weight[cam_class, unit.channel]) * float(where.mean())
    return ChannelCard(shown, where, share)


@dataclass(frozen=True)
class Behind:
    """A layer4 channel behind an answer: its contribution and where it adds it, with its image."""

    channel: int
    contribution: float  # fc.weight[c, k] · mean(A_k): this channel's part of the logit
    relevance: np.ndarray  # (7, 7) fc.weight[c, k] · A_k / 49: sums to ``contribution``
    visualization: Visualization


def behind_answer(
    explainer: Explainer,
    layer4: np.ndarray,
    cam_class: int,
    count: int = 4,
    cache: str | None = None,
    settings: Optimization | None = None,
) -> list[Behind]:
    """The ``count`` layer4 channels that add most to ``cam_class``'s logit for activations
    ``layer4`` (2048, 7, 7), each with where it adds it (the class-conditional relevance, as in
    concept relevance propagation: for layer4 it is exact) and its visualization."""
    weights = explainer.fc_weight[cam_class].numpy()  # (2048,)
    contributions = weights * layer4.reshape(layer4.shape[0], -1).mean(axis=1)
    strongest = [int(k) for k in np.argsort(-contributions, kind="stable")[:count]]
    units = [Target(LAYER4, k) for k in strongest]
    shown = Cache(Path(cache) if cache else None).get(explainer, units, settings or Optimization())
    area = layer4.shape[1] * layer4.shape[2]
    return [
        Behind(k, float(contributions[k]), weights[k] * layer4[k] / area, made)
        for k, made in zip(strongest, shown, strict=True)
    ]


def example_crops(explainer: Explainer, folder: str, layer: str, channel: int, count: int = 6) -> list[tuple]:
    """The ``count`` crops of ``folder``'s images that make the channel fire most, strongest first:
    (the receptive-field crop (PIL), image name, activation at its strongest position)."""
    unit = target(explainer.model, layer, channel)
    rows = _rows(explainer, folder, unit.layer)
    top = top_examples(rows[rows["channel"] == unit.channel], count)
    transforms = explainer.weights.transforms
    return [
        (seen_crop(Path(folder), r.image, transforms).crop((r.x0, r.y0, r.x1, r.y1)), r.image, float(r.activation))
        for r in top.itertuples()
    ]


@lru_cache(maxsize=8)
def _rows(explainer: Explainer, folder: str, layer: str):
    """Every image's strongest position per channel of ``layer`` (searched once per process)."""
    import pandas as pd

    finder = Finder(explainer, [layer])
    return pd.DataFrame([row for image in find_images(Path(folder)) for row in finder.find(Path(folder), image).rows])


def estimate_seconds(forward_seconds: float, layer: str, settings: Optimization | None = None, count: int = 1) -> float:
    """About how long ``count`` visualizations take, from one 224-pixel forward pass's time: a step
    is a forward and a backward pass (≈ 3 forwards) over the part of the network up to ``layer``,
    at the settings' size; channels batched together cost less each (≈ 0.75)."""
    settings = settings or Optimization()
    share = {"stem": 0.1, "layer1": 0.3, "layer2": 0.55, "layer3": 0.85}.get(layer.split(".")[0], 1.0)
    per_step = 3 * forward_seconds * share * (settings.size / 224) ** 2
    return settings.steps * per_step * (1 if count == 1 else 0.75 * count)

"""Dataset examples: the crops of a folder's images that make each channel fire most.

``Finder.find`` runs one image to the deepest asked layer and keeps, for every channel of each
asked layer, its strongest position: the value there and the receptive field around it (in the
224×224 crop the model saw). Rows go to the evaluation's resumable ``Store`` (a Parquet part per
image) on one machine or on Ray (``evaluate.on_ray``); ``top_examples`` keeps the k best images
per channel, and ``seen_crop`` is the picture the boxes are in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from resnet.channels.receptive import fields
from resnet.channels.targets import LOGIT, STEM, canonical_layer
from resnet.core import network
from resnet.core.explainer import Explainer
from resnet.core.preprocess import ImageError, load_image, model_input
from resnet.evaluate.engine import Scored

COLUMNS = ("image", "layer", "channel", "activation", "row", "col", "x0", "y0", "x1", "y1")
SORT = ["layer", "channel", "image"]


def example_schema():
    """The Parquet schema of a row (pyarrow is imported when a run first writes)."""
    import pyarrow as pa

    types = {"image": pa.string(), "layer": pa.string(), "activation": pa.float64()}
    return pa.schema([(c, types.get(c, pa.int64())) for c in COLUMNS])


class Finder:
    """Finds each channel's strongest position in one image; each engine's worker holds one."""

    def __init__(self, explainer: Explainer, layers: list[str]):
        self.explainer = explainer
        self.layers = [canonical_layer(explainer.model, layer) for layer in layers]
        if LOGIT in self.layers:
            raise ValueError("Dataset examples are for feature maps; a logit has no position.")
        self.fields = fields(explainer.model)

    def find(self, root: Path, image: str) -> Scored:
        """Every asked channel's strongest value and field in ``root / image``, or why it was skipped."""
        try:
            picture = load_image(root / image)
        except (ImageError, OSError) as err:
            return Scored(image, skipped=str(err).replace(str(root), "DATA"))
        x, crop = model_input(picture, self.explainer.weights.transforms)
        maps = self.feature_maps(x)
        rows = []
        for layer, activation in maps.items():  # activation (C, H, W)
            flat = activation.reshape(activation.shape[0], -1)
            best, where = flat.max(axis=1), flat.argmax(axis=1)
            for channel in range(activation.shape[0]):
                row, col = divmod(int(where[channel]), activation.shape[2])
                box = self.fields[layer].box(row, col, crop.size[0])
                rows.append(
                    dict(zip(COLUMNS, (image, layer, channel, float(best[channel]), row, col, *box), strict=True))
                )
        return Scored(image, rows)

    def feature_maps(self, x: torch.Tensor) -> dict[str, np.ndarray]:
        """The asked layers' outputs for one input (1, 3, 224, 224): layer -> (C, H, W) float32."""
        explainer, found = self.explainer, {}
        wanted = set(self.layers)
        with torch.inference_mode():
            x = x.to(explainer.device, memory_format=explainer.weights.memory_format)
            for step in network.walk(explainer.model, x, autocast=explainer.autocast):
                name = STEM if step.name == "maxpool" else step.name
                if name in wanted:
                    found[name] = step.output[0].float().cpu().numpy()
                if len(found) == len(wanted):
                    break
        return {layer: found[layer] for layer in self.layers}


def top_examples(rows, k: int):
    """The ``k`` rows with the highest activation per (layer, channel), best first, with ``rank``
    (0 = best); ties keep the image order. ``rows``: a DataFrame of ``COLUMNS``."""
    ordered = rows.sort_values(["layer", "channel", "activation", "image"], ascending=[True, True, False, True])
    top = ordered.groupby(["layer", "channel"], sort=False).head(k).copy()
    top["rank"] = top.groupby(["layer", "channel"]).cumcount()
    return top.reset_index(drop=True)


def seen_crop(root: Path, image: str, transforms) -> Image.Image:
    """The 224×224 crop the model saw of ``root / image`` (the boxes' coordinates are its pixels)."""
    return model_input(load_image(root / image), transforms)[1]


def finder(explainer: Explainer, options: dict):
    """The atlas's worker for ``evaluate.on_ray.map_on_ray``: ``Finder.find`` over ``options["layers"]``."""
    return Finder(explainer, options["layers"]).find

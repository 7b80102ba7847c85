"""A JSON-ready record of an explanation: what the CLI writes and the app offers for download."""

from __future__ import annotations

import numpy as np

from resnet.cams.methods import DEFAULT_METHOD, ROAD_METRIC
from resnet.core.explanation import Explanation, LogitParts
from resnet.core.weights import LoadedWeights
from resnet.present.charts import DOWN, UP, logit_bars


def class_ref(index: int | None, weights: LoadedWeights) -> dict | None:
    return None if index is None else {"index": index, "name": weights.categories[index]}


def build_report(
    weights: LoadedWeights,
    explanation: Explanation,
    *,
    cam_class: int,
    method: str = DEFAULT_METHOD,
    contrast: int | None = None,
    logit_parts: LogitParts | None = None,
    road: float | None = None,
) -> dict:
    """Everything shown for one image as plain JSON types.

    Args:
        weights: the weights that produced the explanation.
        explanation: the engine's result.
        cam_class: the class the heatmap explains.
        method: the CAM method of the heatmap.
        contrast: the class subtracted ("why cam_class and not contrast"), if any.
        logit_parts: the decomposition of the logit of ``cam_class``, if computed.
        road: the ROAD faithfulness score of the heatmap, if computed.
    """
    report = {
        "weights": {
            "name": weights.name,
            "sha256": weights.sha256,
            "description": weights.describe(),
            "trained": weights.trained,
        },
        "top5": [{"index": p.index, "name": p.name, "probability": p.probability} for p in explanation.top5],
        "explained_class": class_ref(cam_class, weights),
        "contrast_class": class_ref(contrast, weights),
        "method": method,
        "layer": "layer4",
    }
    if explanation.blocks is not None:
        report["blocks"] = [{"name": b.name, "ratio": b.ratio, "cosine": b.cosine} for b in explanation.blocks]
    if logit_parts is not None:
        report["logit_decomposition"] = {
            "class": class_ref(logit_parts.cam_class, weights),
            "logit": logit_parts.logit,
            "bias": logit_parts.bias,
            "sum_of_contributions": float(logit_parts.contributions.sum()),
            "channels_up": _channels(logit_parts, UP),
            "channels_down": _channels(logit_parts, DOWN),
        }
    if road is not None:
        report["faithfulness"] = {"metric": ROAD_METRIC, "score": road}
    return report


def _channels(parts: LogitParts, effect: str) -> list[dict]:
    """The TOP_CHANNELS channels of one direction, as the page's chart shows them."""
    return [{"channel": b.channel, "contribution": b.contribution} for b in logit_bars(parts) if b.effect == effect]


def prediction_record(weights: LoadedWeights, explanation: Explanation, gradcam_grid: np.ndarray) -> dict:
    """The lean answer: which weights, the top-5, and the layer4 Grad-CAM grid of the top-1 class as numbers."""
    return {
        "weights": weights.describe(),
        "top5": [{"index": p.index, "name": p.name, "probability": p.probability} for p in explanation.top5],
        "explained_class": class_ref(explanation.cam_class, weights),
        "gradcam_7x7": [[round(float(v), 6) for v in row] for row in gradcam_grid],  # rows top to bottom, in [0, 1]
    }

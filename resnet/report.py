"""A JSON-ready record of an explanation: what the CLI writes and the app offers for download."""

from __future__ import annotations

from .explain import Explanation, LogitParts
from .weights import LoadedWeights

TOP_CHANNELS = 10  # channels listed per direction in the logit decomposition


def class_ref(index: int | None, weights: LoadedWeights) -> dict | None:
    return None if index is None else {"index": index, "name": weights.categories[index]}


def build_report(
    weights: LoadedWeights,
    explanation: Explanation,
    *,
    cam_class: int,
    method: str = "Grad-CAM",
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
            "channels_up": _channels(logit_parts, +1),
            "channels_down": _channels(logit_parts, -1),
        }
    if road is not None:
        report["faithfulness"] = {"metric": "ROAD combined, 20-80% removed, softmax probability", "score": road}
    return report


def _channels(parts: LogitParts, sign: int) -> list[dict]:
    return [{"channel": k, "contribution": float(parts.contributions[k])} for k in parts.strongest(TOP_CHANNELS, sign)]

"""A JSON-ready record of an explanation: what the CLI writes and the app offers for download."""

from __future__ import annotations

import numpy as np

from resnet.cams.methods import DEFAULT_METHOD, ROAD_METRIC
from resnet.cams.trust import CURVE_BASELINE, SANITY_LAYERS
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
    sections: dict | None = None,
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
        sections: more sections by name, made by the ``*_section`` functions below (the CLI's
            ``sanity`` and ``faithfulness_curves``, the page's ``residual_lab``).
    """
    about = {"name": weights.name, "sha256": weights.sha256, "description": weights.describe()}
    report = {
        "weights": {**about, "trained": weights.trained},
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
    return {**report, **(sections or {})}


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


def sanity_section(spearman: np.ndarray) -> dict:
    """The cascading randomization check: each layer's Spearman correlation with the map."""
    return {"layers": list(SANITY_LAYERS), "spearman": [float(v) for v in spearman]}


def faithfulness_section(deletion, insertion, deletion_auc: float, insertion_auc: float) -> dict:
    """Deletion and insertion (``resnet.cams.trust.Curves``): the class's probability as the map's
    pixels go (or come), and the areas under both curves."""
    return {
        "steps": len(deletion) - 1,
        "baseline": CURVE_BASELINE,
        "deletion_curve": [float(v) for v in deletion],
        "insertion_curve": [float(v) for v in insertion],
        "deletion_auc": float(deletion_auc),
        "insertion_auc": float(insertion_auc),
    }


def lesion_section(found, cam_class: int, names: list[str]) -> dict:
    """From ``resnet.learn.lesions.Lesions`` (``found``): the class's probability intact, with each block's residual branch or shortcut removed, and
    with k random branches removed (mean and spread)."""
    ks, mean, spread = found.random_curve(cam_class)
    return {
        "blocks": names,
        "probability_intact": float(found.probabilities(found.intact[None], cam_class)[0]),
        "probability_residual_removed": [float(p) for p in found.probabilities(found.residual_removed, cam_class)],
        "probability_shortcut_removed": [float(p) for p in found.probabilities(found.shortcut_removed, cam_class)],
        "random_removed": [int(k) for k in ks],
        "random_mean": [float(v) for v in mean],
        "random_std": [float(v) for v in spread],
    }


def gradient_section(with_shortcuts: list[tuple[str, float]], plain: list[tuple[str, float]]) -> dict:
    """‖∂ score / ∂ output‖ at the stem and every block, with every shortcut and with none (the
    names the CLI's ``--gradients`` arrays have)."""
    return {
        "grad_names": [name for name, _ in with_shortcuts],
        "grad_norms": [float(v) for _, v in with_shortcuts],
        "grad_norms_plain": [float(v) for _, v in plain],
    }

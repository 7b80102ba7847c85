"""Explanations that test themselves: model randomization, deletion/insertion curves, method agreement.

- **Cascading model-parameter randomization** (Adebayo et al., "Sanity Checks for Saliency
  Maps", NeurIPS 2018): re-initialise the network top-down and cumulatively (``fc``, then also
  ``layer4`` .. ``layer1``, the stem) on a private copy and recompute the map after each step.
  A map that stays the same while the layers it explains become random is not explaining the model.
- **Deletion and insertion** (Petsiuk et al., RISE, BMVC 2018): remove (or insert) pixels in
  decreasing map order in K steps and follow the explained class's probability; removed pixels
  take the ImageNet mean colour (0 after normalisation). A faithful map makes the deletion curve
  fall fast (small area) and the insertion curve rise fast (large area).
- **Method agreement**: the quick CAM methods side by side, their pairwise Spearman rank
  correlations, a consensus map and each one's faithfulness scores.

Everything runs on private copies or with ``inference_mode`` on the shared model, whose
parameters are never changed.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from resnet.cams.methods import ROAD_COST_FORWARDS, Heatmaps, heatmaps_for, method_named, seeded
from resnet.core.explainer import Explainer

SANITY_LAYERS = ("fc", "layer4", "layer3", "layer2", "layer1", "stem")  # randomized in this order, cumulatively
STEM_MODULES = ("conv1", "bn1")
SURVIVES = 0.5  # |Spearman| at or above this: the map still looks like the original
CURVE_STEPS = 16  # K: deletion and insertion curves have K + 1 points
CURVE_BASELINE = "ImageNet mean colour (0 after normalisation)"  # what removed pixels become
AGREEMENT_METHODS = ("Grad-CAM", "HiResCAM", "XGradCAM", "LayerCAM", "Grad-CAM++", "Eigen-CAM", "EigenGrad-CAM")
BATCH = 17  # images per forward pass for the curves (two curves of 17 points: two passes)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two maps (ties averaged); 0 when undefined (a constant map)."""
    from scipy import stats  # imported when a check first runs: 0.4 s less at start-up

    rho = stats.spearmanr(a.ravel(), b.ravel()).statistic
    return 0.0 if np.isnan(rho) else float(rho)


def ssim(a: np.ndarray, b: np.ndarray, window: int = 7) -> float:
    """Structural similarity of two maps in [0, 1] (Wang et al. 2004; uniform 7×7 window, data range 1)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = 0.01**2, 0.03**2
    from scipy import ndimage

    mean = lambda x: ndimage.uniform_filter(x, window)  # noqa: E731
    mu_a, mu_b = mean(a), mean(b)
    var_a, var_b, cov = mean(a * a) - mu_a**2, mean(b * b) - mu_b**2, mean(a * b) - mu_a * mu_b
    index = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    pad = window // 2
    return float(index[pad:-pad, pad:-pad].mean())


# -- cascading randomization ----------------------------------------------------------------------


@dataclass(frozen=True)
class SanityResult:
    layers: tuple[str, ...]  # SANITY_LAYERS
    cams: np.ndarray  # (6, 224, 224) float32 in [0, 1]: the map after randomizing up to layers[i]
    spearman: np.ndarray  # (6,) float32, with the original map
    ssim: np.ndarray  # (6,) float32, with the original map

    @property
    def survived(self) -> list[str]:
        """Steps after which the map still correlates with the original (|Spearman| >= SURVIVES)."""
        return [name for name, rho in zip(self.layers, self.spearman, strict=True) if abs(rho) >= SURVIVES]

    @property
    def passes(self) -> bool:
        """The map changed as soon as the layers it explains were random: the classifier (fc), and
        layer4 on top of it. A map that survives fc does not depend on the class at all."""
        return bool(np.all(np.abs(self.spearman[:2]) < SURVIVES))


def randomize(model: nn.Module, part: str, seed: int) -> None:
    """Re-initialise the parameters of one part of ``model`` in place, seeded (running statistics stay)."""
    modules = [getattr(model, name) for name in STEM_MODULES] if part == "stem" else [getattr(model, part)]
    with seeded(seed, next(model.parameters()).device), torch.no_grad():
        for root in modules:
            for module in root.modules():
                if isinstance(module, (nn.Conv2d, nn.Linear)):
                    module.reset_parameters()
                elif isinstance(module, nn.BatchNorm2d):
                    nn.init.ones_(module.weight)
                    nn.init.zeros_(module.bias)


def sanity_check(
    explainer: Explainer,
    x: np.ndarray,
    cam: np.ndarray,
    method: str,
    cam_class: int,
    contrast: int | None = None,
    seed: int = 0,
) -> SanityResult:
    """Cascading randomization of a private copy of the model; the map of ``method`` after each step.

    Args:
        explainer: the shared explainer (its model is copied, never changed).
        x: the input the map explains, (3, 224, 224) float32.
        cam: the original map (224, 224).
        method: the CAM method of ``cam``.
        cam_class, contrast: what the map explains.
        seed: seeds every re-initialisation (step i uses ``seed + i``): the result is reproducible.
    """
    model = copy.deepcopy(explainer.model).float()
    # In fp32 whatever the shared model runs in: randomized convolutions under the trained
    # BatchNorm statistics can exceed fp16's range (inf/NaN maps).
    private = Explainer(dataclasses.replace(explainer.weights, model=model), precision="fp32")
    heatmaps = Heatmaps(private, model=model)  # the copy is private already: the package may hook it
    cams = []
    for step, part in enumerate(SANITY_LAYERS):
        randomize(model, part, seed + step)
        cams.append(heatmaps.input_cam(x, method, cam_class, contrast))
    stacked = np.stack(cams).astype(np.float32)  # (6, 224, 224)
    return SanityResult(
        layers=SANITY_LAYERS,
        cams=stacked,
        spearman=np.array([spearman(cam, c) for c in stacked], np.float32),
        ssim=np.array([ssim(cam, c) for c in stacked], np.float32),
    )


def sanity_forwards(method: str) -> float:
    """What a sanity check costs, in forward passes: one map per randomization step."""
    return len(SANITY_LAYERS) * method_named(method).forwards


# -- deletion and insertion -----------------------------------------------------------------------


@dataclass(frozen=True)
class Curves:
    deletion: np.ndarray  # (K+1,) probability of the class with 0, 1/K, .., 100% of the pixels removed
    insertion: np.ndarray  # (K+1,) probability with 0 .. 100% of the pixels inserted into the baseline

    @property
    def fractions(self) -> np.ndarray:
        return np.linspace(0, 1, len(self.deletion))

    @property
    def deletion_auc(self) -> float:
        return float(np.trapezoid(self.deletion, self.fractions))

    @property
    def insertion_auc(self) -> float:
        return float(np.trapezoid(self.insertion, self.fractions))


def masked_inputs(x: np.ndarray, cam: np.ndarray, steps: int = CURVE_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """The deletion and insertion inputs, each (K+1, 3, H, W): pixels in decreasing map order.

    Step k removes (or inserts) the round(k / K · H·W) pixels where the map is highest (ties in
    reading order); the baseline is 0 after normalisation, the ImageNet mean colour.
    """
    _, height, width = x.shape
    order = np.argsort(-cam.ravel(), kind="stable")  # most relevant first
    rank = np.empty(order.size, np.int64)
    rank[order] = np.arange(order.size)  # rank of each pixel
    counts = np.rint(np.linspace(0, order.size, steps + 1)).astype(np.int64)  # (K+1,)
    chosen = (rank[None, :] < counts[:, None]).reshape(steps + 1, 1, height, width)  # (K+1, 1, H, W)
    deletion = np.where(chosen, 0.0, x[None]).astype(np.float32)
    insertion = np.where(chosen, x[None], 0.0).astype(np.float32)
    return deletion, insertion


def probabilities(explainer: Explainer, inputs: np.ndarray, cam_class: int, batch: int = BATCH) -> np.ndarray:
    """Softmax probability of ``cam_class`` for each normalised input (N, 3, H, W), ``batch`` at a time."""
    out = []
    with torch.inference_mode():
        for start in range(0, len(inputs), batch):
            logits, _ = explainer.forward_stages(torch.from_numpy(inputs[start : start + batch]))
            out.append(logits.float().softmax(dim=1)[:, cam_class].cpu().numpy())
    return np.concatenate(out).astype(np.float32)


def faithfulness_curves(
    explainer: Explainer, x: np.ndarray, cam: np.ndarray, cam_class: int, steps: int = CURVE_STEPS, batch: int = BATCH
) -> Curves:
    """Deletion and insertion curves of a map for the explained class (2·(K+1) forward passes,
    ``batch`` masked images at a time)."""
    deletion, insertion = masked_inputs(x, cam, steps)
    probs = probabilities(explainer, np.concatenate([deletion, insertion]), cam_class, batch)
    return Curves(deletion=probs[: steps + 1], insertion=probs[steps + 1 :])


# -- method agreement -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodScore:
    method: str
    cam: np.ndarray  # (224, 224) in [0, 1]
    deletion_auc: float  # lower is better
    insertion_auc: float  # higher is better
    road: float  # higher is better


@dataclass(frozen=True)
class Agreement:
    scores: list[MethodScore]  # in AGREEMENT_METHODS order
    spearman: np.ndarray  # (M, M) pairwise rank correlations
    consensus: np.ndarray  # (224, 224): mean of the maps, scaled to [0, 1]

    def ranked(self) -> list[MethodScore]:
        """Best first by insertion AUC − deletion AUC (the area between the curves)."""
        return sorted(self.scores, key=lambda s: s.insertion_auc - s.deletion_auc, reverse=True)


def method_agreement(
    heatmaps: Heatmaps,
    x: np.ndarray,
    cam_class: int,
    contrast: int | None = None,
    methods: tuple[str, ...] = AGREEMENT_METHODS,
    progress=None,
) -> Agreement:
    """Every quick method's map for one input and class, compared and scored.

    ``progress(done, total, method)`` is called before each method, if given.
    """
    explainer = heatmaps.explainer
    scores = []
    for i, method in enumerate(methods):
        if progress is not None:
            progress(i, len(methods), method)
        cam = heatmaps.input_cam(x, method, cam_class, contrast)
        curves = faithfulness_curves(explainer, x, cam, cam_class)
        road = heatmaps.road(x, cam, cam_class)
        scores.append(MethodScore(method, cam, curves.deletion_auc, curves.insertion_auc, road))
    maps = [s.cam for s in scores]
    matrix = np.array([[spearman(a, b) for b in maps] for a in maps], np.float32)
    consensus = np.mean(maps, axis=0)
    consensus = (consensus - consensus.min()) / max(float(consensus.max() - consensus.min()), 1e-7)
    return Agreement(scores, matrix, consensus.astype(np.float32))


def agreement_of(
    explainer: Explainer, x: np.ndarray, cam_class: int, contrast: int | None = None, progress=None
) -> Agreement:
    """``method_agreement`` with ``explainer``'s one Heatmaps (``heatmaps_for``): a replica's form."""
    return method_agreement(heatmaps_for(explainer), x, cam_class, contrast, progress=progress)


def agreement_forwards(methods: tuple[str, ...] = AGREEMENT_METHODS, steps: int = CURVE_STEPS) -> float:
    """What method agreement costs, in forward passes' time: each map, its two curves and its ROAD."""
    return sum(method_named(m).forwards + 2 * (steps + 1) + ROAD_COST_FORWARDS for m in methods)

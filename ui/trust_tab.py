"""The Trust tab: does the heatmap shown deserve trust? Sanity check, curves, agreement, diagnostics.

Every handler reads the session's current view (image, class, contrast, method) and runs on
private model copies or in inference mode: other visitors are neither slowed nor changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from resnet import Explainer, render
from resnet.heatmaps import DEFAULT_METHOD, Heatmaps
from resnet.occlusion import occlusion_forwards, occlusion_map
from resnet.trust import (
    CURVE_STEPS,
    SURVIVES,
    agreement_forwards,
    faithfulness_curves,
    method_agreement,
    sanity_check,
    sanity_forwards,
)
from ui.classes import Classifier, Classifiers
from ui.explain_tab import overlay_picture
from ui.files import Gallery, ScratchFiles
from ui.text import say

# Fixed colours for the curves in both languages (Gradio 6.31 draws no legend entries for this chart;
# the text under it names the colours).
CURVE_COLOURS = {"deletion": "#1f77b4", "insertion": "#ff7f0e", "删除": "#1f77b4", "插入": "#ff7f0e"}
EMPTY_EVIDENCE = 1e-6  # a map whose positive evidence is below this share of its largest cell is "empty"


@dataclass(frozen=True)
class SanityPanel:
    sanity_gallery: Gallery
    sanity_text: str


@dataclass(frozen=True)
class CurvesPanel:
    curves_plot: Any
    curves_text: str


@dataclass(frozen=True)
class AgreementPanel:
    agreement_gallery: Gallery
    agreement_matrix: Any  # pd.DataFrame
    agreement_ranking: Any  # pd.DataFrame


@dataclass(frozen=True)
class Diagnosis:
    diagnosis: str  # what the raw evidence says, and what to try when the map is empty
    raw_grid: str | None  # PNG of the 7×7 evidence before the ReLU, on a shared diverging scale
    trust_costs: str  # what each check costs for the method shown


@dataclass(frozen=True)
class NegativeMap:
    view: Any
    heatmap: str | None


@dataclass(frozen=True)
class OcclusionPanel:
    occlusion_image: str | None  # the map over the crop: red where covering the image lowers the score
    occlusion_text: str


class TrustTab:
    def __init__(
        self,
        explainer: Explainer,
        heatmaps: Heatmaps,
        files: ScratchFiles,
        forward_seconds: float = 0.1,
        classifiers: Classifiers | None = None,
    ):
        """``classifiers``: the shared model (with ``heatmaps``) and the visitors' taught heads; a
        page's view says which one it explains."""
        self.classifiers = classifiers or Classifiers(explainer, heatmaps)
        self.files = files
        self.forward_seconds = forward_seconds

    def _of(self, view) -> Classifier:
        return self.classifiers.of(view.head)

    def costs(self, method: str, language: str | None) -> str:
        """What each check costs here, said before it runs."""
        return say(
            language,
            "trust_costs",
            sanity=sanity_forwards(method),
            sanity_s=sanity_forwards(method) * self.forward_seconds,
            curves=2 * (CURVE_STEPS + 1),
            curves_s=2 * (CURVE_STEPS + 1) * self.forward_seconds,
            agreement=agreement_forwards(),
            agreement_s=agreement_forwards() * self.forward_seconds,
            occlusion=occlusion_forwards(),
            occlusion_s=occlusion_forwards() * self.forward_seconds,
        )

    def sanity(self, view, cmap, language, progress=gr.Progress()) -> SanityPanel:  # noqa: B008
        """Cascading randomization of a private copy; the map after each step, compared with the original."""
        _require(view, language)
        progress(0, desc=say(language, "sanity_running"))
        result = sanity_check(
            self._of(view).explainer, view.explanation.input, view.cam, view.method, view.cam_class, view.contrast
        )
        pictures = [(self._overlay(view, view.cam, cmap, language), say(language, "sanity_original"))]
        for name, cam, rho, similarity in zip(result.layers, result.cams, result.spearman, result.ssim, strict=True):
            caption = say(language, "sanity_step", layer=name, rho=float(rho), ssim=float(similarity))
            pictures.append((self._overlay(view, cam, cmap, language), caption))
        survived = ", ".join(result.survived)
        if result.passes:
            verdict = say(language, "sanity_pass", method=view.method, threshold=SURVIVES)
        else:
            verdict = say(language, "sanity_fail", method=view.method, threshold=SURVIVES, layers=survived)
        return SanityPanel(self.files.pngs(pictures), verdict)

    def curves(self, view, language, progress=gr.Progress()) -> CurvesPanel:  # noqa: B008
        """Deletion and insertion curves of the map shown (2·(K+1) forward passes, batched)."""
        _require(view, language)
        progress(0, desc=say(language, "curves_running"))
        curves = faithfulness_curves(self._of(view).explainer, view.explanation.input, view.cam, view.cam_class)
        names = {"deletion": say(language, "deletion"), "insertion": say(language, "insertion")}
        rows = pd.DataFrame(
            {
                "fraction": np.concatenate([curves.fractions, curves.fractions]),
                "probability": np.concatenate([curves.deletion, curves.insertion]),
                "curve": [names["deletion"]] * len(curves.deletion) + [names["insertion"]] * len(curves.insertion),
            }
        )
        text = say(
            language,
            "curves_text",
            name=self._of(view).categories[view.cam_class],
            deletion=curves.deletion_auc,
            insertion=curves.insertion_auc,
            steps=CURVE_STEPS,
        )
        plot = gr.update(value=rows, x_title=say(language, "curves_x"), y_title=say(language, "curves_y"))
        return CurvesPanel(plot, text)

    def agreement(self, view, cmap, language, progress=gr.Progress()) -> AgreementPanel:  # noqa: B008
        """Every quick method side by side: pairwise Spearman, consensus, faithfulness ranking."""
        _require(view, language)

        def step(done, total, method):
            progress(done / total, desc=say(language, "agreement_running", method=method))

        result = method_agreement(
            self._of(view).heatmaps, view.explanation.input, view.cam_class, view.contrast, progress=step
        )
        methods = [s.method for s in result.scores]
        pictures = [(self._overlay(view, s.cam, cmap, language), s.method) for s in result.scores]
        pictures.append((self._overlay(view, result.consensus, cmap, language), say(language, "consensus")))
        matrix = pd.DataFrame(np.round(result.spearman.astype(np.float64), 3), columns=methods)
        matrix.insert(0, "Spearman", methods)
        ranking = pd.DataFrame(
            [
                {
                    say(language, "rank_method"): s.method,
                    say(language, "rank_gap"): round(s.insertion_auc - s.deletion_auc, 4),
                    say(language, "rank_insertion"): round(s.insertion_auc, 4),
                    say(language, "rank_deletion"): round(s.deletion_auc, 4),
                    "ROAD": round(s.road, 4),
                }
                for s in result.ranked()
            ]
        )
        return AgreementPanel(self.files.pngs(pictures), matrix, ranking)

    def diagnose(self, view, language) -> Diagnosis:
        """The 7×7 Grad-CAM evidence before the ReLU, and what to do when nothing speaks for the class."""
        if view is None:
            return Diagnosis("", None, self.costs(DEFAULT_METHOD, language))
        costs = self.costs(view.method, language)
        classifier = self._of(view)
        raw = classifier.explainer.layer4_evidence(view.explanation, view.cam_class, view.contrast)  # (7, 7)
        # One scale for this image: the largest |evidence| of any top-5 class (or of the class shown),
        # so switching class shows how much stronger or weaker its evidence is, not only where it lies.
        top5 = [classifier.explainer.layer4_evidence(view.explanation, p.index) for p in view.explanation.top5]
        bound = max(float(np.abs(m).max()) for m in [raw, *top5])
        grid = self.files.png(_diverging_grid(raw, bound))
        peak = float(np.abs(raw).max())
        positive = float(np.clip(raw, 0, None).max())
        values = {"positive": positive, "negative": float(np.clip(-raw, 0, None).max()), "total": float(raw.sum())}
        if positive <= EMPTY_EVIDENCE * max(peak, 1e-12):
            return Diagnosis(
                say(language, "diagnosis_empty", name=classifier.categories[view.cam_class], **values), grid, costs
            )
        return Diagnosis(say(language, "diagnosis_ok", **values), grid, costs)

    def negative_map(self, view, cmap, alpha, language) -> NegativeMap:
        """The map of what argues against the class: Grad-CAM of the negated score."""
        _require(view, language)
        classifier = self._of(view)
        cam = classifier.explainer.layer4_cam(view.explanation, view.cam_class, view.contrast, against=True)
        caption = say(language, "against", name=classifier.categories[view.cam_class])
        picture = overlay_picture(classifier.categories, view, cam, cmap, alpha, language, caption=caption)
        return NegativeMap(replace(view, cam=cam), self.files.png(picture))

    def occlusion(self, view, language, progress=gr.Progress()) -> OcclusionPanel:  # noqa: B008
        """Occlusion sensitivity of the explained class: a grey patch slid over the image, batched passes."""
        _require(view, language)
        progress(0, desc=say(language, "occlusion_running", forwards=occlusion_forwards()))
        result = occlusion_map(self._of(view).explainer, view.explanation.input, view.cam_class)
        picture = render.signed_map(result.drop, 224)
        blended = Image.blend(view.explanation.crop.convert("RGB"), picture, 0.6)
        text = say(
            language,
            "occlusion_done",
            name=self._of(view).categories[view.cam_class],
            forwards=result.forwards,
            most=float(result.drop.max()),
        )
        return OcclusionPanel(self.files.png(blended), text)

    def _overlay(self, view, cam: np.ndarray, cmap: str, language: str | None) -> Image.Image:
        return overlay_picture(self._of(view).categories, view, cam, cmap, 0.5, language)


def _require(view, language) -> None:
    if view is None:
        raise gr.Error(say(language, "no_image"))


def _diverging_grid(raw: np.ndarray, bound: float, cell: int = 32) -> Image.Image:
    """The raw evidence on the symmetric scale ±bound: red for the class, blue against it, white for 0."""
    bound = max(bound, 1e-12)
    colours = render.colorize((raw / bound + 1) / 2, "coolwarm")  # (7, 7, 3)
    return Image.fromarray(colours).resize((raw.shape[1] * cell, raw.shape[0] * cell), Image.Resampling.NEAREST)

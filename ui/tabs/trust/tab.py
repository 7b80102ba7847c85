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

from resnet import Explainer
from resnet.cams.methods import DEFAULT_METHOD, Heatmaps
from resnet.cams.trust import (
    CURVE_STEPS,
    SANITY_LAYERS,
    SURVIVES,
    agreement_forwards,
    agreement_of,
    faithfulness_curves,
    sanity_check,
    sanity_forwards,
)
from resnet.present import render
from ui.classes import Classifier, Classifiers
from ui.files import Gallery, ScratchFiles
from ui.tabs.trust.ranking import MethodRanking
from ui.text import duration, say, text
from ui.view import overlay_picture, require

CURVE_COLOURS = {"deletion": "#1f77b4", "insertion": "#ff7f0e"}  # the curves' colours, named in the page's language
LAYERCAM = "LayerCAM"  # the alternative offered when Grad-CAM's map is empty
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


class TrustTab:
    ID, TITLE = "trust", "tab_trust"

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
        self.ranking = MethodRanking(self.classifiers, files, forward_seconds)

    def build(self, shared) -> None:
        gr.Markdown(text("trust_intro"))
        self.trust_costs = gr.Markdown()
        with gr.Row():
            self.sanity_button = gr.Button(text("sanity_button"))
            self.curves_button = gr.Button(text("curves_button"))
            self.agreement_button = gr.Button(text("agreement_button"))
        self.sanity_gallery = gr.Gallery(label=text("sanity_gallery"), columns=7, format="png", height=240)
        self.sanity_text = gr.Markdown()
        self.curves_plot = gr.LinePlot(
            x="fraction",
            y="probability",
            color="curve",
            colors_in_legend=[],  # the text under the chart names the colours
            height=260,
            label=text("curves_plot"),
            sort="x",
        )
        self.curves_text = gr.Markdown()
        self.agreement_gallery = gr.Gallery(label=text("agreement_gallery"), columns=8, format="png", height=240)
        with gr.Row():
            self.agreement_matrix = gr.Dataframe(label=text("agreement_matrix"), interactive=False)
            self.agreement_ranking = gr.Dataframe(label=text("agreement_ranking"), interactive=False)
        with gr.Row():
            with gr.Column():
                self.diagnosis = gr.Markdown()
                with gr.Row():
                    self.negative_button = gr.Button(text("negative_button"), size="sm")
                    self.layercam_button = gr.Button(text("layercam_button"), size="sm")
                    self.stages_button = gr.Button(text("stages_button"), size="sm")
            self.raw_grid = gr.Image(
                label=text("raw_grid"), type="filepath", format="png", interactive=False, height=240
            )
        self.ranking.build()

    def wire(self, shared, explain) -> None:
        """``explain``: the panel whose heatmap the checks are about (LayerCAM is chosen there)."""
        view, cmap, alpha = shared.view, explain.cmap, explain.alpha
        shared.on_language(self.diagnose, [view], Diagnosis, self)
        sanity_seconds = shared.gpu_seconds(self.sanity, "view", lambda v: v.method, times=len(SANITY_LAYERS))
        shared.event(self.sanity_button.click, self.sanity, [view, cmap], SanityPanel, self, gpu=sanity_seconds)
        shared.event(self.curves_button.click, self.curves, [view], CurvesPanel, self, gpu=True)
        agreement_seconds = shared.fixed_seconds(agreement_forwards())
        agreement = self.agreement_button.click
        shared.event(agreement, self.agreement, [view, cmap], AgreementPanel, self, gpu=agreement_seconds)
        negative = [view, cmap, alpha]
        shared.event(self.negative_button.click, self.negative_map, negative, NegativeMap, explain, gpu=True)
        shared.go_to(self.stages_button.click, "stages")
        chosen = self.layercam_button.click(lambda: LAYERCAM, None, explain.method, api_visibility="private")
        explain.retargets.append(explain.retarget_on(shared, chosen.then, explain.any_class))
        self.ranking.wire(shared)

    def follow_heatmap(self, shared, changed) -> None:
        """Every new heatmap: its diagnosis."""
        shared.event(changed.success, self.diagnose, [shared.view], Diagnosis, self)

    def _of(self, view) -> Classifier:
        return self.classifiers.of(view.head)

    def costs(self, method: str, language: str | None) -> str:
        """What each check costs here, said before it runs."""
        return say(
            language,
            "trust_costs",
            sanity=sanity_forwards(method),
            sanity_s=duration(language, sanity_forwards(method) * self.forward_seconds),
            curves=2 * (CURVE_STEPS + 1),
            curves_s=duration(language, 2 * (CURVE_STEPS + 1) * self.forward_seconds),
            agreement=agreement_forwards(),
            agreement_s=duration(language, agreement_forwards() * self.forward_seconds),
        )

    def sanity(self, view, cmap, language, progress=gr.Progress()) -> SanityPanel:  # noqa: B008
        """Cascading randomization of a private copy; the map after each step, compared with the original."""
        view = require(view, language)
        progress(0, desc=say(language, "sanity_running"))
        result = self._of(view).run(
            sanity_check, view.explanation.input, view.cam, view.method, view.cam_class, view.contrast
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
        view = require(view, language)
        progress(0, desc=say(language, "curves_running"))
        curves = self._of(view).run(faithfulness_curves, view.explanation.input, view.cam, view.cam_class)
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
            name=self._of(view).names(language)[view.cam_class],
            deletion=curves.deletion_auc,
            insertion=curves.insertion_auc,
            steps=CURVE_STEPS,
        )
        colours = {names[curve]: colour for curve, colour in CURVE_COLOURS.items()}
        plot = gr.update(
            value=rows, color_map=colours, x_title=say(language, "curves_x"), y_title=say(language, "curves_y")
        )
        return CurvesPanel(plot, text)

    def agreement(self, view, cmap, language, progress=gr.Progress()) -> AgreementPanel:  # noqa: B008
        """Every quick method side by side: pairwise Spearman, consensus, faithfulness ranking."""
        view = require(view, language)

        def step(done, total, method):
            progress(done / total, desc=say(language, "agreement_running", method=method))

        classifier = self._of(view)
        here = {} if classifier.engine else {"progress": step}  # a replica's progress cannot reach this page
        result = classifier.run(agreement_of, view.explanation.input, view.cam_class, view.contrast, **here)
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
                say(language, "diagnosis_empty", name=classifier.names(language)[view.cam_class], **values), grid, costs
            )
        return Diagnosis(say(language, "diagnosis_ok", **values), grid, costs)

    def negative_map(self, view, cmap, alpha, language) -> NegativeMap:
        """The map of what argues against the class: Grad-CAM of the negated score."""
        view = require(view, language)
        classifier = self._of(view)
        grid = classifier.explainer.layer4_grid(view.explanation, view.cam_class, view.contrast, against=True)
        against = replace(view, heatmap=grid)
        caption = say(language, "against", name=classifier.names(language)[view.cam_class])
        picture = overlay_picture(classifier.names(language), view, against.cam, cmap, alpha, language, caption=caption)
        return NegativeMap(against, self.files.png(picture))

    def _overlay(self, view, cam: np.ndarray, cmap: str, language: str | None) -> Image.Image:
        return overlay_picture(self._of(view).names(language), view, cam, cmap, 0.5, language)


def _diverging_grid(raw: np.ndarray, bound: float, cell: int = 32) -> Image.Image:
    """The raw evidence on the symmetric scale ±bound: red for the class, blue against it, white for 0."""
    bound = max(bound, 1e-12)
    colours = render.colorize((raw / bound + 1) / 2, "coolwarm")  # (7, 7, 3)
    return Image.fromarray(colours).resize((raw.shape[1] * cell, raw.shape[0] * cell), Image.Resampling.NEAREST)

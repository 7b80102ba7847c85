"""The Explain page: one analysis per image, then class, method, contrast and display changes.

Each handler is a plain method over plain values and returns one named record (see
``records.py``); ``language`` is the page's language, sent by the browser with every event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from resnet import Explainer, Explanation, render
from resnet.architecture import architecture
from resnet.explain import CAM_STAGES, upsample_cams
from resnet.heatmaps import DEFAULT_METHOD, METHODS
from resnet.panels import block_series, logit_bars, road_relies
from resnet.report import build_report
from resnet.teach import Head
from ui.classes import Classifiers
from ui.files import Gallery, ScratchFiles, read_upload
from ui.learn_tab import architecture_table, residual_story
from ui.text import legend_words, say
from ui.whatif_tab import fill_choices

NO_CONTRAST = -1  # dropdown value for "no contrast class"
# Chart series are named in notation that reads the same in every language: Gradio draws a
# chart's legend from the properties it was built with, so legend names cannot change later.
LOGIT_SERIES = {"up": "logit ↑", "down": "logit ↓"}  # the channel raises / lowers the score
LOGIT_COLOURS = {"logit ↑": "#d62728", "logit ↓": "#1f77b4"}
BLOCK_SERIES = {"ratio": "‖F(x)‖ / ‖x‖", "cosine": "cos(F(x), x)"}  # x: the block's shortcut
BLOCK_COLOURS = {"‖F(x)‖ / ‖x‖": "#1f77b4", "cos(F(x), x)": "#ff7f0e"}


@dataclass(frozen=True)
class View:
    """One session's current image and heatmap settings (kept in gr.State: under 1 MB, see
    ``Explanation.kept``)."""

    explanation: Explanation  # kept form: layer4 is the only stage it holds
    cam: np.ndarray  # (224, 224) heatmap shown
    cam_class: int
    contrast: int | None
    method: str
    stage_grids: dict[str, np.ndarray] | None = None  # CAM_STAGES -> (h, w) Grad-CAMs for cam_class/contrast
    road: float | None = None  # faithfulness of `cam`, once asked for
    head: Head | None = None  # the visitor's taught head whose classes are explained (None: ImageNet's)


# -- records: one per event; field names are component names ------------------------------------


@dataclass(frozen=True)
class HeatmapPanels:
    """Everything that depends on the explained class, contrast and method."""

    view: View | None
    heatmap: str | None  # PNG: overlay with its colour bar
    faith: str  # ROAD text, cleared when the heatmap changes
    logit_text: str
    logit_plot: Any  # gr.update of the bar chart (rows and language-dependent legend)
    logit_maps: Gallery
    report: str | None  # JSON file


@dataclass(frozen=True)
class Analysis(HeatmapPanels):
    """A new image: every panel of the page."""

    labels: dict[str, float] | None
    top5: Any  # gr.update of the radio: choices and value
    any_class: Any
    contrast: Any
    stage_gallery: Gallery
    gallery: Gallery
    block_plot: Any
    block_image: str | None
    learn_story: str


@dataclass(frozen=True)
class Retarget(HeatmapPanels):
    """Another class, contrast or method for the same image."""

    top5: int | None  # the radio shows the class when it is in the top-5
    any_class: int


@dataclass(frozen=True)
class StagePanel:
    view: View | None
    stage_gallery: Gallery


@dataclass(frozen=True)
class Restyle:
    heatmap: str | None
    stage_gallery: Gallery


@dataclass(frozen=True)
class Features:
    gallery: Gallery


@dataclass(frozen=True)
class BlockMap:
    block_image: str | None


@dataclass(frozen=True)
class Faithfulness:
    view: View
    faith: str
    report: str


@dataclass(frozen=True)
class PageTexts:
    """What the page shows in its language from the start: filled when the page loads."""

    banner: str
    method: Any
    contrast: Any
    scale: Any
    learn_table: str
    whatif_fill: Any


class ExplainTab:
    """Handlers of the Explain page over one shared, thread-safe Explainer."""

    def __init__(
        self,
        explainer: Explainer,
        files: ScratchFiles,
        forward_seconds: float = 0.1,
        classifiers: Classifiers | None = None,
    ):
        """``classifiers``: the shared model and the visitors' taught heads (one per page is made if not given)."""
        self.classifiers = classifiers or Classifiers(explainer)
        self.explainer = explainer
        self.heatmaps = self.classifiers.shared.heatmaps
        self.categories = explainer.weights.categories
        self.files = files
        self.forward_seconds = forward_seconds
        self.parts = architecture(explainer)

    def page_texts(self, language: str) -> PageTexts:
        """The banner, menus and table in the page's language."""
        return PageTexts(
            banner=weights_banner(self.explainer, language),
            method=gr.update(choices=method_choices(self.forward_seconds, language)),
            contrast=gr.update(choices=self.class_choices(language, with_none=True)),
            scale=gr.update(choices=scale_choices(language)),
            learn_table=architecture_table(self.parts, language),
            whatif_fill=gr.update(choices=fill_choices(language)),
        )

    def class_choices(
        self, language: str | None = None, with_none: bool = False, categories: list[str] | None = None
    ) -> list[tuple[str, int]]:
        classes = [(f"{name} ({i})", i) for i, name in enumerate(categories or self.categories)]
        return [(say(language, "no_contrast"), NO_CONTRAST), *classes] if with_none else classes

    def analyze(
        self,
        image_path,
        method,
        cmap,
        alpha,
        channels,
        scale,
        block,
        head,
        yours,
        language,
        progress=gr.Progress(track_tqdm=True),  # noqa: B008 (Gradio's way to ask for a progress bar)
    ) -> Analysis:
        """A new image: one pass for everything, then every panel of the page. With ``yours``, the
        classes are those of the visitor's taught ``head`` (its rows replace ``fc``)."""
        if image_path is None:
            return cleared()
        if yours and head is None:
            raise gr.Error(say(language, "teach_train_first"))
        classifier = self.classifiers.of(head if yours else None)
        image = read_upload(image_path, language)
        progress(0, desc=say(language, "running"))
        explanation = classifier.explainer.explain(image, all_stages=True, blocks=True)
        gallery = self._feature_gallery(explanation.stages, channels, scale)
        explanation = explanation.kept()
        view = self._view(explanation, explanation.cam_class, None, method, classifier.head)
        view = replace(view, stage_grids=explanation.stage_grids)
        top5 = [(f"{p.name} ({p.probability:.1%})", p.index) for p in explanation.top5]
        categories = classifier.categories
        return Analysis(
            **vars(self._heatmap_panels(view, cmap, alpha, language)),
            labels=explanation.label_confidences,
            top5=gr.update(choices=top5, value=explanation.cam_class),
            any_class=gr.update(
                choices=self.class_choices(language, categories=categories), value=explanation.cam_class
            ),
            contrast=gr.update(
                choices=self.class_choices(language, with_none=True, categories=categories), value=NO_CONTRAST
            ),
            stage_gallery=self._stage_gallery(view, cmap, alpha, language),
            gallery=gallery,
            block_plot=self._block_plot(explanation, language),
            block_image=self.block_map(view, block).block_image,
            learn_story=residual_story(explanation, explanation.blocks, language),
        )

    def retarget(
        self,
        view,
        cam_class,
        contrast,
        method,
        cmap,
        alpha,
        language,
        progress=gr.Progress(track_tqdm=True),  # noqa: B008
    ) -> Retarget:
        """Another class, contrast or method for the same image (Grad-CAM: no model run)."""
        if view is None or cam_class is None:
            raise gr.Error(say(language, "no_image"))
        cam_class = int(cam_class)
        contrast = None if contrast in (None, NO_CONTRAST) else int(contrast)
        view = self._view(view.explanation, cam_class, contrast, method, view.head)
        in_top5 = cam_class in [p.index for p in view.explanation.top5]
        return Retarget(
            **vars(self._heatmap_panels(view, cmap, alpha, language)),
            top5=cam_class if in_top5 else None,
            any_class=cam_class,
        )

    def stage_panel(self, view, cmap, alpha, language) -> StagePanel:
        """Grad-CAM of every stage for the current class (one forward, one partial backward)."""
        if view is None:
            return StagePanel(None, [])
        explainer = self.classifiers.of(view.head).explainer
        grids = explainer.stage_grids(view.explanation, view.cam_class, view.contrast)
        view = replace(view, stage_grids=grids)
        return StagePanel(view, self._stage_gallery(view, cmap, alpha, language))

    def restyle(self, view, cmap, alpha, language) -> Restyle:
        """New colormap or opacity: redraw the heatmaps, no model run."""
        if view is None:
            return Restyle(None, [])
        return Restyle(self._overlay(view, cmap, alpha, language), self._stage_gallery(view, cmap, alpha, language))

    def features(self, view, channels, scale) -> Features:
        """Feature maps of every stage: the page keeps only layer4, so one forward pass remakes them."""
        if view is None:
            return Features([])
        return Features(self._feature_gallery(self.explainer.activations(view.explanation), channels, scale))

    def block_map(self, view, block) -> BlockMap:
        if view is None:
            return BlockMap(None)
        chosen = next(b for b in view.explanation.blocks if b.name == block)
        return BlockMap(self.files.png(render.scalar_map(chosen.residual_map)))

    def faithfulness(self, view, language, progress=gr.Progress()) -> Faithfulness:  # noqa: B008
        """ROAD score of the heatmap shown (8 extra forward passes)."""
        if view is None:
            raise gr.Error(say(language, "no_image"))
        progress(0, desc=say(language, "road_running"))
        road = self.classifiers.of(view.head).heatmaps.road(view.explanation.input, view.cam, view.cam_class)
        view = replace(view, road=road)
        return Faithfulness(view, road_text(road, language), self._write_report(view))

    # -- helpers --------------------------------------------------------------------------------

    def _feature_gallery(self, stages: dict[str, np.ndarray], channels, scale) -> Gallery:
        return self.files.pngs(render.feature_grids(stages, int(channels), scale))

    def _view(
        self, explanation: Explanation, cam_class: int, contrast: int | None, method: str, head: Head | None
    ) -> View:
        cam = self.classifiers.of(head).heatmaps.heatmap(explanation, method, cam_class, contrast)
        return View(explanation, cam, cam_class, contrast, method, head=head)

    def _overlay(self, view: View, cmap: str, alpha: float, language: str | None) -> str:
        return self.files.png(self._overlay_picture(view, view.cam, cmap, alpha, language))

    def _overlay_picture(self, view: View, cam: np.ndarray, cmap: str, alpha: float, language: str | None):
        return overlay_picture(self.classifiers.of(view.head).categories, view, cam, cmap, alpha, language)

    def _heatmap_panels(self, view: View, cmap: str, alpha: float, language: str | None) -> HeatmapPanels:
        """Heatmap, cleared faithfulness line, logit decomposition (text, chart, maps) and report file."""
        classifier = self.classifiers.of(view.head)
        parts = classifier.explainer.logit_parts(view.explanation, view.cam_class)
        bars = logit_bars(parts)
        chart = pd.DataFrame(
            {
                "channel": [say(language, "channel", k=b.channel) for b in bars],
                "contribution": [b.contribution for b in bars],
                "effect": [LOGIT_SERIES[b.effect] for b in bars],
            }
        )
        layer4 = view.explanation.stages["layer4"]  # (2048, 7, 7)
        maps = self.files.pngs(
            [
                (
                    render.scalar_map(layer4[b.channel], 112),
                    f"{say(language, 'channel', k=b.channel)} · {b.contribution:+.3f}",
                )
                for b in bars
            ]
        )
        summary = say(
            language,
            "logit_summary",
            name=classifier.categories[view.cam_class],
            logit=parts.logit,
            total=float(parts.contributions.sum()),
            bias=parts.bias,
        )
        plot = gr.update(
            value=chart,
            x_title=say(language, "logit_x"),
            y_title=say(language, "logit_y"),
        )
        return HeatmapPanels(
            view=view,
            heatmap=self._overlay(view, cmap, alpha, language),
            faith="",
            logit_text=summary,
            logit_plot=plot,
            logit_maps=maps,
            report=self._write_report(view, parts),
        )

    def _stage_gallery(self, view: View, cmap: str, alpha: float, language: str | None) -> Gallery:
        if view.stage_grids is None:
            return []
        cams = upsample_cams(view.stage_grids)
        return self.files.pngs(
            [
                (self._overlay_picture(view, cams[name], cmap, alpha, language), say(language, "stage_cam", stage=name))
                for name in CAM_STAGES
            ]
        )

    def _block_plot(self, explanation: Explanation, language: str | None):
        points = block_series(explanation.blocks)
        rows = pd.DataFrame(
            {
                "block": [p.block for p in points],
                "series": [BLOCK_SERIES[p.series] for p in points],
                "value": [p.value for p in points],
            }
        )
        return gr.update(
            value=rows,
            x_title=say(language, "blocks_x"),
            y_title=say(language, "blocks_y"),
        )

    def _write_report(self, view: View, parts=None) -> str:
        """Write the JSON report of what is shown; old reports are pruned."""
        explainer = self.classifiers.of(view.head).explainer
        report = build_report(
            explainer.weights,
            view.explanation,
            cam_class=view.cam_class,
            method=view.method,
            contrast=view.contrast,
            logit_parts=parts or explainer.logit_parts(view.explanation, view.cam_class),
            road=view.road,
        )
        return self.files.json(report)


def overlay_picture(
    categories: list[str], view: View, cam: np.ndarray, cmap: str, alpha: float, language: str | None, caption=None
) -> Image.Image:
    """``cam`` over the view's crop with a colour bar in ``language``; the caption names what it explains."""
    words = legend_words(language)
    caption = caption or render.heatmap_caption(categories, view.cam_class, view.contrast, words)
    return render.cam_overlay(view.explanation.crop, cam, caption, alpha=alpha, cmap=cmap, words=words)


def cleared() -> Analysis:
    """No image: every panel empty."""
    return Analysis(
        view=None,
        heatmap=None,
        faith="",
        logit_text="",
        logit_plot=None,
        logit_maps=[],
        report=None,
        labels=None,
        top5=gr.update(choices=[], value=None),
        any_class=gr.update(),
        contrast=gr.update(),
        stage_gallery=[],
        gallery=[],
        block_plot=None,
        block_image=None,
        learn_story="",
    )


def road_text(road: float, language: str | None) -> str:
    verdict = say(language, "road_yes" if road_relies(road) else "road_no")
    return say(language, "road", score=road, verdict=verdict)


def weights_banner(explainer: Explainer, language: str | None = None) -> str:
    """HTML for the top of the page: which weights, and a loud warning when they are untrained."""
    weights = explainer.weights
    html = f"<p>{say(language, 'model_line', model=weights.describe(), device=weights.device.type)}</p>"
    if weights.warning:
        warning = weights.warning if weights.trained else say(language, "untrained", warning=weights.warning)
        html = (
            '<div style="border:2px solid #d97706;background:#fef3c7;color:#78350f;padding:10px 14px;'
            f'border-radius:8px;margin-bottom:8px"><b>{say(language, "warning")}</b> {warning}</div>' + html
        )
    return html


def scale_choices(language: str | None = None) -> list[tuple[str, str]]:
    """The feature maps' colour scales, named in ``language``."""
    return [(say(language, scale), scale) for scale in render.FEATURE_SCALES]


def method_choices(forward_seconds: float, language: str | None = None) -> list[tuple[str, str]]:
    """Dropdown entries with how long each method takes on this machine."""
    choices = []
    for method in METHODS.values():
        if method.label == DEFAULT_METHOD:
            label = say(language, "method_instant", method=method.label)
        elif (seconds := method.forwards * forward_seconds) >= 1:
            label = say(language, "method_seconds", method=method.label, seconds=seconds)
        else:
            label = say(language, "method_subsecond", method=method.label)
        choices.append((label, method.label))
    return choices

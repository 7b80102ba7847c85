"""The Explain panel on top of the page: one analysis per image, then class, method and display changes.

A new image is analysed in two events. ``first_answer`` (the one model call) sends the top-5 and
the heatmap in its first message, then, after the backward pass, the view with every stage's
Grad-CAM; ``panels`` (no model) draws what the other tabs show of it (feature maps, every stage,
residual blocks, logit parts, the Learn tab's story, the report) from the activations stored by
the first. Each handler is a plain method over plain values and returns (or streams) one record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import gradio as gr
import numpy as np

from resnet import Explainer, Explanation
from resnet.cams.methods import DEFAULT_METHOD, road_score
from resnet.core.heads import Head
from resnet.present import render
from resnet.present.report import build_report
from ui.accessibility import ANSWER_ID, SHOW_ANSWER_JS
from ui.classes import Classifiers
from ui.files import EXAMPLES, ScratchFiles, read_upload, untrusted_image
from ui.panel_texts import PanelTexts, class_choices, method_choices, road_text, weights_banner
from ui.records import SKIP, output_names, settled
from ui.tabs.blocks import BlockChart, block_chart
from ui.tabs.features import FeatureMaps, feature_maps
from ui.tabs.learn import ResidualStory, residual_story
from ui.tabs.logit import LogitPanel, logit_panel
from ui.tabs.stages import StageCams, stage_cams
from ui.text import say, text
from ui.view import NO_CONTRAST, View, overlay_picture, require


@dataclass(frozen=True)
class HeatmapPanels(LogitPanel):
    """Everything that depends on the explained class, contrast and method."""

    view: View | None
    heatmap: str | None  # PNG: overlay with its colour bar
    faith: str  # ROAD text, cleared when the heatmap changes
    report: str | None  # JSON file


@dataclass(frozen=True)
class FirstAnswer:
    """A new image, first message: the top-5 and the heatmap (the rest of the record skipped);
    second: the view with every stage's Grad-CAM, and the analysed image for ``Panels``."""

    labels: dict[str, float] | None
    top5: Any  # gr.update of the radio: choices and value
    any_class: Any
    contrast: Any
    view: View | None
    heatmap: str | None  # PNG: overlay with its colour bar
    faith: str  # ROAD text, cleared
    analysed: Explanation | None  # every stage's activations, until ``Panels`` has drawn them


@dataclass(frozen=True)
class Panels(LogitPanel, FeatureMaps, StageCams, BlockChart, ResidualStory):
    """What follows the first answer: every other picture of a new image, drawn on the host."""

    report: str | None  # JSON file
    analysed: None  # the activations are let go once drawn


@dataclass(frozen=True)
class Analysis(HeatmapPanels, FeatureMaps, StageCams, BlockChart, ResidualStory):
    """A new image: the panel, and every tab that shows it without another model run (what the
    page holds once ``FirstAnswer`` and ``Panels`` have arrived)."""

    labels: dict[str, float] | None
    top5: Any  # gr.update of the radio: choices and value
    any_class: Any
    contrast: Any


@dataclass(frozen=True)
class Retarget(HeatmapPanels):
    """Another class, contrast or method for the same image."""

    top5: int | None  # the radio shows the class when it is in the top-5
    any_class: int


@dataclass(frozen=True)
class Restyle(StageCams):
    heatmap: str | None


@dataclass(frozen=True)
class Faithfulness:
    view: View
    faith: str
    report: str


class ExplainPanel:
    """The panel's components and handlers, over one shared, thread-safe Explainer."""

    def __init__(
        self,
        explainer: Explainer,
        files: ScratchFiles,
        forward_seconds: float = 0.1,
        classifiers: Classifiers | None = None,
    ):
        """``classifiers``: the shared model and the visitors' taught heads (one is made if not given)."""
        self.classifiers = classifiers or Classifiers(explainer)
        self.explainer = explainer
        self.heatmaps = self.classifiers.shared.heatmaps
        self.files = files
        self.forward_seconds = forward_seconds
        self.analyses: list = []  # the analysis events, which other tabs follow (see ``wire``)
        self.retargets: list = []  # the events that change the heatmap of the same image

    # -- layout and events ----------------------------------------------------------------------

    def build(self, shared) -> None:
        self.banner = gr.HTML(weights_banner(self.explainer))
        with gr.Row():
            with gr.Column(scale=1):
                self.image = untrusted_image(
                    label=text("your_image"), sources=["upload", "webcam", "clipboard"], height=360
                )
                self.button = gr.Button(text("explain"), variant="primary")
                gr.Examples(examples=[[str(p)] for p in EXAMPLES], inputs=self.image, label=text("examples"))
                with gr.Accordion(text("display"), open=False):
                    gr.Markdown(text("display_caption"))
                    self.cmap = gr.Dropdown(list(render.COLORMAPS), value=render.HEATMAP_CMAP, label=text("colormap"))
                    self.alpha = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label=text("opacity"))
            with gr.Column(scale=1, elem_id=ANSWER_ID):
                self._build_answer()

    def _build_answer(self) -> None:
        """Top-5 and heatmap first (on a phone they come into view together), then the pickers."""
        self.labels = gr.Label(label=text("top5"), num_top_classes=5)
        self.heatmap = gr.Image(label=text("heatmap"), type="filepath", format="png", interactive=False, height=360)
        self.top5 = gr.Radio(label=text("pick_top5"), choices=[])
        with gr.Row():
            self.any_class = gr.Dropdown(
                class_choices(self.classifiers.shared), value=None, label=text("any_class"), filterable=True
            )
            self.contrast = gr.Dropdown(
                class_choices(self.classifiers.shared, with_none=True), value=NO_CONTRAST, label=text("contrast")
            )
        with gr.Row():
            self.method = gr.Dropdown(
                method_choices(self.forward_seconds), value=DEFAULT_METHOD, label=text("method"), scale=3
            )
            self.explain_yours = gr.Checkbox(False, label=text("explain_yours"), scale=1)
        with gr.Row():
            self.faith_button = gr.Button(text("faithfulness"), size="sm")
            self.report = gr.DownloadButton(text("report"), size="sm")
        self.faith = gr.Markdown()
        self.analysed = gr.State(None, time_to_live=600)  # a new image's activations, until drawn (7 MB)

    def wire(self, shared, inside: dict) -> None:
        """``inside``: the tabs a new analysis fills (features, stages, blocks, logit, learn)."""
        self.inside = inside
        features, stages, blocks, logit, learn = (inside[k] for k in ("features", "stages", "blocks", "logit", "learn"))
        shared.on_language(self.page_texts, [shared.teach_head, self.explain_yours], PanelTexts, self)
        shared.event(
            self.explain_yours.input, self.page_texts, [shared.teach_head, self.explain_yours], PanelTexts, self
        )
        first_inputs = [self.image, self.method, self.cmap, self.alpha, shared.teach_head, self.explain_yours]
        panels_inputs = [self.analysed, shared.view, features.channels, features.scale, blocks.block, self.cmap]
        panels_owners = (self, features, stages, blocks, logit, learn)
        for trigger in (self.button.click, self.image.change, self.explain_yours.input):  # yours: the same photo again
            analyzed = shared.event(
                trigger,
                self.first_answer,
                first_inputs,
                FirstAnswer,
                self,
                gpu=shared.gpu_seconds(self.first_answer, "method"),
                trigger_mode="always_last",
            )
            # No model run, so no GPU call on ZeroGPU: queued behind other visitors' first answers.
            shared.event(
                analyzed.success,
                self.panels,
                [*panels_inputs, self.alpha],
                Panels,
                *panels_owners,
                concurrency_id="panels",
                concurrency_limit=1,  # one at a time: the CPU goes to first answers first
            )
            self.analyses.append(analyzed)
        for trigger in (self.button.click, self.image.change):
            trigger(None, js=SHOW_ANSWER_JS, api_visibility="private")
        for trigger, chosen in (
            (self.top5.input, self.top5),
            (self.any_class.input, self.any_class),
            (self.contrast.input, self.any_class),
            (self.method.input, self.any_class),
        ):
            self.retargets.append(self.retarget_on(shared, trigger, chosen))
        for trigger in (self.cmap.input, self.alpha.release):
            shared.event(trigger, self.restyle, [shared.view, self.cmap, self.alpha], Restyle, self, stages)
        shared.event(self.faith_button.click, self.faithfulness, [shared.view], Faithfulness, self, gpu=True)

    def retarget_on(self, shared, trigger, chosen):
        """The event that explains ``chosen``'s class (with the contrast and method set) on ``trigger``."""
        inputs = [shared.view, chosen, self.contrast, self.method, self.cmap, self.alpha]
        gpu = shared.gpu_seconds(self.retarget, "method")
        logit = self.inside["logit"]
        return shared.event(trigger, self.retarget, inputs, Retarget, self, logit, gpu=gpu, trigger_mode="always_last")

    # -- handlers -------------------------------------------------------------------------------

    def page_texts(self, head, yours, language: str) -> PanelTexts:
        """The banner and menus in the page's language; the class menus list the classes in use
        (the visitor's taught ones while "Your classes" is ticked)."""
        classifier = self.classifiers.of(head if yours and head is not None else None)
        return PanelTexts(
            banner=weights_banner(self.explainer, language),
            method=gr.update(choices=method_choices(self.forward_seconds, language)),
            any_class=gr.update(choices=class_choices(classifier, language)),
            contrast=gr.update(choices=class_choices(classifier, language, with_none=True)),
        )

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
        """A new image, every panel at once: what the page holds after ``first_answer`` and ``panels``."""
        answer = settled(self.first_answer(image_path, method, cmap, alpha, head, yours, language, progress))
        panels = vars(self.panels(answer["analysed"], answer["view"], channels, scale, block, cmap, alpha, language))
        whole = {**panels, **answer}  # an update that changes nothing was never sent: SKIP
        return Analysis(**{name: whole.get(name, SKIP) for name in output_names(Analysis)})

    def first_answer(
        self,
        image_path,
        method,
        cmap,
        alpha,
        head,
        yours,
        language,
        progress=gr.Progress(track_tqdm=True),  # noqa: B008 (Gradio's way to ask for a progress bar)
    ) -> Iterator[FirstAnswer]:
        """A new image: one forward pass, then the top-5 and the heatmap at once; then one partial
        backward pass, and the view with every stage's Grad-CAM. With ``yours``, the classes are
        those of the visitor's taught ``head`` (its rows replace ``fc``)."""
        if image_path is None:
            yield FirstAnswer(None, gr.update(choices=[], value=None), gr.update(), gr.update(), None, None, "", None)
            return
        if yours and head is None:
            raise gr.Error(say(language, "teach_train_first"))
        classifier = self.classifiers.of(head if yours else None)
        image = read_upload(image_path, language)
        progress(0, desc=say(language, "running"))
        steps = classifier.explain_steps(image, all_stages=True, blocks=True)
        explanation = next(steps).kept()
        view = self._view(explanation, explanation.cam_class, None, method, classifier.head)
        names = classifier.names(language)
        top5 = [(f"{names[p.index]} ({p.probability:.1%})", p.index) for p in explanation.top5]
        # A taught head's classes while "yours" is ticked; ImageNet's are there (``page_texts``).
        menu, menu_with_none = (
            {"choices": class_choices(classifier, language, none)} if yours else {} for none in (0, 1)
        )
        picture = overlay_picture(names, view, view.cam, cmap, alpha, language)
        answer = FirstAnswer(
            labels=classifier.labels(explanation, language),
            top5=gr.update(choices=top5, value=explanation.cam_class),
            any_class=gr.update(value=explanation.cam_class, **menu),
            contrast=gr.update(value=NO_CONTRAST, **menu_with_none),
            view=view,
            heatmap=self.files.png(picture),
            faith="",
            analysed=SKIP,
        )
        yield answer
        full = next(steps)
        view = replace(
            view, explanation=replace(explanation, stage_grids=full.stage_grids), stage_grids=full.stage_grids
        )
        # The same values again, not SKIP: Gradio sends a stream's later updates as differences
        # from the one before, so an unchanged value costs nothing (and a SKIP would be a change).
        yield replace(answer, view=view, analysed=full)

    def panels(self, analysed, view, channels, scale, block, cmap, alpha, language) -> Panels:
        """What the other tabs show of the analysed image, drawn from its stored activations (no
        model run); empty once the image is removed, skipped when a newer image's analysis has begun."""
        if view is None:
            empty = {"gallery": [], "stage_gallery": [], "logit_maps": [], "learn_story": "", "logit_text": ""}
            return Panels(**dict.fromkeys(output_names(Panels)) | empty)
        if analysed is None or not np.array_equal(analysed.logits, view.explanation.logits):
            return Panels(**dict.fromkeys(output_names(Panels), SKIP))
        classifier = self.classifiers.of(view.head)
        names = classifier.names(language)
        explanation = view.explanation
        logits, parts = logit_panel(self.files, classifier, view, language)
        return Panels(
            **vars(logits),
            **vars(feature_maps(self.files, analysed.stages, channels, scale)),
            **vars(stage_cams(self.files, names, view, cmap, alpha, language)),
            **vars(block_chart(self.files, explanation, block, language)),
            **vars(residual_story(explanation, names, language)),
            report=self.write_report(view, language, parts),
            analysed=None,
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
        if view is None and cam_class is None:  # a menu left by the keyboard before any photo: nothing to do
            return Retarget(**dict.fromkeys(output_names(Retarget), SKIP))
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

    def restyle(self, view, cmap, alpha, language) -> Restyle:
        """New colormap or opacity: redraw the heatmaps, no model run."""
        if view is None:
            return Restyle(stage_gallery=[], heatmap=None)
        names = self.classifiers.of(view.head).names(language)
        return Restyle(
            **vars(stage_cams(self.files, names, view, cmap, alpha, language)),
            heatmap=self.files.png(overlay_picture(names, view, view.cam, cmap, alpha, language)),
        )

    def faithfulness(self, view, language, progress=gr.Progress()) -> Faithfulness:  # noqa: B008
        """ROAD score of the heatmap shown (8 extra forward passes)."""
        view = require(view, language)
        progress(0, desc=say(language, "road_running"))
        road = self.classifiers.of(view.head).run(road_score, view.explanation.input, view.cam, view.cam_class)
        view = replace(view, road=road)
        return Faithfulness(view, road_text(road, language), self.write_report(view, language))

    # -- helpers --------------------------------------------------------------------------------

    def _view(
        self, explanation: Explanation, cam_class: int, contrast: int | None, method: str, head: Head | None
    ) -> View:
        heatmap = self.classifiers.of(head).kept_heatmap(explanation, method, cam_class, contrast)
        return View(explanation, heatmap, cam_class, contrast, method, head=head)

    def _heatmap_panels(self, view: View, cmap: str, alpha: float, language: str | None) -> HeatmapPanels:
        """Heatmap, cleared faithfulness line, logit decomposition (text, chart, maps) and report file."""
        classifier = self.classifiers.of(view.head)
        panel, parts = logit_panel(self.files, classifier, view, language)
        picture = overlay_picture(classifier.names(language), view, view.cam, cmap, alpha, language)
        return HeatmapPanels(
            **vars(panel),
            view=view,
            heatmap=self.files.png(picture),
            faith="",
            report=self.write_report(view, language, parts),
        )

    def write_report(self, view: View, language: str | None, parts=None) -> str:
        """Write the JSON report of what is shown (class names in English, and in the page's language)."""
        classifier = self.classifiers.of(view.head)
        explainer = classifier.explainer
        report = build_report(
            explainer.weights,
            view.explanation,
            cam_class=view.cam_class,
            method=view.method,
            contrast=view.contrast,
            logit_parts=parts or explainer.logit_parts(view.explanation, view.cam_class),
            road=view.road,
            sections={"residual_lab": view.lab} if view.lab else None,
        )
        return self.files.json(classifier.localise_report(report, language))

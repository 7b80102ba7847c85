"""The What-if tab: paint over part of the analysed picture and see what the model does without it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from resnet import Explainer
from resnet.cams.occlusion import occlusion_forwards, occlusion_map
from resnet.cams.whatif import FILLS, painted_mask, what_if
from resnet.present import render
from ui.classes import Classifiers
from ui.files import ScratchFiles
from ui.text import legend_words, say, text
from ui.view import require

CANVAS = 448  # the crop is shown at twice its size for painting; the mask is taken back to 224


@dataclass(frozen=True)
class WhatIfCanvas:
    whatif_editor: Any  # the editor's value: the analysed crop to paint on, no paint yet


@dataclass(frozen=True)
class AsItWas:
    whatif_before: str | None  # Grad-CAM of the explained class on the crop, before any paint


@dataclass(frozen=True)
class WhatIfPanel:
    whatif_before: str | None  # Grad-CAM of the explained class on the crop as it was
    whatif_after: str | None  # ... on the edited crop
    whatif_table: pd.DataFrame  # rank, top-5 before, top-5 after
    whatif_text: str


@dataclass(frozen=True)
class OcclusionPanel:
    occlusion_image: str | None  # the map over the crop: red where covering the image lowers the score
    occlusion_text: str


@dataclass(frozen=True)
class FillTexts:
    whatif_fill: Any  # gr.update: the fills named in the page's language


def fill_choices(language: str | None = None) -> list[tuple[str, str]]:
    """How painted pixels are filled, named in ``language``."""
    return [(say(language, fill), fill) for fill in FILLS]


class WhatIfTab:
    ID, TITLE = "whatif", "tab_whatif"

    def __init__(self, explainer: Explainer, files: ScratchFiles, classifiers: Classifiers | None = None):
        self.classifiers = classifiers or Classifiers(explainer)
        self.files = files

    def build(self, shared) -> None:
        picture = {"type": "filepath", "format": "png", "interactive": False}
        gr.Markdown(text("whatif_intro"))
        with gr.Row():
            self.whatif_editor = gr.ImageEditor(
                label=text("whatif_editor"),
                type="numpy",
                image_mode="RGBA",
                sources=(),  # only the analysed crop is painted on
                transforms=(),
                layers=False,
                brush=gr.Brush(default_size=24, colors=["#ff00ff"], color_mode="fixed"),
                canvas_size=(CANVAS, CANVAS),
                fixed_canvas=True,
                height=520,
            )
            with gr.Column():
                self.whatif_fill = gr.Radio(fill_choices(), value=FILLS[0], label=text("whatif_fill"))
                self.whatif_button = gr.Button(text("whatif_button"), variant="primary")
                self.whatif_text = gr.Markdown()
                self.whatif_table = gr.Dataframe(label=text("whatif_table"), interactive=False)
        with gr.Row():
            self.whatif_before = gr.Image(label=text("whatif_before"), height=300, **picture)
            self.whatif_after = gr.Image(label=text("whatif_after"), height=300, **picture)
        with gr.Row():
            with gr.Column():
                self.occlusion_button = gr.Button(text("occlusion_button"))
                self.occlusion_text = gr.Markdown()
            self.occlusion_image = gr.Image(label=text("occlusion_image"), height=240, **picture)

    def wire(self, shared) -> None:
        shared.on_language(self.texts, [], FillTexts, self)
        edited = [shared.view, self.whatif_editor, self.whatif_fill]
        shared.event(self.whatif_button.click, self.explain_edited, edited, WhatIfPanel, self, gpu=True)
        seconds = shared.fixed_seconds(occlusion_forwards())
        shared.event(self.occlusion_button.click, self.occlusion, [shared.view], OcclusionPanel, self, gpu=seconds)

    def follow_analysis(self, shared, analyzed) -> None:
        """A new photo: its crop, unpainted, on the canvas (a class switch keeps the paint)."""
        shared.plain_event(analyzed.success, self.canvas, [shared.view], WhatIfCanvas, self)
        self.follow_heatmap(shared, analyzed)

    def follow_heatmap(self, shared, changed) -> None:
        """The explained class's heatmap "as it was", before anything is painted."""
        shared.event(changed.success, self.as_it_was, [shared.view], AsItWas, self)

    def as_it_was(self, view, language) -> AsItWas:
        if view is None:
            return AsItWas(None)
        words = legend_words(language)
        classifier = self.classifiers.of(view.head)
        caption = render.heatmap_caption(classifier.names(language), view.cam_class, None, words)
        cam = classifier.explainer.layer4_cam(view.explanation, view.cam_class)
        return AsItWas(self.files.png(render.cam_overlay(view.explanation.crop, cam, caption, words=words)))

    def texts(self, language) -> FillTexts:
        return FillTexts(gr.update(choices=fill_choices(language)))

    def canvas(self, view) -> WhatIfCanvas:
        """A new analysis: its crop, unpainted, on the editor's canvas."""
        if view is None:
            return WhatIfCanvas(None)
        path = self.files.png(view.explanation.crop.convert("RGB").resize((CANVAS, CANVAS), Image.Resampling.BICUBIC))
        return WhatIfCanvas({"background": path, "layers": [], "composite": path})

    def explain_edited(self, view, editor, how, language) -> WhatIfPanel:
        """Fill what was painted, run the model once, and compare with the picture as it was."""
        view = require(view, language)
        layers = [np.asarray(layer) for layer in (editor or {}).get("layers") or [] if layer is not None]
        mask = painted_mask(layers)
        if not mask.any():
            raise gr.Error(say(language, "whatif_paint_first"))
        before = view.explanation
        classifier = self.classifiers.of(view.head)
        result = classifier.run(what_if, before, mask, how, view.cam_class)
        words = legend_words(language)
        names = classifier.names(language)
        caption = render.heatmap_caption(names, result.cam_class, None, words)
        rows = [
            [rank, _entry(names[old.index], old.probability), _entry(names[new.index], new.probability)]
            for rank, (old, new) in enumerate(zip(before.top5, result.after.top5, strict=True), 1)
        ]
        headers = [say(language, "whatif_rank"), say(language, "whatif_old"), say(language, "whatif_new")]
        text = say(
            language,
            "whatif_done",
            name=names[result.cam_class],
            logit_before=result.logit_before,
            logit_after=result.logit_after,
            logit_change=result.logit_after - result.logit_before,
            p_before=result.probability_before * 100,
            p_after=result.probability_after * 100,
            p_change=(result.probability_after - result.probability_before) * 100,
            painted=result.painted * 100,
            fill=say(language, how),
        )
        return WhatIfPanel(
            whatif_before=self.as_it_was(view, language).whatif_before,  # result.cam_class is view.cam_class
            whatif_after=self.files.png(render.cam_overlay(result.edited, result.after.cam, caption, words=words)),
            whatif_table=pd.DataFrame(rows, columns=headers),
            whatif_text=text,
        )

    def occlusion(self, view, language, progress=gr.Progress()) -> OcclusionPanel:  # noqa: B008
        """Occlusion sensitivity of the explained class: a grey patch slid over the image, batched passes."""
        view = require(view, language)
        progress(0, desc=say(language, "occlusion_running", forwards=occlusion_forwards()))
        classifier = self.classifiers.of(view.head)
        result = classifier.run(occlusion_map, view.explanation.input, view.cam_class)
        picture = render.signed_map(result.drop, 224)
        blended = Image.blend(view.explanation.crop.convert("RGB"), picture, 0.6)
        summary = say(
            language,
            "occlusion_done",
            name=classifier.names(language)[view.cam_class],
            forwards=result.forwards,
            most=float(result.drop.max()),
        )
        return OcclusionPanel(self.files.png(blended), summary)


def _entry(name: str, probability: float) -> str:
    return f"{name} ({probability:.1%})"

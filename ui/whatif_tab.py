"""The What-if tab: paint over part of the analysed picture and see what the model does without it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from resnet import Explainer, render
from resnet.whatif import FILLS, painted_mask, what_if
from ui.classes import Classifiers
from ui.files import ScratchFiles
from ui.text import legend_words, say

CANVAS = 448  # the crop is shown at twice its size for painting; the mask is taken back to 224


@dataclass(frozen=True)
class WhatIfCanvas:
    whatif_editor: Any  # the editor's value: the analysed crop to paint on, no paint yet


@dataclass(frozen=True)
class WhatIfPanel:
    whatif_before: str | None  # Grad-CAM of the explained class on the crop as it was
    whatif_after: str | None  # ... on the edited crop
    whatif_table: pd.DataFrame  # rank, top-5 before, top-5 after
    whatif_text: str


def fill_choices(language: str | None = None) -> list[tuple[str, str]]:
    """How painted pixels are filled, named in ``language``."""
    return [(say(language, fill), fill) for fill in FILLS]


class WhatIfTab:
    def __init__(self, explainer: Explainer, files: ScratchFiles, classifiers: Classifiers | None = None):
        self.classifiers = classifiers or Classifiers(explainer)
        self.files = files

    def canvas(self, view) -> WhatIfCanvas:
        """A new analysis: its crop, unpainted, on the editor's canvas."""
        if view is None:
            return WhatIfCanvas(None)
        path = self.files.png(view.explanation.crop.convert("RGB").resize((CANVAS, CANVAS), Image.Resampling.BICUBIC))
        return WhatIfCanvas({"background": path, "layers": [], "composite": path})

    def explain_edited(self, view, editor, how, language) -> WhatIfPanel:
        """Fill what was painted, run the model once, and compare with the picture as it was."""
        if view is None:
            raise gr.Error(say(language, "no_image"))
        layers = [np.asarray(layer) for layer in (editor or {}).get("layers") or [] if layer is not None]
        mask = painted_mask(layers)
        if not mask.any():
            raise gr.Error(say(language, "whatif_paint_first"))
        before = view.explanation
        classifier = self.classifiers.of(view.head)
        result = what_if(classifier.explainer, before, mask, how, view.cam_class)
        words = legend_words(language)
        caption = render.heatmap_caption(classifier.categories, result.cam_class, None, words)
        before_cam = classifier.explainer.layer4_cam(before, result.cam_class)
        rows = [
            [rank, _entry(old.name, old.probability), _entry(new.name, new.probability)]
            for rank, (old, new) in enumerate(zip(before.top5, result.after.top5, strict=True), 1)
        ]
        headers = [say(language, "whatif_rank"), say(language, "whatif_old"), say(language, "whatif_new")]
        text = say(
            language,
            "whatif_done",
            name=classifier.categories[result.cam_class],
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
            whatif_before=self.files.png(render.cam_overlay(before.crop, before_cam, caption, words=words)),
            whatif_after=self.files.png(render.cam_overlay(result.edited, result.after.cam, caption, words=words)),
            whatif_table=pd.DataFrame(rows, columns=headers),
            whatif_text=text,
        )


def _entry(name: str, probability: float) -> str:
    return f"{name} ({probability:.1%})"

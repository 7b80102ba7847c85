"""Feature maps: the most active channels of the stem and of each residual stage."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np

from resnet import Explainer
from resnet.present import render
from ui.classes import Classifiers
from ui.files import Gallery, ScratchFiles
from ui.text import say, text


@dataclass(frozen=True)
class FeatureMaps:
    gallery: Gallery


@dataclass(frozen=True)
class ScaleTexts:
    scale: object  # gr.update: the colour scales named in the page's language


def feature_maps(files: ScratchFiles, stages: dict[str, np.ndarray], channels, scale) -> FeatureMaps:
    """STAGES -> (C, H, W) activations as captioned grids of their ``channels`` most active channels."""
    return FeatureMaps(files.pngs(render.feature_grids(stages, int(channels), scale)))


def scale_choices(language: str | None = None) -> list[tuple[str, str]]:
    """The feature maps' colour scales, named in ``language``."""
    return [(say(language, scale), scale) for scale in render.FEATURE_SCALES]


class FeaturesTab:
    ID, TITLE = "features", "tab_features"

    def __init__(self, explainer: Explainer, files: ScratchFiles, classifiers: Classifiers | None = None):
        """``classifiers``: where the backbone runs (the shared classifier; one is made if not given)."""
        self.backbone = (classifiers or Classifiers(explainer)).shared
        self.files = files

    def build(self, shared) -> None:
        with gr.Row():
            self.channels = gr.Slider(4, 64, value=16, step=1, label=text("channels"))
            self.scale = gr.Radio(scale_choices(), value=render.FEATURE_SCALES[0], label=text("colour_scale"))
        self.gallery = gr.Gallery(
            label=text("features"),
            columns=5,
            format="png",
            object_fit="contain",
            height=300,
            elem_classes="pixelated",
        )

    def wire(self, shared) -> None:
        shared.on_language(self.texts, [], ScaleTexts, self)
        for trigger in (self.channels.release, self.scale.input):  # one forward pass: the page keeps only layer4
            shared.plain_event(
                trigger, self.features, [shared.view, self.channels, self.scale], FeatureMaps, self, gpu=True
            )

    def texts(self, language) -> ScaleTexts:
        return ScaleTexts(gr.update(choices=scale_choices(language)))

    def features(self, view, channels, scale) -> FeatureMaps:
        """Feature maps of every stage: the page keeps only layer4, so one forward pass remakes them."""
        if view is None:
            return FeatureMaps([])
        activations = self.backbone.run(Explainer.activations, view.explanation)  # STAGES -> (C, H, W)
        return feature_maps(self.files, activations, channels, scale)

"""Every stage: Grad-CAMs of layer1..layer4 for the class shown, from one partial backward pass."""

from __future__ import annotations

from dataclasses import dataclass, replace

import gradio as gr

from resnet import Explainer
from resnet.core.explanation import upsample_cams
from resnet.core.network import STAGE_NAMES
from ui.classes import Classifiers
from ui.files import Gallery, ScratchFiles
from ui.text import say, text
from ui.view import View, overlay_picture


@dataclass(frozen=True)
class StageCams:
    stage_gallery: Gallery


@dataclass(frozen=True)
class StagePanel(StageCams):
    view: View | None


def stage_cams(files: ScratchFiles, names: list[str], view: View, cmap, alpha, language) -> StageCams:
    """The view's stage Grad-CAMs over its crop, captioned in ``language`` (none until computed)."""
    if view.stage_grids is None:
        return StageCams([])
    cams = upsample_cams(view.stage_grids)
    return StageCams(
        files.pngs(
            [
                (
                    overlay_picture(names, view, cams[name], cmap, alpha, language),
                    say(language, "stage_cam", stage=name),
                )
                for name in STAGE_NAMES
            ]
        )
    )


class StagesTab:
    ID, TITLE = "stages", "tab_stages"

    def __init__(self, classifiers: Classifiers, files: ScratchFiles):
        self.classifiers = classifiers
        self.files = files

    def build(self, shared) -> None:
        gr.Markdown(text("stages_caption"))
        self.stage_gallery = gr.Gallery(label=text("stages"), columns=4, format="png", object_fit="contain", height=300)

    def follow_heatmap(self, shared, changed, cmap, alpha) -> None:
        """A new class, contrast or method: the stages' Grad-CAMs for it."""
        shared.event(changed.success, self.stage_panel, [shared.view, cmap, alpha], StagePanel, self, gpu=True)

    def stage_panel(self, view, cmap, alpha, language) -> StagePanel:
        """Grad-CAM of every stage for the current class (one forward, one partial backward)."""
        if view is None:
            return StagePanel(stage_gallery=[], view=None)
        classifier = self.classifiers.of(view.head)
        grids = classifier.run(Explainer.stage_grids, view.explanation, view.cam_class, view.contrast)
        view = replace(view, stage_grids=grids)
        return StagePanel(
            **vars(stage_cams(self.files, classifier.names(language), view, cmap, alpha, language)), view=view
        )

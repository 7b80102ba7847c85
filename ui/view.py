"""What a page has analysed: the ``View`` every tab reads, and the heatmap picture drawn from it."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np
from PIL import Image

from resnet import Explanation
from resnet.core.explanation import full_size_cam
from resnet.core.heads import Head
from resnet.present import render
from ui.text import legend_words, say

NO_CONTRAST = -1  # dropdown value for "no contrast class"


@dataclass(frozen=True)
class View:
    """One session's current image and heatmap settings (kept in gr.State: 0.5 MB, see
    ``Explanation.kept``)."""

    explanation: Explanation  # kept form: layer4 is the only stage it holds
    heatmap: np.ndarray  # the heatmap shown, kept small: Grad-CAM's (7, 7) grid or another method's (224, 224) map
    cam_class: int
    contrast: int | None
    method: str
    stage_grids: dict[str, np.ndarray] | None = None  # STAGE_NAMES -> (h, w) Grad-CAMs for cam_class/contrast
    road: float | None = None  # faithfulness of `cam`, once asked for
    head: Head | None = None  # the visitor's taught head whose classes are explained (None: ImageNet's)
    lab: dict | None = None  # the residual lab's numbers for cam_class, once run (JSON-ready, a few KB)

    @property
    def cam(self) -> np.ndarray:
        """The heatmap shown over the crop, (224, 224) in [0, 1]."""
        return full_size_cam(self.heatmap)


def require(view: View | None, language: str | None) -> View:
    """The view, or a message that says to analyse an image first."""
    if view is None:
        raise gr.Error(say(language, "no_image"))
    return view


def overlay_picture(
    categories: list[str], view: View, cam: np.ndarray, cmap: str, alpha: float, language: str | None, caption=None
) -> Image.Image:
    """``cam`` over the view's crop with a colour bar in ``language``; the caption names what it explains."""
    words = legend_words(language)
    caption = caption or render.heatmap_caption(categories, view.cam_class, view.contrast, words)
    return render.cam_overlay(view.explanation.crop, cam, caption, alpha=alpha, cmap=cmap, words=words)


@dataclass(frozen=True)
class ToExplain:
    """A picture sent to the Explain panel (a frozen webcam frame, a video frame): its image, which
    starts the full analysis."""

    image: str  # PNG path

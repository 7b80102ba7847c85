"""The live webcam: top-5 and Grad-CAM for each frame, one frame in flight per viewer."""

from __future__ import annotations

import time
from dataclasses import dataclass

import gradio as gr
import numpy as np
from PIL import Image

from resnet import Explainer
from resnet.core.batching import BatchingExplainer
from resnet.core.explanation import upsample_cams
from resnet.present import render
from ui.classes import Classifiers
from ui.files import ScratchFiles
from ui.text import legend_words, say, text
from ui.view import ToExplain


@dataclass(frozen=True)
class LiveState:
    """What a viewer's live view carries from one frame to the next (a few hundred bytes)."""

    done: float = 0.0  # when the previous answer was ready (perf_counter), for the rate
    grid: np.ndarray | None = None  # (7, 7) smoothed Grad-CAM grid of `cam_class`
    cam_class: int | None = None  # the class of that grid (held while the class is locked)


@dataclass(frozen=True)
class LiveFrame:
    live_labels: dict[str, float] | None
    live_heatmap: str | None
    live_last: LiveState
    live_info: str


class LiveTab:
    ID, TITLE = "live", "tab_live"

    def __init__(
        self,
        explainer: Explainer,
        files: ScratchFiles,
        batcher: BatchingExplainer | None = None,
        classifiers: Classifiers | None = None,
    ):
        """``classifiers``: the shared model and the visitors' taught heads (see ``ui.classes``)."""
        self.files = files
        self.run = batcher or explainer  # frames of several viewers share forward passes when given
        self.classifiers = classifiers or Classifiers(explainer)

    def build(self, shared) -> None:
        gr.Markdown(text("live_caption"))
        with gr.Row():
            self.live_cam = gr.Image(label=text("webcam"), sources=["webcam"], streaming=True, type="numpy", height=300)
            self.live_heatmap = gr.Image(
                label=text("live_heatmap"), type="filepath", format="png", interactive=False, height=300
            )
            self.live_labels = gr.Label(label=text("live_top5"), num_top_classes=5)
        with gr.Row():
            self.live_smoothing = gr.Slider(0, 0.95, value=0.6, step=0.05, label=text("live_smoothing"))
            self.live_lock = gr.Checkbox(False, label=text("live_lock"))
            self.live_yours = gr.Checkbox(False, label=text("live_yours"))
            self.live_freeze = gr.Button(text("live_freeze"))
        self.live_info = gr.Markdown()
        self.live_last = gr.State(None)  # LiveState: the smoothed map and the locked class

    def wire(self, shared, concurrency: int) -> None:
        """``concurrency``: frames computed at once (batched into shared forward passes when a batcher is given)."""
        inputs = [
            self.live_cam,
            self.live_last,
            shared.teach_head,
            self.live_yours,
            self.live_smoothing,
            self.live_lock,
        ]
        shared.event(
            self.live_cam.stream,
            self.live,
            inputs,
            LiveFrame,
            self,
            gpu=True,
            stream_every=0.1,
            time_limit=600,
            concurrency_id="live",
            concurrency_limit=concurrency,
        )

    def live(self, frame, state, head, yours, smoothing, lock, language) -> LiveFrame:
        """One webcam frame (H, W, 3 uint8): top-5 and Grad-CAM overlay, plus the rate served.

        ``state`` (per viewer, see LiveState) makes the view steady: the 7×7 Grad-CAM grid is an
        exponential moving average, ``smoothing`` the weight of the past (0: none, 0.9: strong);
        with ``lock`` the heatmap keeps explaining the class it showed when the lock was set,
        whatever the top-1 of later frames (no model run: another class's map is one product).
        The rate is the one this viewer really gets, waiting and transfers included. With
        ``yours`` and a taught ``head``, the classes are the visitor's (computed alone: a head is
        never shared).
        """
        state = state or LiveState()
        if frame is None:
            return LiveFrame(None, None, state, "")
        if yours and head is None:
            return LiveFrame(None, None, state, say(language, "teach_train_first"))
        start = time.perf_counter()
        classifier = self.classifiers.of(head if yours else None)
        explainer, categories = classifier.explainer, classifier.names(language)
        image = Image.fromarray(frame).convert("RGB")
        if yours:  # a head is never batched with other viewers' frames
            result = classifier.run(Explainer.explain, image, stages=("layer4",))  # a locked class's map
        else:
            result = self.run.explain(image, stages=("layer4",))
        locked = lock and state.cam_class is not None and state.cam_class < len(categories)
        cam_class = state.cam_class if locked else result.cam_class
        grid = explainer.layer4_grid(result, cam_class)  # (7, 7) in [0, 1]
        if state.grid is not None and state.cam_class == cam_class and smoothing > 0:
            grid = smoothing * state.grid + (1 - smoothing) * grid
        cam = upsample_cams({"cam": grid.astype(np.float32)})["cam"]  # (224, 224), scaled as the package does
        words = legend_words(language)
        caption = render.heatmap_caption(categories, cam_class, None, words)
        heatmap = self.files.png(render.cam_overlay(result.crop, cam, caption, words=words))
        done = time.perf_counter()
        info = say(language, "live_rate", rate=1 / (done - state.done)) if state.done else ""
        info += say(language, "live_ms", ms=(done - start) * 1000)
        if locked:
            info += say(language, "live_locked", name=categories[cam_class])
        labels = classifier.labels(result, language)
        return LiveFrame(labels, heatmap, LiveState(done, grid, cam_class), info)

    def freeze(self, frame) -> ToExplain:
        """The frame on screen, for the full analysis on the Explain panel."""
        if frame is None:
            raise gr.Error(say(None, "no_image"))
        return ToExplain(self.files.png(Image.fromarray(frame).convert("RGB")))

"""The live webcam: top-5 and Grad-CAM for each frame, one frame in flight per viewer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from resnet import Explainer, render
from resnet.batching import BatchingExplainer
from resnet.teach import Head
from ui.files import ScratchFiles
from ui.text import legend_words, say


@dataclass(frozen=True)
class LiveFrame:
    live_labels: dict[str, float] | None
    live_heatmap: str | None
    live_last: float  # when this answer was ready (perf_counter), for the next frame's rate
    live_info: str


class LiveTab:
    def __init__(
        self,
        explainer: Explainer,
        files: ScratchFiles,
        batcher: BatchingExplainer | None = None,
        explainer_for: Callable[[Head], Explainer] | None = None,
    ):
        """``explainer_for(head)``: an Explainer of a visitor's taught head (see ``TeachTab``)."""
        self.explainer = explainer
        self.files = files
        self.run = batcher or explainer  # frames of several viewers share forward passes when given
        self.explainer_for = explainer_for

    def live(self, frame, last_done, head, yours, language) -> LiveFrame:
        """One webcam frame (H, W, 3 uint8): top-5 and Grad-CAM overlay, plus the rate served.

        ``last_done`` (per-session state) is when the previous frame finished, so the rate is
        the one this session really gets, waiting and transfers included. With ``yours`` and a
        taught ``head``, the classes are the visitor's (computed alone: a head is never shared).
        """
        if frame is None:
            return LiveFrame(None, None, last_done, "")
        if yours and (head is None or self.explainer_for is None):
            return LiveFrame(None, None, last_done, say(language, "teach_train_first"))
        start = time.perf_counter()
        run, categories = (self.explainer_for(head), head.classes) if yours else (self.run, None)
        result = run.explain(Image.fromarray(frame).convert("RGB"))
        words = legend_words(language)
        categories = categories or self.explainer.weights.categories
        caption = render.heatmap_caption(categories, result.cam_class, None, words)
        heatmap = self.files.png(render.cam_overlay(result.crop, result.cam, caption, words=words))
        done = time.perf_counter()
        rate = say(language, "live_rate", rate=1 / (done - last_done)) if last_done else ""
        return LiveFrame(
            result.label_confidences, heatmap, done, rate + say(language, "live_ms", ms=(done - start) * 1000)
        )

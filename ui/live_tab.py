"""The live webcam: top-5 and Grad-CAM for each frame, one frame in flight per viewer."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PIL import Image

from resnet import Explainer, render
from resnet.batching import BatchingExplainer
from ui.files import ScratchFiles
from ui.text import legend_words, say


@dataclass(frozen=True)
class LiveFrame:
    live_labels: dict[str, float] | None
    live_heatmap: str | None
    live_last: float  # when this answer was ready (perf_counter), for the next frame's rate
    live_info: str


class LiveTab:
    def __init__(self, explainer: Explainer, files: ScratchFiles, batcher: BatchingExplainer | None = None):
        self.explainer = explainer
        self.files = files
        self.run = batcher or explainer  # frames of several viewers share forward passes when given

    def live(self, frame, last_done, language) -> LiveFrame:
        """One webcam frame (H, W, 3 uint8): top-5 and Grad-CAM overlay, plus the rate served.

        ``last_done`` (per-session state) is when the previous frame finished, so the rate is
        the one this session really gets, waiting and transfers included.
        """
        if frame is None:
            return LiveFrame(None, None, last_done, "")
        start = time.perf_counter()
        result = self.run.explain(Image.fromarray(frame).convert("RGB"))
        words = legend_words(language)
        caption = render.heatmap_caption(self.explainer.weights.categories, result.cam_class, None, words)
        heatmap = self.files.png(render.cam_overlay(result.crop, result.cam, caption, words=words))
        done = time.perf_counter()
        rate = say(language, "live_rate", rate=1 / (done - last_done)) if last_done else ""
        return LiveFrame(
            result.label_confidences, heatmap, done, rate + say(language, "live_ms", ms=(done - start) * 1000)
        )

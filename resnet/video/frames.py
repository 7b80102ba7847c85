"""Video: frames of a clip (``resnet.video.decoding``, decoded in a contained worker by ``resnet.video.workers``)
explained in batches, overlay frames, and the classes a timeline shows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from resnet.cams.methods import DEFAULT_METHOD, Heatmaps
from resnet.core.explainer import Explainer
from resnet.core.explanation import Explanation
from resnet.present import render
from resnet.video.decoding import (  # noqa: F401 (the video API in one place)
    BATCH_SIZE,
    DEFAULT_MAX_FPS,
    MAX_BYTES,
    MAX_FRAME_PIXELS,
    MAX_SECONDS,
    VIDEO_ERRORS,
    VIDEO_SUFFIXES,
    Frame,
    Limits,
    OverlayWriter,
    VideoError,
    VideoInfo,
    VideoReader,
    sampling_rate,
)


@dataclass(frozen=True)
class ExplainedFrame:
    frame: Frame
    explanation: Explanation
    cam: np.ndarray  # (224, 224) float32 in [0, 1] over explanation.crop


def explain_frames(
    frames: Iterable[Frame],
    explainer: Explainer,
    heatmaps: Heatmaps | None = None,
    method: str = DEFAULT_METHOD,
    batch_size: int = BATCH_SIZE,
) -> Iterator[ExplainedFrame]:
    """Explain frames in batches of ``batch_size`` (one forward pass each, ``Explainer.explain_batch``)."""
    batch: list[Frame] = []

    def flush() -> Iterator[ExplainedFrame]:
        explanations = explainer.explain_batch([Image.fromarray(f.image) for f in batch], stages=())
        for frame, explanation in zip(batch, explanations, strict=True):
            cam = explanation.cam if heatmaps is None else heatmaps.heatmap(explanation, method, explanation.cam_class)
            yield ExplainedFrame(frame, explanation, cam)
        batch.clear()

    for frame in frames:
        batch.append(frame)
        if len(batch) >= max(1, batch_size):
            yield from flush()
    if batch:
        yield from flush()


def overlay_frame(
    explained: ExplainedFrame,
    words: render.LegendWords = render.ENGLISH,
    cmap: str = render.HEATMAP_CMAP,
    names: list[str] | None = None,
) -> Image.Image:
    """One output frame: the crop the model saw with its heatmap, and the time and top-1 as caption
    (the class named from ``names``, e.g. in the page's language; default: the weights' names)."""
    best = explained.explanation.top5[0]
    name = best.name if names is None else names[best.index]
    caption = f"{explained.frame.time_s:.2f} s · {name} ({best.probability:.0%})"
    return render.cam_overlay(explained.explanation.crop, explained.cam, caption, cmap=cmap, words=words)


def timeline_classes(probabilities: np.ndarray, count: int = 5) -> list[int]:
    """The classes a timeline shows, (F, K) -> up to ``count`` class ids: first the classes that
    are some frame's top-1 (the most frames first), then the highest peak probabilities."""
    peaks = probabilities.max(axis=0)  # (K,)
    wins = np.bincount(probabilities.argmax(axis=1), minlength=probabilities.shape[1])  # (K,) frames won
    order = np.lexsort((-peaks, -wins))  # most frames won, then highest peak
    return [int(k) for k in order[:count]]

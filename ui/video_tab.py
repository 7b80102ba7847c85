"""The Video tab: a clip explained frame by frame, an overlay video, a timeline, any frame opened.

Frames are decoded, explained in batches and written to the overlay MP4 as they go, so a clip
costs no more memory than one batch. The page keeps only where each explained frame is in the
clip (``VideoRun``); opening a frame decodes it again from the uploaded file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from resnet import Explainer, render
from resnet.heatmaps import DEFAULT_METHOD
from resnet.teach import Head
from resnet.video import (
    BATCH_SIZE,
    OverlayWriter,
    VideoError,
    VideoReader,
    expected_frames,
    explain_frames,
    overlay_frame,
    sampling_rate,
    timeline_classes,
)
from ui.files import ScratchFiles
from ui.live_tab import Frozen
from ui.text import legend_words, say

TIMELINE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")  # one per class on the timeline


@dataclass(frozen=True)
class VideoRun:
    """Where the explained frames are in the uploaded clip (a few KB for a minute of video)."""

    path: str  # the uploaded clip in Gradio's upload cache
    frame_index: tuple[int, ...]  # (F,) positions among the decoded frames
    pts: tuple[int | None, ...]  # (F,) the decoder's timestamps, to find a frame again
    time_s: tuple[float, ...]  # (F,)
    yours: bool  # explained with the visitor's taught classes


@dataclass(frozen=True)
class VideoAnalysis:
    video_status: str
    video_cam: str | None  # the overlay MP4
    video_timeline: object  # gr.LinePlot update: probability of the top classes over time
    video_legend: str
    video_frame: object  # gr.Slider update: 0 .. F-1
    video_run: VideoRun | None
    video_frame_heatmap: str | None
    video_frame_labels: dict[str, float] | None
    video_frame_info: str


@dataclass(frozen=True)
class VideoFrame:
    video_frame_heatmap: str | None
    video_frame_labels: dict[str, float] | None
    video_frame_info: str


class VideoTab:
    def __init__(self, explainer: Explainer, files: ScratchFiles, explainer_for: Callable[[Head], Explainer]):
        """``explainer_for(head)``: an Explainer of a visitor's taught head (see ``TeachTab``)."""
        self.explainer = explainer
        self.files = files
        self.explainer_for = explainer_for

    def _model(self, head: Head | None, yours: bool, language) -> tuple[Explainer, list[str]]:
        if not yours:
            return self.explainer, self.explainer.weights.categories
        if head is None:
            raise gr.Error(say(language, "teach_train_first"))
        return self.explainer_for(head), head.classes

    def _reader(self, path: str | None, language) -> VideoReader:
        if path is None:
            raise gr.Error(say(language, "video_none"))
        try:
            return VideoReader(path)
        except VideoError as err:
            raise gr.Error(say(language, err.code, **err.params), title=say(language, "video_cannot_use")) from None
        except OSError:
            raise gr.Error(say(language, "video_gone")) from None

    def explain_video(
        self,
        path,
        fps,
        head,
        yours,
        language,
        progress=gr.Progress(),  # noqa: B008 (Gradio's progress bar)
    ) -> Iterator[VideoAnalysis]:
        """Explain the clip's frames in batches; yields after each batch (where Stop can cancel)."""
        reader = self._reader(path, language)
        explainer, categories = self._model(head, yours, language)
        rate = sampling_rate(reader.info, fps)
        total = expected_frames(reader.info, fps) or 0
        words = legend_words(language)
        rows: list[tuple[int, int | None, float]] = []
        probabilities: list[np.ndarray] = []  # (K,) per frame
        out = self.files.new_path(".mp4", prefix="resnet50-video-")
        start = time.perf_counter()
        progress(0, desc=say(language, "video_starting", frames=total or "?", fps=rate))
        with OverlayWriter(out, rate) as writer:
            for done, explained in enumerate(explain_frames(reader.frames(fps), explainer, batch_size=BATCH_SIZE), 1):
                writer.write(overlay_frame(explained, words))
                frame = explained.frame
                rows.append((frame.index, frame.pts, frame.time_s))
                probabilities.append(explained.explanation.probabilities)
                if done % BATCH_SIZE == 0:  # once per batch: the bar, and a point where Stop takes effect
                    status = self._progress(done, total, time.perf_counter() - start, language)
                    progress((done, max(total, done)), desc=status, unit="frames")
                    yield _status(status)
        if not rows:
            raise gr.Error(say(language, "empty"))
        seconds = time.perf_counter() - start
        run = VideoRun(path, *map(tuple, zip(*rows, strict=True)), yours=yours)
        timeline, legend = self._timeline(np.stack(probabilities), run.time_s, categories)
        status = say(language, "video_done", frames=len(rows), fps=rate, seconds=seconds, per_s=len(rows) / seconds)
        if reader.stopped:
            status += "\n\n" + say(language, "video_stopped", why=reader.stopped)
        opened = self.open_frame(run, 0, head, language)
        yield VideoAnalysis(
            video_status=status,
            video_cam=str(out),
            video_timeline=timeline,
            video_legend=legend,
            video_frame=gr.Slider(minimum=0, maximum=max(len(rows) - 1, 1), value=0, step=1, interactive=True),
            video_run=run,
            **vars(opened),
        )

    @staticmethod
    def _progress(done: int, total: int, seconds: float, language) -> str:
        if total <= done:
            return say(language, "video_progress_open", done=done)
        return say(language, "video_progress", done=done, total=total, eta=seconds / done * (total - done))

    @staticmethod
    def _timeline(probabilities: np.ndarray, times: tuple[float, ...], categories: list[str]) -> tuple[object, str]:
        """Probability over time of the timeline's classes (``timeline_classes``): (F, K) -> a LinePlot and its legend."""
        classes = timeline_classes(probabilities, len(TIMELINE_COLOURS))
        names = [categories[k] for k in classes]
        table = pd.DataFrame(
            {
                "time_s": np.tile(times, len(classes)),
                "probability": np.concatenate([probabilities[:, k] for k in classes]),
                "class": np.repeat(names, len(times)),
            }
        )
        colours = dict(zip(names, TIMELINE_COLOURS, strict=False))
        items = [f'<span style="color:{colour}">━━</span> {name}' for name, colour in colours.items()]
        legend = '<p class="chart-legend">' + " &nbsp; ".join(items) + "</p>"
        return gr.LinePlot(value=table, color_map=colours), legend

    def open_frame(self, run, position, head, language) -> VideoFrame:
        """One explained frame in full: decoded again from the clip, explained, its heatmap and top-5."""
        if run is None:
            return VideoFrame(None, None, say(language, "video_none"))
        position = int(min(max(position or 0, 0), len(run.frame_index) - 1))
        explainer, categories = self._model(head, run.yours, language)
        image = self._frame(run, position, language)
        explanation = explainer.explain(Image.fromarray(image))
        words = legend_words(language)
        caption = render.heatmap_caption(categories, explanation.cam_class, None, words)
        picture = render.cam_overlay(explanation.crop, explanation.cam, caption, words=words)
        info = say(
            language,
            "video_frame_info",
            position=position + 1,
            count=len(run.frame_index),
            index=run.frame_index[position],
            time=run.time_s[position],
            method=DEFAULT_METHOD,
        )
        return VideoFrame(self.files.png(picture), explanation.label_confidences, info)

    def analyse_frame(self, run, position, language) -> Frozen:
        """The chosen frame, as a lossless PNG, for the full analysis on the Explain panel."""
        if run is None:
            raise gr.Error(say(language, "video_none"))
        position = int(min(max(position or 0, 0), len(run.frame_index) - 1))
        return Frozen(self.files.png(Image.fromarray(self._frame(run, position, language))))

    def _frame(self, run: VideoRun, position: int, language) -> np.ndarray:
        reader = self._reader(run.path, language)
        try:
            return reader.frame_at(run.pts[position], run.frame_index[position])
        except VideoError:
            raise gr.Error(say(language, "video_gone")) from None


def _status(status: str) -> VideoAnalysis:
    """A progress update: the status line changes, nothing else."""
    skip = gr.skip()
    return VideoAnalysis(status, skip, skip, skip, skip, skip, skip, skip, skip)

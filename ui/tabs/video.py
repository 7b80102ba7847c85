"""The Video tab: a clip explained frame by frame, an overlay video, a timeline, any frame opened.

Frames are decoded, explained in batches and written to the overlay MP4 as they go, so a clip
costs no more memory than one batch. The page keeps only where each explained frame is in the
clip (``VideoRun``); opening a frame decodes it again from the uploaded file.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from resnet import Explainer
from resnet.cams.methods import DEFAULT_METHOD
from resnet.core.heads import Head
from resnet.present import render
from resnet.video import frames as video
from resnet.video.frames import BATCH_SIZE, VideoError, explain_frames, overlay_frame, sampling_rate, timeline_classes
from resnet.video.workers import ContainedReader, ContainedWriter
from ui.classes import Classifier, Classifiers
from ui.files import SAMPLE_CLIP, ScratchFiles
from ui.text import legend_html, legend_words, say, text
from ui.view import ToExplain

TIMELINE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")  # one per class on the timeline


@dataclass(frozen=True)
class VideoRun:
    """Where the explained frames are in the uploaded clip (a few KB for a minute of video)."""

    path: str  # the uploaded clip in Gradio's upload cache
    frame_index: tuple[int, ...]  # (F,) positions among the decoded frames
    pts: tuple[int | None, ...]  # (F,) the decoder's timestamps, to find a frame again
    time_s: tuple[float, ...]  # (F,)
    head: Head | None  # the visitor's taught head it was explained with (None: ImageNet's classes)


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
    ID, TITLE = "video", "tab_video"

    def __init__(self, explainer: Explainer, files: ScratchFiles, classifiers: Classifiers | None = None):
        """``classifiers``: the shared model and the visitors' taught heads (see ``ui.classes``)."""
        self.classifiers = classifiers or Classifiers(explainer)
        self.files = files

    def build(self, shared) -> None:
        gr.Markdown(text("video_caption"))
        with gr.Row():
            with gr.Column():
                # include_audio: otherwise Gradio strips the sound with a system ffmpeg, which the app does not need
                self.video_in = gr.Video(
                    label=text("video_in"), sources=["upload", "webcam"], include_audio=True, height=300
                )
                gr.Examples([[str(SAMPLE_CLIP)]], inputs=self.video_in, label=text("video_example"))
                self.video_fps = gr.Slider(1, 10, value=video.DEFAULT_MAX_FPS, step=1, label=text("video_fps"))
                self.video_yours = gr.Checkbox(False, label=text("video_yours"))
                with gr.Row():
                    self.video_button = gr.Button(text("video_button"), variant="primary")
                    self.video_stop = gr.Button(text("video_stop"), variant="stop", interactive=False)
                self.video_status = gr.Markdown()
            self.video_cam = gr.Video(label=text("video_cam"), interactive=False, height=400)
        self.video_timeline = gr.LinePlot(
            x="time_s",
            y="probability",
            color="class",
            colors_in_legend=[],  # the HTML legend below names the classes
            height=260,
            label=text("video_timeline"),
            sort="x",
        )
        self.video_legend = gr.HTML()  # Gradio 6.31 draws no legend entries for this chart
        self.video_frame = gr.Slider(0, 1, value=0, step=1, label=text("video_frame"), interactive=False)
        self._build_frame_panel()
        self.video_run = gr.State(None, time_to_live=3600)  # VideoRun: where the explained frames are

    def _build_frame_panel(self) -> None:
        with gr.Row():
            self.video_frame_heatmap = gr.Image(
                label=text("video_frame_heatmap"), height=280, type="filepath", format="png", interactive=False
            )
            with gr.Column():
                self.video_frame_labels = gr.Label(label=text("video_frame_labels"), num_top_classes=5)
                self.video_frame_info = gr.Markdown()
                self.video_analyse = gr.Button(text("video_analyse"), size="sm")

    def wire(self, shared) -> None:
        """One clip explained at a time on the server; Stop cancels it after the current batch."""
        most_frames = video.MAX_SECONDS * video.DEFAULT_MAX_FPS
        shared.stoppable(
            self.video_button.click,
            self.video_stop,
            self.explain_video,
            [self.video_in, self.video_fps, shared.teach_head, self.video_yours],
            VideoAnalysis,
            self,
            gpu=shared.fixed_seconds(most_frames),
            concurrency_id="video",
            concurrency_limit=1,
        )
        opened = [self.video_run, self.video_frame]
        shared.event(self.video_frame.release, self.open_frame, opened, VideoFrame, self, gpu=True)

    def _reader(self, path: str | None, language) -> ContainedReader:
        if path is None:
            raise gr.Error(say(language, "video_none"))
        try:
            return ContainedReader(path)  # FFmpeg runs in a limited worker process
        except VideoError as err:
            raise _message(err, language) from None
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
        if yours and head is None:
            raise gr.Error(say(language, "teach_train_first"))
        classifier = self.classifiers.of(head if yours else None)
        rate = sampling_rate(reader.info, fps)
        total = reader.expected_frames(fps) or 0
        words, names = legend_words(language), classifier.names(language)
        rows: list[tuple[int, int | None, float]] = []
        probabilities: list[np.ndarray] = []  # (K,) per frame
        first = None  # the first explained frame: the frame panel opens on it
        out = self.files.new_path(".mp4", prefix="resnet50-video-")
        start = time.perf_counter()
        progress(0, desc=say(language, "video_starting", frames=total or "?", fps=rate))
        with ContainedWriter(out, rate) as writer, _said(language):
            frames = explain_frames(reader.frames(fps), classifier.batches(), batch_size=BATCH_SIZE)
            for done, explained in enumerate(frames, 1):
                first = first or explained.explanation
                writer.write(overlay_frame(explained, words, names=names))
                frame = explained.frame
                rows.append((frame.index, frame.pts, frame.time_s))
                probabilities.append(explained.explanation.probabilities)
                if done % BATCH_SIZE == 0:  # once per batch: the bar, and a point where Stop takes effect
                    status = self._progress(done, total, time.perf_counter() - start, language)
                    progress((done, max(total, done)), desc=status, unit="frames")
                    yield _status(status)
        if not rows:
            raise gr.Error(say(language, "empty"))
        run = VideoRun(path, *map(tuple, zip(*rows, strict=True)), head=classifier.head)
        timeline, legend = self._timeline(np.stack(probabilities), run.time_s, classifier.names(language), language)
        status = _done(language, len(rows), rate, time.perf_counter() - start, reader.stopped)
        opened = self._frame_panel(run, 0, first, classifier, language)
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
    def _timeline(
        probabilities: np.ndarray, times: tuple[float, ...], categories: list[str], language: str | None = None
    ) -> tuple[object, str]:
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
        titles = {"x_title": say(language, "timeline_x"), "y_title": say(language, "timeline_y")}
        return gr.LinePlot(value=table, color_map=colours, **titles), legend_html(colours)

    def open_frame(self, run, position, language) -> VideoFrame:
        """One explained frame in full: decoded again from the clip, explained with the classes the
        clip was explained with, its heatmap and top-5."""
        if run is None:
            return VideoFrame(None, None, say(language, "video_none"))
        position = int(min(max(position or 0, 0), len(run.frame_index) - 1))
        classifier = self.classifiers.of(run.head)
        explanation = classifier.run(Explainer.explain, Image.fromarray(self._frame(run, position, language)))
        return self._frame_panel(run, position, explanation, classifier, language)

    def _frame_panel(self, run, position: int, explanation, classifier: Classifier, language) -> VideoFrame:
        words = legend_words(language)
        caption = render.heatmap_caption(classifier.names(language), explanation.cam_class, None, words)
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
        return VideoFrame(self.files.png(picture), classifier.labels(explanation, language), info)

    def analyse_frame(self, run, position, language) -> ToExplain:
        """The chosen frame, as a lossless PNG, for the full analysis on the Explain panel."""
        if run is None:
            raise gr.Error(say(language, "video_none"))
        position = int(min(max(position or 0, 0), len(run.frame_index) - 1))
        return ToExplain(self.files.png(Image.fromarray(self._frame(run, position, language))))

    def _frame(self, run: VideoRun, position: int, language) -> np.ndarray:
        reader = self._reader(run.path, language)
        try:
            return reader.frame_at(run.pts[position], run.frame_index[position])
        except VideoError as err:  # the upload may have left the cache, or the decoder failed
            raise (
                _message(err, language) if err.code in ("crashed", "stalled") else gr.Error(say(language, "video_gone"))
            ) from None


def _message(err: VideoError, language) -> gr.Error:
    """A VideoError as the page shows it: its sentence in the page's language."""
    return gr.Error(say(language, err.code, **err.params), title=say(language, "video_cannot_use"))


@contextlib.contextmanager
def _said(language):
    """A VideoError raised while a clip streams (a decoder that crashed or hung) in the page's language."""
    try:
        yield
    except VideoError as err:
        raise _message(err, language) from None


def _status(status: str) -> VideoAnalysis:
    """A progress update: the status line changes, nothing else."""
    skip = gr.skip()
    return VideoAnalysis(status, skip, skip, skip, skip, skip, skip, skip, skip)


def _done(language, frames: int, rate: float, seconds: float, stopped: str | None) -> str:
    """What the status says when a clip is explained (and why it stopped early, if it did)."""
    status = say(language, "video_done", frames=frames, fps=rate, seconds=seconds, per_s=frames / seconds)
    return status + ("\n\n" + say(language, "video_stopped", why=stopped) if stopped else "")

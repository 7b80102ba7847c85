"""A clip on disk: decode it with PyAV under limits, sample its frames, write an overlay MP4.

PyAV's wheels carry FFmpeg, so no system ffmpeg is needed. A frame is the decoder's RGB
(``frame.to_ndarray(format="rgb24")``), turned upright when the stream has a rotation in its
display matrix (phones record portrait clips that way), as photos are turned by their EXIF tag.
This module needs no torch: the contained worker (``resnet.video.workers``) runs it alone.
PyAV is imported where a clip is opened or written, so the server, which decodes in workers,
never loads it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    import av

MAX_SECONDS = 60.0  # longest clip explained (the page and the CLI's default)
MAX_BYTES = 50 * 2**20  # largest file
MAX_FRAME_PIXELS = 3840 * 2160  # 4K; larger frames are refused before decoding
DEFAULT_MAX_FPS = 10.0  # frames explained per second of video unless asked otherwise
BATCH_SIZE = 8  # frames per forward pass
VIDEO_SUFFIXES = {".mp4", ".m4v", ".webm", ".mov", ".avi", ".mkv"}  # walked in folders by the CLI

# Why a file cannot be used, as message templates; a UI may translate them by their code.
VIDEO_ERRORS = {
    "unreadable": "This file cannot be read as a video: it may be damaged, cut short or not a video ({detail}). "
    "Upload an MP4, WebM, MOV or AVI clip.",
    "no_video": "This file has no video track (only {streams}). Upload a clip with pictures.",
    "undecodable": "The clip's {codec} video cannot be decoded ({detail}). "
    "Export it again as an H.264 MP4 and upload that.",
    "empty": "The clip has no frames that can be decoded.",
    "too_long": "The clip is {seconds:.1f} s long, over the limit of {limit:.0f} s. Trim it and upload it again.",
    "too_big": "The file is {mb:.1f} MB, over the limit of {limit_mb:.0f} MB. Trim or compress the clip.",
    "frames_too_large": "The clip's frames are {width}×{height}, over the limit of {limit:,} pixels. "
    "Export it at a lower resolution (1080p or less).",
    "crashed": "The video decoder stopped working on this clip ({detail}); it may be damaged. "
    "Export it again as an H.264 MP4 and upload that.",
    "stalled": "Decoding this clip made no progress for {seconds:.0f} s and was stopped. "
    "Export it again as an H.264 MP4 and upload that.",
}


class VideoError(ValueError):
    """A file that cannot be used as a video. ``code`` and ``params`` fill VIDEO_ERRORS[code]."""

    def __init__(self, code: str, **params):
        super().__init__(VIDEO_ERRORS[code].format(**params))
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Limits:
    seconds: float = MAX_SECONDS
    bytes: int = MAX_BYTES
    frame_pixels: int = MAX_FRAME_PIXELS


@dataclass(frozen=True)
class VideoInfo:
    fps: float  # the stream's average frame rate
    duration_s: float | None  # None when the container does not say (e.g. a webcam recording)
    width: int  # upright, as shown
    height: int
    rotation: int  # degrees counter-clockwise each decoded frame is turned to stand upright
    codec: str


@dataclass(frozen=True)
class Frame:
    index: int  # position among the stream's decoded frames, from 0
    time_s: float  # presentation time from the stream's start
    pts: int | None  # the decoder's timestamp (to find the frame again)
    image: np.ndarray  # (H, W, 3) uint8 upright RGB


def sampling_rate(info: VideoInfo, fps: float | None) -> float:
    """Frames explained per second: ``fps`` (0 = every frame) or, by default, the clip's own
    rate capped at DEFAULT_MAX_FPS; never more than the clip has."""
    if fps is None:
        fps = DEFAULT_MAX_FPS
    return info.fps if fps <= 0 else min(fps, info.fps)


class VideoReader:
    """A clip on disk: its ``info`` (checked against ``limits`` when made) and its frames.

    Every read opens the file afresh, so reads never disturb each other.
    """

    def __init__(self, path: str | os.PathLike, limits: Limits = Limits()):
        self.path = Path(path)
        self.limits = limits
        self.stopped: str | None = None  # why the last ``frames`` stopped before the end, if it did
        size = self.path.stat().st_size
        if size > limits.bytes:
            raise VideoError("too_big", mb=size / 2**20, limit_mb=limits.bytes / 2**20)
        with self._open() as container:
            self.info = self._probe(container)

    def _open(self) -> av.container.InputContainer:
        import av

        try:
            return av.open(str(self.path))
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
            raise VideoError("unreadable", detail=_detail(err)) from None

    def _probe(self, container) -> VideoInfo:
        if not container.streams.video:
            kinds = sorted({s.type for s in container.streams}) or ["nothing"]
            raise VideoError("no_video", streams=", ".join(kinds))
        stream = container.streams.video[0]
        if stream.codec_context is None:  # a codec FFmpeg does not know: no decoder, no context
            raise VideoError("undecodable", codec="unknown", detail="FFmpeg has no decoder for it")
        codec = stream.codec_context.name
        width, height = stream.codec_context.width, stream.codec_context.height
        if width * height > self.limits.frame_pixels:
            raise VideoError("frames_too_large", width=width, height=height, limit=self.limits.frame_pixels)
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000  # in FFmpeg's AV_TIME_BASE units (av.time_base)
        if duration is not None and duration > self.limits.seconds + 0.5:
            raise VideoError("too_long", seconds=duration, limit=self.limits.seconds)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 25.0
        first = next(_decoded(container, stream, codec, lambda why: None))  # also proves the clip decodes
        rotation = int(round(first.rotation or 0))  # from the display matrix each frame carries
        width, height = (height, width) if rotation % 180 else (width, height)
        return VideoInfo(fps, duration, width, height, rotation, codec)

    def frames(self, fps: float | None = None) -> Iterator[Frame]:
        """The frames at ``sampling_rate(info, fps)``: a frame is kept when its time reaches the
        next multiple of 1/rate. A clip damaged part-way stops there (``stopped`` says why);
        a clip whose length was not known stops at the time limit."""
        every = 1.0 / sampling_rate(self.info, fps)
        tolerance = 0.25 / self.info.fps  # timestamps are rounded to the stream's time base
        self.stopped = None
        with self._open() as container:
            stream = container.streams.video[0]
            start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
            due = 0.0
            for index, frame in enumerate(_decoded(container, stream, self.info.codec, self._stop)):
                time_s = float(frame.time) - start if frame.time is not None else index / self.info.fps
                if time_s > self.limits.seconds:
                    self._stop(VIDEO_ERRORS["too_long"].format(seconds=time_s, limit=self.limits.seconds))
                    return
                if time_s + tolerance < due:
                    continue
                due = (math.floor((time_s + tolerance) / every) + 1) * every
                yield Frame(index, time_s, frame.pts, self._upright(frame))

    def expected_frames(self, fps: float | None) -> int | None:
        """About how many frames ``frames(fps)`` yields (for progress bars); None if the length is unknown."""
        if self.info.duration_s is None:
            return None
        seconds = min(self.info.duration_s, self.limits.seconds)
        return max(1, math.ceil(seconds * sampling_rate(self.info, fps) - 1e-6))

    def _stop(self, why: str) -> None:
        self.stopped = why

    def frame_at(self, pts: int | None, index: int) -> np.ndarray:
        """The upright RGB of one frame found again by its timestamp (or, without one, by index)."""
        with self._open() as container:
            stream = container.streams.video[0]
            if pts is not None:
                container.seek(pts, stream=stream, backward=True, any_frame=False)
            for position, frame in enumerate(_decoded(container, stream, self.info.codec, self._stop)):
                if (frame.pts == pts) if pts is not None else (position == index):
                    return self._upright(frame)
                if pts is not None and frame.pts is not None and frame.pts > pts:
                    break
        raise VideoError("empty")

    def _upright(self, frame: av.VideoFrame) -> np.ndarray:
        image = frame.to_ndarray(format="rgb24")  # (H, W, 3) uint8
        turns = round(self.info.rotation / 90) % 4
        return np.ascontiguousarray(np.rot90(image, k=turns)) if turns else image


def _decoded(container, stream, codec: str, stop: Callable[[str], None]) -> Iterator[av.VideoFrame]:
    """Decoded frames. An error before the first frame is a VideoError; after it, the clip ends
    there and ``stop`` is told why."""
    import av

    count = 0
    packets = container.demux(stream)
    while True:
        try:
            frames = next(packets).decode()
        except StopIteration:
            break
        except (av.error.FFmpegError, ValueError) as err:
            if count == 0:
                raise VideoError("undecodable", codec=codec, detail=_detail(err)) from None
            stop(f"decoding stopped after {count} frames ({_detail(err)})")
            return
        for frame in frames:
            count += 1
            yield frame
    if count == 0:
        raise VideoError("empty")


def _detail(err: BaseException) -> str:
    """FFmpeg's reason without the file's path (a server's temp path means nothing to a visitor)."""
    text = (getattr(err, "strerror", None) or str(err)).strip() or type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."


class OverlayWriter:
    """An H.264 MP4 that plays in browsers (yuv420p, moov atom first), one picture per frame."""

    def __init__(self, path: str | os.PathLike, fps: float):
        import av

        self._container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        self._video_frame = av.VideoFrame
        self._stream = self._container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": "23", "preset": "veryfast"}
        self._started = False
        self.frames = 0

    def write(self, picture: Image.Image) -> None:
        if not self._started:
            self._stream.width, self._stream.height = picture.width // 2 * 2, picture.height // 2 * 2
            self._started = True
        if picture.size != (self._stream.width, self._stream.height):
            picture = picture.crop((0, 0, self._stream.width, self._stream.height))
        for packet in self._stream.encode(self._video_frame.from_image(picture.convert("RGB"))):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        if self._started:
            for packet in self._stream.encode():
                self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> OverlayWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

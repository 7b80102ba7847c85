"""Small real video files for the tests, written with PyAV (FFmpeg inside its wheels)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from resnet import load_image

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def scenes(size: tuple[int, int]) -> list[np.ndarray]:
    """The example photos as (H, W, 3) uint8 frames of ``size`` (width, height)."""
    return [np.asarray(load_image(p).resize(size)) for p in sorted(ASSETS.glob("*.jpg"))]


def write_clip(
    path: Path,
    *,
    codec: str = "libx264",
    size: tuple[int, int] = (160, 120),
    seconds: float = 2.0,
    fps: int = 15,
    pix_fmt: str = "yuv420p",
    rotation: int | None = None,
    scene_seconds: float = 0.5,
) -> Path:
    """A clip that shows the example photos in turn, ``scene_seconds`` each."""
    pictures = scenes(size)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], pix_fmt
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for i in range(round(seconds * fps)):
            picture = pictures[int(i / fps / scene_seconds) % len(pictures)]
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_audio_only(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    """An M4A-like MP4 with one AAC track and no pictures."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate)
        tone = (0.2 * np.sin(np.arange(int(seconds * rate)) * 2 * np.pi * 440 / rate)).astype(np.float32)
        for start in range(0, len(tone), 1024):
            frame = av.AudioFrame.from_ndarray(tone[None, start : start + 1024], format="flt", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def decoded_frames(path: Path) -> list[np.ndarray]:
    """Every frame as the decoder gives it, ``frame.to_ndarray(format="rgb24")``, not turned."""
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def write_unknown_codec(path: Path) -> Path:
    """An AVI whose video stream names a codec FFmpeg does not know (its FourCC changed to QQQQ)."""
    clip = write_clip(path.with_suffix(".tmp.avi"), codec="mpeg4", size=(64, 48), seconds=0.5, fps=8)
    data = clip.read_bytes()
    assert data.count(b"FMP4") >= 1, "the MPEG-4 encoder's FourCC was not found"
    path.write_bytes(data.replace(b"FMP4", b"QQQQ"))
    clip.unlink()
    return path

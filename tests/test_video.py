"""Video: real clips written with PyAV, decoded, sampled, explained, and the ``video`` CLI contract."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import av
import numpy as np
import pytest
from clips import decoded_frames, write_audio_only, write_clip, write_unknown_codec
from PIL import Image

from resnet import load_image
from resnet.present import render
from resnet.video.frames import (
    Limits,
    OverlayWriter,
    VideoError,
    VideoReader,
    explain_frames,
    overlay_frame,
    sampling_rate,
    timeline_classes,
)
from resnet.video.workers import ContainedReader

from conftest import ROOT


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """2 s at 15 fps, 160×120, H.264 in MP4: 30 frames, a new photo every 0.5 s."""
    return write_clip(tmp_path_factory.mktemp("clips") / "walk.mp4")


@pytest.mark.parametrize(
    ("name", "codec", "expected_codec"),
    [
        ("a.mp4", "libx264", "h264"),
        ("b.webm", "libvpx-vp9", "vp9"),
        ("c.mov", "libx264", "h264"),
        ("d.avi", "mpeg4", "mpeg4"),
    ],
)
def test_every_container_decodes_to_the_pictures_written(tmp_path, name, codec, expected_codec):
    path = write_clip(tmp_path / name, codec=codec, seconds=1.0)
    reader = VideoReader(path)
    assert (reader.info.codec, reader.info.fps, reader.info.width, reader.info.height) == (
        expected_codec,
        15.0,
        160,
        120,
    )
    assert reader.info.duration_s == pytest.approx(1.0, abs=0.1)
    frames = list(reader.frames(0))
    assert [f.index for f in frames] == list(range(15))
    assert [f.time_s for f in frames] == pytest.approx([i / 15 for i in range(15)], abs=1e-3)
    raw = decoded_frames(path)
    for frame, expected in zip(frames, raw, strict=True):
        np.testing.assert_array_equal(frame.image, expected)  # the decoder's rgb24, untouched


def test_sampling_keeps_one_frame_per_period(clip):
    reader = VideoReader(clip)
    assert [f.index for f in reader.frames(5)] == list(range(0, 30, 3))  # 15 fps clip at 5 fps
    assert [f.index for f in reader.frames(1)] == [0, 15]
    assert len(list(reader.frames(0))) == 30  # every frame
    assert len(list(reader.frames(None))) == 20 == reader.expected_frames(None)  # capped at 10 fps
    assert len(list(reader.frames(100))) == 30  # never more than the clip has
    assert sampling_rate(reader.info, None) == 10 and sampling_rate(reader.info, 0) == 15
    assert reader.stopped is None


def test_rotated_clip_is_turned_upright(tmp_path):
    """A phone's portrait clip: landscape pixels plus a display matrix saying 90° counter-clockwise."""
    path = write_clip(tmp_path / "portrait.mp4", rotation=90, seconds=0.4)
    reader = VideoReader(path)
    assert (reader.info.rotation, reader.info.width, reader.info.height) == (90, 120, 160)
    frames = list(reader.frames(0))
    raw = decoded_frames(path)
    assert frames[0].image.shape == (160, 120, 3) and raw[0].shape == (120, 160, 3)
    np.testing.assert_array_equal(frames[0].image, np.rot90(raw[0]))
    # the top-left corner of the stored picture ends at the bottom-left once turned
    np.testing.assert_array_equal(frames[0].image[-1, 0], raw[0][0, 0])


def test_odd_dimensions_are_explained_and_encoded(tmp_path, explainer):
    path = write_clip(tmp_path / "odd.mp4", size=(65, 47), pix_fmt="yuv444p", seconds=0.4)
    reader = VideoReader(path)
    assert (reader.info.width, reader.info.height) == (65, 47)
    explained = list(explain_frames(reader.frames(0), explainer, batch_size=4))
    assert len(explained) == 6
    out = tmp_path / "odd_cam.mp4"
    with OverlayWriter(out, 15) as writer:
        for item in explained:
            writer.write(overlay_frame(item))
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert len(list(container.decode(stream))) == 6


def test_batched_frames_equal_frames_explained_one_by_one(clip, explainer):
    frames = list(VideoReader(clip).frames(5))
    batched = list(explain_frames(frames, explainer, batch_size=4))
    for frame, item in zip(frames, batched, strict=True):
        alone = explainer.explain(Image.fromarray(frame.image))
        np.testing.assert_allclose(item.explanation.logits, alone.logits, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(item.cam, alone.cam, atol=1e-4)


def test_bad_files_get_clear_errors(tmp_path, clip):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    notes = tmp_path / "notes.mov"
    notes.write_text("not a video")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])  # the index (moov) was at the end
    cases = [
        (empty, Limits(), "unreadable"),
        (notes, Limits(), "unreadable"),
        (cut, Limits(), "unreadable"),
        (write_audio_only(tmp_path / "song.m4a"), Limits(), "no_video"),
        (clip, Limits(seconds=1.0), "too_long"),
        (clip, Limits(bytes=1000), "too_big"),
        (clip, Limits(frame_pixels=100 * 100), "frames_too_large"),
        (write_unknown_codec(tmp_path / "odd.avi"), Limits(), "undecodable"),  # once an AttributeError
    ]
    for path, limits, code in cases:
        with pytest.raises(VideoError) as caught:
            VideoReader(path, limits)
        assert caught.value.code == code, (path, str(caught.value))
        assert str(path.parent) not in str(caught.value)  # no server paths in what a visitor reads
    assert "only audio" in str(pytest.raises(VideoError, VideoReader, tmp_path / "song.m4a").value)


def test_a_clip_damaged_part_way_keeps_the_frames_before_the_damage(tmp_path, clip):
    data = bytearray(clip.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 2000] = b"\xff" * 2000
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    reader = VideoReader(damaged)
    frames = list(reader.frames(0))
    assert 0 < len(frames) < 30
    assert "decoding stopped after" in reader.stopped


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "resnet", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_video_cli_contract(tmp_path, clip, checkpoint, explainer):
    other = write_clip(tmp_path / "turn.mov", rotation=-90, seconds=0.5, fps=10)
    bad = tmp_path / "broken.mp4"
    bad.write_text("not a video")
    out = tmp_path / "out"
    args = ["video", str(clip), str(bad), str(other), "--out", str(out), "--weights", str(checkpoint), "--fps", "5"]
    done = run_cli(*args, "--batch-size", "3")
    assert done.returncode == 1, done.stderr
    assert f"error: {bad}: This file cannot be read as a video" in done.stderr
    for path, frames in ((clip, 10), (other, 3)):
        name = path.stem
        arrays = np.load(out / f"{name}.npz")
        assert arrays["logits"].shape == (frames, 1000) and arrays["logits"].dtype == np.float32
        assert arrays["frame_index"].shape == (frames,) and arrays["time_s"].shape == (frames,)
        with open(out / f"{name}_frames.csv") as f:
            rows = list(csv.DictReader(f))
        assert list(rows[0]) == ["frame", "time_s", "top1_index", "top1_name", "probability"]
        assert [int(r["frame"]) for r in rows] == arrays["frame_index"].tolist()
        assert [float(r["time_s"]) for r in rows] == pytest.approx(arrays["time_s"].tolist(), abs=1e-6)
        assert [int(r["top1_index"]) for r in rows] == arrays["logits"].argmax(1).tolist()
        probabilities = np.exp(arrays["logits"] - arrays["logits"].max(1, keepdims=True))
        probabilities /= probabilities.sum(1, keepdims=True)
        assert [float(r["probability"]) for r in rows] == pytest.approx(probabilities.max(1).tolist(), abs=1e-5)
        with av.open(str(out / f"{name}_cam.mp4")) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")
            assert len(list(container.decode(stream))) == frames  # one picture per explained frame
        # Each row equals `python -m resnet explain` on that frame, upright, saved as PNG.
        raw = decoded_frames(path)
        turns = 3 if path == other else 0  # -90°: a quarter turn clockwise
        pngs = []
        for i in arrays["frame_index"]:
            png = tmp_path / f"{name}-frame{i}.png"
            Image.fromarray(np.rot90(raw[i], k=turns)).save(png)
            pngs.append(png)
        if path == clip:  # the explain CLI itself on two of the frames
            explained = run_cli(
                "explain", str(pngs[0]), str(pngs[4]), "--out", str(tmp_path / "png"), "--weights", str(checkpoint)
            )
            assert explained.returncode == 0, explained.stderr
            for row, png in ((0, pngs[0]), (4, pngs[4])):
                expected = np.load(tmp_path / "png" / f"{png.stem}.npz")["logits"]
                np.testing.assert_allclose(arrays["logits"][row], expected, rtol=1e-4, atol=1e-4)
        for row, png in enumerate(pngs):
            expected = explainer.explain(load_image(png)).logits
            np.testing.assert_allclose(arrays["logits"][row], expected, rtol=1e-4, atol=1e-4)
    record = json.loads((out / f"{other.stem}.json").read_text())
    assert record["clip"]["rotation"] == -90 and record["frames"] == 3 and record["fps_explained"] == 5

    # A re-run resumes: the finished clips are not redone, the bad one fails again.
    before = (out / f"{clip.stem}_cam.mp4").stat().st_mtime_ns
    again = run_cli(*args)
    assert again.returncode == 1
    assert f"{clip}: already done" in again.stderr
    assert (out / f"{clip.stem}_cam.mp4").stat().st_mtime_ns == before
    # Nothing usable: exit 2, with a sentence for each clip (a codec FFmpeg does not know included).
    odd = write_unknown_codec(tmp_path / "odd.avi")
    failed = run_cli("video", str(bad), str(odd), "--out", str(out), "--weights", str(checkpoint))
    assert failed.returncode == 2 and "cannot be decoded" in failed.stderr and "Traceback" not in failed.stderr


def test_the_timeline_shows_every_frames_top1_first():
    probabilities = np.array(
        [
            [0.40, 0.05, 0.05, 0.05, 0.05, 0.05, 0.35, 0.00],  # class 0 wins
            [0.05, 0.30, 0.25, 0.25, 0.14, 0.01, 0.00, 0.00],  # class 1 wins with a lower peak than class 6's
        ]
    )
    assert timeline_classes(probabilities, 3) == [0, 1, 6]
    assert timeline_classes(probabilities, 5) == [0, 1, 6, 2, 3]


@pytest.mark.slow
@pytest.mark.skipif(not render.has_cjk_font(), reason="Chinese captions need a CJK font (fonts-wqy-zenhei)")
def test_video_cli_speaks_the_chosen_language_as_the_video_tab_does(tmp_path, clip, checkpoint, explainer):
    """``--lang zh-CN``: each overlay frame is the Video tab's Chinese frame (its legend words and
    class names), not the English one."""
    from ui.locales import imagenet_names
    from ui.text import legend_words

    frames = {}
    for language in ("en", "zh-CN"):
        out = tmp_path / language
        done = run_cli(
            "video", str(clip), "--out", str(out), "--weights", str(checkpoint), "--fps", "2", "--lang", language
        )
        assert done.returncode == 0, done.stderr
        assert json.loads((out / f"{clip.stem}.json").read_text())["options"]["lang"] == language
        frames[language] = decoded_frames(out / f"{clip.stem}_cam.mp4")[0].astype(float)
    explained = next(explain_frames(ContainedReader(clip, Limits()).frames(2), explainer))
    page = {
        "en": np.asarray(overlay_frame(explained, legend_words("en")), dtype=float),
        "zh-CN": np.asarray(
            overlay_frame(explained, legend_words("zh-CN"), names=imagenet_names("zh-CN")), dtype=float
        ),
    }
    words = np.abs(page["en"] - page["zh-CN"]).max(axis=2) > 60  # where the two languages' words differ
    assert words.sum() > 200
    for language, frame in frames.items():
        other = "en" if language == "zh-CN" else "zh-CN"
        same = np.abs(frame - page[language])[words].mean()
        different = np.abs(frame - page[other])[words].mean()
        assert same < different / 2, (language, same, different)

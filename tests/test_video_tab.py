"""The Video tab: its handlers on real clips, and a real page session speaking the browser's protocol."""

from __future__ import annotations

import threading
import time

import av
import gradio as gr
import numpy as np
import pytest
from clips import write_audio_only, write_clip, write_unknown_codec
from gradio_client import Client, handle_file
from page_session import EventFailed, PageSession
from PIL import Image

from resnet.core.heads import backbone_sha256
from resnet.learn.teaching import pooled_features, teach_features
from resnet.present import render
from resnet.video.frames import VideoReader
from ui.files import ScratchFiles
from ui.tabs.video import VideoTab

pytestmark = pytest.mark.slow  # a real server, browser or app process


def no_progress(*args, **kwargs):
    pass


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("video-tab") / "walk.mp4", seconds=2.0, fps=15)


@pytest.fixture(scope="module")
def tab(explainer):
    files = ScratchFiles()
    return VideoTab(explainer, files)


def test_a_clip_becomes_an_overlay_video_a_timeline_and_frames_to_open(tab, clip, explainer):
    updates = list(tab.explain_video(str(clip), 5, None, False, "en", progress=no_progress))
    assert len(updates) == 2  # one progress update after the first batch of 8, then the result
    assert "8 of about 10 frames" in updates[0].video_status
    done = updates[-1]
    assert "Explained **10** frames (5.0 per second of video)" in done.video_status
    run = done.video_run
    assert run.frame_index == tuple(range(0, 30, 3)) and run.time_s == pytest.approx([i / 5 for i in range(10)])
    frames = list(VideoReader(clip).frames(5))
    expected = explainer.explain_batch([Image.fromarray(f.image) for f in frames])
    # The timeline: every frame's top-1 (most frames first), then the highest peaks; 5 classes.
    table = done.video_timeline.value
    rows = table["data"]
    probabilities = np.stack([e.probabilities for e in expected])  # (10, 1000)
    top1 = [int(k) for k in probabilities.argmax(1)]
    winners = sorted(set(top1), key=lambda k: (-top1.count(k), -probabilities[:, k].max()))
    others = [int(k) for k in np.argsort(-probabilities.max(0), kind="stable") if k not in winners]
    shown = (winners + others)[:5]
    names = [explainer.weights.categories[k] for k in shown]
    assert list(dict.fromkeys(r[2] for r in rows)) == names
    assert {e.top5[0].name for e in expected} <= set(names)  # every frame's top-1 is on the timeline
    for k, name in zip(shown, names, strict=True):
        series = [r[1] for r in rows if r[2] == name]
        np.testing.assert_allclose(series, probabilities[:, k], atol=1e-5)
    assert all(name in done.video_legend for name in names)
    # The overlay video: H.264, one picture per explained frame.
    with av.open(done.video_cam) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert len(list(container.decode(video=0))) == 10
    # Any frame opens in full: decoded again, explained on its own.
    assert done.video_frame_labels == pytest.approx(expected[0].label_confidences, abs=1e-5)
    opened = tab.open_frame(run, 7, "en")
    assert opened.video_frame_labels == pytest.approx(expected[7].label_confidences, abs=1e-5)
    assert "Frame 8 of 10" in opened.video_frame_info and "frame 21 of the clip, at 1.40 s" in opened.video_frame_info
    frozen = tab.analyse_frame(run, 7, "en")
    np.testing.assert_array_equal(np.asarray(Image.open(frozen.image)), frames[7].image)


def test_your_classes_explain_a_clip(tab, clip, explainer, photos):
    examples = {  # each photo and its mirror, as the Teach tab keeps them
        name: pooled_features(explainer, [Image.open(photo).convert("RGB")], mirrored=True)
        for name, photo in (("cats", photos[0]), ("cups", photos[1]))
    }
    head = teach_features(examples, backbone_sha256(explainer.model)).head
    with pytest.raises(gr.Error, match="Train a head first"):
        list(tab.explain_video(str(clip), 2, None, True, "en", progress=no_progress))
    done = list(tab.explain_video(str(clip), 2, head, True, "en", progress=no_progress))[-1]
    assert {r[2] for r in done.video_timeline.value["data"]} == {"cats", "cups"}
    assert set(done.video_frame_labels) == {"cats", "cups"}
    assert set(tab.open_frame(done.video_run, 2, "en").video_frame_labels) == {"cats", "cups"}


def test_unusable_files_get_a_clear_message(tab, tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video")
    cases = [
        (None, "No clip yet"),
        (str(notes), "cannot be read as a video"),
        (str(write_audio_only(tmp_path / "song.m4a")), r"no video track \(only audio\)"),
        (str(write_clip(tmp_path / "long.mp4", seconds=61, fps=2, size=(64, 48))), "over the limit of 60 s"),
        (str(write_unknown_codec(tmp_path / "odd.avi")), "cannot be decoded"),
    ]
    for path, message in cases:
        with pytest.raises(gr.Error, match=message):
            list(tab.explain_video(path, 5, None, False, "en", progress=no_progress))
    with pytest.raises(gr.Error, match="没有视频轨道"):
        list(tab.explain_video(cases[2][0], 5, None, False, "zh-CN", progress=no_progress))


def test_a_page_explains_a_clip_while_the_server_keeps_serving_others(server, clip, tmp_path, explainer, photos):
    long_clip = write_clip(tmp_path / "long.mp4", seconds=8.0, fps=10, size=(320, 240))
    page, other = PageSession(server), PageSession(server)
    finished: dict[str, float] = {}
    try:
        broken = tmp_path / "broken.webm"
        broken.write_bytes(clip.read_bytes()[:500])
        with pytest.raises(EventFailed, match="cannot be read as a video"):
            page.trigger("video_button", "click", video_in=page.upload(broken))

        explaining = threading.Event()  # set when the first batch of the clip has been explained

        def explain_long_clip():
            upload = page.upload(long_clip)
            page.trigger("video_button", "click", on_update=explaining.set, video_in=upload, video_fps=10)
            finished["video"] = time.monotonic()

        worker = threading.Thread(target=explain_long_clip)
        worker.start()
        assert explaining.wait(timeout=300), "the clip's first batch never came"
        answer = Client(server, verbose=False).predict(handle_file(str(photos[0])), api_name="/predict")
        other.trigger("button", "click", image=other.upload(photos[1]))
        finished["others"] = time.monotonic()
        worker.join(timeout=300)
        assert finished["others"] < finished["video"], "the other visitors waited for the whole clip"
        assert answer["top5"][0]["index"] == explainer.explain(Image.open(photos[0]).convert("RGB")).top5[0].index
        assert "Explained **80** frames" in page.value("video_status")
        page.trigger("video_frame", "release", video_frame=79)
        assert "Frame 80 of 80" in page.value("video_frame_info")
    finally:
        page.close()
        other.close()


@pytest.mark.skipif(not render.has_cjk_font(), reason="Chinese captions need a CJK font")
def test_a_chinese_page_names_classes_in_chinese_on_the_timeline_and_the_overlay_video(tab, clip, explainer):
    from resnet.video.frames import ExplainedFrame, overlay_frame
    from ui.locales import imagenet_names
    from ui.text import legend_words

    chinese = list(tab.explain_video(str(clip), 5, None, False, "zh-CN", progress=no_progress))[-1]
    zh = imagenet_names("zh-CN")
    timeline = {row[2] for row in chinese.video_timeline.value["data"]}
    assert timeline and timeline <= set(zh)  # the timeline's classes, named in Chinese
    with av.open(chinese.video_cam) as container:
        shown = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)  # (H, W, 3)
    first = next(iter(VideoReader(clip).frames(5)))
    explanation = explainer.explain(Image.fromarray(first.image))
    item, words = ExplainedFrame(first, explanation, explanation.cam), legend_words("zh-CN")
    height, width = shown.shape[:2]
    drawn = {
        language: np.asarray(overlay_frame(item, words, names=names))[:height, :width].astype(int)
        for language, names in (("zh", zh), ("en", None))
    }
    caption = slice(height - 20, height)  # the caption's line under the colour bar
    distance = {k: np.abs(shown[caption] - v[caption]).mean() for k, v in drawn.items()}
    assert distance["zh"] < distance["en"] / 2, distance  # the frame's caption names the class in Chinese

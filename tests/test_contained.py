"""FFmpeg in worker processes: the same frames as in-process decoding, and a decoder that crashes
or hangs ends its clip with a message while the server goes on."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from clips import write_clip
from gradio_client import Client, handle_file
from page_session import EventFailed, PageSession
from PIL import Image

import resnet.video.workers as contained
from resnet.video.decoding import VideoError, VideoReader
from resnet.video.workers import ContainedReader, ContainedWriter


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("contained") / "clip.mp4", seconds=2.0, fps=10, size=(160, 120))


@pytest.fixture
def fault(monkeypatch):
    """Set the reading worker's fault for one test ("segv:N", "stall:N")."""
    return lambda value: monkeypatch.setattr(contained, "TEST_FAULT", value)


def workers(within_s: float = 3.0) -> int:
    """Worker processes still alive after ``within_s`` seconds (they are reaped, or killed after
    1 s, off the clip's path), besides the spares started ahead for the next clip."""
    deadline = time.monotonic() + within_s
    while True:
        found = subprocess.run(["pgrep", "-f", "resnet.video.workers"], capture_output=True, text=True)
        spare = {str(process.pid) for process, *_ in contained._spares}
        alive = len(set(found.stdout.split()) - spare)
        if alive == 0 or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def test_the_server_process_never_loads_pyav():
    """Clips are decoded in workers: the app's own modules import no PyAV (0.1 s of every start).
    (torchvision before 0.24 imports it itself, where it is installed.)"""
    code = (
        "import sys, torchvision, gradio; libraries = 'av' in sys.modules; import app; "
        "print(libraries, 'av' in sys.modules, 'resnet.video.workers' in sys.modules)"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    libraries, with_app, workers_module = done.stdout.split()
    assert with_app == libraries and workers_module == "True"  # the workers' module is there, no PyAV of its own


def test_a_worker_decodes_and_encodes_what_the_server_would(clip, tmp_path):
    reader, here = ContainedReader(clip), VideoReader(clip)
    assert reader.info == here.info and reader.expected_frames(5) == here.expected_frames(5)
    frames, expected = list(reader.frames(5)), list(here.frames(5))
    assert [(f.index, f.pts, f.time_s) for f in frames] == [(f.index, f.pts, f.time_s) for f in expected]
    assert all(np.array_equal(f.image, e.image) for f, e in zip(frames, expected, strict=True))
    assert np.array_equal(reader.frame_at(frames[3].pts, frames[3].index), expected[3].image)
    out = tmp_path / "out.mp4"
    with ContainedWriter(out, 5) as writer:
        for frame in frames:
            writer.write(Image.fromarray(frame.image))
    assert writer.frames == len(frames)
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) == len(frames)
    assert workers() == 0  # every worker has left


@pytest.mark.slow
def test_a_crashed_or_hung_decoder_ends_its_clip_and_the_next_one_works(clip, fault):
    fault("segv:2")
    with pytest.raises(VideoError, match=r"stopped working on this clip \(signal SIGSEGV\)") as crashed:
        list(ContainedReader(clip).frames(5))
    assert crashed.value.code == "crashed"
    fault("stall:2")
    start = time.monotonic()
    with pytest.raises(VideoError, match="made no progress for 2 s") as stalled:
        list(ContainedReader(clip, stall_s=2).frames(5))
    assert stalled.value.code == "stalled" and time.monotonic() - start < 15
    assert workers() == 0  # the hung worker was killed
    fault(None)
    assert len(list(ContainedReader(clip).frames(5))) == 10


def test_the_page_says_so_and_the_server_keeps_serving(server, clip, fault, photos, explainer):
    page = PageSession(server)
    try:
        fault("segv:3")
        with pytest.raises(EventFailed, match="stopped working on this clip"):
            page.trigger("video_button", "click", video_in=page.upload(clip), video_fps=5)
        chinese = PageSession(server, language="zh-CN")
        with pytest.raises(EventFailed, match="视频解码器在处理这段视频时停止了工作"):
            chinese.trigger("video_button", "click", video_in=chinese.upload(clip), video_fps=5)
        chinese.close()
        answer = Client(server, verbose=False).predict(handle_file(str(photos[0])), api_name="/predict")
        assert answer["top5"][0]["index"] == explainer.explain(Image.open(photos[0]).convert("RGB")).top5[0].index
        fault(None)  # the video slot is free again: the next clip is explained
        page.trigger("video_button", "click", video_in=page.upload(clip), video_fps=5)
        assert "Explained **10** frames" in page.value("video_status")
    finally:
        page.close()

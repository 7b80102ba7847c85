"""The app as it runs on a ZeroGPU Space: weights packed and offloaded at launch, every event driven.

``zerogpu_space.py`` starts ``app.py`` under the real ``spaces`` package in ZeroGPU mode, with
the GPU worker emulated (see there). A visitor then uses every part of the page, with real
files, and calls both API endpoints. A handler that touches a model tensor outside a
``spaces.GPU`` call fails with "Cannot apply function ... on disk-offloaded Tensor"; here every
event must either answer or give a visitor's message, the server log must hold no such error,
and every handler the page wraps in ``spaces.GPU`` must have run.
"""

from __future__ import annotations

import collections
import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from clips import write_clip
from gradio_client import Client, handle_file
from helpers import free_port
from page_session import EventFailed, PageSession
from PIL import Image
from test_zerogpu import WRAPPED

from resnet import load_image

pytestmark = pytest.mark.slow  # a real server, browser or app process

SPACE = Path(__file__).resolve().parent / "zerogpu_space.py"
ROOT = SPACE.parent.parent
NOT_A_VISITORS_MESSAGE = ("disk-offloaded", "CUDA", "Traceback", "Error:", "object has no attribute")


@pytest.fixture(scope="module")
def space(checkpoint, tmp_path_factory):
    folder = tmp_path_factory.mktemp("zerogpu")
    offload, port = folder / "offload", free_port()
    log = open(folder / "server.log", "w")  # noqa: SIM115 (open for the server's lifetime)
    env = {**os.environ, "RESNET_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    process = subprocess.Popen(
        [sys.executable, str(SPACE), str(offload), "--weights", str(checkpoint), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while not (Path(f"{offload}.packed").exists() and _answers(url)):
        assert process.poll() is None, (folder / "server.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "the Space did not start"
        time.sleep(0.5)
    yield url, offload, folder / "server.log"
    process.terminate()
    process.wait(timeout=30)
    log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


class Visitor:
    """One page; every event it fires is recorded as answered or as the message it got."""

    def __init__(self, url: str, language: str = "en"):
        self.page = PageSession(url, language=language)
        self.outcomes: dict[str, str] = {}

    def fire(self, name: str, event: str, **values) -> list | None:
        try:
            outputs = self.page.trigger(name, event, **values)
        except EventFailed as failed:
            self.outcomes[f"{name}.{event}"] = str(failed)
            return None
        self.outcomes[f"{name}.{event}"] = "answered"
        return outputs


def webcam_frame(url: str, offload: Path, photo: Path, yours: bool = False) -> None:
    """One webcam frame through the live stream (a stream never completes: the page is closed
    once the frame has been explained)."""
    calls = Path(f"{offload}.calls")
    before = calls.read_text().split().count("live")
    page = PageSession(url)
    frame = page.upload(photo)

    def stream() -> None:
        with contextlib.suppress(EventFailed, httpx.HTTPError, RuntimeError):  # closed under it
            page.trigger("live_cam", "stream", live_cam=frame, live_yours=yours)

    threading.Thread(target=stream, daemon=True).start()
    deadline = time.monotonic() + 120
    while calls.read_text().split().count("live") == before and time.monotonic() < deadline:
        time.sleep(0.2)
    page.close()
    assert calls.read_text().split().count("live") > before, "the webcam frame was never explained"


def test_the_space_packs_the_weights_and_serves_the_api(space, explainer, photos):
    url, offload, _ = space
    assert int(Path(f"{offload}.packed").read_text()) == 320  # ResNet50's parameters and buffers
    client = Client(url, verbose=False)
    want = explainer.explain(load_image(photos[2]))
    labels, heatmap, sheet = client.predict(handle_file(str(photos[2])), api_name="/explain")
    assert labels["label"] == want.top5[0].name and Image.open(heatmap).size[0] == 224 and sheet.endswith(".png")
    answer = client.predict(handle_file(str(photos[2])), api_name="/predict")
    assert answer["top5"][0]["index"] == want.top5[0].index
    np.testing.assert_allclose(answer["gradcam_7x7"], want.cam_grid, atol=1e-4)


def test_every_event_runs_without_touching_an_offloaded_tensor(space, photos, tmp_path):
    url, offload, log = space
    clip = write_clip(tmp_path / "clip.mp4", seconds=1.0, fps=4, size=(160, 120))
    visitor = Visitor(url)
    page, fire = visitor.page, visitor.fire
    calls = Path(f"{offload}.calls")
    before = len(calls.read_text().split()) if calls.exists() else 0
    fire("button", "click", image=page.upload(photos[0]))  # analysis, panels, diagnosis, lessons, what-if canvas
    assert calls.read_text().split()[before:] == ["first_answer"]  # one GPU call per photo (Learn tab closed)
    fire("image", "change")
    fire("explain_yours", "input", explain_yours=False)
    fire("top5", "input")
    fire("any_class", "input", any_class=281)
    fire("contrast", "input", contrast=285)
    fire("contrast", "input", contrast=None)
    fire("method", "input", method="Grad-CAM++")
    fire("method", "input", method="Grad-CAM")
    fire("cmap", "input", cmap="viridis")
    fire("alpha", "release", alpha=0.6)
    fire("faith_button", "click")
    fire("channels", "release", channels=8)
    fire("scale", "input")
    fire("block", "input")
    fire("whatif_button", "click")
    fire("occlusion_button", "click")
    fire("stages_button", "click")
    fire("layercam_button", "click")  # then the stage panel and the diagnosis of the new map
    for button in ("sanity_button", "curves_button", "agreement_button", "negative_button"):
        fire(button, "click")
    fire("rank_source", "change", rank_source="uploads", rank_files=[page.upload(photos[4])])
    fire("rank_button", "click")
    fire("learn_tab", "select")
    fire("lab_tab", "select")
    fire("kernel_pick", "release", kernel_pick=3)
    fire("kernel_preset", "input")
    fire("kernel_numbers", "change")
    fire("lesson_block_choice", "input", lesson_block_choice="layer4.0")
    fire("lesson_channel", "release", lesson_channel=7)
    fire("lesion_button", "click")
    fire("flow_button", "click")
    fire("channel_button", "click", channel_layer="layer2.0", channel_index=3)
    fire("behind_button", "click")
    fire("gallery", "select", event_data={"index": 2, "value": None, "selected": True})  # a stage's grid: its channel
    Client(url, verbose=False).predict("layer1", 5, api_name="/channel")
    fire("video_button", "click", video_in=page.upload(clip), video_fps=4)
    fire("video_frame", "release", video_frame=2)
    fire("video_analyse", "click")
    webcam_frame(url, offload, photos[1])
    fire("live_freeze", "click")
    fire("teach_tab", "select")
    fire("teach_examples", "click")
    fire("teach_add", "click", teach_class="mugs", teach_photos=[page.upload(photos[3]), page.upload(photos[4])])
    fire("teach_add_snapshot", "click", teach_class="mugs", teach_snapshot=page.upload(photos[5]))
    trained = fire("teach_button", "click")
    download = next((v for v in trained or [] if isinstance(v, dict) and "safetensors" in str(v.get("path"))), None)
    fire("teach_try_button", "click", teach_try=page.upload(photos[1]))
    if download is not None:
        fire("teach_upload", "upload", teach_upload=download)
    webcam_frame(url, offload, photos[2], yours=True)  # the visitor's own classes
    fire("video_button", "click", video_in=page.upload(clip), video_fps=4, video_yours=True)
    fire("teach_clear", "click")
    for group in ("group_inside", "group_test", "group_motion", "group_learn_teach"):
        fire(group, "select")
    chinese = Visitor(url, language="zh-CN")
    chinese.fire("button", "click", image=chinese.page.upload(photos[2]))
    chinese.fire("relabel-on-language-change", "click")
    page.close()
    chinese.page.close()

    outcomes = {**visitor.outcomes, **{f"zh-CN {k}": v for k, v in chinese.outcomes.items()}}
    wrong = {event: said for event, said in outcomes.items() if any(s in said for s in NOT_A_VISITORS_MESSAGE)}
    assert not wrong, wrong
    assert sum(said == "answered" for said in outcomes.values()) >= len(outcomes) - 3, outcomes
    server = log.read_text()
    assert "disk-offloaded" not in server and "Low-level CUDA init" not in server, server[-5000:]
    ran = collections.Counter(calls.read_text().split())
    assert set(ran) >= WRAPPED, f"never ran on the GPU: {WRAPPED - set(ran)}"

"""The real Gradio server on a free loopback port, called with gradio_client."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import gradio.blocks
import gradio.routes
import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from resnet import Explainer, load_image, load_weights
from resnet.present import render
from ui.notice import notice_page
from ui.page import build_demo, launch
from ui.panel_texts import weights_banner

from conftest import ROOT

pytestmark = pytest.mark.slow  # a real server, browser or app process


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def test_explain_endpoint_returns_labels_heatmap_and_stages(client, explainer, photos):
    expected = explainer.explain(load_image(photos[2]))
    labels, heatmap, sheet = client.predict(handle_file(str(photos[2])), api_name="/explain")
    assert labels["label"] == expected.top5[0].name
    assert [c["label"] for c in labels["confidences"]] == [p.name for p in expected.top5]
    for got, want in zip(labels["confidences"], expected.top5, strict=True):
        assert got["confidence"] == pytest.approx(want.probability, abs=1e-5)
    picture = Image.open(heatmap)
    assert picture.format == "PNG" and picture.size == (224, 224 + render.LEGEND_HEIGHT)
    # One PNG of the five stages' feature maps, left to right, as the page's Features tab draws them.
    sheet = Image.open(sheet)
    assert sheet.format == "PNG" and sheet.mode == "P"
    grids = [grid for grid, _ in render.feature_grids(expected.stages, min_tile=56)]
    left = 0
    for grid in grids:
        part = sheet.crop((left, 0, left + grid.width, grid.height))
        assert np.array_equal(np.asarray(part.convert("RGB")), np.asarray(grid.convert("RGB")))
        left += grid.width + 8
    assert sheet.size == (left - 8, max(g.height for g in grids))


def test_different_images_get_different_answers(client, photos):
    tops = {client.predict(handle_file(str(p)), api_name="/explain")[0]["label"] for p in photos[:4]}
    assert len(tops) >= 3


def test_bad_file_gets_a_clear_error_and_the_server_keeps_serving(client, tmp_path, photos):
    fake = tmp_path / "holiday.jpg"
    fake.write_text("<html>not a photo</html>")
    with pytest.raises(AppError, match="not an image that can be read"):
        client.predict(handle_file(str(fake)), api_name="/explain")
    labels, _, _ = client.predict(handle_file(str(photos[0])), api_name="/explain")
    assert len(labels["confidences"]) == 5


def test_only_explain_predict_and_channel_are_public_endpoints(client):
    endpoints = list(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert endpoints == ["/explain", "/predict", "/channel"]


def test_predict_answers_with_numbers_only(client, explainer, weights, photos):
    expected = explainer.explain(load_image(photos[3]))
    answer = client.predict(handle_file(str(photos[3])), api_name="/predict")
    assert isinstance(answer, dict) and answer["weights"] == weights.describe()
    assert [p["index"] for p in answer["top5"]] == [p.index for p in expected.top5]
    for got, want in zip(answer["top5"], expected.top5, strict=True):
        assert got["probability"] == pytest.approx(want.probability, abs=1e-6)
    assert answer["explained_class"] == {"index": expected.cam_class, "name": expected.top5[0].name}
    grid = torch.tensor(answer["gradcam_7x7"], dtype=torch.float32)  # (7, 7)
    assert grid.shape == (7, 7) and float(grid.min()) == 0 and float(grid.max()) == pytest.approx(1, abs=1e-5)
    # Upsampled and scaled as Grad-CAM does, the grid is the heatmap of /explain.
    up = torch.nn.functional.interpolate(grid[None, None], size=(224, 224), mode="bilinear", align_corners=False)[0, 0]
    up = (up - up.min()) / (up.max() - up.min() + 1e-7)
    np.testing.assert_allclose(up.numpy(), expected.cam, atol=1e-4)


def test_page_names_the_weights(server, weights):
    config = json.dumps(get_json(f"{server}/config"), ensure_ascii=False)
    assert weights.describe() in config
    assert "Warning" not in config


def test_the_server_sends_no_telemetry(served):
    """Visitors are often students: the app reports nothing to Gradio's analytics (nor checks for
    Gradio updates) while it starts or serves."""
    demo, url = served
    assert demo.analytics_enabled is False
    assert get_json(f"{url}/config")["analytics_enabled"] is False


def test_untrained_weights_get_a_prominent_warning():
    banner = weights_banner(Explainer(load_weights("random", device="cpu")))
    assert "⚠️ Warning:" in banner and "meaningless" in banner and "UNTRAINED" in banner


def test_a_failed_download_is_shown_as_text(monkeypatch, tmp_path):
    """The network made to fail: every request goes to a closed port on loopback."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv("RESNET_OFFLINE")
    for proxy in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    for bypass in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(bypass, raising=False)
    monkeypatch.setattr(urllib.request, "_opener", None)  # urlopen keeps the proxies it first saw: put it back after
    weights = load_weights("IMAGENET1K_V2", device="cpu", fallback=True)
    assert not weights.trained and "download failed: URLError: <urlopen error" in weights.warning
    banner = weights_banner(Explainer(weights))
    assert "&lt;urlopen error" in banner and "<urlopen" not in banner


def test_app_and_cli_share_their_model_flags():
    """--weights, --device and --precision mean the same in both programs (one definition)."""

    def flag_help(*command: str) -> dict[str, str]:
        text = subprocess.run([sys.executable, *command, "--help"], cwd=ROOT, capture_output=True, text=True).stdout
        text = " ".join(text.split())  # argparse wraps help to the terminal width
        text = text[text.index("options:") :]  # the descriptions, not the usage line
        return {flag: text[text.index(flag) :].split(" --", 1)[0] for flag in ("--weights", "--device", "--precision")}

    app_flags, cli_flags = flag_help("app.py"), flag_help("-m", "resnet", "explain")
    assert app_flags == cli_flags
    assert "IMAGENET1K_V2 (default, or $RESNET_WEIGHTS)" in app_flags["--weights"]
    assert "fp32, fp16, bf16" in app_flags["--precision"]


def listening_addresses(port: int) -> set[str]:
    """Addresses with a TCP socket listening on ``port``, read from /proc/net/tcp (IPv4)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_app_starts_offline_without_weights_and_says_so(tmp_path, free_port):
    """Started as a Space starts it: port from $GRADIO_SERVER_PORT, no --host, --mcp on."""
    env = {**os.environ, "TORCH_HOME": str(tmp_path), "RESNET_OFFLINE": "1", "GRADIO_SERVER_PORT": str(free_port)}
    env.pop("GRADIO_SERVER_NAME", None)
    process = subprocess.Popen(
        [sys.executable, "app.py", "--device", "cpu", "--mcp"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{free_port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                config = json.dumps(get_json(f"{url}/config"), ensure_ascii=False)
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "app did not start"
                time.sleep(0.5)
        assert "⚠️ Warning:" in config and "RANDOM" in config and "--weights PATH" in config
        assert "random weights (seed 0) · UNTRAINED" in config
        assert listening_addresses(free_port) == {"127.0.0.1"}  # loopback unless told otherwise
        tools = get_json(f"{url}/gradio_api/mcp/schema")
        assert [tool["name"] for tool in tools] == ["explain", "predict", "channel"]
        labels, _, _ = Client(url, verbose=False).predict(
            handle_file(str(ROOT / "assets" / "coffee.jpg")), api_name="/explain"
        )
        assert len(labels["confidences"]) == 5
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "could not be loaded" in output  # the warning is in the log too


def test_mcp_tool_is_described_by_the_explain_docstring(explainer, free_port, monkeypatch):
    made = []  # Gradio's web apps made on the way to serving: only launch's serves, so only it is made
    create_app = gradio.routes.App.create_app
    monkeypatch.setattr(gradio.routes.App, "create_app", lambda *a, **k: made.append(1) or create_app(*a, **k))
    configs = []  # the page's config, likewise: none before launch
    get_config = gradio.blocks.Blocks.get_config_file
    monkeypatch.setattr(gradio.blocks.Blocks, "get_config_file", lambda b: configs.append(1) or get_config(b))
    demo = build_demo(explainer)
    assert configs == []
    launch(demo, "127.0.0.1", free_port, prevent_thread_lock=True, quiet=True, mcp_server=True)
    try:
        tools = get_json(f"http://127.0.0.1:{free_port}/gradio_api/mcp/schema")
    finally:
        demo.close()
    assert len(made) == 1 and demo.app is demo.server_app
    assert [tool["name"] for tool in tools] == ["explain", "predict", "channel"]
    assert "top-5" in tools[0]["description"] and "image_path" in tools[0]["inputSchema"]["properties"]


def test_a_notice_page_is_served_while_weights_download(free_port, caplog):
    url = f"http://127.0.0.1:{free_port}"
    caplog.set_level("INFO", logger="app")
    with notice_page("127.0.0.1", free_port, "Downloading the IMAGENET1K_V2 weights"):
        assert f"Starting: {url} says so" in caplog.text  # the address, as soon as it listens
        config = json.dumps(get_json(f"{url}/config"), ensure_ascii=False)
        assert "Downloading the IMAGENET1K_V2 weights" in config
        assert "window.location.reload()" in config
        assert "# ResNet50 Explainer is starting · ResNet50 解释器正在启动" in config  # one heading
    assert f"the app takes over {url}" in caplog.text
    import socket

    with socket.socket() as sock:  # the port is free again for the real app
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", free_port))


def test_only_uncached_pretrained_weights_are_downloaded(monkeypatch, tmp_path, checkpoint):
    from resnet.core.weights import pending_download

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv("RESNET_OFFLINE")
    assert pending_download("IMAGENET1K_V1").name == "IMAGENET1K_V1"
    assert pending_download(str(checkpoint)) is None and pending_download("random") is None
    monkeypatch.setenv("RESNET_OFFLINE", "1")
    assert pending_download("IMAGENET1K_V1") is None


def test_server_messages_follow_the_browser_language(server, tmp_path):
    fake = tmp_path / "notes.jpg"
    fake.write_text("not a picture")
    chinese = Client(server, verbose=False, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    with pytest.raises(AppError, match="这个文件不是可读取的图片"):
        chinese.predict(handle_file(str(fake)), api_name="/explain")
    english = Client(server, verbose=False, headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    with pytest.raises(AppError, match="This file is not an image that can be read"):
        english.predict(handle_file(str(fake)), api_name="/explain")


def test_every_server_text_exists_in_both_languages():
    from resnet.core.preprocess import IMAGE_ERRORS
    from ui.text import EN, SERVER, ZH

    assert set(EN) == set(ZH)
    assert set(SERVER["en"]) == set(SERVER["zh-CN"]) >= set(IMAGE_ERRORS)

    def placeholders(template: str) -> list[str]:
        return sorted(re.findall(r"{(\w+)", template))

    for key, english in SERVER["en"].items():  # same placeholders, so every message can be filled
        assert placeholders(english) == placeholders(SERVER["zh-CN"][key]), key

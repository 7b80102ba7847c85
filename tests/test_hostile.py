"""Reliability and security: hostile files, many users, long runs, file access, checkpoints."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from helpers import free_port as pick_free_port
from helpers import memory_mb
from packaging.version import Version
from PIL import Image

from resnet import load_image, load_weights
from resnet.video.frames import MAX_BYTES
from ui.files import SCRATCH_DIR, ScratchFiles
from ui.page import build_demo, launch
from ui.tabs.live import LiveTab

from conftest import ROOT
from corpus import build_corpus

pytestmark = pytest.mark.slow  # a real server, browser or app process

ANSWER_TIMEOUT_S = 60  # a hang fails the test; the answers themselves take well under a second


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, photos):
    return build_corpus(tmp_path_factory.mktemp("corpus"), photos[2])


def top1(labels: dict) -> str:
    return labels["label"]


def test_corpus_is_big_and_varied(corpus):
    assert len(corpus) >= 30
    assert {c.expect for c in corpus} == {"ok", "error"}


def test_every_corpus_file_through_http(client, explainer, corpus, photos):
    answers, problems = {}, []
    for case in corpus:
        job = client.submit(handle_file(str(case.path)), api_name="/explain")
        try:
            labels, heatmap, sheet = job.result(timeout=ANSWER_TIMEOUT_S)
        except Exception as err:  # AppError carries our message
            if case.expect != "error" or not re.search(case.message, str(err)):
                problems.append(f"{case.name}: unexpected error {err!r}")
            continue
        if case.expect == "error":
            problems.append(f"{case.name}: expected an error matching {case.message!r}, got {top1(labels)!r}")
            continue
        answers[case.name] = labels
        expected = explainer.explain(load_image(case.path)).top5[0].name
        if top1(labels) != expected or Image.open(sheet).format != "PNG" or Image.open(heatmap).format != "PNG":
            problems.append(f"{case.name}: answer differs from the engine's ({top1(labels)} vs {expected})")
    for case in corpus:
        if case.same_as and case.name in answers and top1(answers[case.name]) != top1(answers[case.same_as]):
            problems.append(f"{case.name}: model saw another picture than {case.same_as}")
    assert problems == []
    # After the whole corpus the server still answers a normal request correctly.
    labels, _, _ = client.predict(handle_file(str(photos[0])), api_name="/explain")
    assert labels == app_labels(explainer, photos[0], labels)


def app_labels(explainer, photo, got: dict) -> dict:
    """The engine's answer for ``photo`` in gradio_client's Label format (confidences rounded as got)."""
    expected = explainer.explain(load_image(photo))
    assert [c["label"] for c in got["confidences"]] == [p.name for p in expected.top5]
    for c, p in zip(got["confidences"], expected.top5, strict=True):
        assert c["confidence"] == pytest.approx(p.probability, abs=1e-5)
    return got


def test_every_corpus_file_through_the_cli(tmp_path, checkpoint, corpus):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "resnet",
            "explain",
            *[str(c.path) for c in corpus],
            "--weights",
            str(checkpoint),
            "--out",
            str(tmp_path),
            "--json",
            "--device",
            "cpu",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1  # some failed, the others ran
    records = {r["image"]: r for r in json.loads(done.stdout)}
    by_name = {c.name: records[str(c.path)] for c in corpus}
    for case in corpus:
        record = by_name[case.name]
        if case.expect == "error":
            assert re.search(case.message, record.get("error", "")), case.name
            assert f"{case.path}: " in done.stderr
        else:
            assert "error" not in record, (case.name, record.get("error"))
            if case.same_as:
                assert record["top5"][0]["index"] == by_name[case.same_as]["top5"][0]["index"], case.name


def test_oversize_upload_is_refused_by_the_server(client, tmp_path, photos):
    big = tmp_path / "huge.jpg"
    big.write_bytes(photos[0].read_bytes() + b"\0" * (MAX_BYTES + 1024 * 1024))  # the server's limit: clips
    with pytest.raises(Exception, match="(?i)file size|too large|exceeds"):
        client.predict(handle_file(str(big)), api_name="/explain")
    labels, _, _ = client.predict(handle_file(str(photos[0])), api_name="/explain")
    assert len(labels["confidences"]) == 5


# -- many users at once ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def user_images(tmp_path_factory, photos):
    """16 different images, one per simulated user (photos and their mirror images)."""
    folder = tmp_path_factory.mktemp("users")
    paths = []
    for i, photo in enumerate(photos):
        for variant, image in enumerate(
            [
                Image.open(photo),
                Image.open(photo).transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                Image.open(photo).rotate(90, expand=True),
            ]
        ):
            path = folder / f"user{i}_{variant}.png"
            image.convert("RGB").save(path)
            paths.append(path)
    return paths[:16]


def test_sixteen_concurrent_users_each_get_their_own_answer(server, user_images):
    solo_client = Client(server, verbose=False)
    solo = {}
    for path in user_images:
        labels, heatmap, _ = solo_client.predict(handle_file(str(path)), api_name="/explain")
        solo[path] = (labels, np.asarray(Image.open(heatmap)))
    assert len({top1(labels) for labels, _ in solo.values()}) >= 6  # the users' images really differ

    def user(path):
        client = Client(server, verbose=False)
        answers = [client.predict(handle_file(str(path)), api_name="/explain") for _ in range(3)]
        return path, answers

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(user, user_images))
    assert len(results) == 16
    for path, answers in results:
        want_labels, want_heatmap = solo[path]
        for labels, heatmap, sheet in answers:
            assert top1(labels) == top1(want_labels)
            for got, want in zip(labels["confidences"], want_labels["confidences"], strict=True):
                assert got["label"] == want["label"] and got["confidence"] == pytest.approx(
                    want["confidence"], abs=1e-5
                )
            assert np.abs(np.asarray(Image.open(heatmap), int) - want_heatmap).max() <= 2
            assert Image.open(sheet).format == "PNG"


def test_full_queue_says_busy_instead_of_hanging(explainer, photos):
    demo = build_demo(explainer)
    port = pick_free_port()
    launch(demo, "127.0.0.1", port, queue_size=1, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}", verbose=False)
        jobs = [client.submit(handle_file(str(photos[i % 6])), api_name="/explain") for i in range(12)]
        outcomes = []
        for job in jobs:
            try:
                job.result(timeout=ANSWER_TIMEOUT_S)
                outcomes.append("answered")
            except Exception as err:
                outcomes.append(str(err))
        busy = [o for o in outcomes if o != "answered"]
        assert "answered" in outcomes and busy
        assert all(re.search("(?i)queue is full|try again", o) for o in busy), busy
    finally:
        demo.close()


def test_live_stream_and_clicks_do_not_interfere(client, explainer, photos):
    live = LiveTab(explainer, ScratchFiles())
    frame = np.asarray(load_image(photos[4]))
    want_live = explainer.explain(load_image(photos[4])).label_confidences
    live_results, errors = [], []

    def stream():
        last = None
        for _ in range(15):
            answer = live.live(frame, last, None, False, 0.0, False, "en")
            last = answer.live_last
            live_results.append(answer.live_labels)

    thread = threading.Thread(target=stream)
    thread.start()
    try:
        for photo in photos[:3]:
            labels, _, _ = client.predict(handle_file(str(photo)), api_name="/explain")
            if top1(labels) != explainer.explain(load_image(photo)).top5[0].name:
                errors.append(photo.name)
    finally:
        thread.join()
    assert errors == []
    assert len(live_results) == 15 and all(r.keys() == want_live.keys() for r in live_results)
    for result in live_results:
        np.testing.assert_allclose(list(result.values()), list(want_live.values()), atol=1e-5)


# -- long runs ---------------------------------------------------------------------------------


def test_many_requests_in_a_row_do_not_grow_memory_or_leave_hooks(client, explainer, photos):
    """40 requests here (bench/soak.py runs 500 and reports the figures)."""
    samples = []
    for i in range(40):
        client.predict(handle_file(str(photos[i % len(photos)])), api_name="/explain")
        if i in (9, 39):
            samples.append(memory_mb())
    assert samples[1] - samples[0] < 100, f"resident memory grew from {samples[0]:.0f} to {samples[1]:.0f} MB"
    for module in explainer.model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks and not module._backward_hooks


def test_scratch_files_are_pruned(tmp_path):
    files = ScratchFiles(tmp_path, max_age_s=0, prune_every_s=0)
    first = files.png(Image.new("RGB", (4, 4)))
    files.json({"a": 1})
    assert not (tmp_path / first.split("/")[-1]).exists()  # pruned when the next file was written
    assert len(list(tmp_path.iterdir())) == 1


def test_served_files_are_deleted_on_gradios_schedule(explainer, photos):
    """With a 1 s schedule and age, the files a request was served are gone a few seconds later."""
    demo = build_demo(explainer, cache=(1, 1))
    port = pick_free_port()
    launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}", verbose=False, download_files=False)
        _, heatmap, sheet = client.predict(handle_file(str(photos[0])), api_name="/explain")
        served = [heatmap["path"], sheet["path"]]
        assert all(Path(p).exists() for p in served)
        deadline = time.monotonic() + 30
        while any(Path(p).exists() for p in served) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not any(Path(p).exists() for p in served)
    finally:
        demo.close()


# -- nothing else is exposed -------------------------------------------------------------------


def fetch_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_file_routes_refuse_everything_but_assets_and_results(server, tmp_path, client, photos):
    import tempfile

    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    cache = ROOT.parent / "not-served"  # outside the app folder and the caches
    link_dir = Path(tempfile.gettempdir()) / "gradio" / f"link-test-{pick_free_port()}"
    link_dir.mkdir(parents=True, exist_ok=True)
    (link_dir / "passwd.png").unlink(missing_ok=True)
    (link_dir / "passwd.png").symlink_to("/etc/passwd")
    refused = [
        "/etc/passwd",
        "../../../../etc/passwd",
        "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "%2Fetc%2Fpasswd",
        "//etc/passwd",
        str(secret),
        str(ROOT / "app.py"),
        "app.py",
        str(ROOT / "assets" / ".." / "app.py"),
        str(ROOT / "assets" / "..%2Fapp.py"),
        str(ROOT / "requirements.txt"),
        str(cache),
        str(link_dir / "passwd.png"),
        str(SCRATCH_DIR),
    ]
    try:
        for path in refused:
            assert fetch_status(f"{server}/gradio_api/file={path}") in (400, 403, 404), path
    finally:
        (link_dir / "passwd.png").unlink()
        link_dir.rmdir()
    assert fetch_status(f"{server}/gradio_api/file={ROOT / 'assets' / 'chelsea.jpg'}") == 200
    _, heatmap, _ = client.predict(handle_file(str(photos[0])), api_name="/explain")
    assert heatmap  # results are served (the client just downloaded one)


def test_gradio_is_past_its_path_traversal_fixes():
    assert Version(gr.__version__) >= Version("6.16")  # path-traversal and SSRF fixes


def test_tampered_checkpoint_is_not_passed_off_as_the_original(tmp_path, checkpoint, weights):
    data = bytearray(checkpoint.read_bytes())
    data[len(data) // 2] ^= 0x55  # one byte inside the tensor data
    tampered = tmp_path / "tampered.pth"
    tampered.write_bytes(bytes(data))
    try:
        loaded = load_weights(str(tampered), device="cpu")
    except ValueError as err:  # the zip's own checks caught it
        message = str(err)
    else:
        message = None
    if message is not None:
        assert "Could not read weights" in message
    else:
        assert loaded.sha256 != weights.sha256 and loaded.describe() != weights.describe()
        changed = [k for k, v in loaded.model.state_dict().items() if not torch.equal(v, weights.model.state_dict()[k])]
        assert changed  # the difference is real, and the new hash says so

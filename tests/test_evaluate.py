"""``python -m resnet evaluate``: CAM methods compared over a folder, on real image files."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from resnet import model_input
from resnet.cli.main import main
from resnet.evaluate.engine import box_mask, boxes_in_crop, energy, pointing_hit

ROOT = Path(__file__).resolve().parent.parent
SCORE_COLUMNS = ["deletion_auc", "insertion_auc", "road", "sanity_spearman", "pointing_hit", "energy"]


@pytest.fixture(scope="module")
def data(photos, tmp_path_factory):
    """Class folders named by an ImageNet index and by a name, a loose photo, a broken file, and
    boxes: two on one photo, one outside the crop of another."""
    root = tmp_path_factory.mktemp("evaluate-data")
    (root / "281").mkdir()
    (root / "tabby").mkdir()
    shutil.copy(photos[0], root / "281" / "a.jpg")
    shutil.copy(photos[1], root / "tabby" / "b.jpg")
    shutil.copy(photos[2], root / "c.jpg")
    (root / "281" / "broken.jpg").write_text("not an image")
    width, height = Image.open(photos[0]).size
    boxes = root.parent / "boxes.csv"
    boxes.write_text(
        "image,x0,y0,x1,y1\n"
        f"281/a.jpg,{width * 0.2},{height * 0.2},{width * 0.6},{height * 0.7}\n"
        f"281/a.jpg,{width * 0.7},0,{width},{height * 0.3}\n"
        "c.jpg,0,0,4,4\n"  # cut off by the centre crop
    )
    return root, boxes


def arguments(data, out: Path, checkpoint, *extra: str) -> list[str]:
    """``evaluate``'s arguments for the test folder: Grad-CAM (and the floor), four metrics, boxes."""
    root, boxes = data
    common = ["evaluate", str(root), "--out", str(out), "--weights", str(checkpoint), "--device", "cpu"]
    metrics = ["--metrics", "deletion,insertion,pointing,energy", "--boxes", str(boxes)]
    return [*common, "--methods", "Grad-CAM", *metrics, *extra]


def evaluate(data, out: Path, checkpoint, *extra: str) -> int:
    return main(arguments(data, out, checkpoint, *extra))


@pytest.fixture(scope="module")
def run(data, checkpoint, tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluate-out")
    assert evaluate(data, out, checkpoint) == 0
    return out


@pytest.mark.slow
def test_the_four_outputs_and_the_skipped_file(run):
    scores = pd.read_parquet(run / "scores.parquet")
    assert list(scores.columns[:10]) == ["image", "method", "class", *SCORE_COLUMNS, "seconds"]
    assert sorted(set(scores["image"])) == ["281/a.jpg", "c.jpg", "tabby/b.jpg"]
    assert sorted(set(scores["method"])) == ["Grad-CAM", "RandomCAM"] and len(scores) == 6  # RandomCAM: the floor
    assert scores[["road", "sanity_spearman"]].isna().all().all()  # not asked for
    by_image = scores.set_index(["image", "method"])
    assert not math.isnan(by_image.loc[("281/a.jpg", "Grad-CAM"), "energy"])
    assert math.isnan(by_image.loc[("c.jpg", "Grad-CAM"), "pointing_hit"])  # its box lies outside the crop
    assert math.isnan(by_image.loc[("tabby/b.jpg", "Grad-CAM"), "energy"])  # no box
    assert ((scores["deletion_auc"] >= 0) & (scores["deletion_auc"] <= 1)).all()
    skipped = pd.read_csv(run / "skipped.csv")
    assert list(skipped["image"]) == ["281/broken.jpg"] and "not an image" in skipped["reason"][0]
    summary = pd.read_csv(run / "summary.csv")
    assert list(summary.columns) == ["method", "metric", "mean", "ci_low", "ci_high", "n", "rank", "beats_random"]
    deletion = summary[summary["metric"] == "deletion"].set_index("method")
    assert deletion.loc["Grad-CAM", "n"] == 3 and deletion.loc["Grad-CAM", "ci_low"] <= deletion.loc["Grad-CAM", "mean"]
    assert summary[summary["metric"] == "energy"]["n"].tolist() == [1, 1]
    assert deletion.loc["Grad-CAM", "mean"] == pytest.approx(scores[scores.method == "Grad-CAM"]["deletion_auc"].mean())
    curves = np.load(run / "curves.npz")
    mean = np.mean(np.stack(scores[scores.method == "Grad-CAM"]["insertion_curve"].to_list()), axis=0)
    np.testing.assert_allclose(curves["insertion/Grad-CAM"], mean, rtol=1e-6)
    report = (run / "report.html").read_text()
    assert "data:image/png;base64," in report and "http://" not in report and "https://" not in report
    assert "281/broken.jpg" in report and "&quot;grad-cam&quot;: &quot;1.5.7&quot;" in report


@pytest.mark.slow
def test_grad_cam_rows_equal_explain_with_faithfulness(run, data, checkpoint, tmp_path):
    root, _ = data
    images = [root / "281" / "a.jpg", root / "tabby" / "b.jpg", root / "c.jpg"]
    argv = ["explain", *map(str, images), "--out", str(tmp_path), "--weights", str(checkpoint), "--device", "cpu"]
    assert main([*argv, "--faithfulness", "--batch-size", "1"]) == 0
    scores = pd.read_parquet(run / "scores.parquet").set_index(["image", "method"])
    for image, name in zip(["281/a.jpg", "tabby/b.jpg", "c.jpg"], ["a", "b", "c"], strict=True):
        record = json.loads(next(tmp_path.glob(f"{name}*.json")).read_text())
        row = scores.loc[(image, "Grad-CAM")]
        assert row["class"] == record["explained_class"]["index"]
        assert row["deletion_auc"] == pytest.approx(record["faithfulness_curves"]["deletion_auc"], abs=1e-6)
        assert row["insertion_auc"] == pytest.approx(record["faithfulness_curves"]["insertion_auc"], abs=1e-6)


@pytest.mark.slow
def test_label_target_explains_the_class_its_folder_names(data, checkpoint, tmp_path):
    assert evaluate(data, tmp_path, checkpoint, "--target", "label", "--metrics", "deletion") == 0
    scores = pd.read_parquet(tmp_path / "scores.parquet")
    assert set(scores[scores.image == "281/a.jpg"]["class"]) == {281}
    assert set(scores[scores.image == "tabby/b.jpg"]["class"]) == {281}  # "tabby" is class 281's name
    skipped = pd.read_csv(tmp_path / "skipped.csv")
    assert "c.jpg" in set(skipped["image"])  # a loose photo names no class


def test_boxes_follow_the_pixels_into_the_crop(explainer):
    """A box painted into a photo lands where ``boxes_in_crop`` puts it: the painted pixels of the
    model's crop equal the box's mask (up to the one-pixel blur of resizing at its edge)."""
    for size, box in [
        ((640, 480), (100, 50, 300, 400)),
        ((300, 900), (20, 500, 280, 880)),
        ((2000, 300), (900, 0, 1100, 300)),
    ]:
        image = Image.new("RGB", size, (0, 0, 0))
        image.paste((255, 255, 255), tuple(int(v) for v in box))
        _, crop = model_input(image, explainer.weights.transforms)
        painted = np.asarray(crop)[..., 0] > 127
        mapped = boxes_in_crop([box], size, resize=232, crop=224)
        mask = box_mask(mapped, 224) if mapped else np.zeros((224, 224), bool)
        assert (painted != mask).sum() <= 2 * 224 + 8, (size, box)  # at most a border line differs
    assert boxes_in_crop([(0, 0, 4, 4)], (640, 480), 232, 224) == []  # wholly outside the crop


def test_pointing_and_energy_against_direct_loops():
    rng = np.random.default_rng(0)
    for _ in range(20):
        cam = rng.random((224, 224)).astype(np.float32)
        x0, y0 = rng.integers(0, 200, 2)
        box = (float(x0), float(y0), float(x0 + rng.integers(1, 24)), float(y0 + rng.integers(1, 24)))
        mask = np.zeros((224, 224), bool)
        for r in range(224):
            for c in range(224):
                mask[r, c] = box[0] <= c + 0.5 < box[2] and box[1] <= r + 0.5 < box[3]
        assert energy(cam, [box]) == pytest.approx(cam[mask].sum() / cam.sum())
        r, c = np.unravel_index(np.argmax(cam), cam.shape)
        rows, cols = np.nonzero(mask)
        near = np.min(np.hypot(cols + 0.5 - (c + 0.5), rows + 0.5 - (r + 0.5))) <= 15  # TorchRay: a disk of 15 px
        assert pointing_hit(cam, [box]) == float(near) or abs(np.min(np.hypot(cols - c, rows - r)) - 15) < 1.5


def test_bad_arguments_exit_2_with_a_sentence(data, checkpoint, tmp_path, capsys):
    assert evaluate(data, tmp_path, checkpoint, "--metrics", "accuracy") == 2
    assert "Unknown metrics ['accuracy']; choose from deletion" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "nowhere"), "--out", str(tmp_path)]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert evaluate(data, tmp_path, checkpoint, "--workers", "2") == 2
    assert "need --engine ray" in capsys.readouterr().err
    assert evaluate(data, tmp_path, tmp_path / "missing.pth") == 2
    assert "error:" in capsys.readouterr().err


def _command(data, out, checkpoint, *extra):
    return [sys.executable, "-m", "resnet", *arguments(data, out, checkpoint, *extra)]


def _same_rows(a: Path, b: Path) -> None:
    left, right = (pd.read_parquet(p / "scores.parquet").drop(columns="seconds") for p in (a, b))
    assert len(left) == len(right) and not left.duplicated(["image", "method"]).any()
    pd.testing.assert_frame_equal(left, right)


@pytest.mark.slow
def test_a_killed_run_goes_on_without_redoing_or_repeating(run, data, checkpoint, tmp_path):
    env = {**os.environ, "RESNET_OFFLINE": "1"}
    process = subprocess.Popen(_command(data, tmp_path, checkpoint), cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    parts = tmp_path / "scores.parquet"
    deadline = time.monotonic() + 300
    while not list(parts.glob("*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    first = {p.name: p.stat().st_mtime_ns for p in parts.glob("*.parquet")}
    assert 1 <= len(first) < 3 and not (tmp_path / "summary.csv").exists()
    subprocess.run(_command(data, tmp_path, checkpoint), cwd=ROOT, env=env, check=True, capture_output=True)
    after = {p.name: p.stat().st_mtime_ns for p in parts.glob("*.parquet")}
    assert all(after[name] == mtime for name, mtime in first.items())  # finished images were not redone
    _same_rows(run, tmp_path)
    pd.testing.assert_frame_equal(
        pd.read_csv(run / "summary.csv"), pd.read_csv(tmp_path / "summary.csv"), check_exact=False, rtol=1e-9
    )


@pytest.mark.slow
def test_ray_gives_the_same_rows(run, data, checkpoint, tmp_path):
    """Two actors on a local Ray cluster of 2 CPUs, each running torch on as many threads as the
    local run (torch's thread count moves activations in the last bits, and the curves with them)."""
    env = {**os.environ, "RESNET_OFFLINE": "1", "RAY_USAGE_STATS_ENABLED": "0"}
    threads = str(torch.get_num_threads())  # the local run's, in this process
    command = _command(data, tmp_path, checkpoint, "--engine", "ray", "--workers", "2", "--threads-per-worker", threads)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    _same_rows(run, tmp_path)
    assert pd.read_csv(tmp_path / "skipped.csv")["image"].tolist() == ["281/broken.jpg"]


def test_energy_and_tolerance_free_pointing_equal_quantus():
    """Quantus 0.6 computes the energy as RelevanceMassAccuracy and the pointing game without a
    tolerance (a hit when a maximal pixel lies in the mask); ours with ``tolerance=0`` is that."""
    quantus = pytest.importorskip("quantus")
    rng = np.random.default_rng(1)
    cams, masks, boxes = [], [], []
    for i in range(12):
        x0, y0 = rng.uniform(0, 180, 2)
        box = (x0, y0, x0 + rng.uniform(4, 44), y0 + rng.uniform(4, 44))
        cam = rng.random((224, 224)).astype(np.float32)
        if i % 2:  # its maximum inside the box
            cam[int(y0 + 2), int(x0 + 2)] = 2.0
        cams.append(cam)
        masks.append(box_mask([box], 224))
        boxes.append(box)
    a_batch, s_batch = np.stack(cams)[:, None], np.stack(masks)[:, None]
    mass = quantus.RelevanceMassAccuracy(disable_warnings=True).evaluate_batch(a_batch=a_batch, s_batch=s_batch)
    hits = quantus.PointingGame(disable_warnings=True).evaluate_batch(a_batch=a_batch, s_batch=s_batch)
    np.testing.assert_allclose([energy(c, [b]) for c, b in zip(cams, boxes, strict=True)], mass, rtol=1e-5)
    assert [pointing_hit(c, [b], tolerance=0) for c, b in zip(cams, boxes, strict=True)] == [float(h) for h in hits]
    assert 0 < sum(hits) < len(hits)  # hits and misses both checked

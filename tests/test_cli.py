"""``python -m resnet explain``: files written, JSON records, bad files skipped."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from resnet import load_image
from resnet.core.explanation import upsample_cams

from conftest import ROOT


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "resnet", "explain", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_cli_writes_every_output_and_skips_bad_files(tmp_path, checkpoint, weights, explainer, photos):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    out = tmp_path / "out"
    done = run_cli(
        str(photos[2]),
        str(bad),
        str(photos[3]),
        "--weights",
        str(checkpoint),
        "--out",
        str(out),
        "--json",
        "--device",
        "cpu",
    )
    assert done.returncode == 1, done.stderr
    assert f"{bad}: This file is not an image" in done.stderr
    records = json.loads(done.stdout)
    assert [r["image"] for r in records] == [str(photos[2]), str(bad), str(photos[3])]
    assert "not an image" in records[1]["error"]

    for photo, rec in zip([photos[2], photos[3]], [records[0], records[2]], strict=True):
        expected = explainer.explain(load_image(photo))
        stem = photo.stem
        assert rec == json.loads((out / f"{stem}.json").read_text())
        assert rec["weights"] == {
            "name": "custom",
            "sha256": weights.sha256,
            "description": weights.describe(),
            "trained": True,
        }
        assert rec["method"] == "Grad-CAM" and rec["contrast_class"] is None
        assert [p["index"] for p in rec["top5"]] == [p.index for p in expected.top5]
        assert rec["explained_class"] == {"index": expected.cam_class, "name": expected.top5[0].name}
        arrays = np.load(out / f"{stem}.npz")
        assert arrays["logits"].shape == (1000,) and arrays["logits"].dtype == np.float32
        assert arrays["cam"].shape == (224, 224) and arrays["cam"].dtype == np.float32
        assert arrays["cam"].min() >= 0 and arrays["cam"].max() <= 1
        np.testing.assert_allclose(arrays["logits"], expected.logits, atol=1e-4)
        np.testing.assert_allclose(arrays["cam"], expected.cam, atol=1e-4)
        for name in [f"{stem}_cam.png"] + [f"{stem}_{s}.png" for s in ("stem", "layer1", "layer2", "layer3", "layer4")]:
            assert name in rec["files"]
            assert Image.open(out / name).format == "PNG"
    assert not list(out.glob("notes*"))


@pytest.mark.slow
def test_cli_without_usable_weights_exits_2(tmp_path):
    done = run_cli(str(tmp_path / "x.jpg"), "--weights", "IMAGENET1K_V1", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "IMAGENET1K_V1 weights are not available" in done.stderr and "--weights PATH" in done.stderr


@pytest.mark.slow
def test_cli_same_named_files_do_not_overwrite(tmp_path, checkpoint, photos):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "pic.jpg", tmp_path / "b" / "pic.jpg"
    first.write_bytes(photos[0].read_bytes())
    second.write_bytes(photos[1].read_bytes())
    done = run_cli(str(first), str(second), "--weights", str(checkpoint), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "pic-2.json").read_text())["image"] == str(second)


@pytest.mark.slow
def test_cli_deep_options_match_the_engine(tmp_path, checkpoint, explainer, photos):
    out = tmp_path / "out"
    args = ["--weights", str(checkpoint), "--out", str(out), "--device", "cpu", "--stages", "--blocks"]
    done = run_cli(str(photos[0]), *args, "--target", "Tabby", "--contrast", "282")
    assert done.returncode == 0, done.stderr
    rec = json.loads((out / f"{photos[0].stem}.json").read_text())
    assert rec["explained_class"] == {"index": 281, "name": "tabby"}
    assert rec["contrast_class"] == {"index": 282, "name": "tiger cat"}
    arrays = np.load(out / f"{photos[0].stem}.npz")
    full = explainer.explain(load_image(photos[0]), blocks=True)
    np.testing.assert_allclose(arrays["cam"], explainer.layer4_cam(full, 281, contrast=282), atol=1e-5)
    stage_cams = upsample_cams(explainer.stage_grids(full, 281, contrast=282))
    for name in ("layer1", "layer2", "layer3", "layer4"):
        assert arrays[f"cam_{name}"].shape == (224, 224) and arrays[f"cam_{name}"].dtype == np.float32
        np.testing.assert_allclose(arrays[f"cam_{name}"], stage_cams[name], atol=1e-4)
    for key, field in (("block_ratio", "ratio"), ("block_cosine", "cosine")):
        assert arrays[key].shape == (16,) and arrays[key].dtype == np.float32
        np.testing.assert_allclose(arrays[key], [getattr(b, field) for b in full.blocks], rtol=1e-5)
    assert [b["name"] for b in rec["blocks"]] == [b.name for b in full.blocks]
    np.testing.assert_allclose([b["ratio"] for b in rec["blocks"]], arrays["block_ratio"], rtol=1e-6)


@pytest.mark.slow
def test_cli_other_method_and_bad_choices(tmp_path, checkpoint, photos):
    out = tmp_path / "out"
    done = run_cli(str(photos[1]), "--weights", str(checkpoint), "--out", str(out), "--method", "eigencam")
    assert done.returncode == 0, done.stderr
    assert json.loads((out / f"{photos[1].stem}.json").read_text())["method"] == "Eigen-CAM"
    bad = run_cli(str(photos[1]), "--weights", str(checkpoint), "--out", str(out), "--method", "magic")
    assert bad.returncode == 2 and "Unknown CAM method 'magic'" in bad.stderr
    bad = run_cli(str(photos[1]), "--weights", str(checkpoint), "--out", str(out), "--target", "tabbby")
    assert bad.returncode == 2 and "Did you mean 'tabby'" in bad.stderr


@pytest.mark.slow
def test_batch_over_folders_with_summary_and_resume(tmp_path, checkpoint, explainer, photos):
    folder = tmp_path / "photos"
    (folder / "more").mkdir(parents=True)
    for photo in photos[:3]:
        (folder / photo.name).write_bytes(photo.read_bytes())
    (folder / "more" / photos[3].name).write_bytes(photos[3].read_bytes())
    (folder / "more" / "broken.jpg").write_text("not a picture")
    (folder / "readme.txt").write_text("skipped: not an image suffix")
    out = tmp_path / "out"
    args = [str(folder), "--weights", str(checkpoint), "--out", str(out), "--device", "cpu", "--batch-size", "3"]
    first = run_cli(*args)
    assert first.returncode == 1, first.stderr  # one bad file, the rest done
    rows = list(csv.DictReader((out / "summary.csv").read_text().splitlines()))
    assert [Path(r["image"]).name for r in rows] == sorted(p.name for p in photos[:3]) + ["broken.jpg", photos[3].name]
    assert [r["status"] for r in rows].count("error") == 1
    for row in rows:
        if row["status"] == "ok":
            expected = explainer.explain(load_image(row["image"]))
            assert row["top1"] == expected.top5[0].name
            assert float(row["top1_probability"]) == pytest.approx(expected.top5[0].probability, abs=1e-5)
    assert (out / f"more__{photos[3].stem}.json").exists()  # named by its path inside the folder
    assert len(json.loads((out / "summary.json").read_text())) == 5

    done_before = {p.name: p.stat().st_mtime_ns for p in out.glob("*_cam.png")}
    (out / f"{photos[0].stem}.json").unlink()  # as if the first run had stopped before this one
    second = run_cli(*args)
    assert "resuming: 3 of 5 images already done" in second.stderr
    redone = [name for name, mtime in done_before.items() if (out / name).stat().st_mtime_ns != mtime]
    assert redone == [f"{photos[0].stem}_cam.png"]
    assert len(list(csv.DictReader((out / "summary.csv").read_text().splitlines()))) == 5

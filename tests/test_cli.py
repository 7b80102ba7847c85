"""``python -m resnet explain``: files written, JSON records, bad files skipped."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from PIL import Image

from resnet import load_image
from conftest import ROOT


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "resnet", "explain", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_cli_writes_every_output_and_skips_bad_files(tmp_path, checkpoint, weights, explainer, photos):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    out = tmp_path / "out"
    done = run_cli(str(photos[2]), str(bad), str(photos[3]), "--weights", str(checkpoint), "--out", str(out), "--json", "--device", "cpu")
    assert done.returncode == 1, done.stderr
    assert f"{bad}: This file is not an image" in done.stderr
    records = json.loads(done.stdout)
    assert [r["image"] for r in records] == [str(photos[2]), str(bad), str(photos[3])]
    assert "not an image" in records[1]["error"]

    for photo, rec in zip([photos[2], photos[3]], [records[0], records[2]]):
        expected = explainer.explain(load_image(photo))
        stem = photo.stem
        assert rec == json.loads((out / f"{stem}.json").read_text())
        assert rec["weights"] == {"name": "custom", "sha256": weights.sha256, "description": weights.describe()}
        assert [p["index"] for p in rec["top5"]] == [p.index for p in expected.top5]
        assert rec["explained_class"] == {"index": expected.cam_class, "name": expected.top5[0].name}
        arrays = np.load(out / f"{stem}.npz")
        assert arrays["logits"].shape == (1000,) and arrays["logits"].dtype == np.float32
        assert arrays["cam"].shape == (224, 224) and arrays["cam"].dtype == np.float32
        assert 0 <= arrays["cam"].min() and arrays["cam"].max() <= 1
        np.testing.assert_allclose(arrays["logits"], expected.logits, atol=1e-4)
        np.testing.assert_allclose(arrays["cam"], expected.cam, atol=1e-4)
        for name in [f"{stem}_gradcam.png"] + [f"{stem}_{s}.png" for s in ("stem", "layer1", "layer2", "layer3", "layer4")]:
            assert name in rec["files"]
            assert Image.open(out / name).format == "PNG"
    assert not list(out.glob("notes*"))


def test_cli_without_usable_weights_exits_2(tmp_path):
    done = run_cli(str(tmp_path / "x.jpg"), "--weights", "IMAGENET1K_V1", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "IMAGENET1K_V1 weights are not available" in done.stderr and "--weights PATH" in done.stderr


def test_cli_same_named_files_do_not_overwrite(tmp_path, checkpoint, photos):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "pic.jpg", tmp_path / "b" / "pic.jpg"
    first.write_bytes(photos[0].read_bytes())
    second.write_bytes(photos[1].read_bytes())
    done = run_cli(str(first), str(second), "--weights", str(checkpoint), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "pic-2.json").read_text())["image"] == str(second)

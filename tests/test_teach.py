"""Teaching new classes: the head against torchvision and the grad-cam package, fitting, files, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch
from helpers import reference_with_head
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from torchvision import transforms as T

from resnet import Explainer, load_image, load_weights
from resnet.core.heads import Head, backbone_sha256, load_head, predict, save_head, with_head
from resnet.learn.teaching import pooled_features, teach

from conftest import ROOT


@pytest.fixture(scope="module")
def head(explainer) -> Head:
    generator = np.random.default_rng(0)
    weight = generator.normal(0, 0.05, (3, 2048)).astype(np.float32)
    bias = generator.normal(0, 0.1, 3).astype(np.float32)
    return Head(weight, bias, ["kettle", "teapot", "mug"], backbone_sha256(explainer.model))


def package_cam(model, x, cls, layer) -> np.ndarray:
    with GradCAM(model=model, target_layers=[layer[-1]]) as cam:
        return cam(input_tensor=x, targets=[ClassifierOutputTarget(cls)])[0]


@pytest.mark.slow
def test_the_head_equals_torchvision_with_fc_replaced(explainer, reference_model, head, photos):
    taught = Explainer(with_head(explainer.weights, head))
    reference = reference_with_head(reference_model, head)
    for photo in photos[:3]:
        image = load_image(photo)
        x = explainer.weights.transforms(image).unsqueeze(0)  # (1, 3, 224, 224)
        result = taught.explain(image, all_stages=True)
        with torch.no_grad():
            expected = reference(x)[0].numpy()
        assert result.logits.shape == (3,)
        np.testing.assert_allclose(result.logits, expected, atol=1e-4)
        assert [p.name for p in result.top5] == [head.classes[i] for i in np.argsort(-expected)]
        np.testing.assert_allclose(result.cam, package_cam(reference, x, result.cam_class, reference.layer4), atol=1e-5)
        other = (result.cam_class + 1) % 3
        expected_other = package_cam(reference, x, other, reference.layer4)
        np.testing.assert_allclose(taught.layer4_cam(result, other), expected_other, atol=1e-5)
        np.testing.assert_allclose(
            result.stage_cams["layer3"], package_cam(reference, x, result.cam_class, reference.layer3), atol=1e-4
        )
    # The shared model still has its 1000 classes.
    assert explainer.model.fc.out_features == 1000 and explainer.explain(load_image(photos[0])).logits.shape == (1000,)
    with pytest.raises(ValueError, match="one of the 3 taught classes"):
        taught.layer4_cam(result, 3)


def random_crops(image, count: int, seed: int) -> list:
    crop = T.RandomResizedCrop(size=(320, 320), scale=(0.35, 1.0))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return [crop(image) for _ in range(count)]


@pytest.mark.slow
def test_a_head_taught_on_crops_of_photos_classifies_new_crops(explainer, photos):
    names = ["first", "second", "third"]
    images = [load_image(p) for p in photos[:3]]
    taught = teach(explainer, {name: random_crops(image, 6, seed=1) for name, image in zip(names, images, strict=True)})
    assert taught.examples == dict.fromkeys(names, 6) and taught.held_out == 3  # one photo in 4 of each class
    assert taught.train_accuracy == 1.0 and taught.held_out_accuracy is not None
    model = Explainer(with_head(explainer.weights, taught.head))
    right = 0
    for k, image in enumerate(images):
        new = random_crops(image, 5, seed=2)
        right += sum(model.explain(crop).top5[0].name == names[k] for crop in new)
        # The head's answer is the engine's: predicting from pooled features gives the same class.
        assert list(predict(taught.head, pooled_features(explainer, new))) == [
            names.index(model.explain(crop).top5[0].name) for crop in new
        ]
    assert right >= 13, f"{right} of 15 new crops classified right"


def test_a_head_file_round_trips_and_refuses_another_backbone(explainer, head, tmp_path):
    path = tmp_path / "head.safetensors"
    save_head(head, path)
    again = load_head(path)
    assert again.classes == head.classes and again.backbone_sha256 == head.backbone_sha256
    assert np.array_equal(again.weight, head.weight) and np.array_equal(again.bias, head.bias)
    other = load_weights("random", device="cpu")  # seed 0: not the test checkpoint
    with pytest.raises(ValueError, match="taught on another backbone"):
        with_head(other, head)
    with pytest.raises(ValueError, match="taught on another backbone"):
        with_head(explainer.weights, replace(head, backbone_sha256="0" * 64))
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="not a head file"):
        load_head(junk)


def test_teaching_needs_two_to_ten_named_classes_with_photos(explainer, photos):
    photo = load_image(photos[0])
    with pytest.raises(ValueError, match="2 to 10 classes"):
        teach(explainer, {"only": [photo]})
    with pytest.raises(ValueError, match="no photos: empty"):
        teach(explainer, {"full": [photo], "empty": []})
    few = teach(explainer, {"a": [photo], "b": [load_image(photos[1])]})
    assert few.held_out_accuracy is None and few.train_accuracy == 1.0


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "resnet", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_cli_teaches_and_explains_with_the_taught_classes(tmp_path, checkpoint, reference_model, photos):
    data = tmp_path / "data"
    for name, photo in zip(["cats", "coffee", "rockets"], photos[:3], strict=True):
        (data / name).mkdir(parents=True)
        for i, crop in enumerate(random_crops(load_image(photo), 4, seed=3)):
            crop.save(data / name / f"{i}.jpg", quality=95)
    (data / "coffee" / "broken.jpg").write_text("not a picture")
    head_file = tmp_path / "heads" / "mine.safetensors"
    done = run_cli("teach", str(data), "--out", str(head_file), "--weights", str(checkpoint), "--device", "cpu")
    assert done.returncode == 1, done.stderr  # one image skipped
    assert "skipped" in done.stderr and "broken.jpg" in done.stderr
    assert "held-out accuracy" in done.stdout and head_file.exists()
    head = load_head(head_file)
    assert head.classes == ["cats", "coffee", "rockets"] and head.weight.shape == (3, 2048)

    out = tmp_path / "out"
    done = run_cli(
        "explain", str(photos[1]), "--out", str(out), "--weights", str(checkpoint), "--head", str(head_file),
        "--stages", "--device", "cpu",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    arrays = np.load(out / f"{photos[1].stem}.npz")
    record = json.loads((out / f"{photos[1].stem}.json").read_text())
    reference = reference_with_head(reference_model, head)
    x = load_weights(str(checkpoint), device="cpu").transforms(load_image(photos[1])).unsqueeze(0)
    with torch.no_grad():
        expected = reference(x)[0].numpy()
    assert arrays["logits"].shape == (3,)
    np.testing.assert_allclose(arrays["logits"], expected, atol=1e-3)
    assert [p["name"] for p in record["top5"]] == [head.classes[i] for i in np.argsort(-expected)]
    explained = record["explained_class"]["index"]
    np.testing.assert_allclose(arrays["cam"], package_cam(reference, x, explained, reference.layer4), atol=1e-4)
    assert {f"cam_layer{i}" for i in range(1, 5)} <= set(arrays)

    done = run_cli("teach", str(data / "cats"), "--out", str(tmp_path / "x.safetensors"), "--weights", str(checkpoint))
    assert done.returncode == 2 and "class folders" in done.stderr
    done = run_cli("explain", str(photos[0]), "--out", str(out), "--weights", "random", "--head", str(head_file))
    assert done.returncode == 2 and "another backbone" in done.stderr

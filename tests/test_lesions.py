"""Residual lesions and gradient flow without shortcuts, against torchvision's model with blocks replaced."""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pytest
import torch
from helpers import block_gradients, with_lesions
from torchvision.models import ResNet50_Weights

from resnet import load_image
from resnet.learn.lesions import DRAWS, MAX_RANDOM, gradient_along_depth, lesion_forwards, lesions

from conftest import ROOT


def logits_of(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)[None])[0].numpy()


@pytest.fixture(scope="module")
def photo(explainer, photos):
    return explainer.explain(load_image(photos[3]))


@pytest.fixture(scope="module")
def experiment(explainer, photo):
    return lesions(explainer, photo.input)


@pytest.mark.slow
def test_each_lesion_equals_torchvision_with_that_block_replaced(experiment, reference_model, photo):
    x = photo.input
    assert experiment.blocks[0] == "layer1.0" and experiment.blocks[-1] == "layer4.2" and len(experiment.blocks) == 16
    np.testing.assert_allclose(experiment.intact, photo.logits, atol=1e-4)
    for i, name in enumerate(experiment.blocks):
        for what, rows in (("residual", experiment.residual_removed), ("shortcut", experiment.shortcut_removed)):
            expected = logits_of(with_lesions(reference_model, {name: what}), x)
            np.testing.assert_allclose(rows[i], expected, atol=1e-3, rtol=1e-4, err_msg=f"{name} without its {what}")
    assert not np.allclose(experiment.shortcut_removed[5], experiment.intact, atol=1e-2)  # a lesion changes something


def test_random_lesions_remove_k_branches_at_once(experiment, explainer, reference_model, photo):
    assert experiment.random_logits.shape == ((MAX_RANDOM + 1) * DRAWS, 1000)
    assert lesion_forwards() == 1 + 32 + MAX_RANDOM * DRAWS
    counts = experiment.random_counts
    assert list(np.bincount(counts)) == [DRAWS] * (MAX_RANDOM + 1)
    np.testing.assert_allclose(
        experiment.random_logits[counts == 0], np.repeat(photo.logits[None], DRAWS, 0), atol=1e-4
    )
    # One draw of three, recomputed: the same seed draws the same blocks.
    rng = np.random.default_rng(0)
    draws = [rng.choice(16, k, replace=False) for k in counts[DRAWS:]]
    row = next(i for i, k in enumerate(counts[DRAWS:]) if k == 3)
    removed = {experiment.blocks[j]: "residual" for j in draws[row]}
    expected = logits_of(with_lesions(reference_model, removed), photo.input)
    np.testing.assert_allclose(experiment.random_logits[DRAWS + row], expected, atol=1e-3, rtol=1e-4)
    ks, mean, spread = experiment.random_curve(photo.cam_class)
    assert list(ks) == list(range(MAX_RANDOM + 1)) and mean[0] == pytest.approx(
        photo.probabilities[photo.cam_class], abs=1e-5
    )
    assert spread[0] == pytest.approx(0, abs=1e-6) and (spread[1:] >= 0).all()


def test_gradient_flow_with_and_without_shortcuts(explainer, reference_model, photo):
    with_shortcuts = gradient_along_depth(explainer, photo.input, photo.cam_class)
    plain = gradient_along_depth(explainer, photo.input, photo.cam_class, shortcuts=False)
    assert [n for n, _ in plain] == [n for n, _ in with_shortcuts] and plain[0][0] == "stem" and len(plain) == 17
    names = [n for n, _ in plain if n != "stem"]
    expected = block_gradients(
        with_lesions(reference_model, dict.fromkeys(names, "shortcut")), photo.input, photo.cam_class
    )
    for name, norm in plain:
        assert norm == pytest.approx(expected[name], rel=1e-3), name
    assert plain[-1][1] == pytest.approx(
        with_shortcuts[-1][1], rel=1e-4
    )  # the last block's output feeds the head alike
    assert plain[0][1] != pytest.approx(with_shortcuts[0][1], rel=1e-2)  # but not the stem's
    assert explainer.model.fc.weight.grad is None


@pytest.mark.slow
def test_cli_lesion_and_gradients_contract(tmp_path, checkpoint, photos, reference_model):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "resnet", "explain", str(photos[3]), "--out", str(out)]
    command += ["--weights", str(checkpoint), "--lesion", "--gradients"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    arrays = np.load(out / f"{photos[3].stem}.npz")
    assert list(arrays["lesion_blocks"]) == [
        f"layer{s}.{i}" for s, n in ((1, 3), (2, 4), (3, 6), (4, 3)) for i in range(n)
    ]
    assert arrays["lesion_logits"].shape == arrays["lesion_shortcut_logits"].shape == (16, 1000)
    tensor = ResNet50_Weights.IMAGENET1K_V2.transforms()(
        load_image(photos[3])
    ).numpy()  # torchvision's own preprocessing
    for i in (0, 4, 15):  # an identity block, a projection block, the last block
        name = str(arrays["lesion_blocks"][i])
        residual = logits_of(with_lesions(reference_model, {name: "residual"}), tensor)
        shortcut = logits_of(with_lesions(reference_model, {name: "shortcut"}), tensor)
        np.testing.assert_allclose(arrays["lesion_logits"][i], residual, atol=2e-3, rtol=1e-3)
        np.testing.assert_allclose(arrays["lesion_shortcut_logits"][i], shortcut, atol=2e-3, rtol=1e-3)
    assert list(arrays["grad_names"]) == ["stem", *arrays["lesion_blocks"]]
    cam_class = int(np.argmax(arrays["logits"]))
    expected = block_gradients(copy.deepcopy(reference_model), tensor, cam_class)
    np.testing.assert_allclose(arrays["grad_norms"], [expected[n] for n in arrays["grad_names"]], rtol=2e-3)
    plain = with_lesions(reference_model, dict.fromkeys(arrays["lesion_blocks"], "shortcut"))
    expected_plain = block_gradients(plain, tensor, cam_class)
    np.testing.assert_allclose(arrays["grad_norms_plain"], [expected_plain[n] for n in arrays["grad_names"]], rtol=2e-3)

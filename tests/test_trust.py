"""Explanations that test themselves: randomization, deletion/insertion, agreement; and the CLI flags."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy.stats import rankdata

from resnet import load_image
from resnet.cams.methods import Heatmaps
from resnet.cams.trust import (
    CURVE_STEPS,
    SANITY_LAYERS,
    faithfulness_curves,
    method_agreement,
    sanity_check,
    spearman,
    ssim,
)

from conftest import ROOT


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho by its definition: the Pearson correlation of the two maps' ranks (ties averaged)."""
    return float(np.corrcoef(rankdata(a.ravel()), rankdata(b.ravel()))[0, 1])


@pytest.fixture(scope="module")
def full(explainer, photos):
    return explainer.explain(load_image(photos[2]))


def checksum(model: torch.nn.Module) -> float:
    return float(sum(t.double().sum() for t in model.state_dict().values()))


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged, by hand."""
    order = np.argsort(values, kind="stable")
    ranked = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranked[order[start : end + 1]] = (start + end) / 2
        start = end + 1
    return ranked


def test_spearman_is_the_correlation_of_ranks_and_ssim_is_one_for_equal_maps():
    rng = np.random.default_rng(0)
    a = rng.random((8, 8)).round(1)  # many ties
    b = a + rng.normal(0, 0.2, a.shape)
    expected = np.corrcoef(ranks(a.ravel()), ranks(b.ravel()))[0, 1]
    assert spearman(a, b) == pytest.approx(expected, abs=1e-9)
    assert spearman(a, np.zeros_like(a)) == 0.0  # undefined for a constant map: reported as 0
    smooth = np.outer(np.hanning(32), np.hanning(32))
    assert ssim(smooth, smooth) == pytest.approx(1.0)
    assert ssim(smooth, 1 - smooth) < 0.5


def test_grad_cam_changes_when_the_model_is_randomized_and_the_shared_model_does_not(explainer, full):
    before = checksum(explainer.model)
    result = sanity_check(explainer, full.input, full.cam, "Grad-CAM", full.cam_class)
    assert checksum(explainer.model) == before  # a private copy was randomized
    assert result.layers == SANITY_LAYERS and result.cams.shape == (6, 224, 224) and result.cams.dtype == np.float32
    assert result.cams.min() >= 0 and result.cams.max() <= 1
    for i, cam in enumerate(result.cams):
        assert result.spearman[i] == pytest.approx(rank_correlation(full.cam, cam), abs=1e-6)
        assert not np.allclose(cam, full.cam, atol=0.05)  # visibly another map at every step
    assert result.passes and abs(result.spearman[-1]) < 0.5
    again = sanity_check(explainer, full.input, full.cam, "Grad-CAM", full.cam_class)
    np.testing.assert_array_equal(again.cams, result.cams)  # seeded: reproducible


def test_a_class_blind_method_survives_randomizing_the_classifier(explainer, full):
    """Eigen-CAM is the first principal component of layer4: it cannot depend on fc, and the check shows it."""
    cam = Heatmaps(explainer).heatmap(full, "Eigen-CAM", full.cam_class)
    result = sanity_check(explainer, full.input, cam, "Eigen-CAM", full.cam_class)
    assert result.spearman[0] == pytest.approx(1.0, abs=1e-6) and "fc" in result.survived


@pytest.mark.slow
def test_curves_equal_a_direct_loop_over_masked_images(explainer, reference_model, full):
    curves = faithfulness_curves(explainer, full.input, full.cam, full.cam_class)
    order = np.argsort(-full.cam.ravel(), kind="stable")
    pixels = full.cam.size
    deletion, insertion = [], []
    for k in range(CURVE_STEPS + 1):
        chosen = np.zeros(pixels, bool)
        chosen[order[: round(k / CURVE_STEPS * pixels)]] = True
        chosen = chosen.reshape(full.cam.shape)
        for images, keep in ((deletion, ~chosen), (insertion, chosen)):
            x = torch.from_numpy(full.input * keep)[None]  # removed pixels: 0, the ImageNet mean colour
            with torch.no_grad():
                images.append(float(reference_model(x).softmax(1)[0, full.cam_class]))
    np.testing.assert_allclose(curves.deletion, deletion, atol=1e-4)
    np.testing.assert_allclose(curves.insertion, insertion, atol=1e-4)
    original = full.probabilities[full.cam_class]
    assert curves.deletion[0] == pytest.approx(original, abs=1e-5) and curves.insertion[-1] == pytest.approx(
        original, abs=1e-5
    )
    trapezoids = sum((deletion[i] + deletion[i + 1]) / 2 / CURVE_STEPS for i in range(CURVE_STEPS))
    assert curves.deletion_auc == pytest.approx(trapezoids, abs=1e-4)
    assert curves.deletion_auc < curves.insertion_auc  # the map points at what the model uses


@pytest.mark.slow
def test_method_agreement_compares_and_scores_each_method(explainer, full):
    agreement = method_agreement(
        Heatmaps(explainer), full.input, full.cam_class, methods=("Grad-CAM", "HiResCAM", "Eigen-CAM")
    )
    assert [s.method for s in agreement.scores] == ["Grad-CAM", "HiResCAM", "Eigen-CAM"]
    np.testing.assert_allclose(agreement.scores[0].cam, full.cam, atol=1e-5)
    matrix = agreement.spearman
    np.testing.assert_allclose(np.diag(matrix), 1.0, atol=1e-6)
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-6)
    assert matrix[0, 1] == pytest.approx(rank_correlation(agreement.scores[0].cam, agreement.scores[1].cam), abs=1e-6)
    mean = np.mean([s.cam for s in agreement.scores], axis=0)
    assert rank_correlation(agreement.consensus, mean) == pytest.approx(1.0, abs=1e-6)
    assert agreement.consensus.min() == 0 and agreement.consensus.max() == pytest.approx(1)
    # Each method's areas are its own map's curves, and the ranking puts the largest gap first.
    gaps = {}
    for score in agreement.scores:
        curves = faithfulness_curves(explainer, full.input, score.cam, full.cam_class)
        assert (score.deletion_auc, score.insertion_auc) == pytest.approx((curves.deletion_auc, curves.insertion_auc))
        gaps[score.method] = curves.insertion_auc - curves.deletion_auc
    assert [s.method for s in agreement.ranked()] == sorted(gaps, key=gaps.get, reverse=True)


@pytest.mark.slow
def test_cli_sanity_and_faithfulness_flags(tmp_path, checkpoint, photos):
    def run(out, *flags):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "resnet",
                "explain",
                str(photos[2]),
                "--weights",
                str(checkpoint),
                "--out",
                str(out),
                *flags,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        return np.load(out / f"{photos[2].stem}.npz"), json.loads((out / f"{photos[2].stem}.json").read_text())

    plain, _ = run(tmp_path / "plain")
    arrays, record = run(tmp_path / "trust", "--sanity", "--faithfulness")
    np.testing.assert_array_equal(arrays["logits"], plain["logits"])
    np.testing.assert_array_equal(arrays["cam"], plain["cam"])
    assert list(arrays["sanity_layers"]) == list(SANITY_LAYERS)
    assert arrays["sanity_cams"].shape == (6, 224, 224) and arrays["sanity_cams"].dtype == np.float32
    from scipy.stats import spearmanr

    for i in range(6):
        rho = spearmanr(arrays["cam"].ravel(), arrays["sanity_cams"][i].ravel()).statistic
        assert arrays["sanity_spearman"][i] == pytest.approx(0.0 if np.isnan(rho) else rho, abs=1e-5)
    for name in ("deletion_curve", "insertion_curve"):
        assert arrays[name].shape == (CURVE_STEPS + 1,) and arrays[name].dtype == np.float32
    probability = record["top5"][0]["probability"]
    assert arrays["deletion_curve"][0] == pytest.approx(probability, abs=1e-5)
    assert arrays["insertion_curve"][-1] == pytest.approx(probability, abs=1e-5)
    x = np.linspace(0, 1, CURVE_STEPS + 1)
    assert float(arrays["deletion_auc"]) == pytest.approx(np.trapezoid(arrays["deletion_curve"], x), abs=1e-6)
    assert record["sanity"]["spearman"] == pytest.approx(arrays["sanity_spearman"].tolist(), abs=1e-6)
    assert record["faithfulness_curves"]["insertion_auc"] == pytest.approx(float(arrays["insertion_auc"]), abs=1e-6)

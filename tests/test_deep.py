"""Deep explanations: stage CAMs, any class, contrast, residual blocks, logit parts, methods, ROAD."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from resnet import load_image
from resnet.cams.methods import METHODS, Heatmaps, method_named
from resnet.core.explanation import find_class, upsample_cams
from resnet.core.network import STAGE_NAMES

TABBY, GOLDFISH = 281, 1


@pytest.fixture(scope="module")
def image(photos):
    return load_image(photos[2])  # chelsea


@pytest.fixture(scope="module")
def full(explainer, image):
    return explainer.explain(image, all_stages=True, blocks=True)


@pytest.fixture(scope="module")
def package(explainer):
    return Heatmaps(explainer)


def reference_cam(model, x, layer, target) -> np.ndarray:
    with GradCAM(model=model, target_layers=[layer]) as cam:
        return cam(input_tensor=x, targets=[target])[0]


def model_x(explanation) -> torch.Tensor:
    return torch.from_numpy(explanation.input)[None]


def test_full_explanation_keeps_the_fast_results(explainer, image, full):
    plain = explainer.explain(image)
    np.testing.assert_allclose(full.logits, plain.logits, atol=1e-4)
    np.testing.assert_allclose(full.cam, plain.cam, atol=1e-5)


def test_stage_cams_equal_the_package_run_per_layer(reference_model, full):
    assert tuple(full.stage_cams) == STAGE_NAMES
    for name in STAGE_NAMES:
        expected = reference_cam(
            reference_model, model_x(full), getattr(reference_model, name), ClassifierOutputTarget(full.cam_class)
        )
        assert full.stage_cams[name].shape == (224, 224)
        np.testing.assert_allclose(full.stage_cams[name], expected, atol=1e-4, err_msg=name)
    np.testing.assert_allclose(full.stage_cams["layer4"], full.cam, atol=1e-5)


def test_switching_class_reuses_activations_and_equals_a_fresh_run(explainer, image, full):
    calls = []
    hook = explainer.model.register_forward_pre_hook(lambda *_: calls.append(1))
    try:
        switched = explainer.layer4_cam(full, TABBY)
    finally:
        hook.remove()
    assert calls == []  # the model did not run
    fresh = explainer.explain(image, cam_class=TABBY)
    np.testing.assert_allclose(switched, fresh.cam, atol=1e-5)
    assert not np.allclose(switched, full.cam, atol=1e-2)  # a different class looks elsewhere


def test_contrast_cam_equals_package_with_difference_target(explainer, reference_model, full):
    a, b = full.top5[0].index, full.top5[1].index
    expected = reference_cam(
        reference_model, model_x(full), reference_model.layer4[-1], lambda out: out[..., a] - out[..., b]
    )
    np.testing.assert_allclose(explainer.layer4_cam(full, a, contrast=b), expected, atol=1e-5)
    stages = upsample_cams(explainer.stage_grids(full, a, contrast=b))
    for name in STAGE_NAMES:
        expected = reference_cam(
            reference_model, model_x(full), getattr(reference_model, name), lambda out: out[..., a] - out[..., b]
        )
        np.testing.assert_allclose(stages[name], expected, atol=1e-4, err_msg=name)


def test_block_statistics_equal_a_recomputation_with_hooks(reference_model, full):
    """F(x) is read at each block's bn3 output, shortcut(x) at its downsample output or input.

    Copies are taken because the block adds the shortcut into the bn3 output in place.
    """
    captured = {}
    handles = []
    blocks = [
        (f"{stage}.{i}", block) for stage in STAGE_NAMES for i, block in enumerate(getattr(reference_model, stage))
    ]
    for name, block in blocks:
        handles.append(
            block.bn3.register_forward_hook(lambda m, i, o, n=name: captured.__setitem__((n, "F"), o[0].clone()))
        )
        if block.downsample is not None:
            handles.append(
                block.downsample.register_forward_hook(
                    lambda m, i, o, n=name: captured.__setitem__((n, "s"), o[0].clone())
                )
            )
        else:
            handles.append(
                block.register_forward_pre_hook(lambda m, i, n=name: captured.__setitem__((n, "s"), i[0][0].clone()))
            )
    try:
        with torch.no_grad():
            reference_model(model_x(full))
    finally:
        for handle in handles:
            handle.remove()
    assert [b.name for b in full.blocks] == [name for name, _ in blocks] and len(full.blocks) == 16
    for stats in full.blocks:
        f, s = captured[(stats.name, "F")], captured[(stats.name, "s")]
        assert stats.ratio == pytest.approx(float(f.norm() / s.norm()), rel=1e-4)
        cosine = float(torch.nn.functional.cosine_similarity(f.flatten(), s.flatten(), dim=0))
        assert stats.cosine == pytest.approx(cosine, abs=1e-4)
        np.testing.assert_allclose(stats.residual_map, f.norm(dim=0).numpy(), rtol=1e-4, atol=1e-4)


def test_logit_parts_sum_to_the_logit(explainer, full):
    for cls in (full.cam_class, TABBY):
        parts = explainer.logit_parts(full, cls)
        assert parts.contributions.shape == (2048,)
        assert parts.contributions.sum() + parts.bias == pytest.approx(full.logits[cls], abs=1e-3)
        up, down = parts.strongest(10, +1), parts.strongest(10, -1)
        assert up and down and not set(up) & set(down)
        assert list(parts.contributions[up]) == sorted(parts.contributions[up], reverse=True)
        assert parts.contributions[up[0]] == parts.contributions.max()
        assert parts.contributions[down[0]] == parts.contributions.min()


def test_package_methods_run_on_a_private_model(explainer, reference_model, package, full):
    cam = package.heatmap(full, "Grad-CAM++", full.cam_class)
    with GradCAMPlusPlus(model=reference_model, target_layers=[reference_model.layer4[-1]]) as reference:
        expected = reference(input_tensor=model_x(full), targets=[ClassifierOutputTarget(full.cam_class)])[0]
    np.testing.assert_allclose(cam, expected, atol=1e-4)
    np.testing.assert_allclose(package.package_cam(full.input, "gradcam", full.cam_class), full.cam, atol=1e-5)
    np.testing.assert_allclose(package.heatmap(full, "Grad-CAM", TABBY), explainer.layer4_cam(full, TABBY))
    for module in explainer.model.modules():
        assert not module._forward_hooks and not module._backward_hooks


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "package_class"),
    [
        ("HiResCAM", "HiResCAM"),
        ("XGradCAM", "XGradCAM"),
        ("LayerCAM", "LayerCAM"),
        ("Eigen-CAM", "EigenCAM"),
        ("EigenGrad-CAM", "EigenGradCAM"),
        ("FullGrad", "FullGrad"),
    ],
)
def test_each_quick_method_equals_the_package_run_on_the_reference_model(
    package, reference_model, full, method, package_class
):
    import pytorch_grad_cam

    cam = package.heatmap(full, method, full.cam_class)
    method_class = getattr(pytorch_grad_cam, package_class)
    with method_class(model=reference_model, target_layers=[reference_model.layer4[-1]]) as reference:
        x = model_x(full).requires_grad_(True)
        expected = reference(input_tensor=x, targets=[ClassifierOutputTarget(full.cam_class)])[0]
    assert cam.shape == (224, 224) and cam.dtype == np.float32
    np.testing.assert_allclose(cam, expected, atol=1e-5)


@pytest.mark.parametrize(
    ("method", "package_class", "layers", "finer"),
    [
        ("ShapleyCAM", "ShapleyCAM", ("layer4",), False),
        ("Finer-CAM", "FinerCAM", ("layer4",), True),
        ("KPCA-CAM", "KPCA_CAM", ("layer4",), False),
        ("Grad-CAM element-wise", "GradCAMElementWise", ("layer4",), False),
        ("RefineCAM", "RefineCAM", ("layer2", "layer3", "layer4"), False),
    ],
)
def test_the_methods_grad_cam_1_5_7_added_equal_the_package_run_on_the_reference_model(
    package, reference_model, full, method, package_class, layers, finer
):
    """Run as their authors document them: Finer-CAM against the class's closest rivals
    (``target_idx``), RefineCAM over the last blocks of layer2..layer4."""
    import pytorch_grad_cam

    cam = package.heatmap(full, method, full.cam_class)
    targets = [reference_model.get_submodule(name)[-1] for name in layers]
    reference = getattr(pytorch_grad_cam, package_class)(model=reference_model, target_layers=targets)
    x = model_x(full).requires_grad_(True)
    if finer:
        expected = reference(input_tensor=x, targets=None, target_idx=full.cam_class)[0]
    else:
        expected = reference(input_tensor=x, targets=[ClassifierOutputTarget(full.cam_class)])[0]
    for inner in [reference, getattr(reference, "base_cam", None), *getattr(reference, "base_cam_per_layer", [])]:
        if inner is not None and hasattr(inner, "activations_and_grads"):
            inner.activations_and_grads.release()
    assert cam.shape == (224, 224) and cam.dtype == np.float32 and cam.min() >= 0 and cam.max() <= 1
    np.testing.assert_allclose(cam, expected, atol=1e-5)
    for module in package._private_model().modules():
        assert not module._forward_hooks and not module._backward_hooks  # every hook released


@pytest.mark.slow
def test_package_call_does_not_disturb_concurrent_explanations(explainer, package, image, full):
    errors = []

    def explain_many():
        for _ in range(4):
            result = explainer.explain(image)
            if not np.allclose(result.cam, full.cam, atol=1e-5):
                errors.append("cam changed")

    threads = [threading.Thread(target=explain_many) for _ in range(2)]
    for t in threads:
        t.start()
    package.heatmap(full, "FullGrad", full.cam_class)
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.slow
def test_road_score_equals_the_package_metric_and_flips_with_the_map(package, reference_model, full):
    from pytorch_grad_cam.metrics.road import ROADCombined
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget

    score = package.road(full.input, full.cam, full.cam_class)
    with torch.random.fork_rng(devices=[]), torch.inference_mode():
        torch.manual_seed(0)  # Heatmaps.road seeds the imputer's noise with 0
        metric = ROADCombined(percentiles=[20, 40, 60, 80])
        expected = metric(
            model_x(full), full.cam[None], [ClassifierOutputSoftmaxTarget(full.cam_class)], reference_model
        )
    assert score == pytest.approx(float(expected[0]), abs=1e-5)
    assert package.road(full.input, full.cam, full.cam_class) == score  # repeatable
    # Ranking the pixels the other way round swaps "most" and "least relevant": the sign flips.
    inverted = package.road(full.input, 1 - full.cam, full.cam_class)
    assert inverted < 0 < score and abs(score + inverted) < 0.05


def test_methods_and_classes_are_found_by_name(weights):
    assert set(METHODS) == {
        "Grad-CAM",
        "Grad-CAM++",
        "HiResCAM",
        "XGradCAM",
        "LayerCAM",
        "Eigen-CAM",
        "EigenGrad-CAM",
        "Score-CAM",
        "Ablation-CAM",
        "FullGrad",
        "ShapleyCAM",
        "Finer-CAM",
        "KPCA-CAM",
        "Grad-CAM element-wise",
        "RefineCAM",
    }
    assert method_named("scorecam").label == "Score-CAM"
    with pytest.raises(ValueError, match="choose one of"):
        method_named("saliency")
    assert find_class("281", weights.categories) == TABBY
    assert find_class("Goldfish", weights.categories) == GOLDFISH
    with pytest.raises(ValueError, match="Did you mean 'tabby'"):
        find_class("tabbby", weights.categories)

"""resnet.cams.methods: method lookup, targets, and the private model the package may hook."""

from __future__ import annotations

import numpy as np
import pytest
import pytorch_grad_cam
import torch

from resnet import load_image
from resnet.cams.methods import DEFAULT_METHOD, METHODS, ContrastTarget, Heatmaps, method_named, target_for


@pytest.fixture(scope="module")
def full(explainer, photos):
    return explainer.explain(load_image(photos[1]))


def test_every_method_names_a_package_class_and_a_measured_cost():
    for method in METHODS.values():
        wrapper = method.label in ("FullGrad", "Finer-CAM", "RefineCAM")  # they wrap or stand beside BaseCAM
        assert issubclass(method.package_class, pytorch_grad_cam.base_cam.BaseCAM) or wrapper
        assert method.package_class.__name__ == method.class_name
        assert method.forwards >= 1
    assert METHODS[DEFAULT_METHOD].package_class is pytorch_grad_cam.GradCAM
    assert method_named("GRAD-CAM++").label == "Grad-CAM++" and method_named("eigen cam").label == "Eigen-CAM"


def test_contrast_target_is_the_difference_of_two_logits():
    logits = torch.arange(1000, dtype=torch.float32)[None] * 0.5  # (1, 1000)
    assert float(ContrastTarget(10, 4)(logits)[0]) == pytest.approx(3.0)
    assert float(target_for(7)(logits[0])) == pytest.approx(3.5)
    with pytest.raises(ValueError, match="choose 0..999"):
        ContrastTarget(1000, 1)


def test_package_runs_on_a_private_copy_and_always_releases_its_hooks(explainer, full):
    heatmaps = Heatmaps(explainer)
    heatmaps.package_cam(full.input, "HiResCAM", full.cam_class)
    private = heatmaps._private_model()
    assert private is not explainer.model
    assert all(
        a.data_ptr() != b.data_ptr() for a, b in zip(private.parameters(), explainer.model.parameters(), strict=True)
    )
    with pytest.raises(ValueError, match="choose 0..999"):
        heatmaps.package_cam(full.input, "HiResCAM", 5000)  # fails inside the package call
    for model in (private, explainer.model):
        for module in model.modules():
            assert not module._forward_hooks and not module._backward_hooks and not module._forward_pre_hooks


def test_heatmap_picks_the_fast_path_for_grad_cam_only(explainer, full):
    heatmaps = Heatmaps(explainer)
    calls = []
    hook = explainer.model.register_forward_pre_hook(lambda *_: calls.append(1))
    try:
        assert np.array_equal(heatmaps.heatmap(full, "grad-cam", full.cam_class), full.cam)
    finally:
        hook.remove()
    assert calls == []  # the explanation's own map: no model run
    np.testing.assert_allclose(heatmaps.heatmap(full, "Grad-CAM", 281, contrast=1), explainer.layer4_cam(full, 281, 1))
    assert heatmaps._model is None  # the package was never needed
    earlier_layer = heatmaps.package_cam(full.input, "Grad-CAM", full.cam_class, layer="layer3")
    assert earlier_layer.shape == (224, 224) and not np.allclose(earlier_layer, full.cam, atol=1e-2)

"""Occlusion sensitivity against captum's Occlusion on torchvision's own model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import Occlusion

from resnet import load_image
from resnet.cams.occlusion import occlusion_forwards, occlusion_map


@pytest.mark.slow
def test_occlusion_map_equals_captum(explainer, reference_model, photos):
    full = explainer.explain(load_image(photos[5]))
    ours = occlusion_map(explainer, full.input, full.cam_class, patch=56, stride=28, batch_size=7)
    assert ours.forwards == occlusion_forwards(224, 56, 28) == 7 * 7 + 1
    with torch.no_grad():
        reference = Occlusion(reference_model).attribute(
            torch.from_numpy(full.input)[None],
            sliding_window_shapes=(3, 56, 56),
            strides=(3, 28, 28),
            baselines=0,
            target=full.cam_class,
            perturbations_per_eval=16,
        )[0]  # (3, 224, 224): the same value in every channel
    assert ours.drop.shape == (224, 224)
    np.testing.assert_allclose(ours.drop, reference[0].numpy(), atol=1e-3)
    np.testing.assert_allclose(reference[0].numpy(), reference[2].numpy(), atol=1e-6)
    assert np.abs(ours.drop).max() > 0.01  # the test model's logit does depend on what is covered


def test_occlusion_cost_and_bad_class(explainer, photos):
    assert occlusion_forwards() == 13 * 13 + 1  # 32-pixel patches every 16 pixels
    with pytest.raises(ValueError, match="choose 0..999"):
        occlusion_map(explainer, np.zeros((3, 224, 224), np.float32), 1000)

"""Reduced precision and the CUDA path.

The CPU tests run the same code path the GPU would use with ``--precision fp16`` (autocast,
fp32 head, the same CAM maths). Untrained networks are chaotic: the seeded test network turns
fp16 rounding into a 5-9% relative error at layer4, so these tests check that the path works
and tracks fp32 closely in aggregate, not the tight tolerance a trained network would show.
The tests marked ``gpu`` run only where CUDA is available (bench/gpu_check.sh).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from resnet import Explainer, load_image, load_weights


@pytest.fixture(scope="module")
def images(photos):
    return [load_image(p) for p in photos]


def test_fp16_autocast_path_tracks_fp32(weights, explainer, images):
    """(bf16, with 3 fewer mantissa bits, misses even these loose bounds on the chaotic test net.)"""
    reduced = Explainer(weights, precision="fp16")
    agree = 0
    for image in images:
        want = explainer.explain(image, all_stages=True, blocks=True)
        got = reduced.explain(image, cam_class=want.cam_class, all_stages=True, blocks=True)
        assert got.logits.dtype == np.float32 and np.isfinite(got.logits).all()
        assert np.corrcoef(got.logits, want.logits)[0, 1] > 0.98
        layer4_error = np.linalg.norm(got.stages["layer4"] - want.stages["layer4"]) / np.linalg.norm(want.stages["layer4"])
        assert layer4_error < 0.2
        assert np.abs(got.cam - want.cam).mean() < 0.05
        assert len(got.blocks) == 16 and set(got.stage_cams) == set(want.stage_cams)
        agree += got.top5[0].index == want.top5[0].index
    assert agree >= len(images) // 2


def test_unknown_precision_is_refused(weights):
    with pytest.raises(ValueError, match="choose one of fp32, fp16, bf16"):
        Explainer(weights, precision="int8")


@pytest.fixture
def exact_cuda_fp32():
    """Without TF32, CUDA fp32 should match the CPU to float rounding."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


@pytest.mark.gpu
def test_cuda_fp32_matches_cpu(checkpoint, explainer, images, exact_cuda_fp32):
    gpu = Explainer(load_weights(str(checkpoint), device="cuda"))
    assert gpu.model.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    for image in images:
        want = explainer.explain(image, all_stages=True)
        got = gpu.explain(image, cam_class=want.cam_class, all_stages=True)
        np.testing.assert_allclose(got.logits, want.logits, atol=5e-3 * want.logits.std())
        np.testing.assert_allclose(got.cam, want.cam, atol=1e-2)
        for name, cam in want.stage_cams.items():
            np.testing.assert_allclose(got.stage_cams[name], cam, atol=5e-2, err_msg=name)


@pytest.mark.gpu
def test_cuda_fp16_path_runs_and_tracks_fp32(checkpoint, explainer, images):
    gpu = Explainer(load_weights(str(checkpoint), device="cuda"), precision="fp16")
    for image in images:
        want, got = explainer.explain(image), gpu.explain(image)
        assert np.corrcoef(got.logits, want.logits)[0, 1] > 0.98

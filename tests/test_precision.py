"""Reduced precision and the CUDA path.

The CPU tests run the code path the GPU uses by default (fp16 autocast for the body, fp32 head,
the same CAM maths) and check it stays within tolerance of fp32. The tests marked ``gpu`` check
the CUDA path itself and run only where a GPU is present (bench/gpu_check.sh).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from resnet import Explainer, load_image, load_weights

# (logits: max |difference| / logit std, top-5 order kept where the fp32 gaps allow?, CAM, stage
# CAMs: max |difference|)
TOLERANCES = {"fp16": (0.02, True, 0.02, 0.1), "bf16": (0.15, False, 0.1, 0.3)}


@pytest.fixture(scope="module")
def images(photos):
    return [load_image(p) for p in photos]


def assert_within(reference: Explainer, candidate: Explainer, images, precision: str):
    logit_tol, same_top5, cam_tol, stage_tol = TOLERANCES[precision]
    for image in images:
        want = reference.explain(image, all_stages=True)
        got = candidate.explain(image, cam_class=want.cam_class, all_stages=True)
        assert got.logits.dtype == np.float32
        assert np.abs(got.logits - want.logits).max() < logit_tol * want.logits.std()
        assert got.top5[0].index == want.top5[0].index
        if same_top5:
            assert_ranks_kept(want.logits, got, 2 * logit_tol * want.logits.std())
        assert np.abs(got.cam - want.cam).max() < cam_tol
        for name, cam in want.stage_cams.items():
            assert np.abs(got.stage_cams[name] - cam).max() < stage_tol, name


def assert_ranks_kept(reference: np.ndarray, got, margin: float) -> None:
    """Two of fp32's top-5 classes keep their order, and one of them stays in the top 5, when fp32
    separates them (or it from the sixth) by more than ``margin``: closer than that, reduced
    precision may swap them, and CUDA's kernels round differently from the CPU's."""
    order = np.argsort(-reference, kind="stable")[:6]
    got_order = [p.index for p in got.top5]
    for a in range(5):
        if reference[order[a]] - reference[order[5]] > margin:
            assert order[a] in got_order, f"class {order[a]} left the top 5"
        for b in range(a + 1, 5):
            if reference[order[a]] - reference[order[b]] > margin:
                assert got.logits[order[a]] > got.logits[order[b]], f"classes {order[a]}, {order[b]} swapped"


def test_close_classes_may_swap_but_separated_ones_may_not():
    reference = np.array([5.0, 4.99, 3.0, 2.0, 1.0, 0.0, -1.0], np.float32)

    class Got:
        def __init__(self, logits):
            self.logits = np.asarray(logits, np.float32)
            self.top5 = [type("P", (), {"index": int(k)}) for k in np.argsort(-self.logits)[:5]]

    assert_ranks_kept(reference, Got([4.99, 5.0, 3.0, 2.0, 1.0, 0.0, -1.0]), margin=0.1)  # a close pair swaps
    with pytest.raises(AssertionError, match="swapped"):
        assert_ranks_kept(reference, Got([5.0, 4.99, 1.9, 2.0, 1.0, 0.0, -1.0]), margin=0.1)
    with pytest.raises(AssertionError, match="left the top 5"):
        assert_ranks_kept(reference, Got([5.0, 4.99, 3.0, 2.0, -2.0, 0.0, 0.5]), margin=0.1)


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_autocast_stays_within_tolerance_of_fp32(weights, explainer, images, precision):
    assert explainer.precision == "fp32"  # the CPU default
    assert_within(explainer, Explainer(weights, precision=precision), images, precision)


def test_unknown_precision_is_refused(weights):
    with pytest.raises(ValueError, match="choose auto or one of fp32, fp16, bf16"):
        Explainer(weights, precision="int8")


@pytest.mark.gpu
def test_cuda_default_is_channels_last_fp16_within_tolerance(checkpoint, explainer, images):
    gpu = Explainer(load_weights(str(checkpoint), device="cuda"))
    assert gpu.precision == "fp16"
    assert gpu.model.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    assert_within(explainer, gpu, images, "fp16")


@pytest.mark.gpu
def test_cuda_fp32_without_tf32_matches_cpu(checkpoint, explainer, images):
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        gpu = Explainer(load_weights(str(checkpoint), device="cuda"), precision="fp32")
        for image in images:
            want, got = explainer.explain(image), gpu.explain(image)
            np.testing.assert_allclose(got.logits, want.logits, atol=1e-3 * want.logits.std())
            np.testing.assert_allclose(got.cam, want.cam, atol=1e-3)
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def test_gpu_memory_figures_survive_what_nvidia_smi_prints():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from bench_gpu import parse_used_mb

    assert parse_used_mb("1234\n[N/A]\n 567 \n") == [1234.0, 567.0]  # every GPU, "[N/A]" skipped
    assert parse_used_mb("[N/A]\n") is None and parse_used_mb("") is None

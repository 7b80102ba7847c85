"""The engine: logits, top-5, CAM and stage activations against independent references."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from torchvision.models.feature_extraction import create_feature_extractor

from resnet import STAGES, load_image, model_input
from resnet.core.explanation import SparseMaps, upsample_cams
from resnet.core.host import to_host


@pytest.fixture(scope="module")
def images(photos):
    return [load_image(p) for p in photos]


@pytest.fixture(scope="module")
def results(explainer, images):
    return [explainer.explain(img) for img in images]


def reference_input(explainer, image) -> torch.Tensor:
    return explainer.weights.transforms(image).unsqueeze(0)  # (1, 3, 224, 224)


def test_logits_equal_torchvision_model(explainer, reference_model, images, results):
    for image, result in zip(images, results, strict=True):
        with torch.no_grad():
            expected = reference_model(reference_input(explainer, image))[0]
        np.testing.assert_allclose(result.logits, expected.numpy(), rtol=0, atol=1e-4)


def test_top5_is_sorted_softmax_with_category_names(explainer, results):
    for result in results:
        probabilities = torch.from_numpy(result.logits).softmax(0)
        expected = probabilities.topk(5)
        assert [p.index for p in result.top5] == expected.indices.tolist()
        np.testing.assert_allclose([p.probability for p in result.top5], expected.values.numpy(), atol=1e-6)
        assert [p.name for p in result.top5] == [explainer.weights.categories[i] for i in expected.indices]
        assert result.cam_class == result.top5[0].index


def test_test_checkpoint_tells_photos_apart(results):
    """Guards the other tests: a model that answers the same for every photo hides bugs."""
    assert len({r.top5[0].index for r in results}) >= 4


def test_stage_activations_equal_torchvision_feature_extractor(reference_model, explainer, images, results):
    nodes = {"maxpool": "stem", "layer1": "layer1", "layer2": "layer2", "layer3": "layer3", "layer4": "layer4"}
    extractor = create_feature_extractor(reference_model, nodes)
    with torch.no_grad():
        expected = extractor(reference_input(explainer, images[0]))
    shapes = {
        "stem": (64, 56, 56),
        "layer1": (256, 56, 56),
        "layer2": (512, 28, 28),
        "layer3": (1024, 14, 14),
        "layer4": (2048, 7, 7),
    }
    assert tuple(results[0].stages) == STAGES
    for name in STAGES:
        assert results[0].stages[name].shape == shapes[name]
        np.testing.assert_allclose(results[0].stages[name], expected[name][0].numpy(), atol=1e-4)


def package_gradcam(model, x, cls) -> np.ndarray:
    with GradCAM(model=model, target_layers=[model.layer4[-1]]) as cam:
        return cam(input_tensor=x, targets=[ClassifierOutputTarget(cls)])[0]  # (224, 224)


def test_fast_cam_equals_grad_cam_package(explainer, reference_model, images, results):
    for image, result in zip(images, results, strict=True):
        expected = package_gradcam(reference_model, reference_input(explainer, image), result.cam_class)
        assert result.cam.shape == (224, 224) and result.cam.dtype == np.float32
        assert result.cam.min() == pytest.approx(0, abs=1e-6) and result.cam.max() == pytest.approx(1, abs=1e-5)
        np.testing.assert_allclose(result.cam, expected, atol=1e-5)


def test_cam_for_another_class_equals_package(explainer, reference_model, images):
    other = 281  # tabby cat, not the top-1 of the test model
    result = explainer.explain(images[1], cam_class=other)
    assert result.cam_class == other
    expected = package_gradcam(reference_model, reference_input(explainer, images[1]), other)
    np.testing.assert_allclose(result.cam, expected, atol=1e-5)


def test_model_input_crop_is_what_the_cam_covers(explainer, images, results):
    x, crop = model_input(images[0], explainer.weights.transforms)
    assert np.array_equal(np.asarray(crop), np.asarray(results[0].crop))
    # The explanation remakes the input from its crop, bit for bit, and equals torchvision's transforms.
    assert np.array_equal(results[0].input, x[0].numpy())
    np.testing.assert_allclose(results[0].input, reference_input(explainer, images[0])[0].numpy(), atol=1e-6)


def test_the_kept_form_remakes_what_it_drops(explainer, images):
    """``kept()`` holds layer4 only; ``activations`` remakes every stage with one forward pass."""
    full = explainer.explain(images[3], all_stages=True, blocks=True)
    kept = full.kept()
    assert set(kept.stages) == {"layer4"} and len(pickle.dumps(kept)) < 1_000_000
    # layer4 kept sparse: the same values, bit for bit, in the bytes of its non-zero ones and a bit each
    layer4 = full.stages["layer4"]
    assert np.array_equal(kept.layer4, layer4) and kept.layer4.dtype == np.float32
    packed = kept.stages["layer4"]
    assert packed.values.nbytes + packed.nonzero.nbytes == 4 * np.count_nonzero(layer4) + layer4.size // 8
    assert len(pickle.dumps(full)) > 6_500_000  # every stage's activations
    remade = explainer.activations(kept)
    assert tuple(remade) == STAGES
    for name in STAGES:
        np.testing.assert_allclose(remade[name], full.stages[name], atol=1e-5, err_msg=name)
    np.testing.assert_allclose(explainer.layer4_cam(kept, 281), explainer.layer4_cam(full, 281), atol=0)
    grids = explainer.stage_grids(kept, full.cam_class)
    for name, cam in full.stage_cams.items():
        assert grids[name].shape == full.stages[name].shape[1:]
        np.testing.assert_allclose(upsample_cams(grids)[name], cam, atol=1e-5, err_msg=name)


def test_sparse_maps_give_back_every_value():
    rng = np.random.default_rng(0)
    maps = np.maximum(rng.normal(size=(5, 3, 7)), 0).astype(np.float32)  # 105 values: not a whole byte of bits
    maps[0, 0, :3] = [np.inf, np.nan, -2.5]  # whatever the values, they come back
    back = SparseMaps.of(maps).dense()
    assert back.shape == maps.shape and np.array_equal(back, maps, equal_nan=True)
    assert np.array_equal(SparseMaps.of(np.zeros((2, 2), np.float32)).dense(), np.zeros((2, 2)))


def test_no_hooks_remain_and_no_grad_state(explainer, images):
    explainer.explain(images[0])
    for module in explainer.model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks
        assert not module._backward_hooks and not module._backward_pre_hooks
    assert all(p.grad is None and not p.requires_grad for p in explainer.model.parameters())


def test_concurrent_calls_return_each_their_own_answer(explainer, images, results):
    jobs = [i % len(images) for i in range(24)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda i: explainer.explain(images[i]), jobs))
    for i, answer in zip(jobs, answers, strict=True):
        assert [p.index for p in answer.top5] == [p.index for p in results[i].top5]
        np.testing.assert_allclose(answer.logits, results[i].logits, atol=1e-4)
        np.testing.assert_allclose(answer.cam, results[i].cam, atol=1e-4)


def test_class_out_of_range_is_a_clear_error(explainer, images):
    with pytest.raises(ValueError, match="choose 0..999"):
        explainer.explain(images[0], cam_class=1000)


def test_batch_equals_one_by_one(explainer, images):
    batch = explainer.explain_batch(images[:3], [None, 281, None], all_stages=True, blocks=True)
    for image, cam_class, got in zip(images[:3], [None, 281, None], batch, strict=True):
        want = explainer.explain(image, cam_class, all_stages=True, blocks=True)
        assert got.cam_class == want.cam_class and [p.index for p in got.top5] == [p.index for p in want.top5]
        np.testing.assert_allclose(got.logits, want.logits, atol=1e-4)
        np.testing.assert_allclose(got.cam, want.cam, atol=1e-5)
        for name in want.stage_cams:
            np.testing.assert_allclose(got.stage_cams[name], want.stage_cams[name], atol=1e-4)
        np.testing.assert_allclose([b.ratio for b in got.blocks], [b.ratio for b in want.blocks], rtol=1e-4)


def test_the_gpus_packed_copy_gives_the_same_arrays(explainer, images):
    """``to_host`` packs every part into one buffer per kind on a GPU; the same packing, run on
    the CPU, must give back each part unchanged (shape, dtype, values), channels-last included."""
    x = torch.cat([model_input(image, explainer.weights.transforms)[0] for image in images[:2]])
    with torch.inference_mode():
        logits, stages = explainer.forward_stages(x)
        parts = {
            "logits": logits,
            "top_k": logits.topk(5).indices,
            "half": logits.half(),
            "layer3": stages["layer3"].contiguous(memory_format=torch.channels_last),
        }
        packed, plain = to_host(parts, pack=True), to_host(parts, pack=False)
    assert packed.keys() == parts.keys()
    for name, tensor in parts.items():
        want = tensor.float().numpy() if tensor.is_floating_point() else tensor.numpy()
        assert packed[name].shape == tuple(tensor.shape) and packed[name].dtype == want.dtype
        assert np.array_equal(packed[name], want) and np.array_equal(plain[name], want)
    assert packed["layer3"][1].flags.c_contiguous  # one image's activations: a plain (C, H, W) array


def test_a_label_and_its_map_need_no_stage_activations(explainer, images, results):
    lean = explainer.explain_batch(images, stages=())
    for got, want in zip(lean, results, strict=True):
        assert got.stages == {} and got.cam_class == want.cam_class
        assert [p.index for p in got.top5] == [p.index for p in want.top5]
        np.testing.assert_allclose([p.probability for p in got.top5], [p.probability for p in want.top5], atol=1e-5)
        np.testing.assert_allclose(got.cam_grid, want.cam_grid, atol=1e-5)
    assert explainer.explain(images[0], stages=("layer4",)).stages.keys() == {"layer4"}
    with pytest.raises(ValueError, match="Unknown stages"):
        explainer.explain(images[0], stages=("layer5",))


def test_explain_steps_answers_first_and_adds_the_stage_cams_on_request(explainer, photos):
    image = load_image(photos[0])
    whole = explainer.explain(image, all_stages=True, blocks=True)
    steps = explainer.explain_steps(image, all_stages=True, blocks=True)
    first = next(steps)
    assert first.stage_grids is None and len(first.blocks) == 16
    np.testing.assert_array_equal(first.logits, whole.logits)
    np.testing.assert_array_equal(first.cam_grid, whole.cam_grid)
    resumed = []
    with ThreadPoolExecutor(1) as pool:  # a page's stream may resume on another thread
        resumed.append(pool.submit(next, steps).result())
    assert torch.is_grad_enabled() and first.stage_grids is None  # no mode left behind, nothing changed
    again = explainer.stage_grids(whole, whole.cam_class)  # its own forward and backward pass
    for name, grid in resumed[0].stage_grids.items():
        np.testing.assert_allclose(grid, again[name], atol=1e-5)
        np.testing.assert_array_equal(grid, whole.stage_grids[name])
    with pytest.raises(StopIteration):
        next(steps)

"""The Learn tab's numbers against direct torch computations on torchvision's own model."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as nnf
from helpers import block_gradients
from torchvision.models.feature_extraction import create_feature_extractor

from resnet import load_image
from resnet.learn import lessons
from resnet.learn.lesions import gradient_along_depth


@pytest.fixture(scope="module")
def photo(explainer, photos):
    return explainer.explain(load_image(photos[4]))


@pytest.fixture(scope="module")
def x(photo):
    return photo.input  # (3, 224, 224)


def reference_nodes(reference_model, x, nodes):
    """Tensors of torchvision's model at ``nodes``, from a copy whose ReLUs are not in-place:
    torchvision's own ReLUs overwrite their input, so a graph over the model as it is would
    report bn1's output after the ReLU (and so would share that mistake with the code tested)."""
    model = copy.deepcopy(reference_model)
    for module in model.modules():
        if isinstance(module, torch.nn.ReLU):
            module.inplace = False
    extractor = create_feature_extractor(model, {n: n for n in nodes})
    with torch.no_grad():
        return {k: v[0].numpy() for k, v in extractor(torch.from_numpy(x)[None]).items()}


def test_stem_tensors_shapes_and_the_output_size_formula(explainer, reference_model, x):
    parts = lessons.stem(explainer, x)
    want = reference_nodes(reference_model, x, ["conv1", "bn1", "relu", "maxpool"])
    for got, name in ((parts.conv, "conv1"), (parts.bn, "bn1"), (parts.relu, "relu"), (parts.pool, "maxpool")):
        np.testing.assert_allclose(got, want[name], atol=1e-4, err_msg=name)
    # bn1 by hand with torch.nn.functional: BatchNorm's output has negative values, the ReLU's none.
    bn = reference_model.bn1
    by_hand = nnf.batch_norm(
        torch.from_numpy(parts.conv)[None], bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps
    )[0]
    np.testing.assert_allclose(parts.bn, by_hand.detach().numpy(), atol=1e-4)
    assert (parts.bn < 0).mean() > 0.1 and (parts.relu < 0).sum() == 0
    np.testing.assert_array_equal(parts.relu, np.maximum(parts.bn, 0))
    rows = lessons.stem_shapes(explainer, parts)
    assert [(r["layer"], r["kernel"], r["stride"], r["padding"]) for r in rows] == [
        ("conv1", 7, 2, 3),
        ("maxpool", 3, 2, 1),
    ]
    assert [(r["formula"], r["real"]) for r in rows] == [(112, 112), (56, 56)]
    assert lessons.output_size(5, 3, 2, 0) == 2 and lessons.output_size(7, 3, 1, 1) == 7


def test_one_kernels_response_is_that_channel_of_conv1(explainer, reference_model, x):
    kernels = lessons.conv1_kernels(explainer)
    assert kernels.shape == (64, 3, 7, 7)
    conv1 = reference_nodes(reference_model, x, ["conv1"])["conv1"]  # (64, 112, 112)
    for channel in (0, 17, 63):
        np.testing.assert_allclose(lessons.conv1_response(explainer, x, channel), conv1[channel], atol=1e-4)
    # One output value by hand: the 7×7×3 patch under the kernel at output (5, 9), stride 2, padding 3.
    padded = np.pad(x, ((0, 0), (3, 3), (3, 3)))
    patch = padded[:, 10:17, 18:25]
    assert float((patch * kernels[17]).sum()) == pytest.approx(conv1[17, 5, 9], abs=1e-4)


def test_a_hand_made_kernel_and_its_worked_window(photo):
    image = lessons.grey(np.asarray(photo.crop))
    assert image.shape == (224, 224) and image.min() >= 0 and image.max() <= 1
    for name, kernel in lessons.PRESET_KERNELS.items():
        out = lessons.apply_kernel(image, kernel)
        # By hand, with numpy only: zero padding, no flip.
        padded = np.pad(image, 1)
        by_hand = sum(kernel[i][j] * padded[i : i + 224, j : j + 224] for i in range(3) for j in range(3))
        np.testing.assert_allclose(out, by_hand, atol=1e-5, err_msg=name)
        window = lessons.conv_window(image, kernel, 0, 100)  # on the top edge: the padding shows
        assert np.all(window.patch[0] == 0) and window.result == pytest.approx(out[0, 100], abs=1e-5)
    blur = lessons.apply_kernel(image, lessons.PRESET_KERNELS["blur"])
    assert blur[50:150, 50:150].std() < image[50:150, 50:150].std()


def test_a_pooling_window_gives_the_pooled_value(explainer, x):
    parts = lessons.stem(explainer, x)
    for channel, row, col in ((3, 0, 0), (40, 20, 31), (63, 55, 55)):
        window = lessons.pool_window(parts.relu[channel], row, col)
        assert window.patch.shape == (3, 3)
        assert window.result == pytest.approx(parts.pool[channel, row, col], abs=1e-6)
    assert np.isneginf(lessons.pool_window(parts.relu[3], 0, 0).patch[0]).all()  # padding never wins


def test_an_opened_block_adds_up_and_projects_where_the_shape_changes(explainer, reference_model, x):
    want = reference_nodes(reference_model, x, ["layer1.2", "layer2.0", "layer2.1"])
    first = lessons.open_block(explainer, x, "layer2.0")
    assert first.x.shape == (256, 56, 56) and first.out.shape == (512, 28, 28)
    assert first.projection == (256, 512, 2)  # in and out channels, stride of the 1×1 projection
    np.testing.assert_allclose(first.x, want["layer1.2"], atol=1e-4)
    np.testing.assert_allclose(first.out, want["layer2.0"], atol=1e-4)
    np.testing.assert_allclose(first.out, np.maximum(first.residual + first.shortcut, 0), atol=1e-5)
    same = lessons.open_block(explainer, x, "layer2.1")
    assert same.projection is None
    np.testing.assert_array_equal(same.shortcut, same.x)  # identity shortcut
    np.testing.assert_allclose(same.out, want["layer2.1"], atol=1e-4)
    with pytest.raises(ValueError, match="No block"):
        lessons.open_block(explainer, x, "layer5.0")


def test_gradient_along_depth_equals_autograd_on_torchvisions_model(explainer, reference_model, x, photo):
    norms = gradient_along_depth(explainer, x, photo.cam_class)
    assert [n for n, _ in norms][:2] == ["stem", "layer1.0"] and len(norms) == 17
    expected = block_gradients(copy.deepcopy(reference_model), x, photo.cam_class)
    for name, norm in norms:
        assert norm == pytest.approx(expected[name], rel=1e-4), name
    assert explainer.model.fc.weight.grad is None  # the shared model got no gradient


# -- the Learn tab's handlers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def learn(explainer, tmp_path_factory):
    from ui.files import ScratchFiles
    from ui.tabs.learn import LearnTab

    return LearnTab(explainer, ScratchFiles(tmp_path_factory.mktemp("learn")))


@pytest.fixture(scope="module")
def view(photo):
    from ui.view import View

    return View(photo.kept(), photo.cam, photo.cam_class, None, "Grad-CAM")


def test_the_learn_tab_shows_the_models_own_numbers(learn, explainer, view, x):
    from PIL import Image

    from ui.tabs.learn import PresetKernel

    numbers = PresetKernel.of("sharpen").kernel_numbers
    shown = learn.lessons(view, 17, numbers, "layer2.0", 600, "en")
    for path in (shown.kernels, shown.kernel_response, shown.kernel_result, shown.pool_before, shown.histograms):
        assert Image.open(path).format == "PNG"
    # The gradient chart is gradient_along_depth's numbers.
    chart = shown.gradient_plot["value"]
    expected = gradient_along_depth(explainer, x, view.cam_class)
    assert list(chart["block"]) == [n for n, _ in expected]
    np.testing.assert_allclose(chart["norm"], [v for _, v in expected], rtol=1e-6)
    np.testing.assert_allclose(chart["log10_norm"], np.log10([v for _, v in expected]), rtol=1e-6)  # a log scale
    assert learn.depth == list(chart["block"]) and learn.depth[:2] == ["stem", "layer1.0"]  # the axis: network order
    # The worked convolution's sum is the kernel's output at the centre.
    image = lessons.grey(np.asarray(view.explanation.crop))
    centre = lessons.apply_kernel(image, np.array(numbers))[112, 112]
    assert f"**{centre:+.3f}**" in shown.conv_worked
    assert "= **112** | 112 |" in shown.conv_worked and "= **56** | 56 |" in shown.conv_worked
    # The worked pooling window is at kernel 17's strongest pooled value.
    stem = lessons.stem(explainer, x)
    assert f"max = **{stem.pool[17].max():.3f}**" in shown.pool_worked
    # Channel 600 does not exist in layer2.0's 512 output channels: the slider is clamped.
    assert shown.lesson_channel["maximum"] == 511 and shown.lesson_channel["value"] == 511
    assert "1×1 conv 256→512, stride 2" in shown.block_numbers
    assert [caption for _, caption in shown.block_tensors] == ["F(x)", "shortcut(x)", "relu(F(x) + shortcut(x))"]
    same = learn.block_lesson(view, "layer3.1", 5, "zh-CN")
    assert [caption for _, caption in same.block_tensors][0] == "x" and "恒等" in same.block_numbers
    with pytest.raises(Exception, match="9 numbers"):
        learn.own_kernel(view, [[1, 2], [3, 4]], "en")

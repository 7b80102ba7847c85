"""What-if: the painted mask, the fill, and the edited crop explained, against torchvision and grad-cam."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
import torch
import torchvision.transforms.functional as F
from PIL import Image, ImageFilter
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from resnet import load_image
from resnet.cams.whatif import BLUR_RADIUS, fill, painted_mask, what_if
from ui.files import ScratchFiles
from ui.panel import ExplainPanel
from ui.tabs.whatif import CANVAS, WhatIfTab


def paint(top: int, left: int, bottom: int, right: int, alpha: int = 255) -> np.ndarray:
    """A paint layer on the 448×448 canvas: RGBA, painted inside the box."""
    layer = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    layer[top:bottom, left:right] = (255, 0, 255, alpha)
    return layer


@pytest.fixture(scope="module")
def before(explainer, photos):
    return explainer.explain(load_image(photos[1])).kept()


def test_the_mask_is_the_painted_area_at_the_crops_scale():
    mask = painted_mask([paint(100, 60, 300, 201)])  # canvas pixels 2x the crop's
    assert mask.shape == (224, 224) and mask.dtype == bool
    expected = np.zeros((224, 224), bool)
    expected[50:150, 30:100] = True  # column 100 holds one painted canvas pixel of two: half covered counts
    expected[50:150, 100] = True
    np.testing.assert_array_equal(mask, expected)
    assert not painted_mask([paint(0, 0, 448, 448, alpha=100)]).any()  # faint paint (< half opaque) is not a mask
    assert not painted_mask([]).any()


def test_fills_replace_only_the_painted_pixels(before):
    mask = np.zeros((224, 224), bool)
    mask[40:120, 60:180] = True
    pixels = np.asarray(before.crop)
    mean = fill(before.crop, mask, "mean colour")
    np.testing.assert_array_equal(np.asarray(mean)[~mask], pixels[~mask])
    assert (np.asarray(mean)[mask] == np.rint(pixels.reshape(-1, 3).mean(0))).all()
    blurred = fill(before.crop, mask, "blur")
    reference = np.asarray(before.crop.filter(ImageFilter.GaussianBlur(BLUR_RADIUS)))
    np.testing.assert_array_equal(np.asarray(blurred)[mask], reference[mask])
    np.testing.assert_array_equal(np.asarray(blurred)[~mask], pixels[~mask])
    with pytest.raises(ValueError, match="Unknown fill"):
        fill(before.crop, mask, "paint")


def test_an_empty_mask_gives_back_the_original_scores(explainer, before):
    result = what_if(explainer, before, np.zeros((224, 224), bool), "blur", before.cam_class)
    np.testing.assert_allclose(result.after.logits, before.logits, atol=1e-5)
    assert result.logit_after == pytest.approx(result.logit_before, abs=1e-5)


def test_the_edited_crop_is_explained_as_torchvision_and_grad_cam_see_it(explainer, reference_model, before):
    mask = painted_mask([paint(120, 120, 330, 330)])
    result = what_if(explainer, before, mask, "mean colour", 281)
    t = explainer.weights.transforms
    x = F.normalize(F.pil_to_tensor(result.edited).float() / 255, t.mean, t.std)[None]  # (1, 3, 224, 224)
    with torch.no_grad():
        logits = reference_model(x)[0]
    np.testing.assert_allclose(result.after.logits, logits.numpy(), rtol=1e-4, atol=1e-4)
    assert result.logit_after == pytest.approx(float(logits[281]), abs=1e-4)
    assert result.probability_after == pytest.approx(float(logits.softmax(0)[281]), abs=1e-6)
    assert result.logit_before == pytest.approx(float(before.logits[281]))
    assert result.painted == pytest.approx(mask.mean())
    with GradCAM(model=reference_model, target_layers=[reference_model.layer4[-1]]) as cam:
        expected = cam(input_tensor=x, targets=[ClassifierOutputTarget(281)])[0]
    np.testing.assert_allclose(result.after.cam, expected, atol=1e-5)


def test_the_tab_compares_before_and_after(explainer, photos):
    files = ScratchFiles()
    view = analysed(explainer, files, photos)
    tab = WhatIfTab(explainer, files)
    canvas = tab.canvas(view).whatif_editor
    assert Image.open(canvas["background"]).size == (CANVAS, CANVAS) and canvas["layers"] == []
    with pytest.raises(gr.Error, match="Paint over part of the picture first"):
        tab.explain_edited(view, {"background": None, "layers": [], "composite": None}, "blur", "en")
    with pytest.raises(gr.Error, match="No image yet"):
        tab.explain_edited(None, None, "blur", "en")
    editor = {"background": None, "layers": [paint(0, 0, 224, 448)], "composite": None}  # the top half
    panel = tab.explain_edited(view, editor, "mean colour", "en")
    expected = what_if(explainer, view.explanation, painted_mask(editor["layers"]), "mean colour", view.cam_class)
    table = panel.whatif_table
    assert list(table.columns) == ["rank", "before", "after"] and len(table) == 5
    assert table.iloc[0, 2] == f"{expected.after.top5[0].name} ({expected.after.top5[0].probability:.1%})"
    assert table.iloc[0, 1] == f"{view.explanation.top5[0].name} ({view.explanation.top5[0].probability:.1%})"
    assert "with 50.0% of the picture filled with the picture's mean colour" in panel.whatif_text
    assert f"logit {expected.logit_before:.2f} → {expected.logit_after:.2f}" in panel.whatif_text
    after = np.asarray(Image.open(panel.whatif_after).convert("RGB"))[:224]  # above the colour bar
    assert after.shape == (224, 224, 3)
    chinese = tab.explain_edited(view, editor, "blur", "zh-CN")
    assert "图片的模糊版本" in chinese.whatif_text and list(chinese.whatif_table.columns) == [
        "名次",
        "修改前",
        "修改后",
    ]


def analysed(explainer, files, photos):
    """The view of an analysed example photo, as the Explain panel leaves it."""
    panel = ExplainPanel(explainer, files, 0.1)
    no_progress = lambda *a, **k: None  # noqa: E731
    settings = ("Grad-CAM", "jet", 0.5, 8, "per channel", "layer4.2", None, False, "en")
    return panel.analyze(str(photos[1]), *settings, progress=no_progress).view


@pytest.mark.slow
def test_the_occlusion_panel_shows_the_engines_map_and_its_cost(explainer, photos):
    from resnet.cams.occlusion import occlusion_map
    from resnet.present import render

    files = ScratchFiles()
    view = analysed(explainer, files, photos)
    panel = WhatIfTab(explainer, files).occlusion(view, "en", progress=lambda *a, **k: None)
    expected = occlusion_map(explainer, view.explanation.input, view.cam_class)
    assert f"({expected.forwards} forward passes" in panel.occlusion_text
    assert f"{float(expected.drop.max()):.3f}" in panel.occlusion_text
    picture = np.asarray(Image.open(panel.occlusion_image).convert("RGB"), float)
    crop = np.asarray(view.explanation.crop.convert("RGB"), float)
    drawn = np.asarray(render.signed_map(expected.drop, 224), float)
    np.testing.assert_allclose(picture, 0.4 * crop + 0.6 * drawn, atol=1.01)  # the map blended over the crop
    with pytest.raises(gr.Error, match="No image yet"):
        WhatIfTab(explainer, files).occlusion(None, "en", progress=lambda *a, **k: None)

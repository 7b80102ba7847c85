"""The Explain tab and the tabs that follow it, with a visitor's taught classes instead of ImageNet's."""

from __future__ import annotations

import pickle

import gradio as gr
import numpy as np
import pytest
import torch
from helpers import reference_with_head
from pytorch_grad_cam import HiResCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from resnet import load_image
from resnet.core.heads import Head, backbone_sha256
from ui.classes import Classifiers
from ui.files import ScratchFiles
from ui.panel import ExplainPanel
from ui.tabs.learn import LearnTab
from ui.tabs.stages import StagesTab
from ui.tabs.trust import TrustTab
from ui.tabs.whatif import CANVAS, WhatIfTab

EN = "en"


def no_progress(*args, **kwargs):
    pass


def a_head(explainer, seed: int, names: list[str]) -> Head:
    generator = np.random.default_rng(seed)
    weight = generator.normal(0, 0.05, (len(names), 2048)).astype(np.float32)
    bias = generator.normal(0, 0.1, len(names)).astype(np.float32)
    return Head(weight, bias, names, backbone_sha256(explainer.model))


@pytest.fixture(scope="module")
def head(explainer) -> Head:
    return a_head(explainer, 0, ["kettle", "teapot", "mug"])


@pytest.fixture(scope="module")
def tabs(explainer, tmp_path_factory):
    files = ScratchFiles(tmp_path_factory.mktemp("yours"))
    classifiers = Classifiers(explainer)
    explain = ExplainPanel(explainer, files, 0.1, classifiers)
    trust = TrustTab(explainer, explain.heatmaps, files, 0.1, classifiers)
    return explain, trust, LearnTab(explainer, files, classifiers), WhatIfTab(explainer, files, classifiers)


@pytest.fixture(scope="module")
def analysis(tabs, head, photos):
    explain = tabs[0]
    args = ("Grad-CAM", "jet", 0.5, 8, "per channel", "layer4.2")
    return explain.analyze(str(photos[2]), *args, head, True, EN, progress=no_progress)


def test_the_analysis_explains_the_taught_classes(analysis, explainer, reference_model, head, photos):
    view = analysis.view
    image = load_image(photos[2])
    reference = reference_with_head(reference_model, head)
    x = explainer.weights.transforms(image).unsqueeze(0)
    with torch.no_grad():
        expected = reference(x)[0].numpy()
    assert view.head is head and view.explanation.logits.shape == (3,)
    np.testing.assert_allclose(view.explanation.logits, expected, atol=1e-4)
    assert set(analysis.labels) == {"kettle", "teapot", "mug"}
    assert view.cam_class == int(expected.argmax())
    assert [label for label, _ in analysis.any_class["choices"]] == ["kettle (0)", "teapot (1)", "mug (2)"]
    assert [label for label, _ in analysis.contrast["choices"]][1:] == ["kettle (0)", "teapot (1)", "mug (2)"]
    assert head.classes[view.cam_class] in analysis.logit_text
    assert len(analysis.stage_gallery) == 4
    assert len(pickle.dumps(view)) < 1_000_000  # the head (3 × 2048) travels with the page's view


def test_switching_class_and_method_stay_with_the_taught_classes(tabs, analysis, explainer, reference_model, head):
    explain = tabs[0]
    view = analysis.view
    other = (view.cam_class + 1) % 3
    switched = explain.retarget(view, other, -1, "HiResCAM", "jet", 0.5, EN, progress=no_progress)
    assert switched.view.cam_class == other and switched.view.head is head
    assert head.classes[other] in switched.logit_text
    reference = reference_with_head(reference_model, head)
    x = torch.from_numpy(view.explanation.input)[None]
    with HiResCAM(model=reference, target_layers=[reference.layer4[-1]]) as cam:
        expected = cam(input_tensor=x, targets=[ClassifierOutputTarget(other)])[0]
    np.testing.assert_allclose(switched.view.cam, expected, atol=1e-4)  # the package on torchvision + the head
    stages = StagesTab(explain.classifiers, explain.files)
    assert len(stages.stage_panel(switched.view, "jet", 0.5, EN).stage_gallery) == 4


@pytest.mark.slow
def test_the_trust_learn_and_what_if_tabs_follow_the_taught_classes(tabs, analysis, head):
    _, trust, learn, what_if = tabs
    view = analysis.view
    name = head.classes[view.cam_class]
    assert trust.sanity(view, "jet", EN, progress=no_progress).sanity_text
    assert name in trust.curves(view, EN, progress=no_progress).curves_text
    assert trust.diagnose(view, EN).raw_grid
    negative = trust.negative_map(view, "jet", 0.5, EN).view.cam
    taught = trust.classifiers.of(head).explainer
    np.testing.assert_array_equal(negative, taught.layer4_cam(view.explanation, view.cam_class, against=True))
    assert not np.array_equal(
        negative, trust.classifiers.shared.explainer.layer4_cam(view.explanation, 0, against=True)
    )
    lessons = learn.lessons(view, 0, [[0, 1, 0], [1, -4, 1], [0, 1, 0]], "layer2.0", 0, EN)
    assert name in str(lessons.gradient_plot)
    layer = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    layer[:200, :200] = 255
    panel = what_if.explain_edited(view, {"layers": [layer]}, "blur", EN)
    assert f"**{name}** (the explained class)" in panel.whatif_text
    assert f"“{name}”" in what_if.occlusion(view, EN, progress=no_progress).occlusion_text
    assert {cell.split(" (")[0] for cell in panel.whatif_table.iloc[:, 2]} <= set(head.classes)


def test_your_classes_need_a_head(tabs, photos):
    explain = tabs[0]
    args = ("Grad-CAM", "jet", 0.5, 8, "per channel", "layer4.2")
    with pytest.raises(gr.Error, match="Train a head first"):
        explain.analyze(str(photos[2]), *args, None, True, EN, progress=no_progress)
    imagenet = explain.analyze(str(photos[2]), *args, None, False, EN, progress=no_progress)
    assert imagenet.view.head is None and imagenet.view.explanation.logits.shape == (1000,)
    # ImageNet's 1000 classes are in the menus already: the answer sets the value alone, and
    # unticking "yours" puts them back (``page_texts`` runs on that tick too).
    assert "choices" not in imagenet.any_class and imagenet.any_class["value"] == imagenet.view.cam_class
    assert len(explain.page_texts(None, False, EN).any_class["choices"]) == 1000


def test_a_heads_classifier_is_built_once_and_a_few_are_kept(explainer):
    classifiers = Classifiers(explainer, keep=2)
    heads = [a_head(explainer, seed, ["a", "b"]) for seed in range(3)]
    first = classifiers.of(heads[0])
    assert classifiers.of(heads[0]) is first  # the same head again: no new model
    same_numbers = Head(heads[0].weight.copy(), heads[0].bias.copy(), ["a", "b"], heads[0].backbone_sha256)
    assert classifiers.of(same_numbers) is first  # found by its numbers, not its identity
    classifiers.of(heads[1])
    classifiers.of(heads[2])
    assert classifiers.of(heads[0]) is not first  # the oldest was let go
    assert classifiers.of(None) is classifiers.shared


def test_a_language_switch_keeps_the_class_menus_on_the_classes_in_use(tabs, head):
    explain = tabs[0]
    taught = explain.page_texts(head, True, "zh-CN")
    assert [label for label, _ in taught.any_class["choices"]] == [
        f"{name} ({i})" for i, name in enumerate(head.classes)
    ]
    assert taught.contrast["choices"][0] == ("（无）", -1) and len(taught.contrast["choices"]) == 4
    assert len(explain.page_texts(head, False, "en").any_class["choices"]) == 1000  # not ticked: ImageNet's
    assert len(explain.page_texts(None, True, "en").any_class["choices"]) == 1000  # ticked, nothing taught yet

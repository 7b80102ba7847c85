"""The residual lab's handlers, called as Gradio calls them, in both languages."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import numpy as np
import pytest

from resnet.learn.lesions import gradient_along_depth, lesions
from ui.classes import Classifiers
from ui.files import ScratchFiles
from ui.panel import ExplainPanel
from ui.tabs.lab import LabTab, shipped_race


def no_progress(*args, **kwargs):
    pass


@pytest.fixture(scope="module")
def tabs(explainer, tmp_path_factory):
    classifiers = Classifiers(explainer)
    explain = ExplainPanel(explainer, ScratchFiles(tmp_path_factory.mktemp("lab")), 0.1, classifiers)
    return explain, LabTab(explain, 0.1, live_seconds=0.01)


@pytest.fixture(scope="module")
def view(tabs, photos):
    settings = ("Grad-CAM", "jet", 0.5, 8, "per channel", "layer4.2", None, False, "en")
    return tabs[0].analyze(str(photos[5]), *settings, progress=no_progress).view


@pytest.mark.slow
def test_the_lesion_panel_shows_the_engines_numbers_and_reports_them(tabs, view, explainer):
    _, lab = tabs
    panel = lab.lesion_panel(view, "en", progress=no_progress)
    found = lesions(explainer, view.explanation.input)
    c = view.cam_class
    rows = panel.lesion_plot["value"]
    np.testing.assert_allclose(rows["probability"][:16], found.probabilities(found.residual_removed, c), rtol=1e-5)
    np.testing.assert_allclose(rows["probability"][16:], found.probabilities(found.shortcut_removed, c), rtol=1e-5)
    survivors = sum(int(found.shortcut_removed[i].argmax()) == c for i in range(16))
    assert f"for {survivors} of 16" in panel.lesion_text
    curve = panel.lesion_curve["value"]
    assert list(curve["removed"][:9]) == list(range(9))
    report = json.loads(Path(panel.report).read_text())["residual_lab"]["lesions"]
    assert report["probability_shortcut_removed"] == pytest.approx(list(rows["probability"][16:]), rel=1e-5)
    assert panel.view.lab["lesions"] == report
    chinese = lab.lesion_panel(view, "zh-CN", progress=no_progress)
    assert "完整网络中" in chinese.lesion_text
    with pytest.raises(gr.Error, match="No image yet"):
        lab.lesion_panel(None, "en", progress=no_progress)


def test_the_flow_panel_compares_the_gradient_with_and_without_shortcuts(tabs, view, explainer):
    _, lab = tabs
    panel = lab.flow_panel(view, "en")
    rows = panel.flow_plot["value"]
    x = view.explanation.input
    expected = [v for _, v in gradient_along_depth(explainer, x, view.cam_class)]
    plain = [v for _, v in gradient_along_depth(explainer, x, view.cam_class, shortcuts=False)]
    np.testing.assert_allclose(rows["norm"], expected + plain, rtol=1e-5)
    assert list(rows["block"][:2]) == ["stem", "layer1.0"] and set(rows["network"]) == {"relu(F(x) + x)", "relu(F(x))"}
    assert f"×{expected[0] / expected[-1]:.2g}" in panel.flow_text
    report = json.loads(Path(panel.report).read_text())["residual_lab"]
    assert (
        report["gradients"]["grad_norms_plain"] == pytest.approx(plain) and "lesions" not in report or report["lesions"]
    )


@pytest.mark.slow
def test_the_shipped_race_and_a_live_race(tabs):
    _, lab = tabs
    shipped = shipped_race()
    assert set(shipped["model"]) == {"plain-20", "plain-56", "resnet-20", "resnet-56"}
    assert "plain-56" in lab.texts("en").race_text and "最后的训练误差" in lab.texts("zh-CN").race_text
    updates = list(lab.live_race("en", progress=no_progress))
    assert "Training four networks" in updates[0].race_status
    final = updates[-1].race_live_plot["value"]
    assert set(final["model"]) == {"plain-20", "plain-56", "resnet-20", "resnet-56"}  # one epoch each at least
    assert len(updates) == len(final) + 2 and updates[-1].race_status.startswith("Training error at the end")

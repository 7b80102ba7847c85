"""The Trust tab's handlers, called as Gradio calls them, in both languages."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from resnet.cams.trust import SANITY_LAYERS
from resnet.present import render
from ui.files import ScratchFiles
from ui.panel import ExplainPanel
from ui.tabs.trust import TrustTab
from ui.view import View

EN, ZH = "en", "zh-CN"


class NoProgress:
    def __call__(self, *args, **kwargs):
        pass


@pytest.fixture(scope="module")
def tabs(explainer, tmp_path_factory):
    files = ScratchFiles(tmp_path_factory.mktemp("trust"))
    explain = ExplainPanel(explainer, files)
    return explain, TrustTab(explainer, explain.heatmaps, files)


@pytest.fixture(scope="module")
def view(tabs, photos) -> View:
    explain, _ = tabs
    return explain.analyze(
        str(photos[2]), "Grad-CAM", "jet", 0.5, 16, "per channel", "layer4.2", None, False, EN, progress=NoProgress()
    ).view


def test_sanity_panel_shows_the_original_and_six_randomized_maps_with_a_verdict(tabs, view):
    _, trust = tabs
    panel = trust.sanity(view, "jet", EN, progress=NoProgress())
    captions = [caption for _, caption in panel.sanity_gallery]
    assert captions[0] == "original" and len(captions) == 7
    assert [c.split(" · ")[0] for c in captions[1:]] == [f"random up to {name}" for name in SANITY_LAYERS]
    assert panel.sanity_text.startswith("**Passes.**")  # Grad-CAM depends on fc and layer4
    assert all(Image.open(path).size == Image.open(panel.sanity_gallery[0][0]).size for path, _ in panel.sanity_gallery)
    zh = trust.sanity(view, "jet", ZH, progress=NoProgress())
    assert zh.sanity_text.startswith("**通过。**") and zh.sanity_gallery[1][1].startswith("随机化至 fc")


def test_a_class_blind_method_fails_the_sanity_check(tabs, view):
    explain, trust = tabs
    eigen = explain.retarget(view, view.cam_class, -1, "Eigen-CAM", "jet", 0.5, EN, progress=NoProgress()).view
    panel = trust.sanity(eigen, "jet", EN, progress=NoProgress())
    assert panel.sanity_text.startswith("**Fails.**") and "fc" in panel.sanity_text


@pytest.mark.slow
def test_curves_panel_plots_both_curves_and_gives_their_areas(tabs, view):
    _, trust = tabs
    panel = trust.curves(view, EN, progress=NoProgress())
    rows = panel.curves_plot["value"]
    assert set(rows["curve"]) == {"deletion", "insertion"} and len(rows) == 2 * 17
    deletion = rows[rows["curve"] == "deletion"]
    assert deletion["fraction"].iloc[0] == 0 and deletion["fraction"].iloc[-1] == 1
    auc = float(np.trapezoid(deletion["probability"], deletion["fraction"]))
    assert f"deletion AUC **{auc:.3f}**" in panel.curves_text and "ImageNet mean colour" in panel.curves_text
    chinese = trust.curves(view, ZH, progress=NoProgress()).curves_plot  # the colours follow the language's names
    assert chinese["color_map"] == {"删除": "#1f77b4", "插入": "#ff7f0e"}
    assert set(chinese["value"]["curve"]) == {"删除", "插入"}


def test_diagnosis_reads_the_raw_evidence_and_spots_an_empty_map(tabs, view, explainer):
    _, trust = tabs
    diagnosis = trust.diagnose(view, EN)
    raw = explainer.layer4_evidence(view.explanation, view.cam_class)
    assert f"{raw.sum():+.3f}" in diagnosis.diagnosis and Image.open(diagnosis.raw_grid).size == (224, 224)
    assert "forward passes" in diagnosis.trust_costs
    # One scale for the image: a cell's colour is its evidence over the largest |evidence| of any top-5 class.
    second = View(view.explanation, view.cam, view.explanation.top5[1].index, None, "Grad-CAM")
    grid = np.asarray(Image.open(trust.diagnose(second, EN).raw_grid).convert("RGB"))
    bound = max(np.abs(explainer.layer4_evidence(view.explanation, p.index)).max() for p in view.explanation.top5)
    evidence = explainer.layer4_evidence(view.explanation, second.cam_class)
    row, col = np.unravel_index(np.abs(evidence).argmax(), evidence.shape)
    expected = render.colorize(np.array([[(evidence[row, col] / bound + 1) / 2]]), "coolwarm")[0, 0]
    np.testing.assert_array_equal(grid[row * 32 + 16, col * 32 + 16], expected)
    # The class the image argues against most: its map has no positive cell.
    scores = [explainer.layer4_evidence(view.explanation, c).max() for c in range(1000)]
    empty_class = int(np.argmin(scores))
    assert scores[empty_class] <= 0, "the test checkpoint has no class without positive evidence"
    empty = View(view.explanation, view.cam, empty_class, None, "Grad-CAM")
    assert "The map is empty" in trust.diagnose(empty, EN).diagnosis
    assert "热力图是空的" in trust.diagnose(empty, ZH).diagnosis
    negative = trust.negative_map(empty, "jet", 0.5, EN)
    assert negative.view.cam.max() == pytest.approx(1) and Image.open(negative.heatmap).format == "PNG"


def test_nothing_to_check_without_an_image(tabs):
    import gradio as gr

    _, trust = tabs
    with pytest.raises(gr.Error, match="No image yet"):
        trust.sanity(None, "jet", EN, progress=NoProgress())
    assert trust.diagnose(None, EN).raw_grid is None


@pytest.mark.slow
def test_ranking_the_methods_over_photos_gives_evaluates_summary(tabs, explainer, photos, tmp_path):
    """Two photos and an unreadable file: every quick method and the random floor, summarised; the
    Grad-CAM means equal the Trust tab's own curves of each photo, averaged."""
    from gradio import Error

    from resnet import load_image
    from resnet.cams.trust import faithfulness_curves
    from resnet.evaluate.engine import QUICK_METHODS

    _, trust = tabs
    broken = tmp_path / "broken.jpg"
    broken.write_text("not a photo")
    uploads = [str(photos[0]), str(photos[3]), str(broken)]
    cost = trust.ranking.cost("uploads", uploads, EN).rank_cost
    assert cost.startswith("Cost here: 3 photos") and "forward passes" in cost
    assert "张照片" in trust.ranking.cost("examples", None, ZH).rank_cost
    panel = trust.ranking.rank("uploads", uploads, EN, progress=NoProgress())
    table = panel.rank_table
    assert len(table) == 2 * (len(QUICK_METHODS) + 1)  # deletion and insertion for each, RandomCAM too
    deletion = table[(table["method"] == "Grad-CAM") & (table["metric"] == "deletion")]["mean"].item()
    expected = []
    for photo in uploads[:2]:
        explanation = explainer.explain(load_image(photo))
        expected.append(faithfulness_curves(explainer, explanation.input, explanation.cam, explanation.cam_class))
    assert deletion == pytest.approx(np.mean([c.deletion_auc for c in expected]), abs=1e-4)
    assert "Most faithful by insertion here" in panel.rank_text and "broken.jpg" in panel.rank_text
    assert Image.open(panel.rank_plot).size[0] > 300
    with pytest.raises(Error, match="at most 20 photos"):
        trust.ranking.rank("uploads", [str(photos[0])] * 21, EN, progress=NoProgress())
    with pytest.raises(Error, match="Choose some photos"):
        trust.ranking.rank("uploads", None, EN, progress=NoProgress())

"""The page's handlers (private events) called as plain methods, as Gradio calls them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import app
from resnet import load_image


class NoProgress:
    def __call__(self, *args, **kwargs):
        pass


@pytest.fixture(scope="module")
def handlers(explainer):
    return app.Handlers(explainer)


@pytest.fixture(scope="module")
def analyzed(handlers, photos):
    return handlers.analyze(str(photos[2]), "Grad-CAM", "jet", 0.5, 16, "per channel", "layer4.2", progress=NoProgress())


def test_analyze_fills_every_panel(handlers, explainer, photos, analyzed):
    (view, labels, top5, any_class, contrast, heatmap, faith, logit_text, logit_plot, logit_maps, report, stages, features,
     block_plot, block_image, story) = analyzed
    expected = explainer.explain(load_image(photos[2]), blocks=True)
    assert labels == expected.label_confidences
    assert top5["value"] == any_class["value"] == expected.cam_class
    assert [c[1] for c in top5["choices"]] == [p.index for p in expected.top5]
    np.testing.assert_allclose(view.cam, expected.cam, atol=1e-5)
    assert Image.open(heatmap).size == (224, 276) and Image.open(heatmap).format == "PNG"
    assert [caption for _, caption in stages] == [f"{n} · Grad-CAM" for n in ("layer1", "layer2", "layer3", "layer4")]
    assert len(features) == 5
    assert list(block_plot["block"].unique()) == [b.name for b in expected.blocks]
    ratios = block_plot[block_plot["series"].str.startswith("‖")]["value"].to_numpy()
    np.testing.assert_allclose(ratios, [b.ratio for b in expected.blocks], rtol=1e-5)
    assert Image.open(block_image).size == (224, 224)
    top = logit_plot["contribution"].to_numpy()
    assert (top[:8] > 0).all() and (top[8:] < 0).all()
    assert f"logit {expected.logits[expected.cam_class]:.3f}" in logit_text
    strongest = max(expected.blocks, key=lambda b: b.ratio)
    assert f"**{strongest.name}**" in story and f"{strongest.ratio:.2f}×" in story
    report_json = json.loads(open(report).read())
    assert report_json["explained_class"]["index"] == expected.cam_class
    assert len(report_json["blocks"]) == 16
    parts = report_json["logit_decomposition"]
    assert parts["sum_of_contributions"] + parts["bias"] == pytest.approx(parts["logit"], abs=1e-3)


def test_switching_class_runs_no_model_and_matches_a_fresh_run(handlers, explainer, photos, analyzed):
    view = analyzed[0]
    calls = []
    hook = explainer.model.register_forward_pre_hook(lambda *_: calls.append(1))
    try:
        out = handlers.retarget(view, 281, app.NO_CONTRAST, "Grad-CAM", "jet", 0.5, progress=NoProgress())
    finally:
        hook.remove()
    assert calls == []
    new_view, radio_value, dropdown_value = out[0], out[-2], out[-1]
    assert (new_view.cam_class, radio_value, dropdown_value) == (281, None, 281)
    np.testing.assert_allclose(new_view.cam, explainer.explain(load_image(photos[2]), cam_class=281).cam, atol=1e-5)
    assert json.loads(open(out[6]).read())["explained_class"] == {"index": 281, "name": "tabby"}


def test_contrast_and_stage_panel(handlers, explainer, analyzed):
    view = analyzed[0]
    a, b = view.explanation.top5[0].index, view.explanation.top5[1].index
    contrasted = handlers.retarget(view, a, b, "Grad-CAM", "jet", 0.5, progress=NoProgress())[0]
    np.testing.assert_allclose(contrasted.cam, explainer.class_cam(view.explanation, a, contrast=b), atol=1e-6)
    with_stages, gallery = handlers.stage_panel(contrasted, "jet", 0.5)
    expected = explainer.stage_cams(view.explanation, a, contrast=b)
    for name, cam in expected.items():
        np.testing.assert_allclose(with_stages.stage_cams[name], cam, atol=1e-6)
    assert len(gallery) == 4


def test_restyle_and_feature_controls_change_the_pictures(handlers, analyzed):
    view = analyzed[0]
    jet, _ = handlers.restyle(view, "jet", 0.5)
    viridis, _ = handlers.restyle(view, "viridis", 0.9)
    assert np.abs(np.asarray(Image.open(jet), float) - np.asarray(Image.open(viridis), float)).mean() > 5
    few = handlers.features(view, 4, "global")
    many = handlers.features(view, 64, "per stage")
    assert Image.open(few[0][0]).size[0] < Image.open(many[0][0]).size[0]


def test_faithfulness_goes_into_the_report(handlers, analyzed):
    view, text, report = handlers.faithfulness(analyzed[0], progress=NoProgress())
    assert "Faithfulness (ROAD)" in text
    assert json.loads(open(report).read())["faithfulness"]["score"] == pytest.approx(view.road)


def test_method_choices_say_how_long_they_take():
    choices = dict((value, label) for label, value in app.method_choices(0.1))
    assert choices["Grad-CAM"] == "Grad-CAM (instant)"
    assert choices["Score-CAM"].startswith("Score-CAM (≈") and "s here" in choices["Score-CAM"]


def test_live_frames_get_labels_heatmap_and_a_rate(handlers, explainer, photos):
    frame = np.asarray(load_image(photos[0]))  # (H, W, 3) uint8, as the webcam stream delivers
    labels, heatmap, done, info = handlers.live(frame, 0.0)
    assert labels == explainer.explain(load_image(photos[0])).label_confidences
    assert Image.open(heatmap).format == "PNG" and "ms per frame" in info and "frames/s" not in info
    _, _, later, info = handlers.live(frame, done)
    assert later > done and "frames/s" in info
    assert handlers.live(None, later) == (None, None, later, "")

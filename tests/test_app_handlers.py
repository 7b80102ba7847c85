"""The page's handlers (private events) called as plain methods, as Gradio calls them."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from resnet import Explainer, load_image
from resnet.core.explanation import upsample_cams
from resnet.core.heads import backbone_sha256, with_head
from resnet.learn.teaching import pooled_features, teach_features
from resnet.present import render
from resnet.present.charts import TOP_CHANNELS
from ui.files import ScratchFiles
from ui.panel import Analysis, ExplainPanel
from ui.panel_texts import method_choices
from ui.records import output_names
from ui.tabs.features import FeaturesTab
from ui.tabs.learn import LearnTab
from ui.tabs.live import LiveTab
from ui.tabs.stages import StagesTab
from ui.tabs.teach import TeachTab
from ui.view import NO_CONTRAST

EN, ZH = "en", "zh-CN"


class NoProgress:
    def __call__(self, *args, **kwargs):
        pass


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return ScratchFiles(tmp_path_factory.mktemp("scratch"))


@pytest.fixture(scope="module")
def tab(explainer, files):
    return ExplainPanel(explainer, files)


@pytest.fixture(scope="module")
def stages(tab, files):
    return StagesTab(tab.classifiers, files)


@pytest.fixture(scope="module")
def features(explainer, files):
    return FeaturesTab(explainer, files)


def analyze(tab, photo, language=EN):
    return tab.analyze(
        str(photo), "Grad-CAM", "jet", 0.5, 16, "per channel", "layer4.2", None, False, language, progress=NoProgress()
    )


@pytest.fixture(scope="module")
def analyzed(tab, photos) -> Analysis:
    return analyze(tab, photos[2])


def read_json(path: str) -> dict:
    return json.loads(Path(path).read_text())


@pytest.mark.slow
def test_analyze_fills_every_panel(explainer, analyzed, photos):
    a = analyzed
    expected = explainer.explain(load_image(photos[2]), blocks=True)
    assert a.labels == expected.label_confidences
    assert a.top5["value"] == a.any_class["value"] == expected.cam_class
    assert [c[1] for c in a.top5["choices"]] == [p.index for p in expected.top5]
    np.testing.assert_allclose(a.view.cam, expected.cam, atol=1e-5)
    assert Image.open(a.heatmap).size == (224, 224 + render.LEGEND_HEIGHT) and Image.open(a.heatmap).format == "PNG"
    assert [caption for _, caption in a.stage_gallery] == [f"layer{i} · Grad-CAM" for i in range(1, 5)]
    assert len(a.gallery) == 5
    blocks = a.block_plot["value"]
    assert list(blocks["block"].unique()) == [b.name for b in expected.blocks]
    assert set(blocks["series"]) == {"‖F(x)‖ / ‖x‖", "cos(F(x), x)"}
    ratios = blocks[blocks["series"].str.startswith("‖")]["value"].to_numpy()
    np.testing.assert_allclose(ratios, [b.ratio for b in expected.blocks], rtol=1e-5)
    assert Image.open(a.block_image).size == (224, 224)
    strongest = max(expected.blocks, key=lambda b: b.ratio)
    assert f"**{strongest.name}**" in a.learn_story and f"{strongest.ratio:.2f}×" in a.learn_story


def test_logit_chart_maps_and_report_show_the_same_channels(explainer, analyzed):
    a = analyzed
    parts = explainer.logit_parts(a.view.explanation, a.view.cam_class)
    up, down = parts.strongest(TOP_CHANNELS, +1), parts.strongest(TOP_CHANNELS, -1)
    chart = a.logit_plot["value"]
    assert list(chart["channel"]) == [f"ch {k}" for k in up + down]
    np.testing.assert_allclose(chart["contribution"], parts.contributions[up + down], rtol=1e-6)
    assert [caption.split(" · ")[0] for _, caption in a.logit_maps] == list(chart["channel"])
    assert f"logit {parts.logit:.3f}" in a.logit_text
    report = read_json(a.report)
    assert [c["channel"] for c in report["logit_decomposition"]["channels_up"]] == up
    assert [c["channel"] for c in report["logit_decomposition"]["channels_down"]] == down
    assert report["explained_class"]["index"] == a.view.cam_class and len(report["blocks"]) == 16


def test_no_image_clears_every_panel(tab):
    cleared = tab.analyze(
        None, "Grad-CAM", "jet", 0.5, 16, "per channel", "layer4.2", None, False, EN, progress=NoProgress()
    )
    assert cleared.view is None and cleared.heatmap is None and cleared.gallery == [] and cleared.labels is None
    # Every panel the analysis fills is emptied (a menu keeps its choices, the top-5 radio loses them).
    left = {name: value for name in output_names(Analysis) if (value := getattr(cleared, name)) not in (None, "", [])}
    assert set(left) == {"top5", "any_class", "contrast"} and left["top5"]["choices"] == []
    assert all(
        update.get("__type__") == "update" and "value" not in update for update in (left["any_class"], left["contrast"])
    )


def test_a_bad_file_is_a_message_in_the_pages_language(tab, tmp_path):
    fake = tmp_path / "notes.jpg"
    fake.write_text("not a picture")
    with pytest.raises(gr.Error, match="not an image that can be read"):
        analyze(tab, fake, EN)
    with pytest.raises(gr.Error, match="不是可读取的图片"):
        analyze(tab, fake, ZH)


def test_switching_class_runs_no_model_and_matches_a_fresh_run(tab, explainer, photos, analyzed):
    calls = []
    hook = explainer.model.register_forward_pre_hook(lambda *_: calls.append(1))
    try:
        out = tab.retarget(analyzed.view, 281, NO_CONTRAST, "Grad-CAM", "jet", 0.5, EN, progress=NoProgress())
    finally:
        hook.remove()
    assert calls == []
    assert (out.view.cam_class, out.top5, out.any_class) == (281, None, 281)
    np.testing.assert_allclose(out.view.cam, explainer.explain(load_image(photos[2]), cam_class=281).cam, atol=1e-5)
    assert read_json(out.report)["explained_class"] == {"index": 281, "name": "tabby"}


def test_contrast_and_stage_panel(tab, stages, explainer, analyzed):
    view = analyzed.view
    a, b = view.explanation.top5[0].index, view.explanation.top5[1].index
    contrasted = tab.retarget(view, a, b, "Grad-CAM", "jet", 0.5, EN, progress=NoProgress()).view
    np.testing.assert_allclose(contrasted.cam, explainer.layer4_cam(view.explanation, a, contrast=b), atol=1e-6)
    panel = stages.stage_panel(contrasted, "jet", 0.5, EN)
    expected = upsample_cams(explainer.stage_grids(view.explanation, a, contrast=b))
    shown = upsample_cams(panel.view.stage_grids)
    for name, cam in expected.items():
        np.testing.assert_allclose(shown[name], cam, atol=1e-6)
    assert len(panel.stage_gallery) == 4


@pytest.mark.slow
def test_a_page_keeps_under_a_megabyte_and_loses_no_panel(tab, stages, features, explainer, analyzed, photos):
    """The session keeps the kept form of the analysis; what it dropped is remade exactly."""
    view = analyzed.view
    assert len(pickle.dumps(view)) < 1_000_000  # was 8.6 MB with every stage's activations
    assert set(view.explanation.stages) == {"layer4"}
    full = explainer.explain(load_image(photos[2]), all_stages=True, blocks=True)
    assert np.array_equal(view.explanation.input, full.input)
    np.testing.assert_allclose(view.explanation.layer4, full.stages["layer4"], atol=1e-5)
    for name, cam in full.stage_cams.items():
        np.testing.assert_allclose(upsample_cams(view.stage_grids)[name], cam, atol=1e-5)
    # The feature maps (channels / colour scale controls) are remade with one forward pass.
    remade = features.features(view, 16, "per channel").gallery
    for (picture, caption), (first, first_caption) in zip(remade, analyzed.gallery, strict=True):
        assert caption == first_caption
        assert np.abs(np.asarray(Image.open(picture), int) - np.asarray(Image.open(first), int)).max() <= 1
    after = [
        tab.retarget(view, 281, NO_CONTRAST, "HiResCAM", "jet", 0.5, EN, progress=NoProgress()).view,
        stages.stage_panel(view, "jet", 0.5, EN).view,
        tab.faithfulness(view, EN, progress=NoProgress()).view,
    ]
    assert [len(pickle.dumps(v)) < 1_000_000 for v in after] == [True] * 3, [len(pickle.dumps(v)) for v in after]


def test_restyle_and_feature_controls_change_the_pictures(tab, features, analyzed):
    view = analyzed.view
    jet = tab.restyle(view, "jet", 0.5, EN).heatmap
    viridis = tab.restyle(view, "viridis", 0.9, EN).heatmap
    assert np.abs(np.asarray(Image.open(jet), float) - np.asarray(Image.open(viridis), float)).mean() > 5
    few = features.features(view, 4, "global").gallery
    many = features.features(view, 64, "per stage").gallery
    assert Image.open(few[0][0]).size[0] < Image.open(many[0][0]).size[0]


@pytest.mark.slow
def test_faithfulness_goes_into_the_report(tab, analyzed):
    result = tab.faithfulness(analyzed.view, EN, progress=NoProgress())
    assert "Faithfulness (ROAD)" in result.faith
    assert read_json(result.report)["faithfulness"]["score"] == pytest.approx(result.view.road)


def test_method_choices_say_how_long_they_take():
    choices = {value: label for label, value in method_choices(0.1)}
    assert choices["Grad-CAM"] == "Grad-CAM (instant)"
    assert choices["Score-CAM"] == "Score-CAM (≈ 140 s here)"  # 1400 forward passes of 0.1 s
    assert choices["Grad-CAM++"] == "Grad-CAM++ (< 1 s)"
    assert {value: label for label, value in method_choices(0.1, ZH)}["Score-CAM"] == "Score-CAM（本机约 140 秒）"


def test_the_chinese_page_gets_every_server_text_in_chinese(tab, features, explainer, files, photos, analyzed):
    zh = analyze(tab, photos[2], ZH)
    assert zh.learn_story.startswith("你的图片") and "倍" in zh.learn_story
    assert zh.block_plot["x_title"] == "瓶颈块，从输入到输出"
    assert zh.logit_plot["y_title"] == "对 logit 的贡献"
    assert all(caption.startswith("通道 ") for _, caption in zh.logit_maps)
    assert [caption for _, caption in zh.stage_gallery] == [f"layer{i} 的 Grad-CAM" for i in range(1, 5)]
    assert "（2048 个通道贡献之和）" in zh.logit_text
    texts = tab.page_texts(None, False, ZH)
    assert "运行于 cpu" in texts.banner and texts.contrast["choices"][0] == ("（无）", NO_CONTRAST)
    table = LearnTab(explainer, files).texts(ZH).learn_table
    assert "乘加" in table and "4.09" in table
    scales = features.texts(ZH).scale["choices"]
    assert scales == [("每个通道", "per channel"), ("每个阶段", "per stage"), ("全局", "global")]
    # The heatmap's colour bar is drawn in Chinese where a CJK font is installed.
    if render.can_draw(render.LegendWords("无证据")):
        english, chinese = np.asarray(Image.open(analyzed.heatmap)), np.asarray(Image.open(zh.heatmap))
        assert (english[:224] == chinese[:224]).all() and (english[224:] != chinese[224:]).any()


def test_live_frames_get_labels_heatmap_and_a_rate(explainer, files, photos):
    live = LiveTab(explainer, files)
    frame = np.asarray(load_image(photos[0]))  # (H, W, 3) uint8, as the webcam stream delivers
    first = live.live(frame, None, None, False, 0.0, False, EN)
    expected = explainer.explain(load_image(photos[0]))
    assert first.live_labels == expected.label_confidences
    assert Image.open(first.live_heatmap).format == "PNG"
    assert "ms per frame" in first.live_info and "frames/s" not in first.live_info
    np.testing.assert_allclose(upsample_cams({"g": first.live_last.grid})["g"], expected.cam, atol=1e-6)
    second = live.live(frame, first.live_last, None, False, 0.0, False, ZH)
    assert second.live_last.done > first.live_last.done and "帧/秒" in second.live_info
    assert live.live(None, second.live_last, None, False, 0.0, False, EN).live_heatmap is None


def test_live_smoothing_and_class_lock(explainer, files, photos):
    """The map is an exponential moving average of the 7×7 grids; a locked class stays explained."""
    live = LiveTab(explainer, files)
    a, b = (np.asarray(load_image(p)) for p in photos[:2])
    grid = {
        i: explainer.layer4_grid(e, e.cam_class)
        for i, e in enumerate(explainer.explain(load_image(p)) for p in photos[:2])
    }
    first = live.live(a, None, None, False, 0.75, False, EN)
    np.testing.assert_allclose(first.live_last.grid, grid[0], atol=1e-6)
    same_class = explainer.explain(load_image(photos[1])).cam_class == first.live_last.cam_class
    second = live.live(b, first.live_last, None, False, 0.75, False, EN)
    want = 0.75 * grid[0] + 0.25 * grid[1] if same_class else grid[1]
    np.testing.assert_allclose(second.live_last.grid, want, atol=1e-6)
    # Locked: photo b is explained for photo a's class, whatever b's top-1.
    locked = live.live(b, first.live_last, None, False, 0.0, True, EN)
    a_class = first.live_last.cam_class
    assert locked.live_last.cam_class == a_class and "locked on" in locked.live_info
    b_explained = explainer.explain(load_image(photos[1]))
    np.testing.assert_allclose(locked.live_last.grid, explainer.layer4_grid(b_explained, a_class), atol=1e-6)
    frozen = live.freeze(b)
    assert np.array_equal(np.asarray(Image.open(frozen.image).convert("RGB")), b)  # lossless PNG of the frame


def test_live_frames_with_the_visitors_taught_classes(explainer, files, photos):
    teach = TeachTab(explainer, files)
    live = LiveTab(explainer, files, classifiers=teach.classifiers)
    frame = np.asarray(load_image(photos[1]))
    assert "Train a head first" in live.live(frame, None, None, True, 0.0, False, EN).live_info
    rows = {
        name: pooled_features(explainer, [load_image(p)], mirrored=True)
        for name, p in zip("ab", photos[:2], strict=True)
    }
    head = teach_features(rows, backbone_sha256(explainer.model)).head
    yours = live.live(frame, None, head, True, 0.0, False, EN)
    expected = Explainer(with_head(explainer.weights, head)).explain(load_image(photos[1]))
    assert yours.live_labels == expected.label_confidences and set(yours.live_labels) == {"a", "b"}
    assert max(yours.live_labels, key=yours.live_labels.get) == "b"  # the photo it was taught as "b"
    assert set(live.live(frame, None, head, False, 0.0, False, EN).live_labels) <= set(explainer.weights.categories)

"""The Channels tab's handlers, called as Gradio calls them, and the public ``/channel`` endpoint."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from resnet import load_image
from resnet.channels.answers import channel_card
from resnet.channels.cache import Cache
from resnet.channels.targets import Target
from resnet.channels.visualize import Optimization
from resnet.present.charts import logit_bars
from ui.classes import Classifiers
from ui.files import ScratchFiles
from ui.tabs.channels import ChannelsTab
from ui.view import View

EN, ZH = "en", "zh-CN"


@pytest.fixture(scope="module")
def tab(explainer, tmp_path_factory):
    return ChannelsTab(explainer, ScratchFiles(tmp_path_factory.mktemp("scratch")), Classifiers(explainer), 0.06)


@pytest.fixture(scope="module")
def view(explainer, photos):
    explanation = explainer.explain(load_image(photos[2])).kept()
    return View(explanation, explanation.cam, explanation.cam_class, None, "Grad-CAM")


def test_a_channel_says_its_cost_first_then_shows_its_picture_examples_and_map(tab, view, explainer):
    steps = list(tab.show(view, "layer4.2", 7, EN))
    assert "≈" in steps[0].channel_status and steps[0].channel_picture is None
    shown = steps[-1]
    card = channel_card(explainer, "layer4.2", 7, view.explanation, view.cam_class)
    assert f"{card.visualization.activation:.2f}" in shown.channel_status
    share = float(explainer.fc_weight[view.cam_class, 7]) * float(card.where.mean())
    assert f"{share:+.3f}" in shown.channel_status  # its part of the logit, as the Logit tab splits it
    parts = explainer.logit_parts(view.explanation, view.cam_class)
    assert share == pytest.approx(float(parts.contributions[7]), rel=1e-4, abs=1e-6)
    assert Image.open(shown.channel_picture).size == (224, 224) and Image.open(shown.channel_where).size[0] >= 224
    assert len(shown.channel_examples) == 6  # the six example photos, strongest first
    values = [float(caption.rsplit("· ", 1)[1]) for _, caption in shown.channel_examples]
    assert values == sorted(values, reverse=True)


def test_a_cached_channel_opens_without_optimizing(tab, explainer):
    unit = Target("layer4.2", 7)
    Cache().get(explainer, [unit], Optimization())
    assert Cache().missing(explainer, [unit], Optimization()) == []
    shown = list(tab.show(None, "layer4", 7, ZH))[-1]
    assert "在上方解释一张照片" in shown.channel_status and shown.channel_where is None


@pytest.mark.parametrize(("layer", "channel", "words"), [("layer9", 0, "请从菜单中选择"), ("stem", 64, "0 到 63")])
def test_a_wrong_layer_or_channel_gets_a_sentence_in_the_page_language(tab, layer, channel, words):
    with pytest.raises(gr.Error, match=words):
        list(tab.show(None, layer, channel, ZH))


def test_the_channels_behind_an_answer_add_up_as_the_logit_says(tab, view, explainer):
    steps = list(tab.behind(view, EN))
    assert "≈" in steps[0].behind_status
    parts = explainer.logit_parts(view.explanation, view.cam_class)
    strongest = np.argsort(-parts.contributions, kind="stable")[:4]
    shown = steps[-1]
    assert f"{float(parts.contributions[strongest].sum()):+.2f}" in shown.behind_status
    assert [int(caption.split()[1]) for _, caption in shown.behind_gallery[::2]] == strongest.tolist()
    with pytest.raises(gr.Error):
        list(tab.behind(None, EN))


def test_a_map_clicked_in_the_logit_tab_opens_its_channel(tab, view, explainer):
    bars = logit_bars(explainer.logit_parts(view.explanation, view.cam_class))
    chosen = tab.from_logits(view, gr.SelectData(None, {"index": 3, "value": None}))
    assert (chosen.channel_layer, chosen.channel_index) == ("layer4.2", bars[3].channel)


def test_a_stage_clicked_in_the_features_tab_opens_its_most_active_channel(tab, view, explainer):
    stages = explainer.activations(view.explanation)
    for index, stage, layer in ((0, "stem", "stem"), (3, "layer3", "layer3.5")):
        chosen = tab.from_features(view, gr.SelectData(None, {"index": index, "value": None}))
        assert (chosen.channel_layer, chosen.channel_index) == (layer, int(stages[stage].mean(axis=(1, 2)).argmax()))


def test_the_channel_endpoint_answers_with_the_picture_and_its_numbers(client, explainer):
    path, record = client.predict("layer3", 5, api_name="/channel")
    card = channel_card(explainer, "layer3", 5)
    assert record["layer"] == "layer3.5" and record["channel"] == 5
    assert record["activation"] == pytest.approx(card.visualization.activation)
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), card.visualization.image)
    with pytest.raises(Exception, match="no layer 'conv9'"):
        client.predict("conv9", 0, api_name="/channel")

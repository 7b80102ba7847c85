"""Every language in one place: ImageNet's 1000 class names in Chinese, used wherever the page names a class."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from helpers import english_words

from resnet import load_image
from resnet.cams.methods import METHODS
from resnet.present import render
from ui.classes import Classifiers
from ui.files import ScratchFiles
from ui.locales import CLASS_NAME_FILES, imagenet_names
from ui.panel import ExplainPanel
from ui.panel_texts import weights_words
from ui.text import EN, ZH

from conftest import ROOT

CJK = re.compile("[\u4e00-\u9fff]")
needs_cjk_font = pytest.mark.skipif(
    not render.has_cjk_font(), reason="Chinese names need a CJK font (fonts-wqy-zenhei)"
)


def test_the_chinese_table_names_all_1000_classes_once_each(weights):
    rows = CLASS_NAME_FILES["zh-CN"].read_text(encoding="utf-8").splitlines()
    assert [int(row.split("\t")[0]) for row in rows] == list(range(1000))  # numbered, in ImageNet's order
    names = imagenet_names("zh-CN")
    assert len(names) == len(weights.categories) == 1000
    assert len(set(names)) == 1000 and all(name.strip() == name and name for name in names)
    assert sum(bool(CJK.search(name)) for name in names) >= 998  # "iPod" stays as it is
    # English has two "crane"s and two "maillot"s; Chinese tells them apart.
    assert names[134] != names[517] and names[638] != names[639]
    assert imagenet_names("en") is None  # English names come from the weights' own metadata


@pytest.fixture(scope="module")
def panel(explainer, tmp_path_factory):
    return ExplainPanel(explainer, ScratchFiles(tmp_path_factory.mktemp("locales")), 0.1, Classifiers(explainer))


@needs_cjk_font
def test_a_chinese_page_names_the_cats_top1_in_chinese(panel, explainer, photos):
    cat = next(p for p in photos if p.stem == "chelsea")
    expected = explainer.explain(load_image(cat))
    chinese = imagenet_names("zh-CN")
    settings = ("Grad-CAM", "jet", 0.5, 8, "per channel", "layer4.2", None, False)
    zh = panel.analyze(str(cat), *settings, "zh-CN", progress=lambda *a, **k: None)
    assert list(zh.labels) == [chinese[p.index] for p in expected.top5]
    assert CJK.search(next(iter(zh.labels)))
    top1 = expected.top5[0].index
    assert zh.learn_story.startswith(f"你的图片（第一名：**{chinese[top1]}**")
    assert f"**{chinese[top1]}**" in zh.logit_text
    # The menu keeps the English name beside the Chinese one: both can be typed to search.
    choices = {value: label for label, value in panel.page_texts(None, False, "zh-CN").any_class["choices"]}
    assert choices[top1] == f"{chinese[top1]} · {explainer.weights.categories[top1]} ({top1})"
    # The JSON report names each class in English and in the page's language.
    report = json.loads(Path(zh.report).read_text())
    assert report["explained_class"] == {
        "index": top1,
        "name": explainer.weights.categories[top1],
        "name_zh_CN": chinese[top1],
    }
    assert [p["name_zh_CN"] for p in report["top5"]] == [chinese[p.index] for p in expected.top5]
    en = panel.analyze(str(cat), *settings, "en", progress=lambda *a, **k: None)
    assert list(en.labels) == [p.name for p in expected.top5] and "name_zh_CN" not in Path(en.report).read_text()


def test_a_taught_head_keeps_the_names_it_was_taught(explainer):
    import numpy as np

    from resnet.core.heads import Head, backbone_sha256

    head = Head(
        np.zeros((2, 2048), np.float32), np.zeros(2, np.float32), ["茶壶", "mug"], backbone_sha256(explainer.model)
    )
    classifier = Classifiers(explainer).of(head)
    assert classifier.names("zh-CN") == classifier.names("en") == ["茶壶", "mug"]


def test_the_page_and_readme_count_the_cam_methods_that_ship():
    others = len(METHODS) - 1  # besides Grad-CAM
    assert f"Grad-CAM and {others} other CAM methods" in EN["intro"]
    assert f"Grad-CAM 及另外 {others} 种 CAM 方法" in ZH["intro"]
    readme = (ROOT / "README.md").read_text()
    assert f"Grad-CAM and {others} other CAM methods" in readme
    in_words = {15: "Fifteen", 16: "Sixteen", 17: "Seventeen"}[len(METHODS)]
    assert f"**{in_words} CAM methods**" in readme


def test_no_chinese_text_leaves_english_words_in_it():
    """Every text of the Chinese page, also those no browser test reaches (errors, progress, results).
    Code in backticks is typed as it is, and placeholders are filled with names and numbers."""
    from ui.locales import zh_CN

    found = {}
    for key, value in {**zh_CN.STATIC, **zh_CN.SERVER}.items():
        words = english_words(re.sub(r"`[^`]*`|\{[^}]*\}", " ", value))
        if words:
            found[key] = words
    assert not found, found


@pytest.mark.parametrize("name", ["custom", "random", "IMAGENET1K_V2"])
def test_the_weights_line_says_in_english_what_the_engine_says(weights, name):
    """The page's line about the weights, in English, is ``describe()`` word for word; in Chinese
    it names the same hash, file or accuracy."""
    shown = dataclasses.replace(weights, name=name, source="seed 0" if name == "random" else weights.source)
    assert weights_words(shown, "en") == shown.describe()
    chinese = weights_words(shown, "zh-CN")
    assert not english_words(chinese), chinese
    assert {"custom": shown.short_hash, "random": "0", "IMAGENET1K_V2": "80.9%"}[name] in chinese

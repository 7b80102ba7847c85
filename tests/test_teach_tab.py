"""The Teach tab: classes from photos, a head fitted on them, downloaded, uploaded, tried on a photo."""

from __future__ import annotations

import pickle

import gradio as gr
import numpy as np
import pytest

from resnet import Explainer, load_image
from resnet.core.heads import load_head, with_head
from resnet.learn.teaching import pooled_features
from ui.files import EXAMPLES, ScratchFiles
from ui.tabs.teach import Examples, TeachTab

EN = "en"


def quiet(*args, **kwargs):
    pass


@pytest.fixture(scope="module")
def tab(explainer, tmp_path_factory):
    return TeachTab(explainer, ScratchFiles(tmp_path_factory.mktemp("teach")))


@pytest.mark.slow
def test_example_classes_train_download_upload_and_try(tab, explainer, photos):
    added = tab.example_classes(EN, progress=quiet)
    names = [p.stem for p in EXAMPLES[:3]]
    assert list(added.teach_state.features) == names
    assert all(added.teach_state.photos(n) == 6 for n in names)
    assert all(f"| {n} | 6 |" in added.teach_classes for n in names)
    assert len(pickle.dumps(added.teach_state)) < 18 * 16_384 + 2_000  # 16 KB a photo: features, not pictures
    trained = tab.train(added.teach_state, EN, progress=quiet)
    assert trained.teach_head.classes == names and "100%" in trained.teach_summary
    assert "left out" in trained.teach_summary
    again = tab.load(trained.teach_download, EN)
    assert again.teach_head.classes == names
    assert np.array_equal(again.teach_head.weight, load_head(trained.teach_download).weight)
    tried = tab.try_head(again.teach_head, str(EXAMPLES[1]), EN)
    expected = Explainer(with_head(explainer.weights, again.teach_head)).explain(load_image(EXAMPLES[1]))
    assert tried.teach_labels == {names[i]: pytest.approx(float(p)) for i, p in enumerate(expected.probabilities)}
    assert max(tried.teach_labels, key=tried.teach_labels.get) == names[1]  # a photo it was taught on


def test_photos_become_features_and_bad_input_is_a_clear_message(tab, explainer, photos, tmp_path):
    state = tab.add_photos(None, " mugs ", [str(photos[0]), str(photos[1])], EN, progress=quiet).teach_state
    assert list(state.features) == ["mugs"] and state.photos("mugs") == 2
    expected = pooled_features(explainer, [load_image(photos[0]), load_image(photos[1])], mirrored=True)
    np.testing.assert_allclose(state.features["mugs"], expected, atol=1e-5)
    more = tab.add_photos(state, "mugs", [str(photos[2])], EN, progress=quiet).teach_state
    assert more.photos("mugs") == 3 and state.photos("mugs") == 2  # the old state is not changed
    bad = tmp_path / "bad.jpg"
    bad.write_text("not a picture")
    with pytest.raises(gr.Error, match="not an image"):
        tab.add_photos(more, "mugs", [str(bad)], EN, progress=quiet)
    with pytest.raises(gr.Error, match="Name the class"):
        tab.add_photos(more, "  ", [str(photos[0])], EN, progress=quiet)
    with pytest.raises(gr.Error, match="2 to 10 classes"):
        tab.train(more, EN, progress=quiet)
    with pytest.raises(gr.Error, match="Train a head first"):
        tab.try_head(None, str(photos[0]), EN)
    with pytest.raises(gr.Error, match="30 photos"):
        tab.add_photos(Examples({}), "many", [str(photos[0])] * 31, EN, progress=quiet)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"nope")
    with pytest.raises(gr.Error, match="not a head file"):
        tab.load(str(junk), "en")

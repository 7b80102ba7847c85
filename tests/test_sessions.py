"""Open pages, spoken in the browser's protocol: what a session keeps, and that a closed page lets go."""

from __future__ import annotations

import pickle
import time
import tracemalloc

import numpy as np
import pytest
from page_session import EventFailed, PageSession

from resnet import load_image


@pytest.fixture
def fast_heartbeat(monkeypatch):
    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "0.5")  # a closed page is noticed within 0.5 s


def kept_view(demo, page: PageSession):
    """The View the server keeps for a page (its only gr.State value that is not None)."""
    state = demo.state_holder.session_data[page.session_hash].state_data
    return next(value for value in state.values() if hasattr(value, "explanation"))


@pytest.mark.slow
def test_a_closed_page_gives_its_session_back_and_others_keep_theirs(served, explainer, photos, fast_heartbeat):
    demo, url = served
    page, other = PageSession(url), PageSession(url)
    try:
        page.trigger("button", "click", image=page.upload(photos[0]))
        assert not page.value("conv_worked")  # the Learn tab is closed: no lessons computed
        other.trigger("learn_tab", "select")  # opened before the photo: lessons follow each analysis
        other.trigger("button", "click", image=other.upload(photos[1]))
        expected = explainer.explain(load_image(photos[1]))
        view = kept_view(demo, other)
        assert view.cam_class == expected.cam_class and len(pickle.dumps(view)) < 1_000_000
        assert page.session_hash in demo.state_holder.session_data
        page.close()
        deadline = time.monotonic() + 20
        while page.session_hash in demo.state_holder.session_data and time.monotonic() < deadline:
            time.sleep(0.2)
        assert page.session_hash not in demo.state_holder.session_data
        # The analysis also filled the open Learn tab's lessons (a chained event), for this photo.
        assert other.value("kernels") and other.value("conv_worked") and other.value("gradient_plot")
        other.trigger("lesson_block_choice", "input", lesson_block_choice="layer4.0")
        assert "layer4.0" in other.value("block_numbers") and "2048" in other.value("block_numbers")
        # The other page still has its analysis: a class switch works without a new upload.
        other.trigger("any_class", "input", any_class=281)
        assert "tabby" in other.value("logit_text")
        assert kept_view(demo, other).cam_class == 281
    finally:
        page.close()
        other.close()


@pytest.mark.slow
def test_a_session_keeps_no_copy_of_the_page_config(served, photos):
    demo, url = served
    page = PageSession(url)
    try:
        page.trigger("button", "click", image=page.upload(photos[0]))
        session = demo.state_holder.session_data[page.session_hash]
        assert list(session.components) == []  # Gradio's own kept every component's config and value
        # An update that changed a component's value alone leaves the session no copy of it (the
        # class menus, 1,000 entries each); one that changed its settings (the top-5's classes) does.
        shared, kept = demo.default_config.blocks, session.blocks_config.blocks
        copies = {i for i, block in kept.items() if block is not shared.get(i)}
        menu = page.ids["any_class"]
        assert kept[menu] is shared[menu] and len(shared[menu].choices) == 1000
        assert page.ids["top5"] in copies and len(copies) <= 5, copies
        assert page.value("labels")["confidences"]  # the page still answers, and keeps its view
        view = kept_view(demo, page)  # the crop (150 kB) and layer4's activations (sparse), the heatmap as its grid
        assert view.heatmap.shape == (7, 7) and np.array_equal(view.cam, view.explanation.cam)
        assert len(pickle.dumps(view)) < 600_000  # 0.5 MB with the block maps; a (224, 224) heatmap adds 0.2
        top5 = [index for _, index in kept[page.ids["top5"]].choices]  # the session's own top-5 menu
        assert top5 == [p.index for p in view.explanation.top5]
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            fresh = demo.state_holder["a-page-that-just-opened"]
            cost = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
            demo.state_holder.session_data.pop("a-page-that-just-opened", None)
        assert fresh.state_data == {} and cost < 100_000  # Gradio's own: about 530 kB for this page
    finally:
        page.close()


def test_a_page_event_without_an_analysis_asks_for_a_photo(server, fast_heartbeat):
    page = PageSession(server)
    try:
        with pytest.raises(EventFailed, match="image"):
            page.trigger("any_class", "input", any_class=281)
    finally:
        page.close()

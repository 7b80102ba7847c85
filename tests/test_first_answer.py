"""The first answer first: a new photo's top-5 and heatmap reach the page in the analysis's first
message, before any picture of another tab is drawn; then the page fills as before."""

from __future__ import annotations

from page_session import PageSession

from resnet import load_image
from ui.files import SCRATCH_DIR


def test_the_first_message_holds_the_top5_and_heatmap_and_no_other_picture(server, explainer, photos):
    page = PageSession(server)
    upload = page.upload(photos[1])
    before = set(SCRATCH_DIR.glob("*"))
    first = []

    def on_update() -> None:  # the page's state when the analysis's first message has arrived
        if not first:
            first.append((set(SCRATCH_DIR.glob("*")) - before, page.value("labels"), page.value("heatmap")))

    page.trigger("image", "change", on_update=on_update, image=upload)
    written, labels, heatmap = first[0]
    want = explainer.explain(load_image(photos[1])).top5
    assert labels["label"] == want[0].name
    assert [c["label"] for c in labels["confidences"]] == [p.name for p in want]
    assert [path.name for path in written] == [heatmap["path"].rsplit("/", 1)[-1]]  # the heatmap alone
    # Then the other tabs' pictures, drawn from the same pass (feature maps, stages, blocks, logits).
    assert len(page.value("gallery")) == 5 and len(page.value("stage_gallery")) == 4
    assert page.value("logit_maps") and page.value("block_image") and page.value("learn_story")
    assert page.value("report")["path"].endswith(".json")
    page.close()

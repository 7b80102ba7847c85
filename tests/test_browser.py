"""The page in a real browser: Debian's Chromium driven by Playwright, against the launched app.

Screenshots go to ``artifacts/``. Without Chromium these tests are skipped, unless
``REQUIRE_BROWSER=1`` (set by .ci/run, which installs it) turns that into a failure.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from clips import write_clip

from resnet import load_image
from resnet.present import render
from ui.page import GROUPS
from ui.text import EN, ZH

from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CAMERA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
WAIT_MS = 60_000
GROUP_OF = {EN[f"tab_{tab}"]: title for _, title, tabs in GROUPS for tab in tabs}  # a tab's English name -> its group
ZH_TO_EN = {ZH[f"tab_{tab}"]: EN[f"tab_{tab}"] for _, _, tabs in GROUPS for tab in tabs}

if not CHROMIUM.exists() or not __import__("importlib").util.find_spec("playwright"):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise RuntimeError("REQUIRE_BROWSER=1 but Chromium (apt-get install chromium) or playwright is missing")
    pytest.skip("needs Debian's Chromium and the playwright package", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.slow  # a real server, browser or app process


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS + CAMERA_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="en-US", permissions=["camera"])
    page = context.new_page()
    page.goto(server)
    expect(page.get_by_text("Example photos")).to_be_visible(timeout=WAIT_MS)
    yield page
    context.close()


def open_tab(page, name, language: str = "en") -> None:
    """Open a tab: its group, then the tab itself (``name`` in ``language``, or a pattern)."""
    group = GROUP_OF[ZH_TO_EN.get(name, name)] if isinstance(name, str) else None
    if group is not None:
        click_tab(page, (EN if language == "en" else ZH)[group])
    click_tab(page, name)


def click_tab(page, name) -> None:
    """Click a tab, from the "More tabs" menu when the row of tabs has no room for it.

    Gradio measures the row after the page renders and only then moves tabs into the menu, so
    this looks again until one of the two is there.
    """
    tab = page.get_by_role("tab", name=name, exact=True)
    more = page.get_by_role("button", name="More tabs")
    listed = page.locator(".overflow-dropdown button", has_text=name)
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        if tab.count() and tab.first.is_visible():
            tab.first.click()
            return
        if listed.count() and more.count() and more.first.is_visible():
            more.first.click()
            listed.first.click()
            return
        time.sleep(0.2)
    raise AssertionError(f"no tab named {name!r}")


def expect_explained(page, top1: str | None = None):
    """Wait until the label, the heatmap and the stage gallery are shown."""
    label = page.locator(".output-class, [data-testid='label-output-value']").first
    if top1:
        expect(page.get_by_text(top1, exact=True).first).to_be_visible(timeout=WAIT_MS)
    else:
        expect(label).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("layer4 · 2048×7×7")).to_be_visible(timeout=WAIT_MS)
    heatmap = page.locator("img[src*='resnet-explainer']").first
    expect(heatmap).to_be_visible(timeout=WAIT_MS)


def test_example_click_shows_labels_heatmap_weights_and_stages(page, explainer, weights, photos):
    chelsea = next(p for p in photos if p.stem == "chelsea")
    expected = explainer.explain(load_image(chelsea)).top5[0].name
    page.locator("img[src*='chelsea']").first.click()
    expect_explained(page, expected)
    expect(page.get_by_text(weights.describe())).to_be_visible()
    for caption in ("stem · 64×56×56", "layer1 · 256×56×56", "layer2 · 512×28×28", "layer3 · 1024×14×14"):
        expect(page.get_by_text(caption)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "explain.png"), full_page=True)


def test_upload_from_disk(page, explainer, photos):
    coffee = next(p for p in photos if p.stem == "coffee")
    expected = explainer.explain(load_image(coffee)).top5[0].name
    page.locator("input[type=file]").first.set_input_files(str(coffee))
    expect_explained(page, expected)


def test_bad_upload_shows_the_message(page, tmp_path):
    fake = tmp_path / "holiday.jpg"
    fake.write_text("not a photo")
    page.locator("input[type=file]").first.set_input_files(str(fake))
    expect(page.get_by_text(re.compile("not an image that can be read")).first).to_be_visible(timeout=WAIT_MS)


def test_page_follows_the_browser_language(browser, server, explainer, photos):
    from ui.locales import imagenet_names

    context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="zh-CN")
    page = context.new_page()
    page.goto(server)
    expect(page.get_by_text("示例照片")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="解释", exact=True)).to_be_visible()
    expect(page.get_by_role("tab", name=ZH["group_learn"])).to_be_visible()
    open_tab(page, ZH["tab_learn"], "zh-CN")
    expect(page.get_by_role("tab", name=ZH["tab_learn"])).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "zh-CN-learn.png"), full_page=True)
    # The cat's top-1 is named in Chinese (where the server has a CJK font to draw it into captions).
    page.locator("img[src*='chelsea']").first.click()
    top1 = explainer.explain(load_image(next(p for p in photos if p.stem == "chelsea"))).top5[0]
    name = imagenet_names("zh-CN")[top1.index] if render.has_cjk_font() else top1.name
    expect(page.locator("#labels").get_by_text(name, exact=True).first).to_be_visible(timeout=WAIT_MS)
    open_tab(page, ZH["tab_features"], "zh-CN")
    page.screenshot(path=str(ARTIFACTS / "zh-CN.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_group_and_tab_names_fit_a_desktop_row_and_a_phone(browser, server, locale):
    """Every group and every tab of each group is in its row, none in a "More tabs" menu."""
    texts = EN if locale == "en-US" else ZH
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
        page = context.new_page()
        page.goto(server)
        for _, title, tabs in GROUPS:
            group = page.get_by_role("tab", name=texts[title], exact=True)
            expect(group).to_be_visible(timeout=WAIT_MS)
            group.click()
            for tab in tabs:
                expect(page.get_by_role("tab", name=texts[f"tab_{tab}"], exact=True)).to_be_visible()
            assert not page.get_by_role("button", name="More tabs").filter(visible=True).count(), (width, title)
        page.screenshot(path=str(ARTIFACTS / f"tabs-{locale}-{width}.png"))
        context.close()


def test_language_can_be_switched_in_settings(page):
    expect(page.get_by_role("button", name="Explain", exact=True)).to_be_visible()
    page.get_by_text("Settings").click()
    language = page.get_by_label("Language")
    language.click()
    page.get_by_role("option", name=re.compile("中文")).first.click()
    page.keyboard.press("Escape")
    expect(page.get_by_text("示例照片")).to_be_visible(timeout=WAIT_MS)


def test_webcam_snapshot_from_chromiums_fake_camera(page):
    page.get_by_label("Capture from camera").first.click()
    page.get_by_role("button", name="Click to Access Webcam").first.click()
    shutter = page.get_by_label("capture photo").first
    expect(shutter).to_be_visible(timeout=WAIT_MS)
    time.sleep(1)  # let the fake camera deliver frames
    shutter.click()
    expect_explained(page)
    page.screenshot(path=str(ARTIFACTS / "webcam.png"), full_page=True)


def test_live_tab_streams_without_a_backlog(page):
    """The fake camera streams; answers keep coming; after Stop at most one more arrives.

    The frame rate the page reports is written to artifacts/ (a figure, not a pass/fail bound).
    """
    open_tab(page, EN["tab_live"])
    page.get_by_role("button", name="Click to Access Webcam").last.click()
    page.locator("button:has-text('Record'):visible").click()
    info = page.get_by_text(re.compile(r"frames/s · \d+ ms per frame on the server"))
    expect(info).to_be_visible(timeout=WAIT_MS)
    answers, began = [], time.monotonic()
    while time.monotonic() - began < 8:
        text = info.first.inner_text()
        if not answers or answers[-1] != text:
            answers.append(text)
        time.sleep(0.01)
    assert len(answers) > 5
    rates = [float(re.match(r"([\d.]+) frames/s", a).group(1)) for a in answers]
    page.locator("button:has-text('Stop'):visible").first.click()
    stopped, after = time.monotonic(), []
    while time.monotonic() - stopped < 3:
        text = info.first.inner_text()
        if text != (after or answers)[-1]:
            after.append(text)
        time.sleep(0.01)
    assert len(after) <= 1  # no queue of stale frames kept being answered
    median = sorted(rates)[len(rates) // 2]
    (ARTIFACTS / "live_browser_fps.txt").write_text(
        f"{median:.1f} frames/s served to Chromium's fake camera (median)\n"
    )
    print(f"live: {median:.1f} frames/s in the browser")


def test_live_view_locks_its_class_and_a_frame_can_be_frozen_for_the_full_analysis(page):
    open_tab(page, EN["tab_live"])
    smoothing = page.locator("#live_smoothing input[type=number]")
    smoothing.fill("0.9")
    smoothing.press("Enter")
    page.get_by_label("Lock the explained class").check()
    page.get_by_role("button", name="Click to Access Webcam").last.click()
    page.locator("button:has-text('Record'):visible").click()
    expect(page.get_by_text(re.compile("heatmap locked on"))).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Freeze this frame and analyse it").click()
    page.locator("button:has-text('Stop'):visible").first.click()
    open_tab(page, EN["tab_features"])
    expect_explained(page)  # the Explain panel analysed the frozen frame
    page.screenshot(path=str(ARTIFACTS / "live_locked.png"), full_page=True)


def test_server_texts_follow_the_language_chosen_in_settings(page, tmp_path):
    """An English browser switched to 中文 in Settings gets the server's messages and texts in Chinese."""
    page.get_by_text("Settings").click()
    page.get_by_label("Language").click()
    page.get_by_role("option", name=re.compile("中文")).first.click()
    page.keyboard.press("Escape")
    expect(page.get_by_text("示例照片")).to_be_visible(timeout=WAIT_MS)
    if page.get_by_role("dialog").count():  # the settings dialog may stay open: close it by its backdrop
        page.locator(".backdrop").first.click(position={"x": 5, "y": 5}, force=True)
    expect(page.get_by_role("dialog")).to_have_count(0)
    fake = tmp_path / "holiday.jpg"
    fake.write_text("not a photo")
    page.locator("input[type=file]").first.set_input_files(str(fake))
    expect(page.get_by_text(re.compile("不是可读取的图片")).first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("模型：")).to_be_visible(timeout=WAIT_MS)  # texts made at load, made again
    expect(page.get_by_text("每个阶段", exact=True)).to_be_visible()
    page.locator("img[src*='chelsea']").first.click()
    # Gradio re-labels only the selected tab on a switch (the others on reload): find either name.
    page.get_by_role("tab", name=re.compile(f"{ZH['group_learn']}|{EN['group_learn']}")).click()
    page.get_by_role("tab", name=re.compile(f"{ZH['tab_learn']}|{EN['tab_learn']}")).click()
    expect(page.get_by_text(re.compile("改变信号最多的块是")).first).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("tab", name=re.compile(f"{ZH['group_inside']}|{EN['group_inside']}")).click()
    page.get_by_role("tab", name=re.compile(f"{ZH['tab_blocks']}|{EN['tab_blocks']}")).click()
    for series in ("‖F(x)‖ / ‖x‖", "cos(F(x), x)"):  # the chart's legend names both series
        expect(page.get_by_text(series, exact=True).first).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(ARTIFACTS / "zh-CN-settings.png"), full_page=True)


def test_bad_upload_message_in_chinese(browser, server, tmp_path):
    fake = tmp_path / "假期.jpg"
    fake.write_text("not a photo")
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="zh-CN")
    page = context.new_page()
    page.goto(server)
    expect(page.get_by_text("示例照片")).to_be_visible(timeout=WAIT_MS)
    page.locator("input[type=file]").first.set_input_files(str(fake))
    expect(page.get_by_text(re.compile("不是可读取的图片")).first).to_be_visible(timeout=WAIT_MS)
    context.close()


def test_trust_tab_runs_its_checks_on_the_map_shown(page, explainer, photos):
    from resnet.cams.trust import sanity_check

    full = explainer.explain(load_image(next(p for p in photos if p.stem == "chelsea")))
    passes = sanity_check(explainer, full.input, full.cam, "Grad-CAM", full.cam_class, None).passes
    page.locator("img[src*='chelsea']").first.click()
    expect_explained(page)
    open_tab(page, EN["tab_trust"])
    expect(page.get_by_text(re.compile(r"Cost here: sanity check 6 forward passes"))).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(re.compile("Evidence before the ReLU"))).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Run the sanity check").click()
    expect(page.get_by_text(re.compile(r"random up to stem · ρ")).first).to_be_visible(timeout=WAIT_MS)
    verdict = "^Passes\\." if passes else "^Fails\\."  # the engine's own verdict on the same map
    expect(page.get_by_text(re.compile(verdict)).first).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Deletion and insertion curves").click()
    expect(page.get_by_text(re.compile(r"deletion AUC")).first).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Compare the quick methods").click()
    expect(page.get_by_text("consensus", exact=True).first).to_be_visible(timeout=4 * WAIT_MS)
    expect(page.get_by_text("EigenGrad-CAM").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "trust.png"), full_page=True)
    page.get_by_role("button", name="See the earlier stages").click()
    expect(page.get_by_text("layer1 · Grad-CAM").first).to_be_visible(timeout=WAIT_MS)


def test_single_output_controls_update_their_panel(page):
    """Events with one output (colour scale -> feature gallery, block -> its map) reach the page."""
    page.locator("img[src*='chelsea']").first.click()
    expect_explained(page)

    def served() -> set[str]:
        return set(page.eval_on_selector_all("img[src*='resnet-explainer']", "els => els.map(e => e.src)"))

    def wait_for_new_pictures(before: set[str]) -> None:
        deadline = time.monotonic() + WAIT_MS / 1000
        while not served() - before:
            assert time.monotonic() < deadline, "the panel was not updated"
            time.sleep(0.2)

    before = served()
    page.get_by_label("global").check()
    wait_for_new_pictures(before)
    open_tab(page, EN["tab_blocks"])
    before = served()
    page.get_by_label("Block for the map").click()
    page.get_by_role("option", name="layer2.0").click()
    wait_for_new_pictures(before)
    expect(page.get_by_text("Error", exact=True)).to_have_count(0)


def test_teach_tab_learns_classes_from_the_example_photos_and_explains_with_them(page, photos):
    open_tab(page, EN["tab_teach"])
    page.get_by_role("button", name="Try it with the example photos").click()
    expect(page.get_by_role("cell", name="astronaut")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text(re.compile("Trained on 3 classes"))).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(re.compile("left out of a first fit"))).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(re.compile(r"resnet50-head-.*\.safetensors"))).to_be_visible(timeout=WAIT_MS)
    # Try the taught classes on one of the photos they were taught from.
    camera = next(p for p in photos if p.stem == "camera")
    page.locator("input[type=file]").last.set_input_files(str(camera))
    page.get_by_role("button", name="Explain with your classes").click()
    labels = page.locator("[data-testid='label-output-value']").last
    expect(labels).to_contain_text("camera", timeout=WAIT_MS)
    heatmap = page.locator("img[src*='resnet-explainer']").last
    expect(heatmap).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(ARTIFACTS / "teach.png"), full_page=True)
    # The Explain panel explains the taught classes too, once asked to.
    page.get_by_label("Your classes (taught in the Teach tab)").check()
    page.locator("img[src*='astronaut']").first.click()
    top = page.locator("#labels [data-testid='label-output-value']")
    expect(top).to_contain_text(re.compile("astronaut|camera|chelsea"), timeout=WAIT_MS)
    expect(page.locator("#any_class input")).to_have_value(re.compile(r"(astronaut|camera|chelsea) \(\d\)"))


def test_learn_tab_lessons_follow_the_photo_and_the_controls(page):
    page.locator("img[src*='chelsea']").first.click()
    expect_explained(page)
    open_tab(page, EN["tab_learn"])
    expect(page.get_by_text(re.compile("One output value worked out"))).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(re.compile("One max-pooling window worked out"))).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(re.compile(r"layer2\.0\*\*|layer2\.0, channel"))).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("A 3×3 kernel of your own: start from").click()
    page.get_by_role("option", name="blur").click()
    expect(page.get_by_role("cell", name="+0.111", exact=True)).to_have_count(9, timeout=WAIT_MS)  # the blur kernel
    page.screenshot(path=str(ARTIFACTS / "learn.png"), full_page=True)


def test_residual_lab_removes_blocks_and_follows_the_gradient(page):
    page.locator("img[src*='chelsea']").first.click()
    expect_explained(page)
    open_tab(page, EN["tab_lab"])
    expect(page.get_by_text(re.compile(r"Cost here: 97 forward passes"))).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(re.compile(r"Training error at the end: plain-20"))).to_be_visible()
    page.get_by_role("button", name=EN["lesion_button"]).click()
    expect(page.get_by_text(re.compile(r"stays the top-1 for \d+ of 16 blocks"))).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name=EN["flow_button"]).click()
    expect(page.get_by_text(re.compile(r"the gradient's norm changes by"))).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(ARTIFACTS / "lab.png"), full_page=True)


def test_video_tab_explains_an_uploaded_clip_and_opens_a_frame(page, tmp_path):
    clip = write_clip(tmp_path / "walk.mp4", seconds=2.0, fps=10)
    open_tab(page, EN["tab_video"])
    page.locator("#video_in input[type=file]").set_input_files(str(clip))
    page.get_by_role("button", name="Explain video").click()
    expect(page.get_by_text(re.compile(r"Explained 20 frames"))).to_be_visible(timeout=WAIT_MS)
    video = page.locator("#video_cam video")
    expect(video).to_have_attribute("src", re.compile("resnet50-video-.*\\.mp4"), timeout=WAIT_MS)
    # The browser itself plays the H.264 file: it knows its length once it has read it.
    page.wait_for_function("document.querySelector('#video_cam video').readyState >= 1", timeout=WAIT_MS)
    assert page.evaluate("document.querySelector('#video_cam video').duration") == pytest.approx(2.0, abs=0.2)
    expect(page.locator("#video_timeline canvas, #video_timeline svg").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#video_legend .chart-legend")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Frame 1 of 20 explained"))).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(ARTIFACTS / "video.png"), full_page=True)
    page.get_by_role("button", name="Analyse this frame in full (Explain panel)").click()
    open_tab(page, EN["tab_features"])
    expect_explained(page)  # the Explain panel analysed the frame


def test_video_tab_stop_cancels_a_long_clip(page, tmp_path):
    clip = write_clip(tmp_path / "long.mp4", seconds=30.0, fps=10, size=(320, 240))  # 300 frames: half a minute here
    open_tab(page, EN["tab_video"])
    page.locator("#video_in input[type=file]").set_input_files(str(clip))
    page.get_by_role("button", name="Explain video").click()
    expect(page.locator("#video_status p")).to_have_text(re.compile(r"\d+ of about 300 frames"), timeout=WAIT_MS)
    page.get_by_role("button", name="Stop", exact=True).click()
    time.sleep(1.5)  # a batch that had started when Stop was clicked still finishes
    status = page.locator("#video_status p").inner_text()
    time.sleep(4)  # several batches' time: a clip still being explained would have moved on
    assert page.locator("#video_status p").inner_text() == status and "of about 300" in status
    expect(page.locator("#video_cam video")).to_have_count(0)
    # The server is free again: the next clip is explained at once.
    short = write_clip(tmp_path / "short.mp4", seconds=1.0, fps=5)
    page.locator("#video_in button[aria-label='Clear'], #video_in button[title='Clear']").first.click()
    page.locator("#video_in input[type=file]").set_input_files(str(short))
    page.get_by_role("button", name="Explain video").click()
    expect(page.get_by_text(re.compile(r"Explained 5 frames"))).to_be_visible(timeout=20_000)  # not 30 s behind


def test_what_if_tab_paints_a_mask_and_compares(page):
    page.locator("img[src*='chelsea']").first.click()
    expect_explained(page)
    open_tab(page, EN["tab_whatif"])
    canvas = page.locator("#whatif_editor canvas").first
    expect(canvas).to_be_visible(timeout=WAIT_MS)
    brush = page.locator("#whatif_editor button[aria-label*='rush'], #whatif_editor button[title*='rush']")
    if brush.count():
        brush.first.click()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    for step in range(12):
        page.mouse.move(box["x"] + box["width"] * (0.3 + step * 0.03), box["y"] + box["height"] * 0.5, steps=3)
    page.mouse.up()
    page.get_by_role("button", name="See what the model does without it").click()
    expect(page.get_by_text(re.compile(r"% of the picture filled with a blur of the picture"))).to_be_visible(
        timeout=WAIT_MS
    )
    expect(page.locator("#whatif_table")).to_contain_text("before")
    expect(page.locator("#whatif_after img")).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(ARTIFACTS / "whatif.png"), full_page=True)


def test_video_tab_records_a_clip_with_the_webcam_and_explains_it(page):
    """Chromium's fake camera records a WebM (MediaRecorder writes no length in its header) that PyAV decodes."""
    open_tab(page, EN["tab_video"])
    page.locator("#video_in button[aria-label='Capture from camera']").click()
    page.locator("#video_in").get_by_role("button", name="Click to Access Webcam").click()
    page.locator("#video_in button[aria-label='start recording']").click()
    time.sleep(2.5)
    page.locator("#video_in button").filter(has_text=re.compile("Stop")).first.click()
    expect(page.locator("#video_in video")).to_have_attribute(
        "src", re.compile(r"\.webm|blob:|gradio_api/file"), timeout=WAIT_MS
    )
    page.get_by_role("button", name="Explain video").click()
    expect(page.locator("#video_status p")).to_have_text(re.compile(r"Explained \d+ frames"), timeout=WAIT_MS)
    expect(page.locator("#video_cam video")).to_have_attribute("src", re.compile("resnet50-video-"), timeout=WAIT_MS)
    page.screenshot(path=str(ARTIFACTS / "video_webcam.png"), full_page=True)

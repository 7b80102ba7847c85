"""Every visitor, in Chromium: axe-core over every tab found in the page (before and after an
explanation, English and Chinese, 1280 and 390 px wide), the Chinese page's words, a phone's
view, and the keyboard alone.

One walk of the page per language and width serves the axe and word tests; axe-core comes
from npm (``npm ci`` installs it into ``node_modules/``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pytest
from helpers import english_words

from conftest import ASSETS, ROOT

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WAIT_MS = 60_000
PHONE = {"width": 390, "height": 844}

if not (os.path.exists(CHROMIUM) and AXE.exists() and __import__("importlib").util.find_spec("playwright")):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise RuntimeError("REQUIRE_BROWSER=1 but Chromium, playwright or axe-core (npm ci) is missing")
    pytest.skip("needs Debian's Chromium, playwright and axe-core (npm ci)", allow_module_level=True)

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.slow  # a real server, browser or app process

# Nothing is being computed: no output dimmed while it updates, no progress shown.
IDLE_JS = """() => !document.querySelector(".pending") && ![...document.querySelectorAll(
  "[data-testid=status-tracker]")].some((el) => !el.classList.contains("hide") && el.offsetParent !== null)"""
CLIPPED_JS = """() => [...document.querySelectorAll(
    "[data-testid=block-label], [data-testid=block-info], label > span, .caption-label, th")]
  .filter((el) => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1 && el.textContent.trim())
  .map((el) => el.textContent.trim().slice(0, 60))"""
CLASS_IN_ENGLISH = re.compile(r" · [^·(]+ \(\d+\)$")  # a class menu's entry: "黑斑羚 · impala (352)"
VISIBLE_TEXT_JS = """() => {
  const hide = document.createElement("style");
  hide.textContent = "code, pre { display: none !important; }";
  document.head.append(hide);
  const text = document.body.innerText;
  hide.remove();
  const shown = (el) => el.offsetParent !== null;  // what a menu or box shows as its value
  const values = [...document.querySelectorAll("input[type=text], input:not([type]), textarea")].filter(shown);
  return [text, values.map((el) => el.value)];
}"""


@dataclass(frozen=True)
class Seen:
    """What one view of the page showed: the violations axe-core found, and the visible text."""

    locale: str
    width: int
    when: str  # "before" or "after" an explanation
    tab: str
    violations: tuple  # (impact, rule, target, html)
    text: str
    clipped: tuple  # labels and captions whose words do not fit their box


def views(page):
    """Open every group and every tab in it, as found in the page; yields each tab's id."""
    outer = page.evaluate(
        "() => [...document.querySelectorAll('#groups [role=tab]')]"
        ".filter(t => !t.parentElement.closest('[role=tabpanel]')).map(t => t.id)"
    )
    assert len(outer) >= 2, "the page's groups of tabs were not found"
    for group in outer:
        _click(page, group)
        panel = page.evaluate("id => document.getElementById(id).getAttribute('aria-controls')", group)
        for tab in page.evaluate(f"() => [...document.querySelectorAll('#{panel} [role=tab]')].map(t => t.id)"):
            _click(page, tab)
            yield tab.removesuffix("-button")


def _click(page, element_id: str) -> None:
    """Select a tab (also one that a narrow row has moved into its "more" menu) and let it draw."""
    page.evaluate("id => document.getElementById(id).click()", element_id)
    expect(page.locator(f"[id='{element_id}']")).to_have_attribute("aria-selected", "true")
    settle(page)


def settle(page, quiet_ms: int = 500) -> None:
    """Wait until nothing has been computing for ``quiet_ms`` (a tab may start its work on opening)."""
    page.evaluate("window.__busy = performance.now()")
    page.wait_for_function(
        f"""() => {{
          if (!({IDLE_JS})()) window.__busy = performance.now();
          return performance.now() - window.__busy >= {quiet_ms};
        }}""",
        timeout=WAIT_MS,
        polling=50,
    )


def axe(page, within: str | None = None) -> list[tuple]:
    """axe-core's critical and serious violations on the page as shown (or in the element ``within``)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    context = "document" if within is None else f"{{include: [['[id=\"{within}\"]']]}}"
    found = page.evaluate(f"axe.run({context}, {{resultTypes: ['violations']}})")["violations"]
    return [
        (v["impact"], v["id"], " ".join(map(str, node["target"])), node["html"][:120])
        for v in found
        for node in v["nodes"]
        if v["impact"] in ("critical", "serious")
    ]


def explain_a_photo(page) -> None:
    page.locator("input[type=file]").first.set_input_files(str(ASSETS / "chelsea.jpg"))
    expect(page.locator("#answer .output-class")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#answer img[src*='resnet-explainer']").first).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(1500)  # the other tabs' pictures follow the first answer


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def open_page(browser, server, locale: str = "en-US", viewport: dict | None = None):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    page.goto(server)
    expect(page.locator("#answer")).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(1000)
    return page


@pytest.fixture(scope="module")
def walked(browser, server) -> list[Seen]:
    """Every tab, before and after an explanation, in both languages at both widths."""
    seen = []
    for locale in ("en-US", "zh-CN"):
        for width in (1280, 390):
            page = open_page(browser, server, locale, {"width": width, "height": 844})
            for when in ("before", "after"):
                if when == "after":
                    _click(page, page.evaluate("() => document.querySelector('#groups [role=tab]').id"))
                    explain_a_photo(page)
                for i, tab in enumerate(views(page)):
                    text, values = page.evaluate(VISIBLE_TEXT_JS)
                    text += "\n" + "\n".join(CLASS_IN_ENGLISH.sub("", value) for value in values)
                    clipped = tuple(page.evaluate(CLIPPED_JS))
                    found = axe(page, within=None if i == 0 else tab)  # the whole page once, then each tab
                    seen.append(Seen(locale, width, when, tab, tuple(found), text, clipped))
            page.context.close()
    return seen


def focus_by_keyboard(page, selector: str, presses: int = 300) -> None:
    """Press Tab until the element ``selector`` has the focus, and check that the focus is seen."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s)", selector):
            style = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
            )
            assert style[0] != "none" and float(style[1].removesuffix("px")) >= 2, f"focus not visible on {selector}"
            return
    raise AssertionError(f"the keyboard never reached {selector}")


def choose_file_by_keyboard(page, path, tries: int = 3) -> None:
    """Enter on the focused upload area opens the file chooser (pressed again if the page was not
    listening yet), and the file is chosen there."""
    for attempt in range(tries):
        try:
            with page.expect_file_chooser(timeout=5000) as chooser:
                page.keyboard.press("Enter")
            chooser.value.set_files(str(path))
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise


def test_the_keyboard_alone_explains_a_photo_switches_the_class_and_opens_every_tab(browser, server):
    page = open_page(browser, server)
    focus_by_keyboard(page, "#image button.upload-container")
    choose_file_by_keyboard(page, ASSETS / "chelsea.jpg")
    focus_by_keyboard(page, "#button")  # Explain, after the photo
    page.keyboard.press("Enter")
    heatmap = page.locator("#answer #heatmap img")
    expect(heatmap).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#top5 input:checked")).to_have_count(1, timeout=WAIT_MS)
    settle(page)  # the radio's last update is in
    first = heatmap.get_attribute("src")
    focus_by_keyboard(page, "#top5 input:checked")
    page.keyboard.press("ArrowDown")  # the radio group: the next of the top-5
    expect(page.locator("#top5 input:checked")).not_to_have_value(
        page.locator("#top5 input").first.get_attribute("value")
    )
    expect(heatmap).not_to_have_attribute("src", first, timeout=WAIT_MS)
    opened = []
    groups = page.evaluate("() => [...document.querySelectorAll('#groups [role=tab]')].map(t => t.id)")
    for group in [
        g for g in groups if not page.evaluate("id => !!document.getElementById(id).closest('[role=tabpanel]')", g)
    ]:
        focus_by_keyboard(page, f"[id='{group}']")
        page.keyboard.press("Enter")
        opened.append(group)
        panel = page.evaluate("id => document.getElementById(id).getAttribute('aria-controls')", group)
        for tab in page.evaluate(f"() => [...document.querySelectorAll('#{panel} [role=tab]')].map(t => t.id)"):
            focus_by_keyboard(page, f"[id='{tab}']")
            page.keyboard.press("Enter")
            expect(page.locator(f"[id='{tab}']")).to_have_attribute("aria-selected", "true")
            opened.append(tab)
    assert len(set(opened)) >= 15, opened  # 4 groups and 11 tabs


def test_a_phone_shows_the_answer_after_explain_and_keeps_tables_whole(browser, server):
    page = open_page(browser, server, "en-US", PHONE)
    page.locator("button.gallery-item").first.click()
    expect(page.locator("#answer .output-class")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#answer #heatmap img")).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(500)
    label, heatmap = (page.locator(f"#answer #{i}").bounding_box() for i in ("labels", "heatmap"))
    assert label["y"] >= -1 and heatmap["y"] + heatmap["height"] <= PHONE["height"], (label, heatmap)
    _click(page, "group_learn_teach-button")
    _click(page, "learn_tab-button")
    table = page.evaluate(
        """() => { const box = document.querySelector('#learn_table');
                   const cells = [...box.querySelectorAll('th, td')].map(c => c.getBoundingClientRect().width);
                   return [Math.min(...cells), box.scrollWidth, box.clientWidth, getComputedStyle(box).overflowX]; }"""
    )
    assert table[0] >= 40, f"a column of the architecture table is {table[0]:.0f} px wide"
    assert table[1] <= table[2] or table[3] == "auto", "the table is wider than its box and cannot be scrolled"


def test_axe_finds_nothing_critical_or_serious_on_any_tab(walked):
    assert len({s.tab for s in walked}) >= 11, "fewer tabs than the page has"
    failures = {(v[1], v[2]): (s.locale, s.width, s.when, s.tab, v[3]) for s in walked for v in s.violations}
    assert not failures, "\n".join(f"{rule} at {target}: {where}" for (rule, target), where in failures.items())


def test_the_chinese_page_shows_no_english_words(walked):
    words = {}
    for seen in walked:
        if seen.locale == "zh-CN":
            for word in english_words(seen.text):
                words.setdefault(word, seen.tab)
    assert not words, f"English on the Chinese page: {words}"


def test_no_label_or_caption_is_cut_off(walked):
    clipped = {(s.locale, s.width, s.tab): s.clipped for s in walked if s.clipped}
    assert not clipped, clipped


def test_nothing_waits_empty_or_pressable_without_a_reason(browser, server):
    """Stop buttons are disabled until there is something to stop; an empty box says what will
    come; "As it was" shows the analysed heatmap before anything is painted; the Video tab has a
    clip one click away."""
    page = open_page(browser, server)
    for group, tab, stop in (("learn_teach", "lab", "race_stop"), ("motion", "video", "video_stop")):
        _click(page, f"group_{group}-button")
        _click(page, f"{tab}_tab-button")
        expect(page.locator(f"#{stop}")).to_be_disabled()
    _click(page, "group_test-button")
    _click(page, "whatif_tab-button")
    expect(page.locator("#whatif_before .empty-note")).to_contain_text("appears here")
    _click(page, "group_inside-button")
    explain_a_photo(page)
    _click(page, "group_test-button")
    _click(page, "whatif_tab-button")
    expect(page.locator("#whatif_before img")).to_be_visible(timeout=WAIT_MS)
    _click(page, "group_motion-button")
    _click(page, "video_tab-button")
    page.locator("#video_tab button.gallery-item").first.click()
    expect(page.locator("#video_in video")).to_be_visible(timeout=WAIT_MS)
    fps = page.locator("#video_fps input[type=number]")
    fps.fill("1")  # 4 frames of the 4 s clip
    fps.press("Enter")
    page.locator("#video_button").click()
    expect(page.locator("#video_stop")).to_be_enabled(timeout=WAIT_MS)
    expect(page.locator("#video_timeline .empty-note")).to_have_count(0, timeout=WAIT_MS)  # the timeline is drawn
    expect(page.locator("#video_stop")).to_be_disabled(timeout=WAIT_MS)

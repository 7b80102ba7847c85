"""What makes the page usable by everyone: a theme with readable contrast, and a small script
that gives Gradio's own markup the names, sentences and roles it leaves out.

Gradio offers no handle for some of its markup (gallery thumbnails named "Thumbnail 1 of 5", an
empty box labelled "Empty value" on a plain ``div``, the example photos as unnamed buttons), so
``ACCESSIBILITY_JS`` mends them in the browser whenever the page changes. An empty box gets a
sentence saying what will appear there and how (``empty_*`` texts of each locale).
"""

from __future__ import annotations

import json

import gradio as gr

from ui.locales import en, zh_CN
from ui.text import CHINESE, ENGLISH, SERVER

# Contrast on white ≥ 4.5:1 (WCAG AA) for every text colour the theme sets: orange-700 (5.2:1)
# behind white button text and as the selected tab's text; zinc-600 for subdued text (7.7:1);
# red-700 (6.5:1) behind the Stop buttons' white text.
THEME = gr.themes.Default().set(
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    button_primary_background_fill_dark="*primary_700",
    button_primary_background_fill_hover_dark="*primary_800",
    color_accent="*primary_700",
    body_text_color_subdued="*neutral_600",
    body_text_color_subdued_dark="*neutral_300",
    button_cancel_background_fill="#b91c1c",
    button_cancel_background_fill_hover="#991b1b",
)
CSS = (
    ".empty-note { padding: 0 var(--size-4); text-align: center; color: var(--body-text-color); }"
    ":focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px; }"
    # A box's progress shows at full strength (Gradio pulses it from transparent: low contrast, and motion).
    "[data-testid=status-tracker], [data-testid=status-tracker] * { animation: none !important; }"
    # Captions and labels wrap instead of being cut ("ch 344 · +0.…" hid the number it was there for).
    ".caption-label { white-space: normal !important; max-width: 100% !important; text-overflow: clip !important; }"
    ".scroll-sideways { overflow-x: auto; } .scroll-sideways table { min-width: 34rem; }"
    # A phone fits a group's five tabs in one row (Gradio moves tabs that do not fit into a menu).
    "@media (max-width: 480px) { .tab-container button { padding: 0 6px !important; } }"
)
ANSWER_ID = "answer"  # the Explain panel's answer column: top-5, heatmap, pickers
# On a narrow screen the answer column sits below the photo and its pickers: a new photo brings it into view.
SHOW_ANSWER_JS = f"""() => {{
  if (window.innerWidth < 768) document.getElementById("{ANSWER_ID}")?.scrollIntoView({{block: "start"}});
}}"""
# The texts the script needs, in each language: {language: {key: text}}.
_TEXTS = {
    language: {key: value for key, value in SERVER[language].items() if key.startswith(("empty_", "a11y_"))}
    for language in (ENGLISH, CHINESE)
}
_GRADIO_WORDS = {ENGLISH: en.GRADIO_WORDS, CHINESE: zh_CN.GRADIO_WORDS}

ACCESSIBILITY_JS = (
    """() => {
  const TEXTS = """
    + json.dumps(_TEXTS, ensure_ascii=False)
    + """;
  const GRADIO_WORDS = """
    + json.dumps(_GRADIO_WORDS, ensure_ascii=False)
    + """;
  const language = () => (document.documentElement.lang || "en").startsWith("zh") ? "zh-CN" : "en";
  const words = () => TEXTS[language()];
  const labelOf = (el) => el.closest(".block")?.querySelector("[data-testid=block-label], label span")?.textContent?.trim() || "";
  const tabOf = (el) => (el.closest("[id$=_tab][role=tabpanel]")?.id || "explain_tab").replace(/_tab$/, "");
  function mend() {
    const t = words();
    // Gradio's words that it writes without a translation: in the page's language.
    const gradio = Object.entries(GRADIO_WORDS[language()]);
    if (gradio.length) {
      for (const el of document.querySelectorAll(".progress-text, .meta-text, button .wrap, .wrap > span")) {
        for (const node of el.childNodes) {
          if (node.nodeType !== Node.TEXT_NODE) continue;
          let value = node.nodeValue;
          for (const [english, translated] of gradio) value = value.replace(english, translated);
          if (value !== node.nodeValue) node.nodeValue = value;
        }
      }
    }
    // An empty output: a sentence instead of an "Empty value" label on a plain div.
    for (const box of document.querySelectorAll(".empty.unpadded_box")) {
      box.removeAttribute("aria-label");
      const id = box.closest("[id]")?.id || "";
      const sentence = t["empty_" + id] || (t["empty_tab_" + tabOf(box)] || t.empty_tab_explain).replace("{label}", labelOf(box) || t.a11y_result);
      let note = box.querySelector(":scope > .empty-note");
      if (!note) { note = document.createElement("p"); note.className = "empty-note"; box.append(note); }
      if (note.textContent !== sentence) note.textContent = sentence;
    }
    // Upload areas: named by the words they show.
    for (const area of document.querySelectorAll("button.upload-container[aria-label]")) area.removeAttribute("aria-label");
    // Gallery thumbnails: their caption and place, in the page's language.
    for (const strip of document.querySelectorAll(".thumbnails, .grid-container")) {
      const items = strip.querySelectorAll("button.thumbnail-item");
      items.forEach((item, i) => {
        const caption = item.querySelector(".caption-label")?.textContent?.trim() || item.querySelector("img")?.alt || "";
        const name = `${caption} (${t.a11y_position.replace("{i}", i + 1).replace("{n}", items.length)})`.trim();
        if (item.getAttribute("aria-label") !== name) item.setAttribute("aria-label", name);
      });
    }
    // A picture whose words are beside it already: no second reading of them.
    for (const img of document.querySelectorAll("button img[alt]:not([alt='']), a img[alt]:not([alt=''])")) {
      if (img.parentElement.closest("button, a").textContent.includes(img.alt)) img.alt = "";
    }
    // The example photos: a button per photo, named by the photo.
    for (const item of document.querySelectorAll("button.gallery-item")) {
      const file = decodeURIComponent(item.querySelector("img, video")?.src?.split("/").pop() || "").split(".")[0];
      const name = t.a11y_example.replace("{name}", file);
      if (file && item.getAttribute("aria-label") !== name) item.setAttribute("aria-label", name);
    }
    // A radio group's buttons share one name, so the arrow keys move between them (Gradio names each alone).
    for (const radio of document.querySelectorAll("input[type=radio]")) {
      const first = radio.closest(".wrap")?.querySelector("input[type=radio]");
      if (first && radio.name !== first.name) radio.name = first.name;
    }
    // A clickable output image: named by its box's label.
    for (const button of document.querySelectorAll(".image-container > button:not([aria-label])")) {
      button.setAttribute("aria-label", labelOf(button) || t.a11y_image);
    }
    // A chart's legend only beside a chart with data.
    for (const legend of document.querySelectorAll(".chart-legend")) {
      const block = legend.closest(".block");
      const chart = block?.previousElementSibling;
      const hidden = !!chart?.querySelector(".empty.unpadded_box");
      if (block && (block.style.display === "none") !== hidden) block.style.display = hidden ? "none" : "";
    }
    // Wide tables and text that scroll sideways can be reached and scrolled from the keyboard.
    for (const region of document.querySelectorAll(".scroll-sideways:not([tabindex])")) {
      region.setAttribute("tabindex", "0");
      region.setAttribute("role", "region");
      region.setAttribute("aria-label", labelOf(region) || region.querySelector("h1,h2,h3,h4")?.textContent || t.a11y_table);
    }
  }
  let pending = false;
  new MutationObserver(() => {
    if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; mend(); }); }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
  new MutationObserver(mend).observe(document.documentElement, {attributes: true, attributeFilter: ["lang"]});
  mend();
}"""
)

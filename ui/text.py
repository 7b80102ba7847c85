"""How the page speaks: its languages, and the lookup of every text (kept in ``ui/locales``).

Two kinds: static labels (``EN`` / ``ZH``), which Gradio's own i18n translates in the browser,
and texts computed on the server (``SERVER``: messages, captions, chart legends, summaries),
which the handlers produce in the page's language. The page sends that language with every
event (``LANGUAGE_JS``), so both follow the choice under "Settings" at the page's foot.
Stage names (``layer3``) and method names stay as they are; ImageNet's class names follow the
page (``ui.classes``).
"""

from __future__ import annotations

import gradio as gr

from resnet.present.render import ENGLISH as ENGLISH_LEGEND
from resnet.present.render import LegendWords, can_draw
from ui.locales import en, zh_CN

ENGLISH, CHINESE = "en", "zh-CN"
LANGUAGES = (ENGLISH, CHINESE)
EN, ZH = en.STATIC, zh_CN.STATIC  # static labels
I18N = gr.I18n(**{ENGLISH: EN, CHINESE: ZH})
# Runs in the browser before an event: replaces the event's last input (a hidden textbox) with
# the language the page is shown in (Gradio sets <html lang> from the browser or "Settings").
LANGUAGE_JS = "(...args) => [...args.slice(0, -1), document.documentElement.lang || navigator.language]"
RELABEL_ID = "relabel-on-language-change"  # a hidden button: the page's texts are made again on a click
# On page load: LANGUAGE_JS, and a watcher that clicks RELABEL_ID whenever <html lang> changes
# (a switch under "Settings"), so texts made on the server follow the switch at once.
WATCH_LANGUAGE_JS = f"""(...args) => {{
  if (!window.relabelWatcher) {{
    window.relabelWatcher = new MutationObserver(() => document.getElementById("{RELABEL_ID}")?.click());
    window.relabelWatcher.observe(document.documentElement, {{attributes: true, attributeFilter: ["lang"]}});
  }}
  return ({LANGUAGE_JS})(...args);
}}"""

SERVER = {ENGLISH: en.SERVER, CHINESE: zh_CN.SERVER}


def language_of(value: str | None) -> str:
    """``zh-CN`` for any Chinese language tag or Accept-Language header whose first choice is Chinese, else ``en``."""
    first = (value or "").split(",")[0].strip().lower()
    return CHINESE if first.startswith("zh") else ENGLISH


def say(language: str | None, key: str, **params) -> str:
    """A server text in ``language`` (any tag; see ``language_of``), filled with ``params``."""
    return SERVER[language_of(language)][key].format(**params)


def duration(language: str | None, seconds: float) -> str:
    """About how long, in ``language``: "≈ 12 s", or "< 1 s" (never "≈ 0 s")."""
    return say(language, "about_seconds", seconds=seconds) if seconds >= 0.5 else say(language, "under_a_second")


def in_every_language(key: str, **params) -> str:
    """A server text in every language of the page, joined (for what is shown before the page knows its language)."""
    return " · ".join(say(language, key, **params) for language in LANGUAGES)


def legend_words(language: str | None) -> LegendWords:
    """The heatmap colour bar's words in ``language``; English where no font can draw them here."""
    texts = SERVER[language_of(language)]
    words = LegendWords(texts["legend_low"], texts["legend_high"], texts["legend_target"], texts["legend_contrast"])
    return words if can_draw(words) else ENGLISH_LEGEND


def legend_html(colours: dict[str, str]) -> str:
    """A chart legend as HTML: a coloured line and the series name, for each series."""
    items = [f'<span style="color:{colour}">━━</span> {name}' for name, colour in colours.items()]
    return '<p class="chart-legend">' + " &nbsp; ".join(items) + "</p>"


def text(key: str) -> gr.i18n.I18nData:
    """The translatable static text for ``key`` (raises KeyError for unknown keys, so typos fail early)."""
    EN[key]
    return I18N(key)

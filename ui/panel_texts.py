"""What the Explain panel says in the page's language: the weights banner, the methods menu with
each method's cost here, the faithfulness line."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

from resnet import Explainer
from resnet.cams.methods import DEFAULT_METHOD, METHODS
from resnet.core.weights import PRETRAINED, LoadedWeights
from resnet.present.charts import road_relies
from ui.classes import Classifier
from ui.text import say
from ui.view import NO_CONTRAST


@dataclass(frozen=True)
class PanelTexts:
    """What the panel shows in the page's language from the start."""

    banner: str
    method: Any
    any_class: Any
    contrast: Any


def road_text(road: float, language: str | None) -> str:
    verdict = say(language, "road_yes" if road_relies(road) else "road_no")
    return say(language, "road", score=road, verdict=verdict)


def weights_banner(explainer: Explainer, language: str | None = None) -> str:
    """HTML for the top of the page: which weights, and a loud warning when they are untrained."""
    weights = explainer.weights
    html = f"<p>{say(language, 'model_line', model=weights_words(weights, language), device=weights.device.type)}</p>"
    if weights.warning:
        told = escape(weights.warning)  # a download error's text says "<urlopen error ...>"
        warning = told if weights.trained else say(language, "untrained", warning=told)
        html = (
            '<div style="border:2px solid #d97706;background:#fef3c7;color:#78350f;padding:10px 14px;'
            f'border-radius:8px;margin-bottom:8px"><b>{say(language, "warning")}</b> {warning}</div>' + html
        )
    return html


def weights_words(weights: LoadedWeights, language: str | None = None) -> str:
    """Which weights these are, in ``language`` (``Weights.describe`` in English)."""
    if weights.name in PRETRAINED:
        top1 = PRETRAINED[weights.name].meta["_metrics"]["ImageNet-1K"]["acc@1"]
        return say(language, "weights_pretrained", name=weights.name, top1=top1)
    if weights.name == "custom":
        return say(language, "weights_custom", hash=weights.short_hash, file=Path(weights.source).name)
    return say(language, "weights_random", seed=weights.source.removeprefix("seed "))


def class_choices(
    classifier: Classifier, language: str | None = None, with_none: bool = False
) -> list[tuple[str, int]]:
    """A class menu's entries in ``language``; a translated name keeps its English name beside it,
    so either can be typed to search. ``with_none``: "no contrast class" first. Pages in the same
    language share one menu (each session's copy of a menu holds the same entries, not new ones)."""
    none = say(language, "no_contrast") if with_none else None
    return _menu(tuple(classifier.names(language)), tuple(classifier.categories), none)


@lru_cache(maxsize=16)
def _menu(names: tuple[str, ...], categories: tuple[str, ...], none: str | None) -> list[tuple[str, int]]:
    """Menu entries, "name (i)" or "name · English (i)"; ``none`` (the "no contrast class" entry) first if given."""
    classes = [
        (f"{name} ({i})" if name == en else f"{name} · {en} ({i})", i)
        for i, (name, en) in enumerate(zip(names, categories, strict=True))
    ]
    return [(none, NO_CONTRAST), *classes] if none is not None else classes


def method_choices(forward_seconds: float, language: str | None = None) -> list[tuple[str, str]]:
    """Dropdown entries with how long each method takes on this machine."""
    choices = []
    for method in METHODS.values():
        if method.label == DEFAULT_METHOD:
            label = say(language, "method_instant", method=method.label)
        elif (seconds := method.forwards * forward_seconds) >= 1:
            label = say(language, "method_seconds", method=method.label, seconds=seconds)
        else:
            label = say(language, "method_subsecond", method=method.label)
        choices.append((label, method.label))
    return choices

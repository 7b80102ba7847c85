"""What the Explain panel says in the page's language: the weights banner, the methods menu with
each method's cost here, the faithfulness line."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from resnet import Explainer
from resnet.heatmaps import DEFAULT_METHOD, METHODS
from resnet.panels import road_relies
from ui.text import say


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
    html = f"<p>{say(language, 'model_line', model=weights.describe(), device=weights.device.type)}</p>"
    if weights.warning:
        told = escape(weights.warning)  # a download error's text says "<urlopen error ...>"
        warning = told if weights.trained else say(language, "untrained", warning=told)
        html = (
            '<div style="border:2px solid #d97706;background:#fef3c7;color:#78350f;padding:10px 14px;'
            f'border-radius:8px;margin-bottom:8px"><b>{say(language, "warning")}</b> {warning}</div>' + html
        )
    return html


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

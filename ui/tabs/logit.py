"""Logit parts: the exact split of the class's logit into per-channel contributions + bias."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from resnet.core.explanation import LogitParts
from resnet.present import render
from resnet.present.charts import logit_bars
from ui.files import Gallery, ScratchFiles
from ui.text import legend_html, say, text

LOGIT_SERIES = {"up": "logit ↑", "down": "logit ↓"}  # the channel raises / lowers the score (same in every language)
LOGIT_COLOURS = {"logit ↑": "#d62728", "logit ↓": "#1f77b4"}


@dataclass(frozen=True)
class LogitPanel:
    logit_text: str
    logit_plot: Any  # gr.update of the bar chart (rows and axis titles in the page's language)
    logit_maps: Gallery


def logit_panel(files: ScratchFiles, classifier, view, language) -> tuple[LogitPanel, LogitParts]:
    """The decomposition of the view's class: summary, chart, and the strongest channels' maps."""
    parts = classifier.explainer.logit_parts(view.explanation, view.cam_class)
    bars = logit_bars(parts)
    chart = pd.DataFrame(
        {
            "channel": [say(language, "channel", k=b.channel) for b in bars],
            "contribution": [b.contribution for b in bars],
            "effect": [LOGIT_SERIES[b.effect] for b in bars],
        }
    )
    layer4 = view.explanation.layer4  # (2048, 7, 7)
    maps = files.pngs(
        [
            (
                render.scalar_map(layer4[b.channel], 112),
                f"{say(language, 'channel', k=b.channel)} · {b.contribution:+.3f}",
            )
            for b in bars
        ]
    )
    summary = say(
        language,
        "logit_summary",
        name=classifier.names(language)[view.cam_class],
        logit=parts.logit,
        total=float(parts.contributions.sum()),
        bias=parts.bias,
    )
    plot = gr.update(value=chart, x_title=say(language, "logit_x"), y_title=say(language, "logit_y"))
    return LogitPanel(summary, plot, maps), parts


class LogitTab:
    ID, TITLE = "logit", "tab_logit"

    def build(self, shared) -> None:
        gr.Markdown(text("logit_caption"))
        self.logit_text = gr.Markdown()
        self.logit_plot = gr.BarPlot(
            x="channel",
            y="contribution",
            color="effect",
            colors_in_legend=[],  # the HTML legend below names the colours
            color_map=LOGIT_COLOURS,
            sort="-y",
            height=280,
            label=text("logit_plot"),
            x_label_angle=-45,  # twenty channel names side by side would overlap on a phone
        )
        gr.HTML(legend_html(LOGIT_COLOURS))
        self.logit_maps = gr.Gallery(label=text("logit_maps"), columns=10, format="png", height=220)

"""Residual blocks: what each of the 16 bottleneck blocks adds to the signal, and where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from resnet import Explanation
from resnet.core.network import block_names
from resnet.present import render
from resnet.present.charts import block_series
from ui.files import ScratchFiles
from ui.text import legend_html, say, text

# Chart series are named in notation that reads the same in every language: Gradio draws a
# chart's legend from the properties it was built with, so legend names cannot change later.
BLOCK_SERIES = {"ratio": "‖F(x)‖ / ‖x‖", "cosine": "cos(F(x), x)"}  # x: the block's shortcut
BLOCK_COLOURS = {"‖F(x)‖ / ‖x‖": "#1f77b4", "cos(F(x), x)": "#ff7f0e"}


@dataclass(frozen=True)
class BlockMap:
    block_image: str | None


@dataclass(frozen=True)
class BlockChart(BlockMap):
    block_plot: Any  # gr.update of the chart: rows and axis titles in the page's language


def block_map(files: ScratchFiles, explanation: Explanation, block: str) -> BlockMap:
    """‖F(x)‖ at each position of ``block``."""
    chosen = next(b for b in explanation.blocks if b.name == block)
    return BlockMap(files.png(render.scalar_map(chosen.residual_map)))


def block_chart(files: ScratchFiles, explanation: Explanation, block: str, language) -> BlockChart:
    """Both series along the depth, in network order, and the chosen block's map."""
    points = block_series(explanation.blocks)
    rows = pd.DataFrame(
        {
            "block": [p.block for p in points],
            "series": [BLOCK_SERIES[p.series] for p in points],
            "value": [p.value for p in points],
        }
    )
    plot = gr.update(value=rows, x_title=say(language, "blocks_x"), y_title=say(language, "blocks_y"))
    return BlockChart(**vars(block_map(files, explanation, block)), block_plot=plot)


class BlocksTab:
    ID, TITLE = "blocks", "tab_blocks"

    def __init__(self, model, files: ScratchFiles):
        self.names = block_names(model)
        self.files = files

    def build(self, shared) -> None:
        gr.Markdown(text("blocks_caption"))
        self.block_plot = gr.LinePlot(
            x="block",
            y="value",
            color="series",
            colors_in_legend=[],  # no legend stub: Gradio 6.31 draws no entries; the HTML legend below does
            color_map=BLOCK_COLOURS,
            tooltip=["block", "series", "value"],
            height=360,
            label=text("blocks_plot"),
            x_label_angle=-45,
            sort=self.names,  # network order
        )
        gr.HTML(legend_html(BLOCK_COLOURS))  # Gradio 6.31 draws no legend entries for this chart
        with gr.Row():
            self.block = gr.Dropdown(self.names, value=self.names[-1], label=text("block_choice"))
            self.block_image = gr.Image(
                label=text("block_map"), type="filepath", format="png", interactive=False, height=240
            )

    def wire(self, shared) -> None:
        shared.plain_event(self.block.input, self.block_map, [shared.view, self.block], BlockMap, self)

    def block_map(self, view, block) -> BlockMap:
        if view is None:
            return BlockMap(None)
        return block_map(self.files, view.explanation, block)

"""The residual lab: why shortcuts work, on the analysed photo and in a training race.

Lesions remove each block's residual branch, then each shortcut, then k random branches at
once; the gradient of the class score is followed along the depth with and without every
shortcut; and plain and residual networks of two depths race from scratch (the shipped curves,
and a short race a visitor can run and stop).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd

from resnet.core.network import block_names
from resnet.learn.lesions import gradient_along_depth, lesion_forwards, lesions
from resnet.learn.race import race
from resnet.present.report import gradient_section, lesion_section
from ui.classes import Classifiers
from ui.files import ASSETS
from ui.text import duration, legend_html, say, text
from ui.view import View, require

# Series named in notation that reads the same in every language (a chart's legend is fixed when built).
LESION_COLOURS = {"relu(x)": "#1f77b4", "relu(F(x))": "#d62728"}  # without F(x); without the shortcut
CURVE_COLOURS = {"μ": "#2ca02c", "μ − σ": "#98df8a", "μ + σ": "#98df8a"}  # mean ± one standard deviation
FLOW_COLOURS = {"relu(F(x) + x)": "#1f77b4", "relu(F(x))": "#d62728"}  # with shortcuts; a plain network
RACE_COLOURS = {"plain-20": "#ff9896", "plain-56": "#d62728", "resnet-20": "#aec7e8", "resnet-56": "#1f77b4"}
RACE_FILE = ASSETS / "race_digits.csv"  # python -m resnet race --depths 20,56 --epochs 15 --seed 0,1,2
LIVE_SECONDS = 12  # training seconds per model in the live race: four models and their checks, under a minute


@dataclass(frozen=True)
class LesionPanel:
    view: View | None
    report: str | None
    lesion_plot: Any
    lesion_curve: Any
    lesion_text: str


@dataclass(frozen=True)
class FlowPanel:
    view: View | None
    report: str | None
    flow_plot: Any
    flow_text: str


@dataclass(frozen=True)
class LabTexts:
    lab_costs: str
    race_text: str
    race_plot: Any  # gr.update: the axis titles in the page's language


@dataclass(frozen=True)
class LiveRace:
    race_live_plot: Any
    race_status: str


class LabTab:
    ID, TITLE = "lab", "tab_lab"

    def __init__(self, panel, forward_seconds: float = 0.1, live_seconds: float = LIVE_SECONDS):
        """``panel``: the Explain panel, whose view the lab reads and whose JSON report it extends;
        ``live_seconds``: training time per model in the live race."""
        self.panel = panel
        self.classifiers: Classifiers = panel.classifiers
        self.live_seconds = live_seconds
        self.forward_seconds = forward_seconds
        self.names = block_names(self.classifiers.shared.explainer.model)
        self.shipped = shipped_race()

    def build(self, shared) -> None:
        gr.Markdown(text("lab_intro"))
        self.lesion_button = gr.Button(text("lesion_button"))
        self.lab_costs = gr.Markdown()
        self.lesion_text = gr.Markdown()
        with gr.Row():
            self.lesion_plot = _plot("block", "probability", "lesion", LESION_COLOURS, text("lesion_plot"), self.names)
            self.lesion_curve = _plot("removed", "probability", "series", CURVE_COLOURS, text("lesion_curve"), "x")
        gr.HTML(legend_html({**LESION_COLOURS, **CURVE_COLOURS}))
        self.flow_button = gr.Button(text("flow_button"))
        self.flow_text = gr.Markdown()
        self.flow_plot = _plot("block", "log10_norm", "network", FLOW_COLOURS, text("flow_plot"), ["stem", *self.names])
        gr.HTML(legend_html(FLOW_COLOURS))
        gr.Markdown(text("race_caption"))
        self.race_plot = _plot("epoch", "train_error", "model", RACE_COLOURS, text("race_plot"), "x", self.shipped)
        gr.HTML(legend_html(RACE_COLOURS))
        self.race_text = gr.Markdown()
        with gr.Row():
            self.race_button = gr.Button(text("race_button"), variant="primary")
            self.race_stop = gr.Button(text("race_stop"), variant="stop", interactive=False)
        self.race_status = gr.Markdown()
        self.race_live_plot = _plot("epoch", "train_error", "model", RACE_COLOURS, text("race_live_plot"), "x")

    def wire(self, shared) -> None:
        shared.on_language(self.texts, [], LabTexts, self)
        view = [shared.view]
        lesion_seconds = shared.fixed_seconds(lesion_forwards())
        lesion, flow = self.lesion_button.click, self.flow_button.click
        shared.event(lesion, self.lesion_panel, view, LesionPanel, self, self.panel, gpu=lesion_seconds)
        shared.event(flow, self.flow_panel, view, FlowPanel, self, self.panel, gpu=True)
        shared.stoppable(
            self.race_button.click,
            self.race_stop,
            self.live_race,
            [],
            LiveRace,
            self,
            concurrency_id="race",
            concurrency_limit=1,
        )

    def texts(self, language) -> LabTexts:
        forwards = lesion_forwards()
        cost = say(language, "lab_cost", forwards=forwards, seconds=duration(language, forwards * self.forward_seconds))
        return LabTexts(cost, race_summary(self.shipped, language), race_axes(language))

    def lesion_panel(self, view, language, progress=gr.Progress()) -> LesionPanel:  # noqa: B008
        """Each block without its residual branch, then without its shortcut, then k random branches."""
        view = require(view, language)
        progress(0, desc=say(language, "lesion_running", forwards=lesion_forwards()))
        classifier = self.classifiers.of(view.head)
        found = classifier.run(lesions, view.explanation.input)
        c = view.cam_class
        record = lesion_section(found, c, self.names)  # what the report keeps; the charts show the same numbers
        residual = np.array(record["probability_residual_removed"])
        shortcut = np.array(record["probability_shortcut_removed"])
        rows = pd.DataFrame(
            {
                "block": self.names * 2,
                "probability": np.concatenate([residual, shortcut]),
                "lesion": ["relu(x)"] * 16 + ["relu(F(x))"] * 16,
            }
        )
        ks, mean, spread = (np.array(record[key]) for key in ("random_removed", "random_mean", "random_std"))
        curve = pd.DataFrame(
            {
                "removed": np.tile(ks, 3),
                "probability": np.concatenate([mean, mean - spread, mean + spread]),
                "series": np.repeat(list(CURVE_COLOURS), len(ks)),
            }
        )
        top1 = {name: int(found.residual_removed[i].argmax()) == c for i, name in enumerate(self.names)}
        kept = {name: int(found.shortcut_removed[i].argmax()) == c for i, name in enumerate(self.names)}
        summary = say(
            language,
            "lesion_done",
            name=classifier.names(language)[c],
            intact=record["probability_intact"],
            residual_kept=sum(top1.values()),
            shortcut_kept=sum(kept.values()),
            residual_mean=float(residual.mean()),
            shortcut_mean=float(shortcut.mean()),
            eight=float(mean[-1]),
        )
        lab = {**(view.lab or {}), "lesions": record}
        view = replace(view, lab=lab)
        x_title, y_title = say(language, "blocks_x"), say(language, "lesion_y", name=classifier.names(language)[c])
        return LesionPanel(
            view,
            self.panel.write_report(view, language),
            gr.update(value=rows, x_title=x_title, y_title=y_title),
            gr.update(value=curve, x_title=say(language, "lesion_curve_x"), y_title=y_title),
            summary,
        )

    def flow_panel(self, view, language) -> FlowPanel:
        """‖∂ score / ∂ output‖ along the depth, with every shortcut and with none (same weights)."""
        view = require(view, language)
        classifier = self.classifiers.of(view.head)
        x, c = view.explanation.input, view.cam_class
        with_shortcuts = classifier.run(gradient_along_depth, x, c)
        plain = classifier.run(gradient_along_depth, x, c, shortcuts=False)
        norms = np.array([v for _, v in with_shortcuts] + [v for _, v in plain])
        rows = pd.DataFrame(
            {
                "block": [n for n, _ in with_shortcuts] * 2,
                "norm": norms,
                "log10_norm": np.log10(np.maximum(norms, 1e-30)),
                "network": ["relu(F(x) + x)"] * 17 + ["relu(F(x))"] * 17,
            }
        )
        ratio = lambda pairs: pairs[0][1] / max(pairs[-1][1], 1e-30)  # noqa: E731 (stem over the last block)
        summary = say(language, "flow_done", residual=ratio(with_shortcuts), plain=ratio(plain))
        view = replace(view, lab={**(view.lab or {}), "gradients": gradient_section(with_shortcuts, plain)})
        name = classifier.names(language)[c]
        plot = gr.update(
            value=rows, x_title=say(language, "gradient_x"), y_title=say(language, "gradient_y", name=name)
        )
        return FlowPanel(view, self.panel.write_report(view, language), plot, summary)

    def live_race(self, language, progress=gr.Progress()) -> Iterator[LiveRace]:  # noqa: B008
        """A short race (about a minute): the curves grow epoch by epoch; Stop ends it."""
        rows, start = [], time.perf_counter()
        budget = 4 * self.live_seconds
        yield LiveRace(gr.update(value=None), say(language, "race_starting", seconds=budget))
        for point in race((20, 56), epochs=100, seconds=self.live_seconds, seed=int(time.time()) % 1000):
            rows.append({"model": point.model, "epoch": point.epoch, "train_error": point.train_error})
            elapsed = time.perf_counter() - start
            progress(min(elapsed / budget, 1.0), desc=say(language, "race_running", model=point.model))
            status = say(language, "race_status", model=point.model, epoch=point.epoch, error=point.train_error)
            yield LiveRace(race_axes(language, pd.DataFrame(rows)), status)
        yield LiveRace(race_axes(language, pd.DataFrame(rows)), race_summary(pd.DataFrame(rows), language))


def _plot(x: str, y: str, color: str, colours: dict, label, sort, value=None) -> gr.LinePlot:
    """A line chart whose legend is drawn as HTML under it (Gradio 6.31 draws no entries)."""
    return gr.LinePlot(
        value=value,
        x=x,
        y=y,
        color=color,
        color_map=colours,
        colors_in_legend=[],
        height=280,
        label=label,
        sort=sort,
        x_label_angle=-45 if x == "block" else 0,
        x_axis_format="d" if x == "epoch" else None,  # whole epochs
    )


def race_axes(language: str | None, rows: pd.DataFrame | None = None):
    """A race chart's update: its axis titles in ``language`` (and new rows, if given)."""
    titles = {"x_title": say(language, "race_x"), "y_title": say(language, "race_y")}
    return gr.update(**titles) if rows is None else gr.update(value=rows, **titles)


def shipped_race() -> pd.DataFrame:
    """The shipped race (``RACE_FILE``): each model's training error by epoch, averaged over the seeds."""
    with open(RACE_FILE, newline="") as file:
        table = pd.DataFrame(list(csv.DictReader(file)))
    table = table.astype({"epoch": int, "train_error": float})
    return table.groupby(["model", "epoch"], as_index=False)["train_error"].mean()


def race_summary(table: pd.DataFrame, language: str | None = None) -> str:
    """Each model's last training error, in one sentence."""
    last = table.sort_values("epoch").groupby("model")["train_error"].last()
    errors = ", ".join(f"{model} {error:.1%}" for model, error in last.items())
    return say(language, "race_summary", errors=errors)

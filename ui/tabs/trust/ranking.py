"""The Trust tab's method ranking: the quick CAM methods scored over several photos, with the
same code as ``python -m resnet evaluate`` (``resnet.evaluate``): its summary and its mean curves."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from PIL import Image

from resnet.cams.methods import method_named
from resnet.cams.trust import CURVE_STEPS
from resnet.evaluate.engine import (
    DEFAULT_METRICS,
    FLOOR,
    QUICK_METHODS,
    Settings,
    mean_curves,
    score_picture,
    summarise,
)
from ui.classes import Classifiers
from ui.files import EXAMPLES, ScratchFiles
from ui.text import duration, say, text

MAX_PHOTOS = 20


@dataclass(frozen=True)
class RankPanel:
    rank_plot: str | None  # PNG: the mean deletion and insertion curves of every method
    rank_table: Any  # pd.DataFrame: the summary, as summary.csv has it
    rank_text: str  # which methods do not beat a random map


@dataclass(frozen=True)
class RankCost:
    rank_cost: str


class MethodRanking:
    """Build, wire and run the ranking (a part of the Trust tab)."""

    def __init__(self, classifiers: Classifiers, files: ScratchFiles, forward_seconds: float):
        self.classifiers, self.files, self.forward_seconds = classifiers, files, forward_seconds

    def build(self) -> None:
        gr.Markdown(text("rank_intro"))
        with gr.Row():
            self.rank_source = gr.Radio(
                [(text("rank_examples"), "examples"), (text("rank_uploads"), "uploads")],
                value="examples",
                label=text("rank_source"),
            )
            self.rank_files = gr.File(file_count="multiple", file_types=["image"], label=text("rank_files"))
        self.rank_cost = gr.Markdown()
        self.rank_button = gr.Button(text("rank_button"))
        self.rank_text = gr.Markdown()
        with gr.Row():
            self.rank_plot = gr.Image(label=text("rank_plot"), type="filepath", format="png", interactive=False)
            self.rank_table = gr.Dataframe(label=text("rank_table"), interactive=False)

    def wire(self, shared) -> None:
        cost_inputs = [self.rank_source, self.rank_files]
        shared.on_language(self.cost, cost_inputs, RankCost, self)
        for changed in (self.rank_source.change, self.rank_files.change):
            shared.event(changed, self.cost, cost_inputs, RankCost, self)

        def seconds(source, files, *rest, **named) -> int:  # ZeroGPU's duration hint: the cost said above
            return shared.fixed_seconds(self.forwards(len(_photos(source, files))))

        shared.event(self.rank_button.click, self.rank, cost_inputs, RankPanel, self, gpu=seconds)

    @staticmethod
    def forwards(photos: int) -> float:
        """Forward passes' time: per photo, one explanation, then each method's map and two curves."""
        per_method = [method_named(m).forwards + 2 * (CURVE_STEPS + 1) for m in (*QUICK_METHODS, FLOOR)]
        return photos * (1 + sum(per_method))

    def cost(self, source, files, language) -> RankCost:
        """What a ranking of these photos costs here, said before it runs."""
        photos = len(_photos(source, files))
        forwards = self.forwards(photos)
        return RankCost(
            say(
                language,
                "rank_cost",
                photos=photos,
                methods=len(QUICK_METHODS),
                forwards=forwards,
                seconds=duration(language, forwards * self.forward_seconds),
            )
        )

    def rank(self, source, files, language, progress=gr.Progress()) -> RankPanel:  # noqa: B008
        """Score the quick methods and RandomCAM on every photo; their summary and mean curves."""
        photos = _photos(source, files)
        if not photos:
            raise gr.Error(say(language, "rank_no_photos"))
        if len(photos) > MAX_PHOTOS:
            raise gr.Error(say(language, "rank_too_many", limit=MAX_PHOTOS, count=len(photos)))
        shared, settings = self.classifiers.shared, Settings(metrics=DEFAULT_METRICS)
        rows, skipped = [], []
        for done, photo in enumerate(photos):
            progress(done / len(photos), desc=say(language, "rank_running", done=done, total=len(photos)))
            scored = shared.run(score_picture, settings, photo.name, photo.read_bytes())  # here, or a replica
            rows += scored.rows
            if scored.skipped is not None:
                skipped.append(photo.name)
        if not rows:
            raise gr.Error(say(language, "rank_none_readable"))
        frame = pd.DataFrame(rows)
        summary = summarise(frame, DEFAULT_METRICS)
        return RankPanel(self._plot(frame), _table(summary, language), _verdict(summary, skipped, language))

    def _plot(self, frame) -> str:
        from resnet.evaluate.report import curves_figure, figure_png

        return self.files.png(Image.open(io.BytesIO(figure_png(curves_figure(mean_curves(frame)), dpi=80))))


def _photos(source, files) -> list[Path]:
    if source == "uploads":
        return [Path(f if isinstance(f, str) else f.name) for f in files or []]
    return list(EXAMPLES)


def _table(summary, language) -> pd.DataFrame:
    names = say(language, "rank_columns").split("|")
    table = pd.DataFrame(
        {
            names[0]: summary["method"],
            names[1]: summary["metric"],
            names[2]: summary["mean"].round(4),
            names[3]: [
                f"{low:.3f} – {high:.3f}" for low, high in zip(summary["ci_low"], summary["ci_high"], strict=True)
            ],
            names[4]: summary["rank"],
            names[5]: [("" if b != b else ("✓" if b else "✗")) for b in summary["beats_random"]],
        }
    )
    return table


def _verdict(summary, skipped: list[str], language) -> str:
    losers = summary[(summary["beats_random"] == False) & (summary["method"] != FLOOR.label)]  # noqa: E712
    best = summary[(summary["metric"] == "insertion") & (summary["rank"] == 1)]["method"].tolist()
    parts = [say(language, "rank_best", method=best[0] if best else "-")]
    if losers.empty:
        parts.append(say(language, "rank_all_beat_random"))
    else:
        found = ", ".join(f"{r.method} ({r.metric})" for r in losers.itertuples())
        parts.append(say(language, "rank_not_beating_random", methods=found))
    if skipped:
        parts.append(say(language, "rank_skipped", files=", ".join(skipped)))
    return " ".join(parts)

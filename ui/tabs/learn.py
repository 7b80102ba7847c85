"""The Learn tab: the architecture table, what the blocks did to an image, and hands-on lessons on it.

Its lessons are computed when the tab is opened (and after each analysis while it is open): an
analysis does not pay for lessons nobody looks at.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd

from resnet.core.explainer import Explainer
from resnet.core.explanation import Explanation
from resnet.core.network import block_names
from resnet.learn import lessons
from resnet.learn.architecture import Part, architecture
from resnet.learn.lesions import gradient_along_depth
from resnet.present import render
from resnet.present.charts import residual_summary
from ui.classes import Classifiers
from ui.files import Gallery, ScratchFiles
from ui.text import say, text


def architecture_table(parts: list[Part], language: str | None) -> str:
    """A Markdown table of the parts with a total row, and a note on FLOPs vs multiply-adds."""
    t = lambda key: say(language, key)  # noqa: E731
    header = [
        t(k) for k in ("table_part", "table_blocks", "table_output", "table_params", "table_gmacs", "table_gflops")
    ]
    lines = ["| " + " | ".join(header) + " |", "| --- | ---: | --- | ---: | ---: | ---: |"]
    for p in parts:
        shape = "×".join(str(d) for d in p.output)
        name = t("table_head") if p.name == "head" else p.name  # stage names stay as they are
        lines.append(f"| {name} | {p.blocks or '–'} | {shape} | {p.params:,} | {p.gmacs:.2f} | {p.gflops:.2f} |")
    params, gmacs, gflops = (sum(getattr(p, f) for p in parts) for f in ("params", "gmacs", "gflops"))
    blocks = sum(p.blocks for p in parts)
    lines.append(
        f"| **{t('table_total')}** | **{blocks}** | {t('table_logits')} | **{params:,}** | **{gmacs:.2f}** | **{gflops:.2f}** |"
    )
    return "\n".join(lines) + "\n\n" + t("table_note")


@dataclass(frozen=True)
class ResidualStory:
    learn_story: str  # Markdown: what the residual blocks did to the analysed image


@dataclass(frozen=True)
class TableTexts:
    learn_table: str
    kernel_preset: Any  # gr.update: the preset kernels' names in the page's language


def residual_story(explanation: Explanation, names: list[str], language: str | None) -> ResidualStory:
    """What the residual blocks did to this image, in plain words; ``names``: the class names shown."""
    summary = residual_summary(explanation.blocks)
    top = explanation.top5[0]
    lines = [
        say(language, "story_intro", name=names[top.index], probability=top.probability),
        say(language, "story_strongest", block=summary.strongest.name, ratio=summary.strongest.ratio),
        say(language, "story_weakest", block=summary.weakest.name, ratio=summary.weakest.ratio),
    ]
    if summary.opposing:
        lines.append(say(language, "story_opposing", blocks=", ".join(summary.opposing)))
    else:
        lines.append(say(language, "story_aligned"))
    return ResidualStory("\n".join(lines))


# -- hands-on lessons on the visitor's photo ----------------------------------------------------

PRESETS = tuple(lessons.PRESET_KERNELS)
LESSON_BLOCK = "layer2.0"  # the first block whose shortcut is a projection: the shape changes


@dataclass(frozen=True)
class KernelLesson:
    """One learned conv1 kernel's response, and the stem's max-pool of that channel."""

    kernel_response: str | None
    pool_before: str | None
    pool_after: str | None
    pool_worked: str


@dataclass(frozen=True)
class OwnKernel:
    """A hand-made 3×3 kernel applied to the photo, and one output value worked out by hand."""

    kernel_result: str | None
    conv_worked: str


@dataclass(frozen=True)
class PresetKernel:
    kernel_numbers: list[list[float]]

    @classmethod
    def of(cls, name: str) -> PresetKernel:
        return cls([[float(v) for v in row] for row in lessons.PRESET_KERNELS[name]])


@dataclass(frozen=True)
class BlockLesson:
    block_tensors: Gallery
    block_numbers: str
    lesson_channel: Any  # gr.update: the slider's range follows the block's channels


@dataclass(frozen=True)
class Lessons(KernelLesson, OwnKernel, BlockLesson):
    """Every lesson for a newly analysed photo."""

    kernels: str | None
    histograms: str | None
    gradient_plot: Any


class LearnTab:
    """The Learn tab's lessons: every number is the model's own, on the visitor's photo."""

    ID, TITLE = "learn", "tab_learn"

    def __init__(self, explainer: Explainer, files: ScratchFiles, classifiers: Classifiers | None = None):
        self.explainer = explainer  # the backbone's lessons; a view's class score may be a taught head's
        self.classifiers = classifiers or Classifiers(explainer)
        self.backbone = self.classifiers.shared  # where the backbone's lessons run (here, or the replicas)
        self.files = files
        self.kernel_picture = render.kernel_grid(lessons.conv1_kernels(explainer))
        self.parts = architecture(explainer)
        self.depth = ["stem", *block_names(explainer.model)]  # the gradient chart's x axis, in network order
        self.lessons_on_gpu = self.lessons  # ``lessons`` under ``on_gpu`` once wired

    def build(self, shared) -> None:
        picture = {"type": "filepath", "format": "png", "interactive": False}
        gr.Markdown(text("learn_intro"))
        self.learn_table = gr.Markdown(architecture_table(self.parts, None), elem_classes="scroll-sideways")
        self.learn_story = gr.Markdown(text("learn_waiting"))
        gr.Markdown(text("lesson_conv"))
        with gr.Row():
            self.kernels = gr.Image(label=text("kernels"), height=300, elem_classes="pixelated", **picture)
            with gr.Column():
                self.kernel_pick = gr.Slider(0, 63, value=0, step=1, label=text("kernel_pick"))
                self.kernel_response = gr.Image(label=text("kernel_response"), height=240, **picture)
        with gr.Row():
            with gr.Column():
                self.kernel_preset = gr.Dropdown(list(PRESETS), value=PRESETS[0], label=text("kernel_preset"))
                self.kernel_numbers = gr.Dataframe(
                    value=PresetKernel.of(PRESETS[0]).kernel_numbers,
                    headers=["1", "2", "3"],
                    datatype="number",
                    row_count=(3, "fixed"),
                    column_count=(3, "fixed"),
                    type="array",
                    interactive=True,
                    label=text("kernel_numbers"),
                )
            self.kernel_result = gr.Image(label=text("kernel_result"), height=240, **picture)
        self.conv_worked = gr.Markdown(elem_classes="scroll-sideways")
        self._build_pool_and_block(picture)

    def _build_pool_and_block(self, picture: dict) -> None:
        gr.Markdown(text("lesson_pool"))
        with gr.Row():
            self.pool_before = gr.Image(label=text("pool_before"), height=200, **picture)
            self.pool_after = gr.Image(label=text("pool_after"), height=200, **picture)
        self.pool_worked = gr.Markdown(elem_classes="scroll-sideways")
        self.histograms = gr.Image(label=text("histograms"), **picture)
        gr.Markdown(text("lesson_block"))
        names = block_names(self.explainer.model)
        with gr.Row():
            self.lesson_block_choice = gr.Dropdown(names, value=LESSON_BLOCK, label=text("lesson_block_choice"))
            self.lesson_channel = gr.Slider(0, 511, value=0, step=1, label=text("lesson_channel"))
        self.block_tensors = gr.Gallery(label=text("block_tensors"), columns=4, format="png", height=220)
        self.block_numbers = gr.Markdown(elem_classes="scroll-sideways")
        self.gradient_plot = gr.LinePlot(
            x="block",
            y="log10_norm",
            tooltip=["block", "norm"],
            height=300,
            label=text("gradient_plot"),
            x_label_angle=-45,
            sort=self.depth,  # network order: the stem first
        )

    def wire(self, shared) -> None:
        self.lessons_on_gpu = shared.on_gpu(self.lessons)  # asked for only while the tab is open
        view = shared.view
        shared.on_language(self.texts, [], TableTexts, self)
        kernel = self.kernel_pick.release
        shared.event(kernel, self.kernel_lesson, [view, self.kernel_pick], KernelLesson, self, gpu=True)
        shared.plain_event(self.kernel_preset.input, self.preset, [self.kernel_preset], PresetKernel, self)
        own = self.kernel_numbers.change
        shared.event(own, self.own_kernel, [view, self.kernel_numbers], OwnKernel, self, gpu=True)
        block_inputs = [view, self.lesson_block_choice, self.lesson_channel]
        for trigger in (self.lesson_block_choice.input, self.lesson_channel.release):
            shared.event(trigger, self.block_lesson, block_inputs, BlockLesson, self, gpu=True)

    def follow_analysis(self, shared, analyzed) -> None:
        """A new photo: its lessons, if the tab is open."""
        self.lessons_on(shared, analyzed.success)

    def lessons_on(self, shared, trigger) -> None:
        """``trigger`` computes the lessons if the tab is open. Only then is the GPU asked for: on
        ZeroGPU every call costs an allocation, and a photo analysed with the tab closed costs one."""
        inputs = [shared.learn_open, shared.view, self.kernel_pick, self.kernel_numbers]
        inputs += [self.lesson_block_choice, self.lesson_channel]
        shared.event(trigger, self.lessons_if_open, inputs, Lessons, self)

    def texts(self, language) -> TableTexts:
        names = [(say(language, "preset_" + name.replace(" ", "_")), name) for name in PRESETS]
        return TableTexts(architecture_table(self.parts, language), gr.update(choices=names))

    def lessons_if_open(self, is_open, view, kernel, numbers, block, channel, language) -> Lessons:
        """The lessons, only while the Learn tab is open (opening it computes them): an analysis
        does not pay for lessons nobody looks at (about four forward passes' worth)."""
        if not is_open or view is None:
            return Lessons(**{field.name: gr.skip() for field in dataclasses.fields(Lessons)})
        return self.lessons_on_gpu(view, kernel, numbers, block, channel, language)

    def lessons(self, view, kernel, numbers, block, channel, language) -> Lessons:
        """All lessons for the analysed photo (a few stem passes, one block, one backward pass)."""
        if view is None:
            raise gr.Error(say(language, "no_image"))
        x = view.explanation.input
        stem = self.backbone.run(lessons.stem, x)
        classifier = self.classifiers.of(view.head)  # the class score may be a taught class's
        norms = classifier.run(gradient_along_depth, x, view.cam_class)
        values = np.array([v for _, v in norms])
        plot = gr.update(
            value=pd.DataFrame(
                {"block": [n for n, _ in norms], "norm": values, "log10_norm": np.log10(np.maximum(values, 1e-30))}
            ),
            x_title=say(language, "gradient_x"),
            y_title=say(language, "gradient_y", name=classifier.names(language)[view.cam_class]),
        )
        pictures = render.histograms({"conv1": stem.conv, "bn1": stem.bn, "relu": stem.relu})
        return Lessons(
            **vars(self.kernel_lesson(view, kernel, language, stem)),
            **vars(self.own_kernel(view, numbers, language, stem)),
            **vars(self.block_lesson(view, block, channel, language)),
            kernels=self.files.png(self.kernel_picture),
            histograms=self.files.png(pictures),
            gradient_plot=plot,
        )

    def kernel_lesson(self, view, kernel, language, stem=None) -> KernelLesson:
        if view is None:
            return KernelLesson(None, None, None, "")
        k = int(kernel)
        x = view.explanation.input
        stem = stem or self.backbone.run(lessons.stem, x)
        response = self.backbone.run(lessons.conv1_response, x, k)  # (112, 112)
        row, col = np.unravel_index(int(stem.pool[k].argmax()), stem.pool[k].shape)
        window = lessons.pool_window(stem.relu[k], int(row), int(col))
        worked = say(
            language,
            "pool_worked",
            k=k,
            row=int(row),
            col=int(col),
            patch=_matrix(window.patch),
            result=window.result,
            before="×".join(map(str, stem.relu.shape)),
            after="×".join(map(str, stem.pool.shape)),
        )
        return KernelLesson(
            kernel_response=self.files.png(render.signed_map(response)),
            pool_before=self.files.png(render.scalar_map(stem.relu[k], 224)),
            pool_after=self.files.png(render.scalar_map(stem.pool[k], 224)),
            pool_worked=worked,
        )

    def preset(self, name) -> PresetKernel:
        return PresetKernel.of(name)

    def own_kernel(self, view, numbers, language, stem=None) -> OwnKernel:
        if view is None:
            return OwnKernel(None, "")
        try:
            kernel = np.asarray(numbers, dtype=np.float32).reshape(3, 3)
        except (TypeError, ValueError):
            raise gr.Error(say(language, "kernel_numbers")) from None
        image = lessons.grey(np.asarray(view.explanation.crop))  # (224, 224) in [0, 1]
        result = lessons.apply_kernel(image, kernel)
        window = lessons.conv_window(image, kernel, 112, 112)
        stem = stem or self.backbone.run(lessons.stem, view.explanation.input)
        shapes = "\n".join(
            f"| {r['layer']} | {r['kernel']} | {r['stride']} | {r['padding']} | {r['input']} | "
            f"⌊({r['input']} + 2·{r['padding']} − {r['kernel']}) / {r['stride']}⌋ + 1 = **{r['formula']}** | {r['real']} |"
            for r in lessons.stem_shapes(self.explainer, stem)
        )
        worked = say(
            language,
            "conv_worked",
            patch=_matrix(window.patch),
            kernel=_matrix(window.weights),
            products=_matrix(window.patch * window.weights),
            result=window.result,
            shapes=shapes,
        )
        return OwnKernel(self.files.png(render.signed_map(result)), worked)

    def block_lesson(self, view, block, channel, language) -> BlockLesson:
        if view is None:
            return BlockLesson([], "", gr.update())
        opened = self.backbone.run(lessons.open_block, view.explanation.input, block)
        channels = opened.out.shape[0]
        k = min(int(channel), channels - 1)
        k_in = k if k < opened.x.shape[0] else None  # a projection block has fewer input channels
        tensors = {"x": opened.x[k_in] if k_in is not None else None, "F(x)": opened.residual[k]}
        tensors[say(language, "tensor_shortcut")] = opened.shortcut[k]
        tensors[say(language, "tensor_out")] = opened.out[k]
        gallery = [(render.signed_map(v), name) for name, v in tensors.items() if v is not None]
        rows = "\n".join(
            f"| {name} | {'×'.join(map(str, v.shape))} | {v.mean():+.3f} | {v.min():+.3f} | {v.max():+.3f} | "
            f"{np.linalg.norm(v):.2f} |"
            for name, v in tensors.items()
            if v is not None
        )
        numbers = say(
            language,
            "block_numbers",
            block=block,
            k=k,
            rows=rows,
            shortcut=say(
                language, "projection", **dict(zip(("c_in", "c_out", "stride"), opened.projection, strict=True))
            )
            if opened.projection
            else say(language, "identity"),
            x_shape="×".join(map(str, opened.x.shape)),
            out_shape="×".join(map(str, opened.out.shape)),
        )
        return BlockLesson(self.files.pngs(gallery), numbers, gr.update(maximum=channels - 1, value=k))


def _matrix(values: np.ndarray) -> str:
    """A small matrix as a Markdown table (−inf, the max-pool's padding, shown as −∞)."""
    cells = [["−∞" if np.isneginf(v) else f"{v:+.3f}" for v in row] for row in values]
    header = "| " + " | ".join(" " for _ in cells[0]) + " |\n| " + " | ".join("---:" for _ in cells[0]) + " |"
    return header + "\n" + "\n".join("| " + " | ".join(row) + " |" for row in cells)

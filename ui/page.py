"""The page: tabs in order, shared state, and every event wired in one place.

The public API is ``/explain``; the page's own events are private. Every page event sends the
page's language as its last input (``LANGUAGE_JS``), so server texts follow the page.
"""

from __future__ import annotations

import contextlib
import inspect

import gradio as gr

from resnet import Explainer, render, video
from resnet.architecture import blocks_per_stage
from resnet.batching import BatchingExplainer
from resnet.heatmaps import DEFAULT_METHOD, method_named
from resnet.panels import block_names
from resnet.trust import SANITY_LAYERS, agreement_forwards
from resnet.whatif import FILLS
from ui import whatif_tab as whatif
from ui.api import Api, ApiAnswer, PredictAnswer
from ui.classes import Classifiers
from ui.explain_tab import (
    BLOCK_COLOURS,
    LOGIT_COLOURS,
    NO_CONTRAST,
    Analysis,
    BlockMap,
    ExplainTab,
    Faithfulness,
    Features,
    PageTexts,
    Restyle,
    Retarget,
    StagePanel,
    method_choices,
    scale_choices,
    weights_banner,
)
from ui.files import ASSETS, CACHE_CLEAN_EVERY_S, CACHE_MAX_AGE_S, EXAMPLES, ScratchFiles, untrusted_image
from ui.learn_tab import (
    LESSON_BLOCK,
    PRESETS,
    BlockLesson,
    KernelLesson,
    LearnTab,
    Lessons,
    OwnKernel,
    PresetKernel,
    architecture_table,
)
from ui.live_tab import Frozen, LiveFrame, LiveTab
from ui.records import as_output_stream, as_outputs, outputs
from ui.sessions import forget_closed_pages
from ui.teach_tab import TeachClasses, TeachTab, Trained, TriedHead
from ui.text import I18N, LANGUAGE_JS, RELABEL_ID, WATCH_LANGUAGE_JS, legend_html, text
from ui.trust_tab import (
    CURVE_COLOURS,
    AgreementPanel,
    CurvesPanel,
    Diagnosis,
    NegativeMap,
    OcclusionPanel,
    SanityPanel,
    TrustTab,
)
from ui.video_tab import VideoAnalysis, VideoFrame, VideoTab
from ui.whatif_tab import WhatIfCanvas, WhatIfPanel, WhatIfTab, fill_choices

STAGES_TAB = "stages"  # the tab an empty layer4 map points to: Grad-CAM of the earlier stages
LEARN_TAB = "learn"  # its lessons are computed while it is open
LAYERCAM = "LayerCAM"  # the alternative offered when Grad-CAM's map is empty
MAX_FILE_SIZE = f"{video.MAX_BYTES // 2**20}mb"  # uploads larger than this are refused by the server (clips)
QUEUE_SIZE = 32  # requests waiting beyond this get "queue is full, try again"
CONCURRENCY = 2  # page analyses computed at once (the model is shared, threads are safe)
MAX_BATCH = 8  # API requests / live frames in flight at once, batched into shared forward passes
CSS = (
    ".pixelated img { image-rendering: pixelated; }"  # feature maps arrive at 1 px per activation
    f"#{RELABEL_ID} {{ display: none !important; }}"  # clicked by WATCH_LANGUAGE_JS only
)


def build_demo(
    explainer: Explainer,
    forward_seconds: float = 0.1,
    on_gpu=lambda fn, duration=None: fn,
    cache: tuple[int, int] = (CACHE_CLEAN_EVERY_S, CACHE_MAX_AGE_S),
    max_batch: int = MAX_BATCH,
) -> gr.Blocks:
    """The page over one shared Explainer.

    Args:
        explainer: the model, shared by every visitor.
        forward_seconds: one forward pass here, for the methods menu's time estimates.
        on_gpu: ``on_gpu(fn, duration)`` wraps every handler that runs the model (``spaces.GPU``
            on a ZeroGPU Space); ``duration`` is a hint in seconds, or a function of the handler's
            arguments (see ``gpu_seconds``).
        cache: (every, age) in seconds: served files older than ``age`` are deleted ``every`` s.
        max_batch: API requests and live frames computed at once, sharing forward passes
            (``resnet.batching``); 1 runs each on its own (as on ZeroGPU, where only a
            ``spaces.GPU`` call may use the GPU).
    """
    files = ScratchFiles()
    batcher = BatchingExplainer(explainer, max_batch) if max_batch > 1 else None
    classifiers = Classifiers(explainer)  # ImageNet's classes, and each visitor's taught head
    teach = TeachTab(explainer, files, classifiers)
    explain, live, api = (
        ExplainTab(explainer, files, forward_seconds, classifiers),
        LiveTab(explainer, files, batcher, classifiers),
        Api(explainer, files, batcher),
    )
    trust = TrustTab(explainer, explain.heatmaps, files, forward_seconds, classifiers)
    learn = LearnTab(explainer, files, classifiers)
    clips = VideoTab(explainer, files, classifiers)
    what_if = WhatIfTab(explainer, files, classifiers)
    c: dict[str, gr.components.Component] = {}  # every component a handler reads or fills, by name
    with gr.Blocks(title="ResNet50 Explainer", delete_cache=cache) as demo:
        c["view"] = gr.State(None, time_to_live=3600)
        c["learn_open"] = gr.State(False)  # whether the Learn tab is the one shown
        c["language"] = gr.Textbox(visible=False)  # filled by LANGUAGE_JS before each event
        c["relabel"] = gr.Button("relabel", elem_id=RELABEL_ID)  # hidden by CSS
        c["prediction"] = gr.JSON(visible=False)  # the /predict endpoint's output (API only)
        c["api_stages"] = gr.Image(visible=False, type="filepath", format="png")  # /explain's feature maps
        gr.Markdown(text("intro"))
        c["banner"] = gr.HTML(weights_banner(explainer))
        _explain_panel(c, explain, forward_seconds)
        with gr.Tabs() as c["tabs"]:
            _features_tab(c)
            with gr.Tab(text("tab_stages"), id=STAGES_TAB):
                gr.Markdown(text("stages_caption"))
                c["stage_gallery"] = gr.Gallery(
                    label=text("stages"), columns=4, format="png", object_fit="contain", height=300
                )
            _blocks_tab(c, explainer)
            _live_tab(c)
            _video_tab(c)
            with gr.Tab(text("tab_learn"), id=LEARN_TAB, elem_id="learn_tab"):
                gr.Markdown(text("learn_intro"))
                c["learn_table"] = gr.Markdown(architecture_table(explain.parts, None))
                c["learn_story"] = gr.Markdown(text("learn_waiting"))
                _lessons(c, explainer)
            _logit_tab(c)
            _trust_tab(c)
            _whatif_tab(c)
            _teach_tab(c)
        analyses = _wire(demo, c, explain, live, api, trust, learn, teach, on_gpu, max_batch, forward_seconds)
        _wire_video(c, clips, on_gpu, forward_seconds)
        _wire_what_if(c, what_if, on_gpu, analyses)
        forget_closed_pages(demo)
    for name, component in c.items():  # tests and the load test find components by name
        if hasattr(component, "elem_id") and component.elem_id is None:
            component.elem_id = name
    return demo


def _explain_panel(c: dict, explain: ExplainTab, forward_seconds: float) -> None:
    with gr.Row():
        with gr.Column(scale=1):
            c["image"] = untrusted_image(
                label=text("your_image"), sources=["upload", "webcam", "clipboard"], height=360
            )
            c["button"] = gr.Button(text("explain"), variant="primary")
            gr.Examples(examples=[[str(p)] for p in EXAMPLES], inputs=c["image"], label=text("examples"))
            with gr.Accordion(text("display"), open=False):
                gr.Markdown(text("display_caption"))
                c["cmap"] = gr.Dropdown(list(render.COLORMAPS), value=render.HEATMAP_CMAP, label=text("colormap"))
                c["alpha"] = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label=text("opacity"))
        with gr.Column(scale=1):
            c["labels"] = gr.Label(label=text("top5"), num_top_classes=5)
            c["top5"] = gr.Radio(label=text("pick_top5"), choices=[])
            with gr.Row():
                c["any_class"] = gr.Dropdown(
                    explain.class_choices(), value=None, label=text("any_class"), filterable=True
                )
                c["contrast"] = gr.Dropdown(
                    explain.class_choices(with_none=True), value=NO_CONTRAST, label=text("contrast")
                )
            with gr.Row():
                c["method"] = gr.Dropdown(
                    method_choices(forward_seconds), value=DEFAULT_METHOD, label=text("method"), scale=3
                )
                c["explain_yours"] = gr.Checkbox(False, label=text("explain_yours"), scale=1)
            c["heatmap"] = gr.Image(label=text("heatmap"), type="filepath", format="png", interactive=False)
            with gr.Row():
                c["faith_button"] = gr.Button(text("faithfulness"), size="sm")
                c["report"] = gr.DownloadButton(text("report"), size="sm")
            c["faith"] = gr.Markdown()


def _features_tab(c: dict) -> None:
    with gr.Tab(text("tab_features")):
        with gr.Row():
            c["channels"] = gr.Slider(4, 64, value=16, step=1, label=text("channels"))
            c["scale"] = gr.Radio(scale_choices(), value=render.FEATURE_SCALES[0], label=text("colour_scale"))
        c["gallery"] = gr.Gallery(
            label=text("features"),
            columns=5,
            format="png",
            object_fit="contain",
            height=300,
            elem_classes="pixelated",
        )


def _teach_tab(c: dict) -> None:
    picture = {"type": "filepath", "format": "png", "interactive": False}
    with gr.Tab(text("tab_teach")):
        gr.Markdown(text("teach_intro"))
        c["teach_state"] = gr.State(None, time_to_live=3600)  # the classes' features (16 KB a photo)
        c["teach_head"] = gr.State(None, time_to_live=3600)  # this visitor's head, never shared
        with gr.Row():
            with gr.Column():
                c["teach_class"] = gr.Textbox(label=text("teach_class"), max_length=60)
                c["teach_photos"] = gr.File(label=text("teach_photos"), file_count="multiple", file_types=["image"])
                c["teach_add"] = gr.Button(text("teach_add"))
            with gr.Column():
                c["teach_snapshot"] = untrusted_image(label=text("teach_snapshot"), sources=["webcam"], height=200)
                c["teach_add_snapshot"] = gr.Button(text("teach_add_snapshot"))
            with gr.Column():
                c["teach_classes"] = gr.Markdown()
                c["teach_examples"] = gr.Button(text("teach_examples"), size="sm")
                c["teach_clear"] = gr.Button(text("teach_clear"), size="sm")
                c["teach_button"] = gr.Button(text("teach_button"), variant="primary")
                c["teach_summary"] = gr.Markdown()
                c["teach_download"] = gr.File(label=text("teach_download"), interactive=False)
                c["teach_upload"] = gr.File(label=text("teach_upload"), file_types=[".safetensors"])
        with gr.Row():
            c["teach_try"] = untrusted_image(
                label=text("teach_try"), sources=["upload", "webcam", "clipboard"], height=260
            )
            with gr.Column():
                c["teach_try_button"] = gr.Button(text("teach_try_button"), variant="primary")
                c["teach_labels"] = gr.Label(label=text("teach_labels"), num_top_classes=5)
            c["teach_heatmap"] = gr.Image(label=text("teach_heatmap"), height=260, **picture)


def _lessons(c: dict, explainer: Explainer) -> None:
    """The Learn tab's hands-on lessons on the analysed photo."""
    names = block_names(blocks_per_stage(explainer.model))
    picture = {"type": "filepath", "format": "png", "interactive": False}
    gr.Markdown(text("lesson_conv"))
    with gr.Row():
        c["kernels"] = gr.Image(label=text("kernels"), height=300, elem_classes="pixelated", **picture)
        with gr.Column():
            c["kernel_pick"] = gr.Slider(0, 63, value=0, step=1, label=text("kernel_pick"))
            c["kernel_response"] = gr.Image(label=text("kernel_response"), height=240, **picture)
    with gr.Row():
        with gr.Column():
            c["kernel_preset"] = gr.Dropdown(list(PRESETS), value=PRESETS[0], label=text("kernel_preset"))
            c["kernel_numbers"] = gr.Dataframe(
                value=PresetKernel.of(PRESETS[0]).kernel_numbers,
                headers=["1", "2", "3"],
                datatype="number",
                row_count=(3, "fixed"),
                column_count=(3, "fixed"),
                type="array",
                interactive=True,
                label=text("kernel_numbers"),
            )
        c["kernel_result"] = gr.Image(label=text("kernel_result"), height=240, **picture)
    c["conv_worked"] = gr.Markdown()
    gr.Markdown(text("lesson_pool"))
    with gr.Row():
        c["pool_before"] = gr.Image(label=text("pool_before"), height=200, **picture)
        c["pool_after"] = gr.Image(label=text("pool_after"), height=200, **picture)
    c["pool_worked"] = gr.Markdown()
    c["histograms"] = gr.Image(label=text("histograms"), **picture)
    gr.Markdown(text("lesson_block"))
    with gr.Row():
        c["lesson_block_choice"] = gr.Dropdown(names, value=LESSON_BLOCK, label=text("lesson_block_choice"))
        c["lesson_channel"] = gr.Slider(0, 511, value=0, step=1, label=text("lesson_channel"))
    c["block_tensors"] = gr.Gallery(label=text("block_tensors"), columns=4, format="png", height=220)
    c["block_numbers"] = gr.Markdown()
    c["gradient_plot"] = gr.LinePlot(
        x="block", y="norm", height=300, label=text("gradient_plot"), x_label_angle=-45, sort="x"
    )


def _blocks_tab(c: dict, explainer: Explainer) -> None:
    names = block_names(blocks_per_stage(explainer.model))
    with gr.Tab(text("tab_blocks")):
        gr.Markdown(text("blocks_caption"))
        c["block_plot"] = gr.LinePlot(
            x="block",
            y="value",
            color="series",
            color_map=BLOCK_COLOURS,
            tooltip=["block", "series", "value"],
            height=360,
            label=text("blocks_plot"),
            x_label_angle=-45,
            sort="x",
        )
        gr.HTML(legend_html(BLOCK_COLOURS))  # Gradio 6.31 draws no legend entries for this chart
        with gr.Row():
            c["block"] = gr.Dropdown(names, value=names[-1], label=text("block_choice"))
            c["block_image"] = gr.Image(
                label=text("block_map"), type="filepath", format="png", interactive=False, height=240
            )


def _live_tab(c: dict) -> None:
    with gr.Tab(text("tab_live")):
        gr.Markdown(text("live_caption"))
        with gr.Row():
            c["live_cam"] = gr.Image(label=text("webcam"), sources=["webcam"], streaming=True, type="numpy", height=300)
            c["live_heatmap"] = gr.Image(
                label=text("live_heatmap"), type="filepath", format="png", interactive=False, height=300
            )
            c["live_labels"] = gr.Label(label=text("live_top5"), num_top_classes=5)
        with gr.Row():
            c["live_smoothing"] = gr.Slider(0, 0.95, value=0.6, step=0.05, label=text("live_smoothing"))
            c["live_lock"] = gr.Checkbox(False, label=text("live_lock"))
            c["live_yours"] = gr.Checkbox(False, label=text("live_yours"))
            c["live_freeze"] = gr.Button(text("live_freeze"))
        c["live_info"] = gr.Markdown()
        c["live_last"] = gr.State(None)  # LiveState: the smoothed map and the locked class


def _whatif_tab(c: dict) -> None:
    picture = {"type": "filepath", "format": "png", "interactive": False}
    with gr.Tab(text("tab_whatif")):
        gr.Markdown(text("whatif_intro"))
        with gr.Row():
            c["whatif_editor"] = gr.ImageEditor(
                label=text("whatif_editor"),
                type="numpy",
                image_mode="RGBA",
                sources=(),  # only the analysed crop is painted on
                transforms=(),
                layers=False,
                brush=gr.Brush(default_size=24, colors=["#ff00ff"], color_mode="fixed"),
                canvas_size=(whatif.CANVAS, whatif.CANVAS),
                fixed_canvas=True,
                height=520,
            )
            with gr.Column():
                c["whatif_fill"] = gr.Radio(fill_choices(), value=FILLS[0], label=text("whatif_fill"))
                c["whatif_button"] = gr.Button(text("whatif_button"), variant="primary")
                c["whatif_text"] = gr.Markdown()
                c["whatif_table"] = gr.Dataframe(label=text("whatif_table"), interactive=False)
        with gr.Row():
            c["whatif_before"] = gr.Image(label=text("whatif_before"), height=300, **picture)
            c["whatif_after"] = gr.Image(label=text("whatif_after"), height=300, **picture)
        with gr.Row():
            with gr.Column():
                c["occlusion_button"] = gr.Button(text("occlusion_button"))
                c["occlusion_text"] = gr.Markdown()
            c["occlusion_image"] = gr.Image(
                label=text("occlusion_image"), type="filepath", format="png", interactive=False, height=240
            )


def _video_tab(c: dict) -> None:
    picture = {"type": "filepath", "format": "png", "interactive": False}
    with gr.Tab(text("tab_video")):
        gr.Markdown(text("video_caption"))
        with gr.Row():
            with gr.Column():
                # include_audio: otherwise Gradio strips the sound with a system ffmpeg, which the app does not need
                c["video_in"] = gr.Video(
                    label=text("video_in"), sources=["upload", "webcam"], include_audio=True, height=300
                )
                c["video_fps"] = gr.Slider(1, 10, value=video.DEFAULT_MAX_FPS, step=1, label=text("video_fps"))
                c["video_yours"] = gr.Checkbox(False, label=text("video_yours"))
                with gr.Row():
                    c["video_button"] = gr.Button(text("video_button"), variant="primary")
                    c["video_stop"] = gr.Button(text("video_stop"), variant="stop")
                c["video_status"] = gr.Markdown()
            c["video_cam"] = gr.Video(label=text("video_cam"), interactive=False, height=400)
        c["video_timeline"] = gr.LinePlot(
            x="time_s", y="probability", color="class", height=260, label=text("video_timeline"), sort="x"
        )
        c["video_legend"] = gr.HTML()  # Gradio 6.31 draws no legend entries for this chart
        c["video_frame"] = gr.Slider(0, 1, value=0, step=1, label=text("video_frame"), interactive=False)
        with gr.Row():
            c["video_frame_heatmap"] = gr.Image(label=text("video_frame_heatmap"), height=280, **picture)
            with gr.Column():
                c["video_frame_labels"] = gr.Label(label=text("video_frame_labels"), num_top_classes=5)
                c["video_frame_info"] = gr.Markdown()
                c["video_analyse"] = gr.Button(text("video_analyse"), size="sm")
        c["video_run"] = gr.State(None, time_to_live=3600)  # VideoRun: where the explained frames are


def _logit_tab(c: dict) -> None:
    with gr.Tab(text("tab_logit")):
        gr.Markdown(text("logit_caption"))
        c["logit_text"] = gr.Markdown()
        c["logit_plot"] = gr.BarPlot(
            x="channel",
            y="contribution",
            color="effect",
            color_map=LOGIT_COLOURS,
            sort="-y",
            height=280,
            label=text("logit_plot"),
        )
        gr.HTML(legend_html(LOGIT_COLOURS))
        c["logit_maps"] = gr.Gallery(label=text("logit_maps"), columns=10, format="png", height=220)


def _trust_tab(c: dict) -> None:
    with gr.Tab(text("tab_trust")):
        gr.Markdown(text("trust_intro"))
        c["trust_costs"] = gr.Markdown()
        with gr.Row():
            c["sanity_button"] = gr.Button(text("sanity_button"))
            c["curves_button"] = gr.Button(text("curves_button"))
            c["agreement_button"] = gr.Button(text("agreement_button"))
        c["sanity_gallery"] = gr.Gallery(label=text("sanity_gallery"), columns=7, format="png", height=240)
        c["sanity_text"] = gr.Markdown()
        c["curves_plot"] = gr.LinePlot(
            x="fraction",
            y="probability",
            color="curve",
            color_map=CURVE_COLOURS,
            height=260,
            label=text("curves_plot"),
            sort="x",
        )
        c["curves_text"] = gr.Markdown()
        c["agreement_gallery"] = gr.Gallery(label=text("agreement_gallery"), columns=8, format="png", height=240)
        with gr.Row():
            c["agreement_matrix"] = gr.Dataframe(label=text("agreement_matrix"), interactive=False)
            c["agreement_ranking"] = gr.Dataframe(label=text("agreement_ranking"), interactive=False)
        with gr.Row():
            with gr.Column():
                c["diagnosis"] = gr.Markdown()
                with gr.Row():
                    c["negative_button"] = gr.Button(text("negative_button"), size="sm")
                    c["layercam_button"] = gr.Button(text("layercam_button"), size="sm")
                    c["stages_button"] = gr.Button(text("stages_button"), size="sm")
            c["raw_grid"] = gr.Image(
                label=text("raw_grid"), type="filepath", format="png", interactive=False, height=240
            )


def gpu_seconds(forward_seconds: float, method_of, times: int = 1):
    """A ZeroGPU duration hint for a handler; ``method_of(args)`` names the CAM method it will run.

    The method's measured cost in forward passes (×``times``), three times over for safety, and
    never under ZeroGPU's default of 60 s: Grad-CAM fits the default, Score-CAM asks for minutes.
    """

    def seconds(*args, **kwargs) -> int:
        try:
            forwards = method_named(str(method_of(args))).forwards
        except (IndexError, AttributeError, ValueError):
            forwards = 1
        return max(60, round(3 * times * forwards * forward_seconds))

    return seconds


LESSON_INPUTS = ("learn_open", "view", "kernel_pick", "kernel_numbers", "lesson_block_choice", "lesson_channel")


def _constant(value):
    return lambda: value


def page_events(c: dict, on_gpu):
    """``page_event(trigger, fn, names, record, gpu=False, **kwargs)``: a private event of the page
    whose inputs are the named components and, last, the page's language, and whose outputs are
    ``record``'s. ``gpu``: False, True, or a duration hint for ``on_gpu``. A generator ``fn``
    streams its records (and can be cancelled at each ``yield``)."""

    def page_event(trigger, fn, names: tuple[str, ...], record: type, gpu=False, **kwargs):
        wrap = as_output_stream if inspect.isgeneratorfunction(fn) else as_outputs
        handler = wrap(fn if gpu is False else on_gpu(fn, duration=None if gpu is True else gpu))
        inputs = [c[name] for name in (*names, "language")]
        return trigger(handler, inputs, outputs(record, c), js=LANGUAGE_JS, api_visibility="private", **kwargs)

    return page_event


def _wire(
    demo: gr.Blocks,
    c: dict,
    explain: ExplainTab,
    live: LiveTab,
    api: Api,
    trust: TrustTab,
    learn: LearnTab,
    teach: TeachTab,
    on_gpu,
    max_batch: int,
    forward_seconds: float,
) -> list:
    """Every event of the page (inputs named, outputs from each handler's record); returns the
    analysis events, which other tabs follow."""

    def inputs(*names: str) -> list:
        return [c[name] for name in names]

    page_event = page_events(c, on_gpu)
    page_texts = as_outputs(explain.page_texts)
    loaded = demo.load(page_texts, c["language"], outputs(PageTexts, c), js=WATCH_LANGUAGE_JS, api_visibility="private")
    page_event(loaded.then, trust.diagnose, ("view",), Diagnosis)
    relabelled = page_event(c["relabel"].click, explain.page_texts, (), PageTexts)  # <html lang> changed
    page_event(relabelled.then, trust.diagnose, ("view",), Diagnosis)
    # The page runs the full analysis once per image; /explain (the fast path) is for API
    # clients only, on a hidden trigger, so a click never computes the image twice.
    api_trigger = gr.Button(visible=False)
    # API requests (and live frames) run up to max_batch at once, so waiting ones share a forward pass.
    batched = {"concurrency_id": "model", "concurrency_limit": max(max_batch, CONCURRENCY)}
    api_trigger.click(as_outputs(on_gpu(api.explain)), c["image"], outputs(ApiAnswer, c), api_name="explain", **batched)
    api_trigger.click(
        as_outputs(on_gpu(api.predict)), c["image"], outputs(PredictAnswer, c), api_name="predict", **batched
    )
    analyze_inputs = ("image", "method", "cmap", "alpha", "channels", "scale", "block", "teach_head", "explain_yours")
    analyses = []
    for trigger in (c["button"].click, c["image"].change, c["explain_yours"].input):  # yours: the same photo again
        analyzed = page_event(
            trigger,
            explain.analyze,
            analyze_inputs,
            Analysis,
            gpu=gpu_seconds(forward_seconds, lambda a: a[1]),
            trigger_mode="always_last",
        )
        page_event(analyzed.success, trust.diagnose, ("view",), Diagnosis)
        page_event(analyzed.success, learn.lessons_if_open, LESSON_INPUTS, Lessons, gpu=True)
        analyses.append(analyzed)
    page_event(
        c["live_cam"].stream,
        live.live,
        ("live_cam", "live_last", "teach_head", "live_yours", "live_smoothing", "live_lock"),
        LiveFrame,
        gpu=True,
        stream_every=0.1,
        time_limit=600,
        concurrency_id="live",
        concurrency_limit=max(max_batch, CONCURRENCY),
    )
    for tab in c["tabs"].children:  # which tab is shown: the Learn tab computes its lessons when opened
        opened = tab.select(_constant(tab.id == LEARN_TAB), None, c["learn_open"], api_visibility="private")
        if tab.id == LEARN_TAB:
            page_event(opened.then, learn.lessons_if_open, LESSON_INPUTS, Lessons, gpu=True)
    c["live_freeze"].click(as_outputs(live.freeze), c["live_cam"], outputs(Frozen, c), api_visibility="private")
    retarget_inputs = ("view", None, "contrast", "method", "cmap", "alpha")
    for trigger, chosen in (
        ("top5", "top5"),
        ("any_class", "any_class"),
        ("contrast", "any_class"),
        ("method", "any_class"),
    ):
        names = tuple(chosen if name is None else name for name in retarget_inputs)
        retargeted = page_event(
            c[trigger].input,
            explain.retarget,
            names,
            Retarget,
            gpu=gpu_seconds(forward_seconds, lambda a: a[3]),
            trigger_mode="always_last",
        )
        page_event(retargeted.success, explain.stage_panel, ("view", "cmap", "alpha"), StagePanel, gpu=True)
        page_event(retargeted.success, trust.diagnose, ("view",), Diagnosis)
    # The Trust tab: each check on the map shown; diagnostics follow every new map.
    sanity_seconds = gpu_seconds(forward_seconds, lambda a: a[0].method, times=len(SANITY_LAYERS))
    page_event(c["sanity_button"].click, trust.sanity, ("view", "cmap"), SanityPanel, gpu=sanity_seconds)
    page_event(c["curves_button"].click, trust.curves, ("view",), CurvesPanel, gpu=True)
    agreement_seconds = max(60, round(3 * agreement_forwards() * forward_seconds))
    page_event(c["agreement_button"].click, trust.agreement, ("view", "cmap"), AgreementPanel, gpu=agreement_seconds)
    page_event(c["negative_button"].click, trust.negative_map, ("view", "cmap", "alpha"), NegativeMap, gpu=True)
    page_event(c["occlusion_button"].click, trust.occlusion, ("view",), OcclusionPanel, gpu=True)
    c["stages_button"].click(lambda: gr.Tabs(selected=STAGES_TAB), None, c["tabs"], api_visibility="private")
    to_layercam = c["layercam_button"].click(lambda: LAYERCAM, None, c["method"], api_visibility="private")
    names = ("view", "any_class", "contrast", "method", "cmap", "alpha")
    retargeted = page_event(
        to_layercam.then, explain.retarget, names, Retarget, gpu=gpu_seconds(forward_seconds, lambda a: a[3])
    )
    page_event(retargeted.success, trust.diagnose, ("view",), Diagnosis)
    for trigger in (c["cmap"].input, c["alpha"].release):
        page_event(trigger, explain.restyle, ("view", "cmap", "alpha"), Restyle)
    for trigger in (c["channels"].release, c["scale"].input):
        trigger(  # one forward pass: the page keeps only layer4's activations
            as_outputs(on_gpu(explain.features)),
            inputs("view", "channels", "scale"),
            outputs(Features, c),
            api_visibility="private",
        )
    c["block"].input(
        as_outputs(explain.block_map), inputs("view", "block"), outputs(BlockMap, c), api_visibility="private"
    )
    page_event(c["faith_button"].click, explain.faithfulness, ("view",), Faithfulness, gpu=True)
    page_event(
        c["teach_add"].click, teach.add_photos, ("teach_state", "teach_class", "teach_photos"), TeachClasses, gpu=True
    )
    page_event(
        c["teach_add_snapshot"].click,
        teach.add_snapshot,
        ("teach_state", "teach_class", "teach_snapshot"),
        TeachClasses,
        gpu=True,
    )
    page_event(c["teach_examples"].click, teach.example_classes, (), TeachClasses, gpu=True)
    page_event(c["teach_clear"].click, teach.clear, (), TeachClasses)
    page_event(c["teach_button"].click, teach.train, ("teach_state",), Trained)
    page_event(c["teach_upload"].upload, teach.load, ("teach_upload",), Trained)
    page_event(c["teach_try_button"].click, teach.try_head, ("teach_head", "teach_try"), TriedHead, gpu=True)
    page_event(c["kernel_pick"].release, learn.kernel_lesson, ("view", "kernel_pick"), KernelLesson, gpu=True)
    c["kernel_preset"].input(
        as_outputs(learn.preset), c["kernel_preset"], outputs(PresetKernel, c), api_visibility="private"
    )
    page_event(c["kernel_numbers"].change, learn.own_kernel, ("view", "kernel_numbers"), OwnKernel, gpu=True)
    for trigger in (c["lesson_block_choice"].input, c["lesson_channel"].release):
        block_inputs = ("view", "lesson_block_choice", "lesson_channel")
        page_event(trigger, learn.block_lesson, block_inputs, BlockLesson, gpu=True)
    return analyses


def _wire_what_if(c: dict, what_if: WhatIfTab, on_gpu, analyses: list) -> None:
    """The What-if tab: a new analysis puts its crop on the canvas; the button runs the edited crop."""
    event = page_events(c, on_gpu)
    for analyzed in analyses:  # a new photo: its crop, unpainted (a class switch keeps the paint)
        analyzed.success(as_outputs(what_if.canvas), c["view"], outputs(WhatIfCanvas, c), api_visibility="private")
    event(
        c["whatif_button"].click,
        what_if.explain_edited,
        ("view", "whatif_editor", "whatif_fill"),
        WhatIfPanel,
        gpu=True,
    )


def _wire_video(c: dict, clips: VideoTab, on_gpu, forward_seconds: float) -> None:
    """The Video tab's events: one clip explained at a time on the server; Stop cancels it."""
    event = page_events(c, on_gpu)
    most_frames = video.MAX_SECONDS * video.DEFAULT_MAX_FPS
    explaining = event(
        c["video_button"].click,
        clips.explain_video,
        ("video_in", "video_fps", "teach_head", "video_yours"),
        VideoAnalysis,
        gpu=max(60, round(3 * most_frames * forward_seconds)),
        concurrency_id="video",
        concurrency_limit=1,
    )
    c["video_stop"].click(None, None, None, cancels=[explaining], api_visibility="private")
    event(c["video_frame"].release, clips.open_frame, ("video_run", "video_frame"), VideoFrame, gpu=True)
    event(c["video_analyse"].click, clips.analyse_frame, ("video_run", "video_frame"), Frozen)


def launch(demo: gr.Blocks, host: str, port: int, queue_size: int = QUEUE_SIZE, **kwargs) -> None:
    """Start the server with the product's limits (tests use this too)."""
    demo.queue(max_size=queue_size, default_concurrency_limit=CONCURRENCY)
    demo.launch(
        server_name=host,
        server_port=port,
        max_file_size=MAX_FILE_SIZE,
        share=False,
        show_error=True,
        allowed_paths=[str(ASSETS)],
        css=CSS,
        i18n=I18N,
        **kwargs,
    )


@contextlib.contextmanager
def notice_page(host: str, port: int, message: str, refresh_s: int = 10):
    """Serve a page that says ``message`` (and reloads itself) while the block runs.

    Used for the first download of the weights, so a visitor of a starting Space sees what is
    happening instead of an error; the real app takes the port afterwards.
    """
    with gr.Blocks(title="ResNet50 Explainer: starting") as notice:
        gr.Markdown(
            f"# ResNet50 Explainer is starting · ResNet50 解释器正在启动\n\n{message}\n\n"
            f"This page reloads itself every {refresh_s} s. · 本页每 {refresh_s} 秒自动刷新。"
        )
        gr.Timer(refresh_s).tick(None, js="() => { window.location.reload(); }", api_visibility="private")
    notice.launch(server_name=host, server_port=port, prevent_thread_lock=True, quiet=True, share=False)
    try:
        yield
    finally:
        notice.close()

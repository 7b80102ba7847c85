"""The page: shared state, the Explain panel on top, the tabs in their groups, and the few events
that cross tabs (the analysis fan-out, a frame sent to the Explain panel, tab selection).

Each tab lives in ``ui/tabs/`` and owns its layout (``build``), its events (``wire``) and its
handlers; adding a tab is one file there, its strings in each locale, and one line in ``GROUPS``.
The public API is ``/explain``, ``/predict`` and ``/channel`` (``ui.api``); the page's events are private.
"""

from __future__ import annotations

import gradio as gr

from resnet import Explainer
from resnet.core.batching import BatchingExplainer
from resnet.video import frames as video
from ui import accessibility
from ui.api import Api
from ui.app_once import made_at_launch
from ui.classes import Classifiers
from ui.files import ASSETS, CACHE_CLEAN_EVERY_S, CACHE_MAX_AGE_S, ScratchFiles
from ui.panel import ExplainPanel
from ui.records import named_components
from ui.sessions import keep_pages_lean
from ui.shared import Shared
from ui.tabs.blocks import BlocksTab
from ui.tabs.channels import ChannelsTab
from ui.tabs.features import FeaturesTab
from ui.tabs.lab import LabTab
from ui.tabs.learn import LearnTab
from ui.tabs.live import LiveTab
from ui.tabs.logit import LogitTab
from ui.tabs.stages import StagesTab
from ui.tabs.teach import TeachTab
from ui.tabs.trust import TrustTab
from ui.tabs.video import VideoTab
from ui.tabs.whatif import WhatIfTab
from ui.text import I18N, RELABEL_ID, text
from ui.view import ToExplain

MAX_FILE_SIZE = f"{video.MAX_BYTES // 2**20}mb"  # uploads larger than this are refused by the server (clips)
QUEUE_SIZE = 32  # requests waiting beyond this get "queue is full, try again"
CONCURRENCY = 2  # page analyses computed at once (the model is shared, threads are safe)
MAX_BATCH = 8  # API requests / live frames in flight at once, batched into shared forward passes
# The tab groups under the Explain panel, in order: (id, title key, the tabs' names in ``Tabs``).
GROUPS = (
    ("inside", "group_inside", ("features", "stages", "blocks", "logit", "channels")),
    ("test", "group_test", ("trust", "whatif")),
    ("motion", "group_motion", ("live", "video")),
    ("learn_teach", "group_learn", ("learn", "lab", "teach")),
)
CSS = (
    ".pixelated img { image-rendering: pixelated; }"  # feature maps arrive at 1 px per activation
    f"#{RELABEL_ID} {{ display: none !important; }}" + accessibility.CSS  # clicked by WATCH_LANGUAGE_JS only
)


class Tabs:
    """Every tab of the page over one shared Explainer (built, then wired, inside the page's Blocks)."""

    def __init__(self, explainer: Explainer, forward_seconds: float, max_batch: int, files: ScratchFiles, engine=None):
        batcher = engine or (BatchingExplainer(explainer, max_batch) if max_batch > 1 else None)
        classifiers = Classifiers(explainer, engine=engine)  # ImageNet's classes, and each visitor's taught head
        self.explain = ExplainPanel(explainer, files, forward_seconds, classifiers)
        self.api = Api(explainer, files, batcher, classifiers.shared.run)
        self.features = FeaturesTab(explainer, files, classifiers)
        self.stages = StagesTab(classifiers, files)
        self.blocks = BlocksTab(explainer.model, files)
        self.logit = LogitTab()
        self.channels = ChannelsTab(explainer, files, classifiers, forward_seconds)
        self.trust = TrustTab(explainer, self.explain.heatmaps, files, forward_seconds, classifiers)
        self.whatif = WhatIfTab(explainer, files, classifiers)
        self.live = LiveTab(explainer, files, batcher, classifiers)
        self.video = VideoTab(explainer, files, classifiers)
        self.learn = LearnTab(explainer, files, classifiers)
        self.teach = TeachTab(explainer, files, classifiers)
        self.lab = LabTab(self.explain, forward_seconds)


def build_demo(
    explainer: Explainer,
    forward_seconds: float = 0.1,
    on_gpu=lambda fn, duration=None: fn,
    cache: tuple[int, int] = (CACHE_CLEAN_EVERY_S, CACHE_MAX_AGE_S),
    max_batch: int = MAX_BATCH,
    engine=None,
) -> gr.Blocks:
    """The page over one shared Explainer.

    Args:
        explainer: the model, shared by every visitor.
        forward_seconds: one forward pass here, for the methods menu's time estimates.
        on_gpu: ``on_gpu(fn, duration)`` wraps every handler that runs the model (``spaces.GPU``
            on a ZeroGPU Space); ``duration`` is a hint in seconds, or a function of the handler's
            arguments (see ``Shared.gpu_seconds``).
        cache: (every, age) in seconds: served files older than ``age`` are deleted ``every`` s.
        max_batch: API requests and live frames computed at once, sharing forward passes
            (``resnet.core.batching``); 1 runs each on its own (as on ZeroGPU, where only a
            ``spaces.GPU`` call may use the GPU).
        engine: the model's replicas on Ray Serve (``resnet.serve.front.RayEngine``): the page's
            and the API's model calls go there (explanations batched by the replicas); None
            computes everything here.
    """
    tabs = Tabs(explainer, forward_seconds, max_batch, ScratchFiles(), engine)
    with made_at_launch(), gr.Blocks(title="ResNet50 Explainer", delete_cache=cache, analytics_enabled=False) as demo:
        shared = Shared(on_gpu, forward_seconds)
        tabs.api.build()
        gr.Markdown(text("intro"))
        tabs.explain.build(shared)
        groups = _build_groups(shared, tabs)
        _wire(demo, shared, tabs, groups, max(max_batch, CONCURRENCY))
        keep_pages_lean(demo)
    for owner in (shared, *vars(tabs).values(), tabs.trust.ranking):  # tests and the load test find them by name
        for name, component in named_components(owner).items():
            if component.elem_id is None:
                component.elem_id = name
    return demo


def _build_groups(shared: Shared, tabs: Tabs) -> dict:
    """The groups of tabs; returns each tab's (group id, the outer Tabs, the group's inner Tabs)."""
    places = {}
    with gr.Tabs(elem_id="groups") as outer:
        for group, title, names in GROUPS:
            with gr.Tab(text(title), id=group, elem_id=f"group_{group}"), gr.Tabs(elem_id=f"tabs_{group}") as inner:
                for name in names:
                    tab = getattr(tabs, name)
                    with gr.Tab(text(tab.TITLE), id=tab.ID, elem_id=f"{tab.ID}_tab"):
                        tab.build(shared)
                    places[tab.ID] = (group, outer, inner)
    shared.places = places
    return places


def _wire(demo: gr.Blocks, shared: Shared, tabs: Tabs, places: dict, concurrency: int) -> None:
    """Each tab's own events, then those that cross tabs."""
    explain = tabs.explain
    inside = {name: getattr(tabs, name) for name in ("features", "stages", "blocks", "logit", "learn")}
    explain.wire(shared, inside)
    tabs.api.wire(shared, explain, concurrency)
    for tab in (tabs.features, tabs.blocks, tabs.whatif, tabs.video, tabs.learn, tabs.lab, tabs.teach):
        tab.wire(shared)
    tabs.trust.wire(shared, explain)
    tabs.channels.wire(shared, tabs.features, tabs.logit)
    tabs.live.wire(shared, concurrency)
    for analyzed in explain.analyses:  # a new image: what the other tabs compute from it
        tabs.trust.follow_heatmap(shared, analyzed)
        tabs.learn.follow_analysis(shared, analyzed)
        tabs.whatif.follow_analysis(shared, analyzed)
    for changed in explain.retargets:  # another class, contrast or method for the same image
        tabs.stages.follow_heatmap(shared, changed, explain.cmap, explain.alpha)
        tabs.trust.follow_heatmap(shared, changed)
        tabs.whatif.follow_heatmap(shared, changed)
    live, clip = tabs.live, tabs.video  # a frame sent to the Explain panel, which analyses it
    shared.plain_event(live.live_freeze.click, live.freeze, [live.live_cam], ToExplain, explain)
    shared.event(clip.video_analyse.click, clip.analyse_frame, [clip.video_run, clip.video_frame], ToExplain, explain)
    _wire_tab_selection(shared, tabs, places)
    shared.wire_language(demo)


def _wire_tab_selection(shared: Shared, tabs: Tabs, places: dict) -> None:
    """Whether the Learn tab is shown (its lessons are computed when it is opened)."""
    learn_group, outer, inner = places[LearnTab.ID]
    learn_inner = gr.State(True)  # the Learn tab is its group's selected tab (the first, at the start)
    for tab in inner.children:
        is_learn = tab.id == LearnTab.ID
        both = lambda shown=is_learn: (shown, shown)  # noqa: E731
        chosen = tab.select(both, None, [learn_inner, shared.learn_open], api_visibility="private")
        tabs.learn.lessons_on(shared, chosen.then)
    for group in outer.children:
        shown = _learn_shown if group.id == learn_group else (lambda _learn_is_selected: False)
        opened = group.select(shown, learn_inner, shared.learn_open, api_visibility="private")
        if group.id == learn_group:
            tabs.learn.lessons_on(shared, opened.then)


def _learn_shown(learn_is_selected: bool) -> bool:
    """The Learn tab's group is opened: the Learn tab shows if it is the group's selected tab."""
    return bool(learn_is_selected)


def launch(demo: gr.Blocks, host: str, port: int, queue_size: int = QUEUE_SIZE, **kwargs) -> None:
    """Start the server with the product's limits (tests use this too)."""
    with made_at_launch():
        demo.queue(max_size=queue_size, default_concurrency_limit=CONCURRENCY)
    demo.launch(
        server_name=host,
        server_port=port,
        max_file_size=MAX_FILE_SIZE,
        share=False,
        show_error=True,
        allowed_paths=[str(ASSETS)],
        css=CSS,
        theme=accessibility.THEME,
        js=accessibility.ACCESSIBILITY_JS,
        i18n=I18N,
        _frontend=False,  # no check that the page renders on localhost before serving (0.3 s at start)
        **kwargs,
    )

"""The ZeroGPU contract, checked with the real ``spaces`` package.

On a ZeroGPU Space every ``spaces.GPU`` function runs in a forked worker; its arguments (with
Gradio's context: event id, progress tracker) go there through a pickling queue, and its result
comes back the same way (``spaces/zero/wrappers.py``). Here every handler the page wraps is run
through exactly that round trip, with the values Gradio really passes.
"""

from __future__ import annotations

import inspect
import pickle

import gradio as gr
import numpy as np
import pytest
import spaces
from clips import write_clip
from gradio_client import Client, handle_file
from helpers import free_port
from spaces.zero.gradio import GradioPartialContext

import app
from resnet import load_image
from resnet.cams.methods import METHODS
from resnet.core.heads import backbone_sha256
from resnet.learn.teaching import teach_features
from ui.page import build_demo, launch

pytestmark = pytest.mark.slow  # a real server, browser or app process

WRAPPED = {"first_answer", "retarget", "stage_panel", "live", "explain", "predict", "sanity", "curves", "agreement"}
WRAPPED |= {
    "negative_map",
    "faithfulness",
    "features",
    "lessons",
    "kernel_lesson",
    "own_kernel",
    "block_lesson",
}
WRAPPED |= {"add_photos", "add_snapshot", "example_classes", "try_head", "occlusion", "explain_video", "open_frame"}
WRAPPED |= {"explain_edited", "lesion_panel", "flow_panel", "rank", "show", "behind", "channel", "from_features"}


def round_trip(value):
    return pickle.loads(pickle.dumps(value))


class ZeroGpuLike:
    """An ``on_gpu`` that records what it wraps and pickles calls as ZeroGPU's queues do."""

    def __init__(self):
        self.wrapped: dict[str, tuple] = {}

    def __call__(self, fn, duration=None):
        def worker_call(*args, **kwargs):
            args, kwargs, _ = round_trip((args, kwargs, GradioPartialContext.get()))
            return round_trip(fn(*args, **kwargs))

        def worker_stream(*args, **kwargs):  # a generator: each yielded value comes back pickled
            args, kwargs, _ = round_trip((args, kwargs, GradioPartialContext.get()))
            for value in fn(*args, **kwargs):
                yield round_trip(value)

        if inspect.isgeneratorfunction(fn):
            worker_call = worker_stream

        worker_call.__wrapped__ = fn  # Gradio reads the signature (request, progress) through this
        self.wrapped[fn.__name__] = (worker_call, duration)
        return worker_call


@pytest.fixture(scope="module")
def zero(explainer):
    on_gpu = ZeroGpuLike()
    demo = build_demo(explainer, forward_seconds=0.1, on_gpu=on_gpu, max_batch=1)
    port = free_port()
    launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield on_gpu, f"http://127.0.0.1:{port}"
    demo.close()


def test_outside_a_zero_gpu_space_the_package_leaves_functions_alone():
    assert not spaces.config.Config.zero_gpu and not app.ZERO_GPU

    def f(x):
        return x

    assert spaces.GPU(f) is f and spaces.GPU(duration=120)(f) is f


def test_every_model_handler_is_wrapped(zero):
    on_gpu, _ = zero
    assert set(on_gpu.wrapped) == WRAPPED


def test_api_calls_survive_the_round_trip_with_gradios_request(zero, explainer, photos):
    _, url = zero
    client = Client(url, verbose=False, headers={"Accept-Language": "en"})
    labels, _, sheet = client.predict(handle_file(str(photos[2])), api_name="/explain")
    assert labels["label"] == explainer.explain(load_image(photos[2])).top5[0].name and sheet.endswith(".png")
    assert client.predict(handle_file(str(photos[2])), api_name="/predict")["top5"][0]["name"] == labels["label"]


def test_page_handlers_take_and_return_picklable_values(zero, explainer, photos, tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", seconds=1.0, fps=4)
    on_gpu, _ = zero
    call = {name: fn for name, (fn, _) in on_gpu.wrapped.items()}
    progress = gr.Progress(track_tqdm=True)  # what Gradio passes for a progress bar
    first, rest = call["first_answer"](str(photos[2]), "Grad-CAM", "jet", 0.5, None, False, "en", progress=progress)
    assert first.labels and first.heatmap and first.view.stage_grids is None and first.analysed == gr.skip()
    assert rest.labels == first.labels and rest.heatmap == first.heatmap  # unchanged: nothing sent again
    assert set(rest.view.stage_grids) == set(rest.analysed.stage_grids)
    view = rest.view
    assert len(pickle.dumps(rest.analysed)) < 10_000_000  # the stage activations, stored for the panels
    assert len(pickle.dumps(view)) < 1_000_000  # copied to and from the worker on every class switch
    assert len(call["features"](view, 8, "global").gallery) == 5
    assert call["lessons"](view, 3, [[0, 1, 0], [1, -4, 1], [0, 1, 0]], "layer1.0", 7, "en").gradient_plot
    assert call["block_lesson"](view, "layer4.2", 2047, "en").block_numbers
    assert list(call["show"](view, "layer2.0", 3, "en"))[-1].channel_where
    examples = call["example_classes"]("en", progress=progress).teach_state
    more = call["add_photos"](examples, "more", [str(photos[3])], "en", progress=progress).teach_state
    assert more.photos("more") == 1
    head = teach_features(more.features, backbone_sha256(explainer.model)).head
    assert set(call["try_head"](head, str(photos[0]), "en").teach_labels) == set(more.features)
    retarget = call["retarget"](view, 281, -1, "Grad-CAM", "jet", 0.5, "en", progress=progress)
    assert retarget.view.cam_class == 281
    assert len(call["stage_panel"](retarget.view, "jet", 0.5, "en").stage_gallery) == 4
    frame = np.asarray(load_image(photos[0]))
    assert call["live"](frame, None, None, False, 0.6, True, "en").live_labels
    assert call["faithfulness"](view, "en", progress=progress).view.road is not None
    assert call["sanity"](view, "jet", "en", progress=progress).sanity_text
    assert call["curves"](view, "en", progress=progress).curves_text
    assert call["negative_map"](view, "jet", 0.5, "en").heatmap
    assert len(call["agreement"](view, "jet", "en", progress=progress).agreement_gallery) == 8
    video = list(call["explain_video"](str(clip), 4, None, False, "en", progress=progress))[-1]
    assert len(pickle.dumps(video.video_run)) < 10_000 and len(video.video_run.frame_index) == 4
    assert call["open_frame"](video.video_run, 3, "en").video_frame_labels
    paint = np.zeros((448, 448, 4), np.uint8)
    paint[:100, :100] = 255
    assert call["explain_edited"](view, {"layers": [paint]}, "blur", "en").whatif_text
    lesioned = call["lesion_panel"](view, "en", progress=progress)
    assert lesioned.lesion_text and len(pickle.dumps(lesioned.view)) < 1_000_000
    assert call["flow_panel"](lesioned.view, "en").view.lab.keys() == {"lesions", "gradients"}


def test_slow_methods_ask_for_longer_gpu_slots(zero, photos):
    on_gpu, _ = zero
    durations = {name: duration for name, (_, duration) in on_gpu.wrapped.items()}
    first_answer, retarget = durations["first_answer"], durations["retarget"]
    assert first_answer(str(photos[0]), "Grad-CAM") == 60  # ZeroGPU's default is enough
    assert retarget(None, 281, -1, "Score-CAM") == round(3 * METHODS["Score-CAM"].forwards * 0.1)  # 420 s
    assert retarget(None, 281, -1, "Ablation-CAM") > retarget(None, 281, -1, "Score-CAM")
    assert durations["agreement"] > 60 and durations["explain"] is None  # the API's fast path fits the default
    # Hints read the method by the handler's parameter name, whether Gradio passes it by position or name.
    assert retarget(view=None, cam_class=281, contrast=-1, method="Score-CAM") == retarget(None, 281, -1, "Score-CAM")
    assert durations["sanity"](None, "jet") == 60  # no image yet: the handler answers at once


def test_a_duration_hint_names_a_parameter_the_handler_has():
    from ui.shared import Shared

    def handler(view, cmap, language):
        return view

    shared = Shared(forward_seconds=0.1)
    with pytest.raises(TypeError, match="has no parameter 'method'"):
        shared.gpu_seconds(handler, "method")
    assert shared.gpu_seconds(handler, "view", lambda v: v, times=2)("Score-CAM", "jet", "en") == round(
        3 * 2 * METHODS["Score-CAM"].forwards * 0.1
    )

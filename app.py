"""ResNet50 Explainer: the Gradio web UI. Layout, wiring and launch flags only.

    python app.py [--weights W] [--device auto|cpu|cuda] [--host H] [--port P]

Importing this module builds nothing and loads no weights; ``main()`` does.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from resnet import Explainer, Explanation, load_image, load_weights, render
from resnet.preprocess import ImageError
from resnet.architecture import architecture, architecture_table, image_story
from resnet.cams import DEFAULT_METHOD, METHODS, Heatmaps
from resnet.explain import CAM_STAGES
from resnet.report import build_report
from resnet.runtime import tune_allocator
from resnet.weights import DEFAULT_SPEC, SPEC_ENV, pending_download
from ui_text import I18N, message, text

try:
    import spaces  # on Hugging Face ZeroGPU Spaces: GPU work must run inside spaces.GPU
except ImportError:
    spaces = None

log = logging.getLogger("app")

ASSETS = Path(__file__).resolve().parent / "assets"
EXAMPLES = sorted(ASSETS.glob("*.jpg"))
MAX_FILE_SIZE = "20mb"  # uploads larger than this are refused by the server
QUEUE_SIZE = 32  # requests waiting beyond this get "queue is full, try again"
CONCURRENCY = 2  # explanations computed at once (the model is shared, threads are safe)
CACHE_CLEAN_EVERY_S, CACHE_MAX_AGE_S = 60, 600  # served files live 10 minutes (Blocks.delete_cache)
# Pictures are written straight into Gradio's cache folder (same rule as Gradio's own), so it
# serves them without another copy and deletes them with its cache.
GRADIO_CACHE = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
SCRATCH_DIR = GRADIO_CACHE / "resnet-explainer"
NO_IMAGE = "No image yet: upload a photo, paste one, take a webcam snapshot, or click an example."
NO_CONTRAST = -1  # dropdown value for "no contrast class"
CSS = ".pixelated img { image-rendering: pixelated; }"  # feature maps arrive at 1 px per activation

Pictures = list[tuple[Image.Image, str]]  # captioned pictures, before encoding
Gallery = list[tuple[str, str]]  # captioned PNG files, as gr.Gallery takes them



class UntrustedImage(gr.Image):
    """``gr.Image`` that hands the uploaded file itself to the engine.

    The stock component opens every upload with PIL before our code sees it, so a renamed text
    file or a decompression bomb fails there with a message that names a temp path. Here
    ``resnet.load_image`` decides, and says what to do.
    """

    is_template = True  # drawn by the stock Image frontend

    def preprocess(self, payload):  # -> str | None: path of the uploaded file
        if payload is None or payload.path is None:
            return super().preprocess(payload)  # data: URLs are decoded by Gradio
        return payload.path


class ScratchFiles:
    """Files handed to Gradio: pictures and reports, pruned by age.

    Images are PNG-encoded here with fast compression (``render.PNG_COMPRESS_LEVEL``) instead
    of letting Gradio encode PIL images at its slower default. Gradio deletes the files it
    served on its schedule; pruning here also catches any that were never handed out.
    """

    def __init__(self, root: Path = SCRATCH_DIR, max_age_s: float = CACHE_MAX_AGE_S, prune_every_s: float = 30):
        self.root = root
        self.max_age_s = max_age_s
        self.prune_every_s = prune_every_s
        self._last_prune = 0.0

    def png(self, image: Image.Image) -> str:
        path = self._new_path(".png")
        image.save(path, format="PNG", compress_level=render.PNG_COMPRESS_LEVEL)
        return str(path)

    def json(self, data: dict) -> str:
        path = self._new_path(".json", prefix="resnet50-report-")
        path.write_text(json.dumps(data, indent=2))
        return str(path)

    def _new_path(self, suffix: str, prefix: str = "") -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        now = time.time()
        if now - self._last_prune > self.prune_every_s:
            self._last_prune = now
            for old in self.root.iterdir():
                try:
                    if now - old.stat().st_mtime > self.max_age_s:
                        old.unlink()
                except OSError:  # another thread pruned it first
                    pass
        return self.root / f"{prefix}{uuid.uuid4().hex}{suffix}"


@dataclass(frozen=True)
class View:
    """One session's current image and heatmap settings (kept in gr.State)."""

    explanation: Explanation
    cam: np.ndarray  # (224, 224) heatmap shown
    cam_class: int
    contrast: int | None
    method: str
    stage_cams: dict[str, np.ndarray] | None = None  # CAM_STAGES -> (224, 224) for cam_class/contrast
    road: float | None = None  # faithfulness of `cam`, once asked for


def on_gpu(fn):
    """Run ``fn`` under ``spaces.GPU`` on a ZeroGPU Space; unchanged everywhere else."""
    return spaces.GPU(fn) if spaces is not None else fn


class Handlers:
    """Event handlers: plain methods over one shared, thread-safe Explainer."""

    def __init__(self, explainer: Explainer, files: ScratchFiles | None = None):
        self.explainer = explainer
        self.heatmaps = Heatmaps(explainer)
        self.categories = explainer.weights.categories
        self.files = files or ScratchFiles()

    # -- the public API ---------------------------------------------------------------------

    def explain(self, image_path: str | None, request: gr.Request = None) -> tuple[dict[str, float], str, Gallery]:
        """Explain what a ResNet50 trained on ImageNet-1k sees in an image.

        Args:
            image_path: the image (JPEG, PNG, WebP, GIF, BMP or TIFF).

        Returns:
            The top-5 ImageNet classes with probabilities, a Grad-CAM heatmap PNG of where the
            model looked for the top-1 class, and PNG grids of the most active feature maps of
            the stem and the four residual stages.
        """
        result = self.explainer.explain(self._load(image_path, request))
        overlay = render.cam_overlay(result.crop, result.cam, self._target_text(result.cam_class, None))
        return result.label_confidences, self.files.png(overlay), self._pngs(render.feature_grids(result.stages))

    # -- the page ---------------------------------------------------------------------------

    def analyze(
        self, image_path, method, cmap, alpha, channels, scale, block, request: gr.Request = None,
        progress=gr.Progress(track_tqdm=True),
    ):
        """A new image: one pass for everything, then every panel of the page."""
        if image_path is None:
            return self._cleared()
        progress(0, desc="Running ResNet50")
        explanation = self.explainer.explain(self._load(image_path, request), all_stages=True, blocks=True)
        view = replace(self._view(explanation, explanation.cam_class, None, method), stage_cams=explanation.stage_cams)
        top5 = [(f"{p.name} ({p.probability:.1%})", p.index) for p in explanation.top5]
        return (
            view,
            explanation.label_confidences,
            gr.update(choices=top5, value=explanation.cam_class),
            gr.update(value=explanation.cam_class),
            gr.update(value=NO_CONTRAST),
            *self._heatmap_panels(view, cmap, alpha),
            self._stage_gallery(view, cmap, alpha),
            self.features(view, channels, scale),
            *self._block_panels(explanation, block),
            image_story(explanation, self.categories),
        )

    def retarget(self, view, cam_class, contrast, method, cmap, alpha, progress=gr.Progress(track_tqdm=True)):
        """Another class, contrast or method for the same image (Grad-CAM: no model run).

        Returns the new view, the heatmap panels, and the class for the top-5 radio and the
        class dropdown, kept in step.
        """
        if view is None or cam_class is None:
            raise gr.Error(NO_IMAGE)
        cam_class = int(cam_class)
        contrast = None if contrast in (None, NO_CONTRAST) else int(contrast)
        view = self._view(view.explanation, cam_class, contrast, method)
        in_top5 = cam_class in [p.index for p in view.explanation.top5]
        return (view, *self._heatmap_panels(view, cmap, alpha), cam_class if in_top5 else None, cam_class)

    def stage_panel(self, view, cmap, alpha):
        """Grad-CAM of every stage for the current class (one forward, one partial backward)."""
        if view is None:
            return None, []
        view = replace(view, stage_cams=self.explainer.stage_cams(view.explanation, view.cam_class, view.contrast))
        return view, self._stage_gallery(view, cmap, alpha)

    def restyle(self, view, cmap, alpha):
        """New colormap or opacity: redraw the heatmaps, no model run."""
        if view is None:
            return None, []
        return self._overlay(view, cmap, alpha), self._stage_gallery(view, cmap, alpha)

    def features(self, view, channels, scale):
        return [] if view is None else self._pngs(render.feature_grids(view.explanation.stages, int(channels), scale))

    def block_map(self, view, block):
        return None if view is None else self._block_panels(view.explanation, block)[1]

    def live(self, frame, last_done):
        """One webcam frame (H, W, 3 uint8): top-5 and Grad-CAM overlay, plus the rate served.

        ``last_done`` (per-session state) is when the previous frame finished, so the rate is
        the one this session really gets, waiting and transfers included.
        """
        if frame is None:
            return None, None, last_done, ""
        start = time.perf_counter()
        result = self.explainer.explain(Image.fromarray(frame).convert("RGB"))
        overlay = render.cam_overlay(result.crop, result.cam, self._target_text(result.cam_class, None))
        heatmap = self.files.png(overlay)
        done = time.perf_counter()
        rate = f"{1 / (done - last_done):.1f} frames/s · " if last_done else ""
        return result.label_confidences, heatmap, done, f"{rate}{(done - start) * 1000:.0f} ms per frame on the server"

    def faithfulness(self, view, progress=gr.Progress()):
        """ROAD score of the heatmap shown (8 extra forward passes)."""
        if view is None:
            raise gr.Error(NO_IMAGE)
        progress(0, desc="Removing pixels and re-running the model (ROAD)")
        road = self.heatmaps.road(view.explanation.input, view.cam, view.cam_class)
        view = replace(view, road=road)
        return view, _road_text(road), self._write_report(view)

    # -- helpers ----------------------------------------------------------------------------

    def _pngs(self, pictures: Pictures) -> Gallery:
        return [(self.files.png(image), caption) for image, caption in pictures]

    def _load(self, image_path: str | None, request: gr.Request | None = None) -> Image.Image:
        """Decode an upload; problems become a message in the browser's language."""
        language = request.headers.get("accept-language") if request is not None else None
        if image_path is None:
            raise gr.Error(message("no_image", NO_IMAGE, language))
        try:
            return load_image(image_path)
        except ImageError as err:
            title = message("cannot_use", "Cannot use this image", language)
            raise gr.Error(message(err.code, str(err), language, **err.params), title=title) from None

    def _view(self, explanation: Explanation, cam_class: int, contrast: int | None, method: str) -> View:
        cam = self.heatmaps.heatmap(explanation, method, cam_class, contrast)
        return View(explanation, cam, cam_class, contrast, method)

    def _target_text(self, cam_class: int, contrast: int | None) -> str:
        text = f"“{self.categories[cam_class]}”"
        return text if contrast is None else f"{text} and not “{self.categories[contrast]}”"

    def _overlay(self, view: View, cmap: str, alpha: float) -> str:
        target = self._target_text(view.cam_class, view.contrast)
        return self.files.png(render.cam_overlay(view.explanation.crop, view.cam, target, alpha=alpha, cmap=cmap))

    def _heatmap_panels(self, view: View, cmap: str, alpha: float):
        """Heatmap, faithfulness line, logit decomposition (text, chart, maps) and report file."""
        parts = self.explainer.logit_parts(view.explanation, view.cam_class)
        up, down = parts.strongest(8, +1), parts.strongest(8, -1)
        chart = pd.DataFrame(
            {
                "channel": [f"ch {k}" for k in up + down],
                "contribution": [float(parts.contributions[k]) for k in up + down],
                "effect": ["raises the score"] * len(up) + ["lowers the score"] * len(down),
            }
        )
        layer4 = view.explanation.stages["layer4"]  # (2048, 7, 7)
        maps = self._pngs([(render.scalar_map(layer4[k], 112), f"ch {k} · {parts.contributions[k]:+.3f}") for k in up + down])
        summary = (
            f"**{self.categories[view.cam_class]}**: logit {parts.logit:.3f} = "
            f"{parts.contributions.sum():.3f} (sum of 2048 channel contributions) {parts.bias:+.3f} (bias)"
        )
        return self._overlay(view, cmap, alpha), "", summary, chart, maps, self._write_report(view, parts)

    def _stage_gallery(self, view: View, cmap: str, alpha: float) -> Gallery:
        if view.stage_cams is None:
            return []
        target = self._target_text(view.cam_class, view.contrast)
        crop = view.explanation.crop
        return self._pngs(
            [
                (render.cam_overlay(crop, view.stage_cams[name], target, alpha=alpha, cmap=cmap), f"{name} · Grad-CAM")
                for name in CAM_STAGES
            ]
        )

    def _block_panels(self, explanation: Explanation, block: str):
        rows = []
        for stats in explanation.blocks:
            rows.append({"block": stats.name, "series": "‖F(x)‖ / ‖shortcut‖", "value": stats.ratio})
            rows.append({"block": stats.name, "series": "cosine(F(x), shortcut)", "value": stats.cosine})
        chosen = next(b for b in explanation.blocks if b.name == block)
        return pd.DataFrame(rows), self.files.png(render.scalar_map(chosen.residual_map))

    def _write_report(self, view: View, parts=None) -> str:
        """Write the JSON report of what is shown; old reports are pruned."""
        parts = parts or self.explainer.logit_parts(view.explanation, view.cam_class)
        report = build_report(
            self.explainer.weights,
            view.explanation,
            cam_class=view.cam_class,
            method=view.method,
            contrast=view.contrast,
            logit_parts=parts,
            road=view.road,
        )
        return self.files.json(report)

    def _cleared(self):
        return (None, None, gr.update(choices=[], value=None), gr.update(), gr.update(), None, "", "", None, [], None, [], [], None, None, "")


def _road_text(road: float) -> str:
    verdict = "the model relies on the highlighted region" if road > 0.01 else "no clear reliance on the highlighted region"
    return (
        f"**Faithfulness (ROAD): {road:+.3f}** — {verdict}. Average over removing 20–80% of the pixels of "
        "(probability kept when the least relevant pixels go − probability kept when the most relevant go) / 2."
    )


def weights_banner(explainer: Explainer) -> str:
    """HTML for the top of the page: which weights, and a loud warning when they are untrained."""
    weights = explainer.weights
    html = f"<p><b>Model:</b> {weights.describe()} · running on {weights.device.type}</p>"
    if weights.warning:
        html = (
            '<div style="border:2px solid #d97706;background:#fef3c7;color:#78350f;padding:10px 14px;'
            f'border-radius:8px;margin-bottom:8px"><b>⚠️ Warning:</b> {weights.warning}</div>' + html
        )
    return html


def method_choices(forward_seconds: float) -> list[tuple[str, str]]:
    """Dropdown entries with how long each method takes on this machine."""
    choices = []
    for method in METHODS.values():
        if method.label == DEFAULT_METHOD:
            choices.append((f"{method.label} (instant)", method.label))
        else:
            seconds = method.forwards * forward_seconds
            estimate = f"≈ {seconds:.0f} s here" if seconds >= 1 else "< 1 s"
            choices.append((f"{method.label} ({estimate})", method.label))
    return choices


def build_demo(explainer: Explainer, forward_seconds: float = 0.1) -> gr.Blocks:
    """The page. The public API is ``/explain``; the page's own events are private."""
    handlers = Handlers(explainer)
    classes = [(f"{name} ({i})", i) for i, name in enumerate(explainer.weights.categories)]
    block_names = [f"{stage}.{i}" for stage, n in zip(CAM_STAGES, (3, 4, 6, 3)) for i in range(n)]
    with gr.Blocks(title="ResNet50 Explainer", delete_cache=(CACHE_CLEAN_EVERY_S, CACHE_MAX_AGE_S)) as demo:
        view = gr.State(None, time_to_live=3600)
        gr.Markdown(text("intro"))
        gr.HTML(weights_banner(explainer))
        with gr.Row():
            with gr.Column(scale=1):
                image = UntrustedImage(
                    label=text("your_image"), type="filepath", sources=["upload", "webcam", "clipboard"], height=360
                )
                button = gr.Button(text("explain"), variant="primary")
                gr.Examples(examples=[[str(p)] for p in EXAMPLES], inputs=image, label=text("examples"))
                with gr.Accordion(text("display"), open=False):
                    cmap = gr.Dropdown(list(render.COLORMAPS), value=render.HEATMAP_CMAP, label=text("colormap"))
                    alpha = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label=text("opacity"))
            with gr.Column(scale=1):
                labels = gr.Label(label=text("top5"), num_top_classes=5)
                top5 = gr.Radio(label=text("pick_top5"), choices=[])
                with gr.Row():
                    any_class = gr.Dropdown(classes, value=None, label=text("any_class"), filterable=True)
                    contrast = gr.Dropdown(
                        [("(none)", NO_CONTRAST), *classes], value=NO_CONTRAST, label=text("contrast")
                    )
                method = gr.Dropdown(method_choices(forward_seconds), value=DEFAULT_METHOD, label=text("method"))
                heatmap = gr.Image(
                    label=text("heatmap"), type="filepath", format="png", interactive=False
                )
                with gr.Row():
                    faith_button = gr.Button(text("faithfulness"), size="sm")
                    report = gr.DownloadButton(text("report"), size="sm")
                faith = gr.Markdown()
        with gr.Tabs():
            with gr.Tab(text("tab_features")):
                with gr.Row():
                    channels = gr.Slider(4, 64, value=16, step=1, label=text("channels"))
                    scale = gr.Radio(list(render.FEATURE_SCALES), value="per channel", label=text("colour_scale"))
                gallery = gr.Gallery(
                    label=text("features"),
                    columns=5, format="png", object_fit="contain", height=300, elem_classes="pixelated",
                )
            with gr.Tab(text("tab_stages")):
                gr.Markdown(text("stages_caption"))
                stage_gallery = gr.Gallery(label=text("stages"), columns=4, format="png", object_fit="contain", height=300)
            with gr.Tab(text("tab_blocks")):
                gr.Markdown(text("blocks_caption"))
                block_plot = gr.LinePlot(
                    x="block", y="value", color="series", x_title="bottleneck block, input to output",
                    y_title="value", tooltip=["block", "series", "value"], height=280, label=text("blocks_plot"),
                    x_label_angle=-45,
                )
                with gr.Row():
                    block = gr.Dropdown(block_names, value="layer4.2", label=text("block_choice"))
                    block_image = gr.Image(label=text("block_map"), type="filepath", format="png", interactive=False, height=240)
            with gr.Tab(text("tab_live")):
                gr.Markdown(text("live_caption"))
                with gr.Row():
                    live_cam = gr.Image(label=text("webcam"), sources=["webcam"], streaming=True, type="numpy", height=300)
                    live_heatmap = gr.Image(label=text("live_heatmap"), type="filepath", format="png", interactive=False, height=300)
                    live_labels = gr.Label(label=text("live_top5"), num_top_classes=5)
                live_info = gr.Markdown()
                live_last = gr.State(0.0)
            with gr.Tab(text("tab_learn")):
                gr.Markdown(text("learn_intro"))
                gr.Markdown(architecture_table(architecture(explainer)))
                learn_story = gr.Markdown(text("learn_waiting"))
            with gr.Tab(text("tab_logit")):
                gr.Markdown(text("logit_caption"))
                logit_text = gr.Markdown()
                logit_plot = gr.BarPlot(
                    x="channel", y="contribution", color="effect", sort="-y", height=280, label=text("logit_plot"),
                    color_map={"raises the score": "#d62728", "lowers the score": "#1f77b4"},
                )
                logit_maps = gr.Gallery(label=text("logit_maps"), columns=8, format="png", height=220)

        heatmap_panels = [heatmap, faith, logit_text, logit_plot, logit_maps, report]
        analyze_inputs = [image, method, cmap, alpha, channels, scale, block]
        analyze_outputs = [
            view, labels, top5, any_class, contrast, *heatmap_panels, stage_gallery, gallery, block_plot, block_image, learn_story,
        ]
        private = dict(api_visibility="private")
        # The page runs the full analysis once per image; /explain (the fast path) is for API
        # clients only, on a hidden trigger, so a click never computes the image twice.
        api_trigger = gr.Button(visible=False)
        api_trigger.click(on_gpu(handlers.explain), image, [labels, heatmap, gallery], api_name="explain")
        for trigger in (button.click, image.change):
            trigger(on_gpu(handlers.analyze), analyze_inputs, analyze_outputs, trigger_mode="always_last", **private)
        live_cam.stream(
            on_gpu(handlers.live), [live_cam, live_last], [live_labels, live_heatmap, live_last, live_info],
            stream_every=0.1, time_limit=600, concurrency_id="live", **private,
        )
        retarget_outputs = [view, *heatmap_panels, top5, any_class]
        for trigger, chosen_class in ((top5.input, top5), (any_class.input, any_class), (contrast.input, any_class), (method.input, any_class)):
            trigger(
                on_gpu(handlers.retarget), [view, chosen_class, contrast, method, cmap, alpha], retarget_outputs,
                trigger_mode="always_last", **private,
            ).success(on_gpu(handlers.stage_panel), [view, cmap, alpha], [view, stage_gallery], **private)
        for trigger in (cmap.input, alpha.release):
            trigger(handlers.restyle, [view, cmap, alpha], [heatmap, stage_gallery], **private)
        for trigger in (channels.release, scale.input):
            trigger(handlers.features, [view, channels, scale], gallery, **private)
        block.input(handlers.block_map, [view, block], block_image, **private)
        faith_button.click(on_gpu(handlers.faithfulness), view, [view, faith, report], **private)
    return demo


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
        gr.Markdown(f"# ResNet50 Explainer is starting\n\n{message}\n\nThis page reloads itself every {refresh_s} s.")
        gr.Timer(refresh_s).tick(None, js="() => { window.location.reload(); }", api_visibility="private")
    notice.launch(server_name=host, server_port=port, prevent_thread_lock=True, quiet=True, share=False)
    try:
        yield
    finally:
        notice.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="ResNet50 Explainer web app")
    parser.add_argument(
        "--weights",
        default=None,
        help=f"{DEFAULT_SPEC} (default, or ${SPEC_ENV}), IMAGENET1K_V1, random, or a .pth/.safetensors path",
    )
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument("--precision", default="auto", help="auto (fp16 on CUDA, fp32 on CPU), fp32, fp16 or bf16")
    parser.add_argument(
        "--host",
        default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        help="address to bind (default 127.0.0.1, or $GRADIO_SERVER_NAME)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        help="port (default 7860, or $GRADIO_SERVER_PORT)",
    )
    parser.add_argument("--mcp", action="store_true", help="also serve /explain as an MCP tool (needs gradio[mcp])")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    download = pending_download(args.weights)
    waiting = (
        notice_page(args.host, args.port, f"Downloading the {download.name} weights (about 100 MB) into the torch hub cache, once.")
        if download
        else contextlib.nullcontext()
    )
    try:
        with waiting:
            weights = load_weights(args.weights, device=args.device, fallback=True)
    except ValueError as err:  # a bad path or corrupt checkpoint: say so, do not start
        raise SystemExit(f"error: {err}") from None
    try:
        explainer = Explainer(weights, precision=args.precision)
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    tune_allocator()
    forward_seconds = explainer.warm_up()
    log.info("Using %s on %s; one forward pass takes %.0f ms", weights.describe(), weights.device, forward_seconds * 1000)
    launch(build_demo(explainer, forward_seconds), args.host, args.port, mcp_server=args.mcp)


if __name__ == "__main__":
    main()

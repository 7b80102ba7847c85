"""ResNet50 Explainer: the Gradio web UI. Layout, wiring and launch flags only.

    python app.py [--weights W] [--device auto|cpu|cuda] [--host H] [--port P]

Importing this module builds nothing and loads no weights; ``main()`` does.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import gradio as gr
from PIL import Image

from resnet import Explainer, load_image, load_weights, render
from resnet.weights import DEFAULT_SPEC, SPEC_ENV

log = logging.getLogger("app")

ASSETS = Path(__file__).resolve().parent / "assets"
EXAMPLES = sorted(ASSETS.glob("*.jpg"))
MAX_FILE_SIZE = "20mb"  # uploads larger than this are refused by the server
QUEUE_SIZE = 32  # requests waiting beyond this get "queue is full, try again"
CONCURRENCY = 2  # explanations computed at once (the model is shared, threads are safe)
NO_IMAGE = "No image yet: upload a photo, paste one, take a webcam snapshot, or click an example."

Gallery = list[tuple[Image.Image, str]]


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


class Handlers:
    """Event handlers: plain methods over one shared, thread-safe Explainer."""

    def __init__(self, explainer: Explainer):
        self.explainer = explainer
        self.categories = explainer.weights.categories

    def explain(self, image_path: str | None) -> tuple[dict[str, float], Image.Image, Gallery]:
        """One image in; top-5 confidences, Grad-CAM overlay and stage feature maps out."""
        if image_path is None:
            raise gr.Error(NO_IMAGE)
        try:
            image = load_image(image_path)
        except ValueError as err:
            raise gr.Error(str(err), title="Cannot use this image") from None
        result = self.explainer.explain(image)
        overlay = render.cam_overlay(result.crop, result.cam, self.categories[result.cam_class])
        gallery = [(render.feature_grid(act), render.stage_caption(name, act)) for name, act in result.stages.items()]
        return result.label_confidences, overlay, gallery

    def explain_or_clear(self, image_path: str | None):
        """For the input's change event: a cleared input clears the outputs instead of erroring."""
        if image_path is None:
            return None, None, []
        return self.explain(image_path)


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


def build_demo(explainer: Explainer) -> gr.Blocks:
    """The page: image in; top-5, Grad-CAM and feature maps out; named API endpoint ``/explain``."""
    handlers = Handlers(explainer)
    with gr.Blocks(title="ResNet50 Explainer") as demo:
        gr.Markdown(
            "# ResNet50 Explainer\n"
            "See what a ResNet50 trained on ImageNet-1k thinks your image shows, where it looked "
            "(Grad-CAM), and what its residual stages respond to."
        )
        gr.HTML(weights_banner(explainer))
        with gr.Row():
            with gr.Column(scale=1):
                image = UntrustedImage(
                    label="Your image",
                    type="filepath",
                    sources=["upload", "webcam", "clipboard"],
                    height=360,
                )
                button = gr.Button("Explain", variant="primary")
                gr.Examples(examples=[[str(p)] for p in EXAMPLES], inputs=image, label="Example photos")
            with gr.Column(scale=1):
                labels = gr.Label(label="Top-5 ImageNet classes", num_top_classes=5)
                heatmap = gr.Image(
                    label="Grad-CAM (layer4) for the top-1 class, on the 224×224 crop the model saw",
                    type="pil",
                    format="png",
                    interactive=False,
                )
        gallery = gr.Gallery(
            label="Feature maps: the 16 most active channels of the stem and each residual stage",
            columns=5,
            format="png",
            object_fit="contain",
            height=300,
        )
        gr.Markdown(
            "**Reading the heatmap:** red regions raised the top-1 class's score the most, blue ones "
            "not at all. **Feature maps:** each tile is one channel (bright = strong activation), "
            "captioned with the stage and its shape, channels × height × width."
        )
        outputs = [labels, heatmap, gallery]
        button.click(handlers.explain, inputs=image, outputs=outputs, api_name="explain")
        image.change(
            handlers.explain_or_clear,
            inputs=image,
            outputs=outputs,
            api_visibility="private",
            trigger_mode="always_last",
        )
    return demo


def launch(demo: gr.Blocks, host: str, port: int, **kwargs) -> None:
    """Start the server with the product's limits (tests use this too)."""
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    demo.launch(
        server_name=host,
        server_port=port,
        max_file_size=MAX_FILE_SIZE,
        share=False,
        show_error=True,
        allowed_paths=[str(ASSETS)],
        **kwargs,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="ResNet50 Explainer web app")
    parser.add_argument(
        "--weights",
        default=None,
        help=f"{DEFAULT_SPEC} (default, or ${SPEC_ENV}), IMAGENET1K_V1, random, or a .pth/.safetensors path",
    )
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    try:
        weights = load_weights(args.weights, device=args.device, fallback=True)
    except ValueError as err:  # a bad path or corrupt checkpoint: say so, do not start
        raise SystemExit(f"error: {err}") from None
    log.info("Using %s on %s", weights.describe(), weights.device)
    launch(build_demo(Explainer(weights)), args.host, args.port)


if __name__ == "__main__":
    main()

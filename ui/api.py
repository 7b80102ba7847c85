"""The public endpoints (and MCP tools): ``/explain`` (labels, heatmap, feature maps),
``/predict`` (JSON: top-5 and the 7×7 Grad-CAM grid), the fast path for API clients, and
``/channel`` (one channel's feature visualization)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import gradio as gr
from PIL import Image

from resnet import Explainer
from resnet.channels.answers import channel_card
from resnet.channels.targets import ChannelError
from resnet.channels.visualize import Optimization
from resnet.core.batching import BatchingExplainer
from resnet.present import render
from resnet.present.report import prediction_record
from resnet.serve.errors import EngineUnavailable
from ui.files import ScratchFiles, read_upload
from ui.records import as_outputs, outputs
from ui.text import say


@dataclass(frozen=True)
class ApiAnswer:
    labels: dict[str, float]
    heatmap: str
    api_stages: str  # one PNG: the five stages' most active feature maps, left to right


@dataclass(frozen=True)
class PredictAnswer:
    prediction: dict  # JSON: weights, top5, explained_class, gradcam_7x7


@dataclass(frozen=True)
class ChannelAnswer:
    channel_image: str  # PNG: the channel's feature visualization
    channel_record: dict  # JSON: layer, channel, activation, settings, weights


class Api:
    """The public endpoints. They read the Explain panel's image and fill its labels and heatmap,
    plus two hidden outputs of their own; the page's events never run them."""

    def __init__(self, explainer: Explainer, files: ScratchFiles, batcher: BatchingExplainer | None = None, run=None):
        """``run(fn, *args)``: where an engine function runs (``ui.classes.Classifier.run``); here by default."""
        self.explainer = explainer
        self.run_engine = run or (lambda fn, *args, **kwargs: fn(explainer, *args, **kwargs))
        self.files = files
        # .explain(image): batched with concurrent requests when given (BatchingExplainer here, or
        # the replicas of resnet.serve.front.RayEngine)
        self.run = batcher or explainer

    def build(self) -> None:
        self.prediction = gr.JSON(visible=False)  # /predict's output
        self.api_stages = gr.Image(visible=False, type="filepath", format="png")  # /explain's feature maps
        self.api_trigger = gr.Button(visible=False)  # a click never computes an image twice: no visible trigger
        self.channel_layer_in = gr.Textbox(visible=False)  # /channel's inputs and outputs
        self.channel_in = gr.Number(visible=False, precision=0)
        self.channel_image = gr.Image(visible=False, type="filepath", format="png")
        self.channel_record = gr.JSON(visible=False)

    def wire(self, shared, explain, concurrency: int) -> None:
        """Requests run ``concurrency`` at once, so waiting ones share a forward pass (``resnet.core.batching``)."""
        batched = {"concurrency_id": "model", "concurrency_limit": concurrency}
        for fn, record in ((self.explain, ApiAnswer), (self.predict, PredictAnswer)):
            targets = outputs(record, self, explain)
            handler = as_outputs(shared.on_gpu(fn))
            self.api_trigger.click(handler, explain.image, targets, api_name=fn.__name__, **batched)
        channel = as_outputs(shared.on_gpu(self.channel, duration=shared.fixed_seconds(200)))
        inputs = [self.channel_layer_in, self.channel_in]
        self.api_trigger.click(channel, inputs, outputs(ChannelAnswer, self), api_name="channel", concurrency_limit=1)

    def channel(self, layer: str, channel: int, request: gr.Request = None) -> ChannelAnswer:
        """What one channel of ResNet50 looks for: its feature visualization (an image optimized to make
        the channel fire; seconds on a CPU the first time, at once when made before).

        Args:
            layer: stem, a stage (layer1 .. layer4: its last block's output) or a block (layer3.2).
            channel: the channel's index in that layer (0 .. its width - 1).

        Returns:
            A 128×128 PNG, and JSON with the layer (as the network names it), the channel, the channel's
            mean activation on that image, the optimization's settings and the weights.
        """
        try:
            card = self.run_engine(channel_card, str(layer), int(channel))
        except (ChannelError, TypeError, ValueError) as err:
            raise gr.Error(str(err)) from err
        except EngineUnavailable as err:
            raise gr.Error(say(_client_language(request), f"engine_{err.reason}")) from err
        shown = card.visualization
        record = {"layer": shown.target.layer, "channel": shown.target.channel, "activation": shown.activation}
        record |= {"settings": asdict(Optimization()), "weights": self.explainer.weights.describe()}
        return ChannelAnswer(self.files.png(Image.fromarray(shown.image)), record)

    def explain(self, image_path: str | None, request: gr.Request = None) -> ApiAnswer:
        """Explain what a ResNet50 trained on ImageNet-1k sees in an image.

        Args:
            image_path: the image (JPEG, PNG, WebP, GIF, BMP or TIFF).

        Returns:
            The top-5 ImageNet classes with probabilities, a Grad-CAM heatmap PNG of where the
            model looked for the top-1 class, and one PNG of the 16 most active feature maps of
            the stem and of each of the four residual stages, left to right.
        """
        result = self._explained(image_path, request)
        caption = render.heatmap_caption(self.explainer.weights.categories, result.cam_class, None)
        overlay = render.cam_overlay(result.crop, result.cam, caption)
        return ApiAnswer(
            result.label_confidences, self.files.png(overlay), self.files.png(render.feature_sheet(result.stages))
        )

    def predict(self, image_path: str | None, request: gr.Request = None) -> PredictAnswer:
        """Classify an image with a ResNet50 trained on ImageNet-1k and say where it looked, as numbers.

        Args:
            image_path: the image (JPEG, PNG, WebP, GIF, BMP or TIFF).

        Returns:
            JSON with the weights used, the top-5 ImageNet classes (index, name, probability), the
            explained (top-1) class, and its layer4 Grad-CAM as a 7×7 grid of numbers in [0, 1]
            (rows top to bottom over the 224×224 centre crop the model saw). No files.
        """
        result = self._explained(image_path, request, stages=())
        return PredictAnswer(prediction_record(self.explainer.weights, result, result.cam_grid))  # (7, 7) in [0, 1]

    def _explained(self, image_path: str | None, request: gr.Request | None, **kwargs):
        """The upload explained; replicas that cannot answer are told in the client's language."""
        language = _client_language(request)
        try:
            return self.run.explain(read_upload(image_path, language), **kwargs)
        except EngineUnavailable as err:
            raise gr.Error(say(language, f"engine_{err.reason}")) from err


def _client_language(request: gr.Request | None) -> str | None:
    """An API call has no page: its messages follow the client's Accept-Language."""
    return request.headers.get("accept-language") if request is not None else None

"""Channels: what one channel looks for (its feature visualization), the example photos' crops
that make it fire most, where it fires on your photo, and the layer4 channels behind an answer."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np
from PIL import Image

from resnet import Explainer
from resnet.channels.answers import LAYER4, behind_answer, channel_card, estimate_seconds, example_crops
from resnet.channels.targets import LOGIT, ChannelError, canonical_layer, channel_count, layer_names
from resnet.core.explanation import STAGES
from resnet.present import render
from resnet.present.charts import logit_bars
from resnet.present.render import HEATMAP_CMAP
from ui.classes import Classifiers
from ui.files import ASSETS, Gallery, ScratchFiles
from ui.text import duration, say, text
from ui.view import View, overlay_picture, require

BEHIND = 4  # channels shown behind an answer
PICTURE = 224  # pixels a visualization is shown at (it is optimized at 128)


@dataclass(frozen=True)
class ChannelCardShown:
    channel_status: str
    channel_picture: str | None
    channel_where: str | None
    channel_examples: Gallery


@dataclass(frozen=True)
class BehindShown:
    behind_status: str
    behind_gallery: Gallery


@dataclass(frozen=True)
class ChannelChoice:
    channel_layer: str
    channel_index: int


class ChannelsTab:
    ID, TITLE = "channels", "tab_channels"

    def __init__(self, explainer: Explainer, files: ScratchFiles, classifiers: Classifiers, forward_seconds: float):
        self.classifier = classifiers.shared  # ImageNet's backbone: channels are the backbone's
        self.model = explainer.model
        self.files = files
        self.forward_seconds = forward_seconds

    def build(self, shared) -> None:
        gr.Markdown(text("channels_caption"))
        with gr.Row(equal_height=True):
            self.channel_layer = gr.Dropdown(
                [n for n in layer_names(self.model) if n != LOGIT], value=LAYER4, label=text("channel_layer")
            )
            self.channel_index = gr.Number(0, minimum=0, maximum=4095, precision=0, label=text("channel_index"))
            self.channel_button = gr.Button(text("channel_button"), variant="primary")
        self.channel_status = gr.Markdown()
        with gr.Row():
            self.channel_picture = gr.Image(label=text("channel_picture"), format="png", interactive=False, height=260)
            self.channel_where = gr.Image(label=text("channel_where"), format="png", interactive=False, height=260)
        self.channel_examples = gr.Gallery(label=text("channel_examples"), columns=6, format="png", height=180)
        gr.Markdown(text("behind_caption"))
        self.behind_button = gr.Button(text("behind_button"))
        self.behind_status = gr.Markdown()
        self.behind_gallery = gr.Gallery(label=text("behind_gallery"), columns=4, format="png", height=300)

    def wire(self, shared, features=None, logit=None) -> None:
        inputs = [shared.view, self.channel_layer, self.channel_index]
        gpu = shared.fixed_seconds(200)
        shared.event(self.channel_button.click, self.show, inputs, ChannelCardShown, self, gpu=gpu)
        shared.event(self.behind_button.click, self.behind, [shared.view], BehindShown, self, gpu=gpu)
        clicked = []  # a map clicked in the Features or Logits tab opens its channel here
        if features is not None:  # a stage's grid: its most active channel (one forward pass)
            clicked.append((features.gallery, self.from_features, True))
        if logit is not None:
            clicked.append((logit.logit_maps, self.from_logits, False))
        for gallery, choose, runs_model in clicked:
            chosen = shared.plain_event(gallery.select, choose, [shared.view], ChannelChoice, self, gpu=runs_model)
            shared.go_to(chosen.then, self.ID)
            shared.event(chosen.then, self.show, inputs, ChannelCardShown, self, gpu=gpu)

    def show(self, view: View | None, layer: str, channel, language):
        """One channel: the cost first, then its picture, its example crops and its map on the photo."""
        name, index = self._checked(layer, channel, language)
        seconds = estimate_seconds(self.forward_seconds, name)
        yield ChannelCardShown(say(language, "channel_wait", seconds=duration(language, seconds)), None, None, [])
        explanation = view.explanation if view else None
        card = self.classifier.run(channel_card, name, index, explanation, view.cam_class if view else None)
        crops = self.classifier.run(example_crops, str(ASSETS), name, index)
        picture = Image.fromarray(card.visualization.image).resize((PICTURE, PICTURE), Image.Resampling.LANCZOS)
        examples = self.files.pngs([(crop, f"{image} · {value:.2f}") for crop, image, value in crops])
        where = None
        if card.where is not None:
            caption = say(language, "channel_where_caption", layer=name, k=index)
            where = self.files.png(self._overlay(view, card.where, caption, language))
        said = [say(language, "channel_done", layer=name, k=index, value=card.visualization.activation)]
        if card.where is not None:
            said.append(say(language, "channel_on_photo", mean=float(card.where.mean()), peak=float(card.where.max())))
        else:
            said.append(say(language, "channel_no_photo"))
        if card.logit_share is not None:
            class_name = self.classifier.names(language)[view.cam_class]
            said.append(say(language, "channel_share", share=card.logit_share, name=class_name))
        status = say(language, "sentence_gap").join(said)
        yield ChannelCardShown(status, self.files.png(picture), where, examples)

    def behind(self, view: View | None, language):
        """The layer4 channels that add most to the explained class, each with its picture and where it adds."""
        view = require(view, language)
        name = self.classifier.names(language)[view.cam_class]
        seconds = estimate_seconds(self.forward_seconds, LAYER4, count=BEHIND)
        yield BehindShown(
            say(language, "behind_wait", count=BEHIND, name=name, seconds=duration(language, seconds)), []
        )
        layer4 = view.explanation.layer4  # (2048, 7, 7)
        found = self.classifier.run(behind_answer, layer4, view.cam_class, BEHIND)
        pictures = []
        for item in found:
            image = Image.fromarray(item.visualization.image).resize((PICTURE, PICTURE), Image.Resampling.LANCZOS)
            pictures.append((image, say(language, "behind_picture", k=item.channel, value=item.contribution)))
            caption = say(language, "behind_where", k=item.channel, name=name)
            relevance = np.clip(item.relevance, 0, None)
            pictures.append((self._overlay(view, relevance, caption, language), caption))
        total = sum(item.contribution for item in found)
        yield BehindShown(say(language, "behind_done", count=BEHIND, name=name, total=total), self.files.pngs(pictures))

    def _checked(self, layer, channel, language) -> tuple[str, int]:
        """The layer's walk name and the channel, or a message in ``language`` naming the range."""
        try:
            name = canonical_layer(self.model, str(layer))
        except ChannelError:
            raise gr.Error(say(language, "channel_bad_layer")) from None
        count = channel_count(self.model, name)
        if channel is None or not 0 <= int(channel) < count:
            raise gr.Error(say(language, "channel_bad", layer=name, last=count - 1))
        return name, int(channel)

    def _overlay(self, view: View, values: np.ndarray, caption: str, language) -> Image.Image:
        """A map (H, W) scaled to [0, 1] over the view's crop, with a colour bar in ``language``."""
        top = float(values.max())
        scaled = (values / top if top > 0 else np.zeros_like(values)).astype(np.float32)
        return overlay_picture(self.classifier.categories, view, scaled, HEATMAP_CMAP, 0.5, language, caption)

    def from_features(self, view: View | None, evt: gr.SelectData) -> ChannelChoice:
        """A stage's grid clicked in the Features tab (stem, layer1 .. layer4): its most active channel."""
        if view is None:
            return ChannelChoice(LAYER4, 0)
        stage = STAGES[evt.index]
        activation = self.classifier.run(Explainer.activations, view.explanation)[stage]  # (C, H, W)
        return ChannelChoice(canonical_layer(self.model, stage), int(render.top_channels(activation, 1)[0]))

    def from_logits(self, view: View | None, evt: gr.SelectData) -> ChannelChoice:
        """A channel clicked among the Logit tab's maps: the same order as its chart's bars."""
        if view is None:
            return ChannelChoice(LAYER4, 0)
        parts = self.classifier.explainer.logit_parts(view.explanation, view.cam_class)
        return ChannelChoice(LAYER4, logit_bars(parts)[evt.index].channel)

"""The Teach tab: a visitor teaches ResNet50 classes of their own, then tries them on a photo.

Photos are turned into pooled layer4 features as they are added (with their mirror images),
so the page keeps 16 KB per photo, not the photos, and Train only fits the head (seconds on a
CPU). The head lives in the visitor's page state only; it can be downloaded and uploaded again.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np

from resnet import Explainer
from resnet.core.heads import Head, load_head, save_head, with_head
from resnet.learn.teaching import MAX_CLASSES, pooled_features, seeded_crops, teach_features
from resnet.present import render
from ui.classes import Classifiers
from ui.files import EXAMPLES, ScratchFiles, read_upload, untrusted_image
from ui.text import legend_words, say, text

MAX_PHOTOS = 30  # per class: enough for a good head, and at most 30 × 16 KB of features kept per class
EXAMPLE_CROPS = 6  # crops of each example photo for "try it with the example photos"


@dataclass(frozen=True)
class Examples:
    """A visitor's classes so far: name -> pooled features (2n, 2048), each photo then its mirror."""

    features: dict[str, np.ndarray]

    def add(self, name: str, rows: np.ndarray) -> Examples:
        old = self.features.get(name)
        return Examples({**self.features, name: rows if old is None else np.concatenate([old, rows])})

    def photos(self, name: str) -> int:
        return len(self.features.get(name, ())) // 2


@dataclass(frozen=True)
class TeachClasses:
    teach_state: Examples | None
    teach_classes: str  # Markdown: each class and its photo count


@dataclass(frozen=True)
class Trained:
    teach_head: Head | None
    teach_summary: str
    teach_download: str | None


@dataclass(frozen=True)
class TriedHead:
    teach_labels: dict[str, float] | None
    teach_heatmap: str | None


class TeachTab:
    ID, TITLE = "teach", "tab_teach"

    def __init__(self, explainer: Explainer, files: ScratchFiles, classifiers: Classifiers | None = None):
        self.explainer = explainer
        self.files = files
        self.classifiers = classifiers or Classifiers(explainer)

    def build(self, shared) -> None:
        gr.Markdown(text("teach_intro"))
        self.teach_state = gr.State(None, time_to_live=3600)  # the classes' features (16 KB a photo)
        with gr.Row():
            with gr.Column():
                self.teach_class = gr.Textbox(label=text("teach_class"), max_length=60)
                self.teach_photos = gr.File(label=text("teach_photos"), file_count="multiple", file_types=["image"])
                self.teach_add = gr.Button(text("teach_add"))
            with gr.Column():
                self.teach_snapshot = untrusted_image(label=text("teach_snapshot"), sources=["webcam"], height=200)
                self.teach_add_snapshot = gr.Button(text("teach_add_snapshot"))
            with gr.Column():
                self.teach_classes = gr.Markdown()
                self.teach_examples = gr.Button(text("teach_examples"), size="sm")
                self.teach_clear = gr.Button(text("teach_clear"), size="sm")
                self.teach_button = gr.Button(text("teach_button"), variant="primary")
                self.teach_summary = gr.Markdown()
                self.teach_download = gr.File(label=text("teach_download"), interactive=False)
                self.teach_upload = gr.File(label=text("teach_upload"), file_types=[".safetensors"])
        with gr.Row():
            self.teach_try = untrusted_image(
                label=text("teach_try"), sources=["upload", "webcam", "clipboard"], height=260
            )
            with gr.Column():
                self.teach_try_button = gr.Button(text("teach_try_button"), variant="primary")
                self.teach_labels = gr.Label(label=text("teach_labels"), num_top_classes=5)
            self.teach_heatmap = gr.Image(
                label=text("teach_heatmap"), height=260, type="filepath", format="png", interactive=False
            )

    def wire(self, shared) -> None:
        self.classifiers.backbone  # noqa: B018 (hashed in the background: done before the app launches)
        state, head = self.teach_state, shared.teach_head
        adding = [state, self.teach_class, self.teach_photos]
        shared.event(self.teach_add.click, self.add_photos, adding, TeachClasses, self, gpu=True)
        snapshot = [state, self.teach_class, self.teach_snapshot]
        shared.event(self.teach_add_snapshot.click, self.add_snapshot, snapshot, TeachClasses, self, gpu=True)
        shared.event(self.teach_examples.click, self.example_classes, [], TeachClasses, self, gpu=True)
        shared.event(self.teach_clear.click, self.clear, [], TeachClasses, self)
        shared.event(self.teach_button.click, self.train, [state], Trained, self)
        shared.event(self.teach_upload.upload, self.load, [self.teach_upload], Trained, self)
        trying = [head, self.teach_try]
        shared.event(self.teach_try_button.click, self.try_head, trying, TriedHead, self, gpu=True)

    @property
    def backbone(self) -> str:
        return self.classifiers.backbone

    def add_photos(self, state, name, paths, language, progress=gr.Progress()) -> TeachClasses:  # noqa: B008
        """Photos for class ``name``: their features (and their mirrors') are kept, not the photos."""
        name = (name or "").strip()
        if not name:
            raise gr.Error(say(language, "teach_name"))
        paths = [paths] if isinstance(paths, str) else list(paths or [])
        if not paths:
            raise gr.Error(say(language, "teach_no_photos"))
        state = state or Examples({})
        if name not in state.features and len(state.features) >= MAX_CLASSES:
            raise gr.Error(say(language, "teach_too_many_classes", most=MAX_CLASSES))
        if state.photos(name) + len(paths) > MAX_PHOTOS:
            raise gr.Error(say(language, "teach_too_many_photos", most=MAX_PHOTOS, name=name))
        images = [read_upload(path, language) for path in paths]  # a bad file: a clear message, nothing added
        progress(0, desc=say(language, "teach_extracting"))
        rows = self.classifiers.shared.run(pooled_features, images, mirrored=True)  # the backbone, where it runs
        state = state.add(name, rows)
        return TeachClasses(state, self.class_table(state, language))

    def add_snapshot(self, state, name, snapshot, language) -> TeachClasses:
        if snapshot is None:
            raise gr.Error(say(language, "teach_no_photos"))
        return self.add_photos(state, name, [snapshot], language, progress=lambda *a, **k: None)

    def example_classes(self, language, progress=gr.Progress()) -> TeachClasses:  # noqa: B008
        """Three classes from random crops of three example photos: a quick way to see it work."""
        progress(0, desc=say(language, "teach_extracting"))
        photos = [read_upload(str(path), language) for path in EXAMPLES[:3]]
        state = Examples({})
        for path, crops in zip(EXAMPLES[:3], seeded_crops(photos, EXAMPLE_CROPS), strict=True):
            state = state.add(path.stem, self.classifiers.shared.run(pooled_features, crops, mirrored=True))
        return TeachClasses(state, self.class_table(state, language))

    def clear(self, language) -> TeachClasses:
        return TeachClasses(None, say(language, "teach_empty"))

    def train(self, state, language, progress=gr.Progress()) -> Trained:  # noqa: B008
        """Fit the head (logistic regression on the kept features) and offer it for download."""
        progress(0, desc=say(language, "teach_training"))
        try:
            taught = teach_features((state or Examples({})).features, self.backbone)
        except ValueError as err:
            raise gr.Error(say(language, "teach_cannot", error=err)) from None
        path = self.files.new_path(".safetensors", prefix="resnet50-head-")
        save_head(taught.head, path)
        held_out = (
            say(language, "teach_held_out", accuracy=taught.held_out_accuracy, count=taught.held_out)
            if taught.held_out_accuracy is not None
            else say(language, "teach_no_held_out")
        )
        summary = say(language, "teach_trained", classes=len(taught.examples), train=taught.train_accuracy)
        return Trained(taught.head, f"{summary} {held_out}", str(path))

    def load(self, path, language) -> Trained:
        """A head file uploaded again (made here, or by ``python -m resnet teach`` on the same weights)."""
        if path is None:
            return Trained(None, say(language, "teach_empty"), None)
        try:
            head = load_head(path)
            with_head(self.explainer.weights, head, self.backbone)
        except ValueError as err:
            raise gr.Error(say(language, "teach_cannot", error=err)) from None
        return Trained(head, say(language, "teach_loaded", classes=", ".join(head.classes)), None)

    def try_head(self, head, image_path, language) -> TriedHead:
        """The taught classes on a photo: top-k and the Grad-CAM of the top class (the same one-pass math)."""
        if head is None:
            raise gr.Error(say(language, "teach_train_first"))
        if image_path is None:
            raise gr.Error(say(language, "no_image"))
        image = read_upload(image_path, language)
        result = self.classifiers.of(head).run(Explainer.explain, image)
        words = legend_words(language)
        caption = render.heatmap_caption(head.classes, result.cam_class, None, words)
        overlay = render.cam_overlay(result.crop, result.cam, caption, words=words)
        labels = {head.classes[i]: float(p) for i, p in enumerate(result.probabilities)}
        return TriedHead(labels, self.files.png(overlay))

    def class_table(self, state: Examples | None, language) -> str:
        if not state or not state.features:
            return say(language, "teach_empty")
        rows = "\n".join(f"| {name} | {state.photos(name)} |" for name in state.features)
        return say(language, "teach_table", rows=rows)

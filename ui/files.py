"""Files handed to Gradio (pictures, reports) and the upload component that hands files to us."""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from pathlib import Path

import gradio as gr
from PIL import Image

from resnet import load_image
from resnet.core.preprocess import ImageError
from resnet.present import render
from ui.text import say

ASSETS = Path(__file__).resolve().parent.parent / "assets"
EXAMPLES = sorted(ASSETS.glob("*.jpg"))  # the example photos offered on the page
SAMPLE_CLIP = ASSETS / "sample_clip.mp4"  # the Video tab's example (made by assets/make_sample_clip.py)

CACHE_CLEAN_EVERY_S, CACHE_MAX_AGE_S = 60, 600  # served files live 10 minutes (Blocks.delete_cache)
# Pictures are written straight into Gradio's cache folder (same rule as Gradio's own), so it
# serves them without another copy and deletes them with its cache.
GRADIO_CACHE = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
SCRATCH_DIR = GRADIO_CACHE / "resnet-explainer"

Pictures = list[tuple[Image.Image, str]]  # captioned pictures, before encoding
Gallery = list[tuple[str, str]]  # captioned PNG files, as gr.Gallery takes them


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
        path = self.new_path(".png")
        image.save(path, format="PNG", compress_level=render.PNG_COMPRESS_LEVEL)
        return str(path)

    def pngs(self, pictures: Pictures) -> Gallery:
        return [(self.png(image), caption) for image, caption in pictures]

    def json(self, data: dict) -> str:
        path = self.new_path(".json", prefix="resnet50-report-")
        path.write_text(json.dumps(data, indent=2))
        return str(path)

    def new_path(self, suffix: str, prefix: str = "") -> Path:
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


def untrusted_image(**kwargs) -> gr.Image:
    """A ``gr.Image`` that hands the uploaded file itself to the engine (its path).

    The stock component opens every upload with PIL before our code sees it, so a renamed text
    file or a decompression bomb fails there with a message that names a temp path. Here
    ``resnet.load_image`` decides, and says what to do. The override is set on the instance, not
    in a subclass: Gradio writes a ``.pyi`` stub beside any module that subclasses a component.
    """
    image = gr.Image(type="filepath", **kwargs)
    stock_preprocess = image.preprocess

    def preprocess(payload):  # -> str | None: path of the uploaded file
        if payload is None or payload.path is None:
            return stock_preprocess(payload)  # data: URLs are decoded by Gradio
        return payload.path

    image.preprocess = preprocess
    return image


def read_upload(path: str | None, language: str | None) -> Image.Image:
    """Decode an uploaded file; a problem becomes a ``gr.Error`` in ``language``."""
    if path is None:
        raise gr.Error(say(language, "no_image"))
    try:
        return load_image(path)
    except ImageError as err:
        raise gr.Error(say(language, err.code, **err.params), title=say(language, "cannot_use")) from None

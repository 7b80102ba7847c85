"""Visualizations kept on disk by (weights, target, settings), so a second visitor gets them at once.

A key is the SHA-1 of the weights' identity (their file's sha256, or the seed of random weights;
for a logit also the classifier's own bytes, as a taught head changes it), the target, the
settings and the precision. An entry is ``KEY.png`` (the image) and ``KEY.json`` (the activation
and what made it), each written whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PIL import Image

from resnet.channels.targets import LOGIT, Target
from resnet.channels.visualize import Optimization, Visualization, visualize
from resnet.core.explainer import Explainer

CACHE_ENV = "RESNET_CHANNEL_CACHE"  # where the cache lives; default ~/.cache/resnet-explainer/channels


def default_folder() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "resnet-explainer" / "channels")


def weights_identity(explainer: Explainer, target: Target) -> str:
    """What the image depends on besides the target and settings."""
    weights = explainer.weights
    identity = f"{weights.sha256 or weights.source}:{explainer.precision}"
    if target.layer == LOGIT:
        fc = explainer.fc_weight.numpy().tobytes() + explainer.fc_bias.numpy().tobytes()
        identity += ":" + hashlib.sha1(fc).hexdigest()
    return identity


class Cache:
    """Visualizations on disk; ``get`` computes (in one batch) only what is missing."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder else default_folder()

    def key(self, explainer: Explainer, target: Target, settings: Optimization) -> str:
        text = json.dumps([weights_identity(explainer, target), target.name, asdict(settings)], sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()

    def find(self, explainer: Explainer, target: Target, settings: Optimization) -> Visualization | None:
        key = self.key(explainer, target, settings)
        try:
            meta = json.loads((self.folder / f"{key}.json").read_text())
            with Image.open(self.folder / f"{key}.png") as img:
                image = np.asarray(img.convert("RGB"))
        except (OSError, ValueError):  # missing, or half of an entry another process is writing
            return None
        return Visualization(target, image, float(meta["activation"]), 0.0)

    def save(self, explainer: Explainer, visualization: Visualization, settings: Optimization) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        key = self.key(explainer, visualization.target, settings)
        meta = {"target": visualization.target.name, "activation": visualization.activation}
        meta |= {"settings": asdict(settings), "seconds": visualization.seconds}
        png = self.folder / f".{key}.png.tmp"
        Image.fromarray(visualization.image).save(png, format="PNG")
        os.replace(png, self.folder / f"{key}.png")  # the image first: an entry is its JSON
        staging = self.folder / f".{key}.json.tmp"
        staging.write_text(json.dumps(meta))
        os.replace(staging, self.folder / f"{key}.json")

    def missing(self, explainer: Explainer, targets: list[Target], settings: Optimization) -> list[Target]:
        return [t for t in targets if not (self.folder / f"{self.key(explainer, t, settings)}.json").exists()]

    def get(self, explainer: Explainer, targets: list[Target], settings: Optimization | None = None, progress=None):
        """Every target's visualization, from disk where cached; the rest computed together and kept."""
        settings = settings or Optimization()
        found = {t: self.find(explainer, t, settings) for t in targets}
        todo = [t for t, v in found.items() if v is None]
        if todo:
            for made in visualize(explainer, todo, settings, progress):
                self.save(explainer, made, settings)
                found[made.target] = made
        return [found[t] for t in targets]

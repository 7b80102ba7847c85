"""Pictures from an Explanation: heatmap overlays with a legend, and feature-map grids.

Pure numpy + PIL (matplotlib only for its colormap tables); no torch, no UI.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib import colormaps
from PIL import Image, ImageDraw, ImageFont

HEATMAP_CMAP = "jet"  # blue = low, red = high, as in the Grad-CAM paper and the grad-cam package
FEATURE_CMAP = "viridis"
OVERLAY_SCALE = 2  # the 224×224 crop is shown at 448×448
LEGEND_HEIGHT = 64


@lru_cache(maxsize=8)
def _lut(cmap: str) -> np.ndarray:
    """(256, 3) uint8 colour table of a matplotlib colormap."""
    return (colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def colorize(values: np.ndarray, cmap: str = HEATMAP_CMAP) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 3) uint8 colours."""
    index = np.clip(np.rint(values * 255), 0, 255).astype(np.uint8)
    return _lut(cmap)[index]


def cam_overlay(crop: Image.Image, cam: np.ndarray, class_name: str, alpha: float = 0.5) -> Image.Image:
    """Blend a CAM over the crop the model saw and add a colour bar saying what colours mean.

    Args:
        crop: the RGB picture the model saw (e.g. 224×224).
        cam: (H, W) float in [0, 1] over that crop.
        class_name: the class the CAM explains, named in the legend.
        alpha: weight of the heatmap in the blend.
    """
    size = (crop.width * OVERLAY_SCALE, crop.height * OVERLAY_SCALE)
    heat = Image.fromarray(colorize(cam)).resize(size, Image.Resampling.BILINEAR)
    photo = crop.convert("RGB").resize(size, Image.Resampling.BICUBIC)
    blended = Image.blend(photo, heat, alpha)
    return _with_legend(blended, class_name)


def _with_legend(image: Image.Image, class_name: str) -> Image.Image:
    """Append a colour bar: blue = no evidence, red = strongest evidence for the class."""
    width = image.width
    canvas = Image.new("RGB", (width, image.height + LEGEND_HEIGHT), "white")
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    top = image.height + 6
    bar = colorize(np.tile(np.linspace(0, 1, width - 20), (12, 1)))  # (12, W-20, 3)
    canvas.paste(Image.fromarray(bar), (10, top))
    font = _font(13)
    draw.text((10, top + 16), "blue: no evidence", fill="black", font=font)
    draw.text((width - 10, top + 16), "red: strongest evidence", fill="black", font=font, anchor="ra")
    draw.text((width // 2, top + 36), _fit(f"for “{class_name}”", font, width - 20), fill="black", font=font, anchor="ma")
    return canvas


def _fit(text: str, font: ImageFont.ImageFont, width: int) -> str:
    while font.getlength(text) > width and len(text) > 4:
        text = text[:-2] + "…"
    return text


def top_channels(activation: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` channels with the highest mean activation, strongest first."""
    means = activation.reshape(activation.shape[0], -1).mean(axis=1)  # (C,)
    return np.argsort(-means, kind="stable")[:count]


def feature_grid(activation: np.ndarray, count: int = 16, columns: int = 4, tile: int = 112) -> Image.Image:
    """A grid of the most active channels of one stage, each scaled to its own [0, 1].

    Args:
        activation: (C, H, W) activations of one stage for one image.
        count: how many channels to show.
        columns: tiles per row.
        tile: side of each tile in pixels (nearest-neighbour upscaling keeps cells visible).
    """
    channels = top_channels(activation, count)
    rows = -(-len(channels) // columns)
    gap = 2
    grid = Image.new("RGB", (columns * (tile + gap) - gap, rows * (tile + gap) - gap), "white")
    for n, c in enumerate(channels):
        fmap = activation[c]  # (H, W)
        span = float(fmap.max() - fmap.min())
        scaled = (fmap - fmap.min()) / span if span > 0 else np.zeros_like(fmap)
        cell = Image.fromarray(colorize(scaled, FEATURE_CMAP)).resize((tile, tile), Image.Resampling.NEAREST)
        grid.paste(cell, ((n % columns) * (tile + gap), (n // columns) * (tile + gap)))
    return grid


def stage_caption(name: str, activation: np.ndarray) -> str:
    """``layer2 · 512×28×28`` for a (512, 28, 28) activation."""
    return f"{name} · " + "×".join(str(d) for d in activation.shape)

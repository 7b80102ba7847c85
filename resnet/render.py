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
COLORMAPS = ("jet", "turbo", "inferno", "magma", "viridis", "coolwarm")  # offered in the UI
FEATURE_SCALES = ("per channel", "per stage", "global")  # what one colour means in feature grids
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


def cam_overlay(
    crop: Image.Image, cam: np.ndarray, target: str, alpha: float = 0.5, cmap: str = HEATMAP_CMAP
) -> Image.Image:
    """Blend a CAM over the crop the model saw and add a colour bar saying what colours mean.

    Args:
        crop: the RGB picture the model saw (e.g. 224×224).
        cam: (H, W) float in [0, 1] over that crop.
        target: what the CAM explains, named in the legend (a class name, or "A" and not "B").
        alpha: weight of the heatmap in the blend, 0..1.
        cmap: matplotlib colormap name.
    """
    size = (crop.width * OVERLAY_SCALE, crop.height * OVERLAY_SCALE)
    heat = Image.fromarray(colorize(cam, cmap)).resize(size, Image.Resampling.BILINEAR)
    photo = crop.convert("RGB").resize(size, Image.Resampling.BICUBIC)
    blended = Image.blend(photo, heat, alpha)
    return _with_legend(blended, target, cmap)


def _with_legend(image: Image.Image, target: str, cmap: str) -> Image.Image:
    """Append a colour bar: low end = no evidence, high end = strongest evidence for the target."""
    width = image.width
    canvas = Image.new("RGB", (width, image.height + LEGEND_HEIGHT), "white")
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    top = image.height + 6
    bar = colorize(np.tile(np.linspace(0, 1, width - 20), (12, 1)), cmap)  # (12, W-20, 3)
    canvas.paste(Image.fromarray(bar), (10, top))
    font = _font(13)
    draw.text((10, top + 16), "no evidence", fill="black", font=font)
    draw.text((width - 10, top + 16), "strongest evidence", fill="black", font=font, anchor="ra")
    draw.text((width // 2, top + 36), _fit(f"for {target}", font, width - 20), fill="black", font=font, anchor="ma")
    return canvas


def _fit(text: str, font: ImageFont.ImageFont, width: int) -> str:
    while font.getlength(text) > width and len(text) > 4:
        text = text[:-2] + "…"
    return text


def top_channels(activation: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` channels with the highest mean activation, strongest first."""
    means = activation.reshape(activation.shape[0], -1).mean(axis=1)  # (C,)
    return np.argsort(-means, kind="stable")[:count]


def feature_grid(
    maps: np.ndarray, tile: int = 112, value_range: tuple[float, float] | None = None, cmap: str = FEATURE_CMAP
) -> Image.Image:
    """A square-ish grid of channel maps.

    Args:
        maps: (N, H, W) channel maps, shown in order.
        tile: side of each tile in pixels (nearest-neighbour upscaling keeps cells visible).
        value_range: (low, high) shared by all tiles; None scales each map to its own range.
        cmap: matplotlib colormap name.
    """
    columns = int(np.ceil(np.sqrt(len(maps))))
    rows = -(-len(maps) // columns)
    gap = 2
    grid = Image.new("RGB", (columns * (tile + gap) - gap, rows * (tile + gap) - gap), "white")
    for n, fmap in enumerate(maps):  # fmap: (H, W)
        low, high = value_range if value_range else (float(fmap.min()), float(fmap.max()))
        scaled = np.clip((fmap - low) / (high - low), 0, 1) if high > low else np.zeros_like(fmap)
        cell = Image.fromarray(colorize(scaled, cmap)).resize((tile, tile), Image.Resampling.NEAREST)
        grid.paste(cell, ((n % columns) * (tile + gap), (n // columns) * (tile + gap)))
    return grid


def feature_grids(stages: dict[str, np.ndarray], count: int = 16, scale: str = "per channel") -> list[tuple[Image.Image, str]]:
    """Captioned grids of the ``count`` most active channels of every stage.

    ``scale`` (one of FEATURE_SCALES) says which maps share one colour scale: none, the shown
    channels of a stage, or the shown channels of all stages.
    """
    if scale not in FEATURE_SCALES:
        raise ValueError(f"Unknown feature scale {scale!r}; choose one of {', '.join(FEATURE_SCALES)}.")
    shown = {name: act[top_channels(act, count)] for name, act in stages.items()}  # name -> (count, H, W)
    overall = (min(float(m.min()) for m in shown.values()), max(float(m.max()) for m in shown.values()))
    grids = []
    for name, maps in shown.items():
        value_range = {"per channel": None, "per stage": (float(maps.min()), float(maps.max())), "global": overall}[scale]
        grids.append((feature_grid(maps, value_range=value_range), stage_caption(name, stages[name])))
    return grids


def scalar_map(values: np.ndarray, size: int = 224, cmap: str = "magma") -> Image.Image:
    """A (H, W) map of non-negative values, scaled to its own maximum, shown at size×size."""
    peak = float(values.max())
    scaled = values / peak if peak > 0 else np.zeros_like(values)
    return Image.fromarray(colorize(scaled, cmap)).resize((size, size), Image.Resampling.NEAREST)


def stage_caption(name: str, activation: np.ndarray) -> str:
    """``layer2 · 512×28×28`` for a (512, 28, 28) activation."""
    return f"{name} · " + "×".join(str(d) for d in activation.shape)

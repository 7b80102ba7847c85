"""Pictures from an Explanation: heatmap overlays with a legend, and feature-map grids.

Pure numpy + PIL (matplotlib for its colormap tables and the Learn tab's histograms); no torch, no UI.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from PIL import Image, ImageDraw, ImageFont

HEATMAP_CMAP = "jet"  # blue = low, red = high, as in the Grad-CAM paper and the grad-cam package
FEATURE_CMAP = "viridis"
COLORMAPS = ("jet", "turbo", "inferno", "magma", "viridis", "coolwarm")  # offered in the UI
FEATURE_SCALES = ("per channel", "per stage", "global")  # what one colour means in feature grids
LEGEND_HEIGHT = 52
PNG_COMPRESS_LEVEL = 1  # zlib level for PNGs we send: ~4x faster than the default 6, ~15% larger
# Fonts that can draw Chinese legends (Debian's fonts-wqy-zenhei; packages.txt on a Space).
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@dataclass(frozen=True)
class LegendWords:
    """The words of a heatmap's colour bar; a UI passes its own language's."""

    low: str = "no evidence"
    high: str = "strongest evidence"
    target: str = "for “{a}”"
    contrast: str = "for “{a}” and not “{b}”"


ENGLISH = LegendWords()


def heatmap_caption(categories: list[str], cam_class: int, contrast: int | None, words: LegendWords = ENGLISH) -> str:
    """What a heatmap explains, e.g. ``for “tabby” and not “tiger cat”``."""
    if contrast is None:
        return words.target.format(a=categories[cam_class])
    return words.contrast.format(a=categories[cam_class], b=categories[contrast])


def can_draw(words: LegendWords) -> bool:
    """Whether these words can be drawn: ASCII-like text always, other scripts with a CJK font."""
    return _cjk_font_path() is not None or all(ord(ch) < 0x2E80 for w in vars(words).values() for ch in w)


def has_cjk_font() -> bool:
    """Whether Chinese text can be drawn into pictures here (a CJK font is installed)."""
    return _cjk_font_path() is not None


@lru_cache(maxsize=1)
def _cjk_font_path() -> str | None:
    return next((path for path in CJK_FONTS if Path(path).is_file()), None)


@lru_cache(maxsize=8)
def _lut(cmap: str) -> np.ndarray:
    """(256, 3) uint8 colour table of a matplotlib colormap."""
    return (colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)


@lru_cache(maxsize=4)
def _font(size: int, cjk: bool = False) -> ImageFont.ImageFont:
    path = _cjk_font_path() if cjk else None
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


def colorize(values: np.ndarray, cmap: str = HEATMAP_CMAP) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 3) uint8 colours."""
    index = np.clip(np.rint(values * 255), 0, 255).astype(np.uint8)
    return _lut(cmap)[index]


def cam_overlay(
    crop: Image.Image,
    cam: np.ndarray,
    caption: str,
    alpha: float = 0.5,
    cmap: str = HEATMAP_CMAP,
    words: LegendWords = ENGLISH,
) -> Image.Image:
    """Blend a CAM over the crop the model saw and add a colour bar saying what colours mean.

    Args:
        crop: the RGB picture the model saw (e.g. 224×224).
        cam: (H, W) float in [0, 1] over that crop.
        caption: what the CAM explains, written under the colour bar (see ``heatmap_caption``).
        alpha: weight of the heatmap in the blend, 0..1.
        cmap: matplotlib colormap name.
        words: the colour bar's words for its two ends.
    """
    heat = Image.fromarray(colorize(cam, cmap))
    if heat.size != crop.size:
        heat = heat.resize(crop.size, Image.Resampling.BILINEAR)
    blended = Image.blend(crop.convert("RGB"), heat, alpha)  # at the resolution the model saw
    return _with_legend(blended, caption, cmap, words)


def _with_legend(image: Image.Image, caption: str, cmap: str, words: LegendWords) -> Image.Image:
    """Append a colour bar: low end = no evidence, high end = strongest evidence for the target."""
    width = image.width
    canvas = Image.new("RGB", (width, image.height + LEGEND_HEIGHT), "white")
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    top = image.height + 4
    bar = colorize(np.tile(np.linspace(0, 1, width - 12), (10, 1)), cmap)  # (10, W-12, 3)
    canvas.paste(Image.fromarray(bar), (6, top))
    font = _font(11, cjk=words != ENGLISH)
    draw.text((6, top + 13), words.low, fill="black", font=font)
    draw.text((width - 6, top + 13), words.high, fill="black", font=font, anchor="ra")
    draw.text((width // 2, top + 29), _fit(caption, font, width - 12), fill="black", font=font, anchor="ma")
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
    maps: np.ndarray, min_tile: int = 0, value_range: tuple[float, float] | None = None, cmap: str = FEATURE_CMAP
) -> Image.Image:
    """A square-ish grid of channel maps, one pixel per activation unless ``min_tile`` asks for more.

    The result is a palette image (255 colours of ``cmap`` plus white for the gaps): a third of
    the bytes of RGB, so it encodes and travels about three times faster.

    Args:
        maps: (N, H, W) channel maps, shown in order.
        min_tile: smallest tile side in pixels; maps are enlarged by a whole factor to reach it
            (a 7×7 map becomes 56×56 for ``min_tile=56``). 0 keeps one pixel per activation,
            for a browser to scale up.
        value_range: (low, high) shared by all tiles; None scales each map to its own range.
        cmap: matplotlib colormap name.
    """
    count, height, width = maps.shape
    low, high = value_range if value_range else (maps.min(axis=(1, 2)), maps.max(axis=(1, 2)))
    low, high = np.broadcast_to(low, (count,))[:, None, None], np.broadcast_to(high, (count,))[:, None, None]
    scaled = np.where(high > low, (maps - low) / np.where(high > low, high - low, 1), 0)  # (N, H, W) in [0, 1]
    tiles = np.rint(np.clip(scaled, 0, 1) * (_GAP - 1)).astype(np.uint8)  # palette indices 0..254
    factor = max(1, -(-min_tile // height))
    if factor > 1:
        tiles = tiles.repeat(factor, axis=1).repeat(factor, axis=2)
    columns = int(np.ceil(np.sqrt(count)))
    rows = -(-count // columns)
    tile_h, tile_w, gap = height * factor, width * factor, 1
    grid = np.full((rows * (tile_h + gap) - gap, columns * (tile_w + gap) - gap), _GAP, np.uint8)
    for n, tile in enumerate(tiles):
        top, left = (n // columns) * (tile_h + gap), (n % columns) * (tile_w + gap)
        grid[top : top + tile_h, left : left + tile_w] = tile
    image = Image.fromarray(grid, mode="L").convert("P")
    image.putpalette(_palette(cmap))
    return image


_GAP = 255  # palette index of the white gaps between tiles


@lru_cache(maxsize=8)
def _palette(cmap: str) -> list[int]:
    """255 colours of ``cmap`` (indices 0..254) and white (255), flattened RGB."""
    colours = (colormaps[cmap](np.linspace(0, 1, _GAP))[:, :3] * 255).round().astype(np.uint8)
    return [*colours.flatten().tolist(), 255, 255, 255]


def feature_grids(
    stages: dict[str, np.ndarray], count: int = 16, scale: str = "per channel", min_tile: int = 0
) -> list[tuple[Image.Image, str]]:
    """Captioned grids of the ``count`` most active channels of every stage.

    ``scale`` (one of FEATURE_SCALES) says which maps share one colour scale: none, the shown
    channels of a stage, or the shown channels of all stages. ``min_tile``: see feature_grid.
    """
    if scale not in FEATURE_SCALES:
        raise ValueError(f"Unknown feature scale {scale!r}; choose one of {', '.join(FEATURE_SCALES)}.")
    shown = {name: act[top_channels(act, count)] for name, act in stages.items()}  # name -> (count, H, W)
    overall = (min(float(m.min()) for m in shown.values()), max(float(m.max()) for m in shown.values()))
    grids = []
    for name, maps in shown.items():
        value_range = {"per channel": None, "per stage": (float(maps.min()), float(maps.max())), "global": overall}[
            scale
        ]
        grids.append((feature_grid(maps, min_tile, value_range), stage_caption(name, stages[name])))
    return grids


def feature_sheet(stages: dict[str, np.ndarray], count: int = 16, tile: int = 56, gap: int = 8) -> Image.Image:
    """One palette picture of the ``count`` most active channels of every stage, side by side in
    network order (stem, layer1..layer4), each map enlarged to ``tile`` pixels and scaled to its
    own range: what ``feature_grids`` shows as five pictures, in one file for API clients."""
    grids = [feature_grid(act[top_channels(act, count)], min_tile=tile) for act in stages.values()]
    height = max(g.height for g in grids)
    sheet = Image.new("P", (sum(g.width for g in grids) + gap * (len(grids) - 1), height), _GAP)
    sheet.putpalette(_palette(FEATURE_CMAP))
    left = 0
    for grid in grids:
        sheet.paste(grid, (left, 0))
        left += grid.width + gap
    return sheet


def scalar_map(values: np.ndarray, size: int = 224, cmap: str = "magma") -> Image.Image:
    """A (H, W) map of non-negative values, scaled to its own maximum, shown at size×size."""
    peak = float(values.max())
    scaled = values / peak if peak > 0 else np.zeros_like(values)
    return Image.fromarray(colorize(scaled, cmap)).resize((size, size), Image.Resampling.NEAREST)


def stage_caption(name: str, activation: np.ndarray) -> str:
    """``layer2 · 512×28×28`` for a (512, 28, 28) activation."""
    return f"{name} · " + "×".join(str(d) for d in activation.shape)


def signed_map(values: np.ndarray, size: int = 224, cmap: str = "RdBu_r") -> Image.Image:
    """A (H, W) map of signed values: 0 white, positive red, negative blue, scaled by the largest |value|."""
    peak = float(np.abs(values).max())
    scaled = (values / peak + 1) / 2 if peak > 0 else np.full(values.shape, 0.5)
    return Image.fromarray(colorize(scaled, cmap)).resize((size, size), Image.Resampling.NEAREST)


def kernel_grid(kernels: np.ndarray, scale: int = 6, gap: int = 2) -> Image.Image:
    """(N, 3, k, k) RGB kernels as a grid of small pictures, each kernel min-max scaled on its own."""
    count, _, k, _ = kernels.shape
    low = kernels.min(axis=(1, 2, 3), keepdims=True)
    high = kernels.max(axis=(1, 2, 3), keepdims=True)
    tiles = ((kernels - low) / np.where(high > low, high - low, 1) * 255).round().astype(np.uint8)  # (N, 3, k, k)
    tiles = tiles.transpose(0, 2, 3, 1).repeat(scale, axis=1).repeat(scale, axis=2)  # (N, k·s, k·s, 3)
    columns = int(np.ceil(np.sqrt(count)))
    rows = -(-count // columns)
    side = k * scale
    grid = np.full((rows * (side + gap) - gap, columns * (side + gap) - gap, 3), 255, np.uint8)
    for n, tile in enumerate(tiles):
        top, left = (n // columns) * (side + gap), (n % columns) * (side + gap)
        grid[top : top + side, left : left + side] = tile
    return Image.fromarray(grid)


def histograms(named_values: dict[str, np.ndarray], bins: int = 60) -> Image.Image:
    """Histograms of several arrays' values side by side (titles: the keys), as one picture."""
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in threads

    figure = Figure(figsize=(3.2 * len(named_values), 2.6), dpi=80)
    for i, (name, values) in enumerate(named_values.items()):
        axes = figure.add_subplot(1, len(named_values), i + 1)
        axes.hist(np.asarray(values).ravel(), bins=bins, color="#1f77b4")
        axes.set_title(name)
        axes.axvline(0, color="#d62728", linewidth=1)
        axes.set_yticks([])
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")

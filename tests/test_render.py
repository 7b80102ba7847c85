"""Rendering: colour scales, grids and overlays are what their captions say."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from resnet.present import render


def test_colorize_uses_the_colormap_ends():
    colours = render.colorize(np.array([[0.0, 1.0]]), "jet")
    assert colours[0, 0, 2] > 100 and colours[0, 0, 0] == 0  # blue end
    assert colours[0, 1, 0] > 100 and colours[0, 1, 2] == 0  # red end


def test_top_channels_are_the_most_active_first():
    act = np.zeros((5, 2, 2), np.float32)
    act[3] = 9
    act[1] = 4
    assert list(render.top_channels(act, 2)) == [3, 1]


def test_feature_scales_share_or_do_not_share_a_range():
    stages = {"a": np.stack([np.full((2, 2), 1.0), np.full((2, 2), 2.0)]), "b": np.stack([np.full((2, 2), 10.0)] * 2)}
    stages["a"][:, 0, 0] = 0  # every map spans [0, its value]
    stages["b"][:, 0, 0] = 0

    def corner_colour(scale, stage):
        grids = dict(zip(stages, render.feature_grids(stages, count=2, scale=scale), strict=True))
        return tuple(np.asarray(grids[stage][0].convert("RGB"))[1, 1])  # first tile, a cell holding the map's maximum

    high = tuple(render.colorize(np.array([[1.0]]), render.FEATURE_CMAP)[0, 0])
    assert corner_colour("per channel", "a") == high
    assert corner_colour("per stage", "b") == high
    assert corner_colour("global", "a") != high  # 2 out of 10 is far from the top of the global scale
    with pytest.raises(ValueError, match="choose one of"):
        render.feature_grids(stages, scale="loud")


def test_overlay_is_the_crop_plus_a_legend():
    crop = Image.new("RGB", (224, 224), "gray")
    overlay = render.cam_overlay(crop, np.ones((224, 224), np.float32), "“tabby”", alpha=1.0, cmap="jet")
    assert overlay.size == (224, 224 + render.LEGEND_HEIGHT)
    assert tuple(np.asarray(overlay)[10, 10]) == tuple(render.colorize(np.array([[1.0]]), "jet")[0, 0])


def test_grid_tiles_keep_one_pixel_per_activation_or_a_whole_factor():
    maps = np.arange(2 * 7 * 7, dtype=np.float32).reshape(2, 7, 7)
    native = np.asarray(render.feature_grid(maps).convert("RGB"))
    assert native.shape == (7, 7 * 2 + 1, 3)  # two tiles side by side, 1-pixel gap
    assert tuple(native[0, 7]) == (255, 255, 255)  # the gap
    enlarged = np.asarray(render.feature_grid(maps, min_tile=56).convert("RGB"))
    assert enlarged.shape == (56, 56 * 2 + 1, 3)
    assert (enlarged[:8, :8] == native[0, 0]).all()  # each activation became an 8×8 block


def test_overlay_pixels_equal_a_blend_recomputed_with_matplotlib():
    """Each pixel: (1 - alpha) × crop + alpha × matplotlib's colour of the CAM value there (not
    the module's own lookup table); rows stay rows and columns stay columns."""
    import matplotlib

    rng = np.random.default_rng(0)
    crop = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    cam = np.zeros((224, 224), np.float32)
    cam[:50, 150:] = 1.0  # a hot corner, top right
    cam[100:] = rng.random((124, 224), dtype=np.float32)
    alpha = 0.4
    overlay = np.asarray(render.cam_overlay(Image.fromarray(crop), cam, "x", alpha=alpha, cmap="viridis"))[:224]
    colours = matplotlib.colormaps["viridis"](np.rint(cam * 255).astype(int) / 255)[..., :3] * 255  # (224, 224, 3)
    expected = (1 - alpha) * crop + alpha * colours
    assert np.abs(overlay.astype(float) - expected).max() <= 1.5  # PIL rounds the blend

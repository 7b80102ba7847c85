"""Untrusted images: each awkward kind becomes the right RGB picture or a clear error."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageCms
from torchvision.models import ResNet50_Weights

from resnet.core.preprocess import load_image, model_input

from corpus import STORED_AS, png_claiming

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def save(img: Image.Image, path, **kwargs):
    img.save(path, **kwargs)
    return path


def pixel(img: Image.Image, xy) -> np.ndarray:
    return np.asarray(img)[xy[1], xy[0]].astype(int)


def test_grayscale_becomes_equal_rgb_channels(tmp_path):
    img = load_image(save(Image.new("L", (8, 8), 77), tmp_path / "g.png"))
    assert img.mode == "RGB" and tuple(pixel(img, (3, 3))) == (77, 77, 77)


def test_16bit_grayscale_keeps_its_tonal_range(tmp_path):
    values = np.array([[0, 32896, 65535]], dtype=np.uint16)  # 32896 = 128 * 257
    path = save(Image.fromarray(values), tmp_path / "g16.png")
    assert Image.open(path).mode.startswith("I")
    img = load_image(path)
    assert [tuple(pixel(img, (x, 0))) for x in range(3)] == [(0, 0, 0), (128, 128, 128), (255, 255, 255)]


def test_float_tiff_in_unit_range_is_scaled(tmp_path):
    values = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    img = load_image(save(Image.fromarray(values, mode="F"), tmp_path / "f.tif"))
    assert [pixel(img, (x, 0))[0] for x in range(3)] == [0, 128, 255]


def test_transparent_pixels_become_white(tmp_path):
    rgba = Image.new("RGBA", (4, 1), RED + (255,))
    rgba.putpixel((1, 0), BLUE + (0,))  # fully transparent
    rgba.putpixel((2, 0), (0, 0, 0, 128))  # half-transparent black over white
    img = load_image(save(rgba, tmp_path / "a.png"))
    assert tuple(pixel(img, (0, 0))) == RED
    assert tuple(pixel(img, (1, 0))) == WHITE
    assert abs(pixel(img, (2, 0))[0] - 127) <= 1


def test_grayscale_with_alpha(tmp_path):
    la = Image.new("LA", (2, 1), (0, 255))
    la.putpixel((1, 0), (0, 0))
    img = load_image(save(la, tmp_path / "la.png"))
    assert tuple(pixel(img, (0, 0))) == (0, 0, 0) and tuple(pixel(img, (1, 0))) == WHITE


def test_palette_transparency_becomes_white(tmp_path):
    pal = Image.new("P", (2, 1))
    pal.putpalette([*RED, *BLUE] + [0] * 762)
    pal.putpixel((0, 0), 0)
    pal.putpixel((1, 0), 1)
    img = load_image(save(pal, tmp_path / "p.png", transparency=1))
    assert tuple(pixel(img, (0, 0))) == RED and tuple(pixel(img, (1, 0))) == WHITE


def test_cmyk_jpeg_keeps_its_colours(tmp_path):
    rgb = Image.new("RGB", (16, 16), (200, 30, 40))
    img = load_image(save(rgb.convert("CMYK"), tmp_path / "c.jpg", quality=95))
    assert np.abs(pixel(img, (8, 8)) - [200, 30, 40]).max() <= 8


def test_an_icc_profile_does_not_change_the_pixels(tmp_path):
    """The reference pipeline ignores embedded profiles, and so does the model's input."""
    wide = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()  # anything but sRGB
    img = load_image(save(Image.new("RGB", (8, 8), (10, 200, 90)), tmp_path / "icc.png", icc_profile=wide))
    assert tuple(pixel(img, (4, 4))) == (10, 200, 90)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_gives_the_upright_picture(tmp_path, orientation):
    upright = Image.new("RGB", (64, 32), BLUE)  # landscape: red top-left quarter, blue elsewhere
    upright.paste(RED, (0, 0, 32, 16))
    stored = upright.transpose(STORED_AS[orientation]) if orientation in STORED_AS else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    img = load_image(save(stored, tmp_path / f"o{orientation}.jpg", exif=exif, quality=95))
    assert img.size == (64, 32)
    assert pixel(img, (8, 4))[0] > 200 and pixel(img, (56, 28))[2] > 200


def test_animation_uses_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 8), RED), Image.new("RGB", (8, 8), BLUE)]
    path = save(frames[0], tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(path).n_frames == 2
    assert tuple(pixel(load_image(path), (4, 4))) == RED


def test_pixel_limit_is_checked_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming(10_000, 6_000))  # 60 MP claimed in 100 bytes
    with pytest.raises(ValueError, match="over the limit of 50,000,000"):
        load_image(path)


def test_huge_decompression_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming(100_000, 100_000))
    with pytest.raises(ValueError, match="too large"):
        load_image(path)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_files_are_refused(tmp_path, fmt, photos):
    buffer = io.BytesIO()
    Image.open(photos[0]).save(buffer, fmt)
    data = buffer.getvalue()
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_image(data[: len(data) // 2])


@pytest.mark.parametrize("content", [b"", b"hello, I am a text file\n", b"<html><body>hi</body></html>"])
def test_non_images_are_refused(tmp_path, content):
    path = tmp_path / "fake.jpg"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not an image"):
        load_image(path)


def test_model_input_is_exactly_the_weights_transforms(photos):
    transforms = ResNet50_Weights.IMAGENET1K_V2.transforms()
    image = load_image(photos[0])
    x, crop = model_input(image, transforms)
    assert x.shape == (1, 3, 224, 224) and crop.size == (224, 224)
    assert torch.equal(x[0], transforms(image))


def test_extreme_strips_are_cropped_before_resizing():
    strip = Image.new("RGB", (5000, 1), RED)
    x, crop = model_input(strip, ResNet50_Weights.IMAGENET1K_V2.transforms())
    assert x.shape == (1, 3, 224, 224)
    assert tuple(pixel(crop, (100, 100))) == RED

"""Untrusted image file -> clean upright RGB PIL image -> the tensor the model sees.

Every upload is treated as hostile: the pixel count is checked before decoding, and any
failure while opening, decoding, rotating or converting becomes an ``ImageError`` with a
sentence a person can act on. An opaque 8-bit image (L, RGB, P, CMYK, with or without an ICC
profile, any EXIF orientation) becomes exactly the pixels of the reference pipeline that
ImageNet weights were trained and evaluated with, ``ImageOps.exif_transpose(Image.open(f))
.convert("RGB")``: no colour management, so an embedded ICC profile is ignored, as torchvision's
``ImageFolder``, timm and Hugging Face loaders ignore it. Images that pipeline handles badly get
better handling: 16-bit and float images keep their tonal range, transparent pixels become
white, animations give their first frame.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torchvision.transforms import functional as F
from torchvision.transforms._presets import ImageClassification

DEFAULT_MAX_PIXELS = 50_000_000  # 50 megapixels: larger than any common camera photo
MAX_ASPECT = 4.0  # longer / shorter side kept before resizing; the model only sees the centre
WHITE = (255, 255, 255)

ImageSource = str | os.PathLike | bytes | BinaryIO

# Why a file cannot be used, as message templates; a UI may translate them by their code.
IMAGE_ERRORS = {
    "not_an_image": "This file is not an image that can be read (it may be empty, a document or a renamed file). "
    "Upload a JPEG, PNG, WebP, GIF, BMP or TIFF photo.",
    "bomb": "The image is too large to process ({detail}). Resize it below {limit:,} pixels.",
    "over_limit": "The image is {width}×{height} = {pixels:,} pixels, over the limit of {limit:,}. "
    "Resize it to a smaller image and try again.",
    "no_pixels": "The image has no pixels ({width}×{height}).",
    "corrupt": "The {format} file is truncated or corrupt and cannot be decoded ({detail}). "
    "Save or export it again and upload the new file.",
    "unsupported": "The {format} file uses a feature this program cannot read ({detail}). "
    "Open it in an image editor and save it as a standard JPEG or PNG, then upload that.",
}


class ImageError(ValueError):
    """A file that cannot be used as an image. ``code`` and ``params`` fill IMAGE_ERRORS[code]."""

    def __init__(self, code: str, **params):
        super().__init__(IMAGE_ERRORS[code].format(**params))
        self.code = code
        self.params = params


def load_image(source: ImageSource, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode an untrusted image into an upright 8-bit RGB image.

    Raises:
        ImageError (a ValueError): the file is empty, not an image, truncated, corrupt, uses a
            feature that cannot be decoded, or is too large. Never another exception for a bad file.
    """
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        img = Image.open(source)
    except Image.DecompressionBombError as err:
        raise ImageError("bomb", detail=str(err), limit=max_pixels) from err
    except UnidentifiedImageError as err:
        raise ImageError("not_an_image") from err
    except FileNotFoundError:
        raise  # a caller's mistake, not a bad file
    except _DECODE_ERRORS as err:  # the header looked like an image, then something broke
        raise _decode_error(None, err) from err
    width, height = img.size
    if width * height > max_pixels:
        raise ImageError("over_limit", width=width, height=height, pixels=width * height, limit=max_pixels)
    if width < 1 or height < 1:
        raise ImageError("no_pixels", width=width, height=height)
    try:
        img.seek(0)  # animations: the first frame only
        img.load()
        try:
            img = ImageOps.exif_transpose(img)  # the upright picture a viewer sees
        except _DECODE_ERRORS + (KeyError, TypeError, AttributeError, IndexError, struct.error):
            pass  # a malformed EXIF block is no reason to refuse the pixels
        return to_rgb(img)
    except Image.DecompressionBombError as err:
        raise ImageError("bomb", detail=str(err), limit=max_pixels) from err
    except _DECODE_ERRORS as err:
        raise _decode_error(img.format, err) from err


# What PIL raises for broken data while opening, decoding or converting.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    TypeError,
    ZeroDivisionError,
    MemoryError,
)


def _decode_error(fmt: str | None, err: BaseException) -> ImageError:
    """``unsupported`` for a legal feature PIL cannot decode, ``corrupt`` for broken data."""
    detail = str(err) or err.__class__.__name__
    fmt = fmt or "image"
    lowered = detail.lower()
    if "unsupported" in lowered or "not supported" in lowered or "unknown" in lowered:
        return ImageError("unsupported", format=fmt, detail=detail)
    return ImageError("corrupt", format=fmt, detail=detail)


def to_rgb(img: Image.Image) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB as a viewer would show it."""
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        img = _high_depth_to_l(img)
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, WHITE + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")  # transparent -> white
    return img.convert("RGB")  # the reference pipeline's conversion: no colour management


def _high_depth_to_l(img: Image.Image) -> Image.Image:
    """16-bit or 32-bit integer/float grayscale -> 8-bit "L" keeping the full tonal range."""
    values = np.asarray(img).astype(np.float64)  # (H, W)
    if img.mode == "F":
        low, high = (0.0, 1.0) if values.min() >= 0 and values.max() <= 1 else (values.min(), values.max())
    elif values.min() >= 0 and values.max() <= 65535:
        low, high = 0.0, 65535.0  # 16-bit samples
    else:
        low, high = values.min(), values.max()
    scaled = (values - low) / max(high - low, 1e-12) * 255.0
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), mode="L")


def model_input(img: Image.Image, transforms: ImageClassification) -> tuple[torch.Tensor, Image.Image]:
    """Apply ``weights.transforms()`` and also return the crop the model sees.

    Returns:
        ``(x, crop)``: ``x`` is the normalised batch ``(1, 3, crop, crop)`` and ``crop`` is the
        resized, centre-cropped RGB picture it was made from (for overlays).
    """
    img = _limit_aspect(img)
    resized = F.resize(
        img, transforms.resize_size, interpolation=transforms.interpolation, antialias=transforms.antialias
    )
    crop = F.center_crop(resized, transforms.crop_size)  # PIL, e.g. 224×224
    return crop_input(crop, transforms.mean, transforms.std).unsqueeze(0), crop


def prepare_inputs(
    images: list[Image.Image], transforms: ImageClassification
) -> list[tuple[torch.Tensor, Image.Image]]:
    """``model_input`` of every image; several are prepared at once on a small thread pool (PIL's
    resize and torch's normalisation release the GIL), so a batch is ready sooner than one by one."""
    if len(images) > 1:
        try:
            return list(_pool().map(lambda image: model_input(image, transforms), images))
        except RuntimeError:  # the pool has shut down: the interpreter is exiting
            pass
    return [model_input(image, transforms) for image in images]


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1), thread_name_prefix="prepare-inputs")


def crop_input(crop: Image.Image, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """The normalised tensor (3, H, W) the model sees for a crop: the same steps, bit for bit."""
    x = F.convert_image_dtype(F.pil_to_tensor(crop), torch.float)  # (3, 224, 224) in [0, 1]
    return F.normalize(x, mean=list(mean), std=list(std))


def _limit_aspect(img: Image.Image) -> Image.Image:
    """Centre-crop extreme panoramas to MAX_ASPECT:1.

    Resizing the short side of a 1×5000 strip to 232 would make a 232×1,160,000 image only to
    keep its centre. For aspect ratios up to MAX_ASPECT this is a no-op, so ordinary photos get
    exactly ``weights.transforms()``.
    """
    width, height = img.size
    short, long = min(width, height), max(width, height)
    keep = int(short * MAX_ASPECT)
    if long <= keep:
        return img
    if width > height:
        left = (width - keep) // 2
        return img.crop((left, 0, left + keep, height))
    top = (height - keep) // 2
    return img.crop((0, top, width, top + keep))

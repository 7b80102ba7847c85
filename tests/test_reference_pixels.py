"""The model sees the reference pipeline's pixels for every opaque 8-bit file.

Reference: torchvision's ``resnet50`` with the same state_dict on
``weights.transforms()(ImageOps.exif_transpose(Image.open(f)).convert("RGB"))``, the way
ImageNet weights were trained and evaluated (no colour management).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageCms, ImageOps

from resnet import load_image

from conftest import PHOTOS
from corpus import STORED_AS, wide_gamut_profile

PROFILES = {
    "none": None,
    "wide": wide_gamut_profile(),  # Adobe RGB (1998) primaries
    "lab": ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes(),  # not even an RGB profile
    "srgb": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
}
CASES = [  # (mode, format, profile, EXIF orientation)
    ("RGB", "JPEG", "lab", 1),
    ("RGB", "JPEG", "wide", 6),
    ("RGB", "PNG", "wide", 1),
    ("RGB", "TIFF", "srgb", 3),
    ("RGB", "JPEG", "none", 8),
    ("L", "JPEG", "none", 1),
    ("L", "PNG", "lab", 5),
    ("RGB", "JPEG", "wide", 1),
    ("P", "PNG", "none", 1),
    ("P", "GIF", "none", 1),
    ("CMYK", "JPEG", "none", 1),
    ("CMYK", "JPEG", "lab", 6),
    ("CMYK", "TIFF", "wide", 2),
]


def make_file(mode: str, fmt: str, profile: str, orientation: int, photo) -> bytes:
    image = Image.open(photo).convert("RGB").resize((320, 240))
    image = image.transpose(STORED_AS[orientation]) if orientation in STORED_AS else image
    image = image.convert(mode) if mode != "P" else image.convert("P", palette=Image.Palette.ADAPTIVE)
    kwargs = {}
    if PROFILES[profile]:
        kwargs["icc_profile"] = PROFILES[profile]
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs["exif"] = exif
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 92} if fmt == "JPEG" else {}), **kwargs)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def files() -> list[bytes]:
    return [make_file(*case, PHOTOS[i % len(PHOTOS)]) for i, case in enumerate(CASES)]


def test_logits_equal_the_reference_pipeline(explainer, reference_model, files):
    ours = explainer.explain_batch([load_image(data) for data in files])
    reference_inputs = torch.stack(
        [explainer.weights.transforms(ImageOps.exif_transpose(Image.open(io.BytesIO(d))).convert("RGB")) for d in files]
    )
    with torch.no_grad():
        expected = reference_model(reference_inputs).numpy()  # (N, 1000)
    for case, got, want in zip(CASES, ours, expected, strict=True):
        spread = float(want.max() - want.min())
        np.testing.assert_allclose(got.logits, want, rtol=1e-4, atol=1e-4 * spread, err_msg=str(case))


def test_the_wide_gamut_profiles_are_in_the_files_and_would_change_the_pixels(files):
    """Guards the test above: applying the embedded profile would have moved the model's pixels."""
    wide = [
        Image.open(io.BytesIO(d))
        for d, case in zip(files, CASES, strict=True)
        if case[0] == "RGB" and case[2] == "wide"
    ]
    assert wide and all(img.info.get("icc_profile") == PROFILES["wide"] for img in wide)
    source = ImageCms.ImageCmsProfile(io.BytesIO(PROFILES["wide"]))
    moved = []
    for img in (w.convert("RGB") for w in wide):
        managed = ImageCms.profileToProfile(img, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        moved.append(np.abs(np.asarray(managed, int) - np.asarray(img, int)).max())
    assert max(moved) >= 10  # levels, on a colourful photo (a grey one does not move)

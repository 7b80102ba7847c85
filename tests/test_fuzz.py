"""Every broken file is an ImageError: property-based fuzzing over mutated real photos.

Mutations of one photo in all six formats (bit flips, byte runs, truncations, header splices)
go through ``load_image``; each must give an upright RGB image or an ``ImageError`` whose
message says what happened and what to do. Examples that once escaped as raw ``OSError`` /
``ValueError`` from PIL are kept as fixed regression cases.
"""

from __future__ import annotations

import io
import time
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from resnet.core.preprocess import IMAGE_ERRORS, ImageError, load_image

FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
EXAMPLES = 3000  # a few seconds on 2 cores: each file is a 64×48 photo
SLOW_S = 5.0  # no single file may take longer (a hang fails the test)


def encoded(photo, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.open(photo).convert("RGB").resize((64, 48)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def originals(photos) -> dict[str, bytes]:
    return {fmt: encoded(photos[2], fmt) for fmt in FORMATS}


def check_outcome(data: bytes) -> str:
    """Load the bytes; return "ok" or the ImageError's code. Anything else fails the test."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PIL warns about odd metadata; the outcome is what counts
        try:
            image, error = load_image(data), None
        except ImageError as err:
            image, error = None, err
    if error is not None:
        assert error.code in IMAGE_ERRORS
        assert str(error).endswith(".") and len(str(error).split()) > 8  # a sentence, not PIL's words alone
        outcome = error.code
    else:
        assert image.mode == "RGB" and image.width >= 1 and image.height >= 1
        outcome = "ok"
    assert time.perf_counter() - start < SLOW_S
    return outcome


def mutate(data: bytes, other: bytes, kind: str, position: float, value: int, length: int) -> bytes:
    at = int(position * len(data))
    if kind == "flip":  # one bit
        mutated = bytearray(data)
        mutated[min(at, len(data) - 1)] ^= 1 << (value % 8)
        return bytes(mutated)
    if kind == "run":  # a run of one byte value
        return data[:at] + bytes([value]) * length + data[at + length :]
    if kind == "truncate":
        return data[:at]
    return other[: length + 8] + data[length + 8 :]  # "splice": another format's header


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fmt=st.sampled_from(FORMATS),
    other=st.sampled_from(FORMATS),
    kind=st.sampled_from(["flip", "flip", "run", "truncate", "splice"]),
    position=st.floats(0, 1, exclude_max=True),
    value=st.integers(0, 255),
    length=st.integers(1, 64),
)
def test_any_mutation_is_an_image_or_an_image_error(originals, fmt, other, kind, position, value, length):
    check_outcome(mutate(originals[fmt], originals[other], kind, position, value, length))


@pytest.mark.parametrize(
    ("fmt", "kind", "at", "bit", "pil_said"),
    [
        ("JPEG", "truncate", 621, 0, "Truncated File Read"),
        ("WEBP", "truncate", 100, 0, "could not create decoder object"),
        ("BMP", "flip", 30, 7, "Unsupported BMP compression (128)"),
        ("BMP", "flip", 14, 5, "Unsupported BMP header type (8)"),
        ("PNG", "flip", 11, 3, "Truncated IHDR chunk"),
        ("TIFF", "flip", 24, 0, "Invalid dimensions"),
    ],
)
def test_files_that_once_escaped_as_raw_pil_errors(photos, fmt, kind, at, bit, pil_said):
    data = bytearray(encoded(photos[2], fmt))
    if kind == "flip":
        data[at] ^= 1 << bit
    else:
        del data[at:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ImageError) as caught:
            load_image(bytes(data))
    message = str(caught.value)
    assert message.endswith(".") and ("Save or export it again" in message or "save it as a standard" in message)
    assert caught.value.code in ("corrupt", "unsupported")

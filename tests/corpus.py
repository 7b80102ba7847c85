"""A corpus of hostile and awkward files, each with the outcome a user should get.

``build_corpus(folder, photo)`` writes the files and returns the cases. An ``ok`` case must get
a normal answer (equal to the answer for ``same_as`` when given: the model must see the same
picture); an ``error`` case must get a message matching ``message``.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

NOT_AN_IMAGE = "not an image that can be read"
CORRUPT = "truncated or corrupt"
TOO_LARGE = "too large|over the limit"

# exif_transpose undoes orientation o with this method; a file stores the inverse of it.
STORED_AS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@dataclass(frozen=True)
class Case:
    path: Path
    expect: str  # "ok" or "error"
    message: str = ""  # regex the error must match
    same_as: str | None = None  # name of a case whose answer this one must equal

    @property
    def name(self) -> str:
        return self.path.name


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A 100-byte PNG whose header claims width×height pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def gif_claiming(width: int, height: int) -> bytes:
    """A tiny GIF whose logical screen and image claim width×height pixels."""
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return header + image + b"\x3b"


def _encoded(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def build_corpus(folder: Path, photo: Path) -> list[Case]:
    """Write every file into ``folder``; ``photo`` is a real RGB photo to derive images from."""
    folder.mkdir(parents=True, exist_ok=True)
    base = Image.open(photo).convert("RGB")  # e.g. 451×300
    cases: list[Case] = []

    def add(name: str, data: bytes, expect: str = "ok", message: str = "", same_as: str | None = None):
        (folder / name).write_bytes(data)
        cases.append(Case(folder / name, expect, message, same_as))

    # Not images at all, renamed to look like one.
    add("empty.jpg", b"", "error", NOT_AN_IMAGE)
    add("notes.jpg", b"Dear diary, today I uploaded a text file.\n" * 20, "error", NOT_AN_IMAGE)
    add("page.jpg", b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>", "error", NOT_AN_IMAGE)
    add(
        "drawing.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
        "error",
        NOT_AN_IMAGE,
    )
    add(
        "document.jpg",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        "error",
        NOT_AN_IMAGE,
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("cat.jpg", _encoded(base, "JPEG"))
    add("archive.jpg", archive.getvalue(), "error", NOT_AN_IMAGE)

    # Broken images.
    jpeg = _encoded(base, "JPEG", quality=90)
    add("truncated.jpg", jpeg[: len(jpeg) // 2], "error", CORRUPT)
    png = _encoded(base, "PNG")
    add("truncated.png", png[: len(png) // 2], "error", CORRUPT)
    idat = png.index(b"IDAT")
    bad_crc = bytearray(png)
    bad_crc[idat + 8] ^= 0xFF  # a data byte of the first IDAT chunk: its CRC no longer matches
    add("bad_crc.png", bytes(bad_crc), "error", CORRUPT)

    # Decompression bombs: huge claimed sizes in tiny files.
    add("bomb.png", png_claiming(100_000, 100_000), "error", TOO_LARGE)
    add("bomb_60mp.png", png_claiming(10_000, 6_000), "error", TOO_LARGE)
    add("bomb.gif", gif_claiming(65_535, 65_535), "error", TOO_LARGE)

    # Legal but awkward sizes.
    add("large_24mp.jpg", _encoded(base.resize((6000, 4000), Image.Resampling.BILINEAR), "JPEG", quality=70))
    add("tiny_1x1.png", _encoded(base.resize((1, 1)), "PNG"))
    add("tiny_2x2.png", _encoded(base.resize((2, 2)), "PNG"))
    add("strip_1x5000.png", _encoded(base.resize((1, 5000)), "PNG"))
    add("strip_5000x1.png", _encoded(base.resize((5000, 1)), "PNG"))

    # Modes.
    add("gray.png", _encoded(base.convert("L"), "PNG"))
    add("gray_alpha.png", _encoded(base.convert("LA"), "PNG"))
    palette = base.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    add("palette_transparent.png", _encoded(palette, "PNG", transparency=0))
    rgba = base.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(base.size))
    add("rgba.png", _encoded(rgba, "PNG"))
    add("cmyk.jpg", _encoded(base.convert("CMYK"), "JPEG", quality=90))
    gray16 = (np.asarray(base.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    add("gray16.png", _encoded(Image.fromarray(gray16), "PNG"))
    gray_float = np.asarray(base.convert("L"), dtype=np.float32) / 255
    add("float32.tif", _encoded(Image.fromarray(gray_float, mode="F"), "TIFF"))
    add("plain.bmp", _encoded(base, "BMP"))
    add("plain.tif", _encoded(base, "TIFF"))
    add("png_named.jpg", png)  # the right bytes under the wrong extension
    add("progressive.jpg", _encoded(base, "JPEG", quality=90, progressive=True))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    add("icc_profile.jpg", _encoded(base, "JPEG", quality=90, icc_profile=srgb))

    # Animations: the first frame is the picture.
    frames = [base, base.transpose(Image.Transpose.ROTATE_180), base.convert("L").convert("RGB")]
    add("first_frame.png", _encoded(frames[0], "PNG"))
    add("first_frame.gif", _encoded(frames[0], "GIF"))
    add(
        "animated.gif",
        _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=80),
        same_as="first_frame.gif",
    )
    add(
        "animated.webp",
        _encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=80, lossless=True),
        same_as="first_frame.png",
    )

    # EXIF orientations: every file shows the same upright picture.
    add("exif_1.jpg", _encoded(base, "JPEG", quality=100, subsampling=0))  # near-lossless: rotations keep top-1
    for orientation, stored in STORED_AS.items():
        exif = Image.Exif()
        exif[0x0112] = orientation
        add(
            f"exif_{orientation}.jpg",
            _encoded(base.transpose(stored), "JPEG", quality=100, subsampling=0, exif=exif),
            same_as="exif_1.jpg",
        )
    return cases


def wide_gamut_profile() -> bytes:
    """An ICC profile with Adobe RGB (1998)'s primaries, built from Pillow's own sRGB profile.

    Pillow's ImageCms can only create sRGB, LAB and XYZ profiles; here the red, green and blue
    colorant tags of its sRGB profile are replaced by Adobe RGB's (D50-adapted) and the profile
    id is cleared, which gives a wide-gamut RGB profile as cameras and editors embed them.
    """
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", data[128:132])[0]
    tags = {}
    for i in range(count):
        signature, offset, _ = struct.unpack(">4sII", data[132 + 12 * i : 144 + 12 * i])
        tags[signature] = offset
    adobe = {b"rXYZ": (0.6097, 0.3111, 0.0195), b"gXYZ": (0.2053, 0.6257, 0.0609), b"bXYZ": (0.1492, 0.0632, 0.7446)}
    for signature, xyz in adobe.items():
        offset = tags[signature]
        data[offset + 8 : offset + 20] = b"".join(struct.pack(">i", round(v * 65536)) for v in xyz)
    data[84:100] = bytes(16)  # profile id (an MD5 of the rest), no longer valid
    return bytes(data)

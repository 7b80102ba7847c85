"""What a command-line run reads and finds again: files walked from folders, records of finished work."""

from __future__ import annotations

import json
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}  # walked in folders


def collect_files(inputs: list[Path], suffixes: set[str] = IMAGE_SUFFIXES) -> list[tuple[Path, str]]:
    """(file, output stem) pairs: files as given, folders walked in sorted order (files with ``suffixes``).

    Stems are stable across runs (so a re-run can resume) and unique: a file in a folder is
    named by its path inside that folder (``birds/owl.jpg`` -> ``birds__owl``), and repeats
    get ``-2``, ``-3``.
    """
    found: list[tuple[Path, str]] = []
    for item in inputs:
        if item.is_dir():
            for path in sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in suffixes):
                found.append((path, "__".join(path.relative_to(item).with_suffix("").parts)))
        else:
            found.append((item, item.stem))
    seen: dict[str, int] = {}
    unique = []
    for path, stem in found:
        seen[stem] = seen.get(stem, 0) + 1
        unique.append((path, stem if seen[stem] == 1 else f"{stem}-{seen[stem]}"))
    return unique


def finished_record(out: Path, stem: str, source: Path, options: dict, kind: str = "image") -> dict | None:
    """The record of an earlier run for this ``kind`` of input (its key in the record) and these
    options, if all its files are there."""
    try:
        record = json.loads((out / f"{stem}.json").read_text())
    except (OSError, ValueError):
        return None
    same = record.get(kind) == str(source) and record.get("options") == options
    return record if same and all((out / name).exists() for name in record.get("files", [])) else None

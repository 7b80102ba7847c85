"""Every text of the page, one module per language (``en``, ``zh_CN``), and ImageNet's class names.

Each language module has ``STATIC`` (labels Gradio translates in the browser) and ``SERVER``
(texts the handlers make in the page's language); their keys are the same in every language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLASS_NAME_FILES = {"zh-CN": HERE / "imagenet_zh_CN.tsv"}  # "index<TAB>name" rows; English comes from the weights


@cache
def imagenet_names(language: str) -> list[str] | None:
    """ImageNet-1k's 1000 class names in ``language`` (index order), or None to keep the weights' English names."""
    path = CLASS_NAME_FILES.get(language)
    if path is None:
        return None
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    if [int(index) for index, _ in rows] != list(range(len(rows))):
        raise ValueError(f"{path.name}: rows must be numbered 0, 1, 2, ... in order.")
    return [name for _, name in rows]

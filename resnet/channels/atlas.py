"""A channel atlas on disk: each channel's visualization, its top dataset examples with their
thumbnails and a Parquet index, and one self-contained HTML page (every picture inlined)."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from resnet.channels.cache import Cache
from resnet.channels.examples import seen_crop, top_examples
from resnet.channels.targets import Target
from resnet.channels.visualize import Optimization, Visualization
from resnet.core.explainer import Explainer

BATCH = 8  # channels optimized together (per-channel time falls with the batch; see docs/performance.md)


def write_visualizations(
    explainer: Explainer,
    folder: str,
    targets: list[Target],
    out: Path,
    settings: Optimization,
    cache: Cache,
    progress: Callable[[int], None] | None = None,
) -> list[Visualization]:
    """``out/folder/<channel>.png`` for every target, computed BATCH at a time (cached ones read)."""
    (out / folder).mkdir(parents=True, exist_ok=True)
    made = []
    for first in range(0, len(targets), BATCH):
        batch = cache.get(explainer, targets[first : first + BATCH], settings)
        for visualization in batch:
            Image.fromarray(visualization.image).save(out / folder / f"{visualization.target.channel}.png")
        made += batch
        if progress:
            progress(len(batch))
    return made


def write_index(rows, k: int, layer: str, data: Path, out: Path, transforms):
    """The top ``k`` examples per channel -> ``out/index.parquet`` and ``out/thumbs/``; returns them.
    ``rows``: every image's strongest position per channel (``examples.COLUMNS``)."""
    top = top_examples(rows, k)
    top["layer"] = layer
    thumbs = []
    crops: dict[str, Image.Image] = {}
    for row in top.itertuples():
        name = Path("thumbs") / layer / f"{row.channel}_{row.rank}.jpg"
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        box = (row.x0, row.y0, row.x1, row.y1)
        if row.image not in crops:
            crops[row.image] = seen_crop(data, row.image, transforms)
        crops[row.image].crop(box).resize((96, 96), Image.Resampling.BICUBIC).save(out / name, quality=90)
        thumbs.append(str(name))
    top["thumbnail"] = thumbs
    top.to_parquet(out / "index.parquet", index=False)
    return top


def _inline(path: Path, kind: str) -> str:
    return f"data:image/{kind};base64," + base64.b64encode(path.read_bytes()).decode()


def write_html(out: Path, layer: str, visualizations: list[Visualization], top, describe: str) -> Path:
    """``out/atlas.html``: one card per channel (visualization, activation, top examples), every
    image inlined as data, so the file opens anywhere without the folder or the internet."""
    cards = []
    for v in visualizations:
        channel = v.target.channel
        picture = _inline(out / layer / f"{channel}.png", "png")
        examples = "" if top is None else _examples_html(out, top[top["channel"] == channel])
        cards.append(
            f'<figure><img src="{picture}" width="128" height="128" alt="{layer} channel {channel}: '
            f'optimized image"><figcaption>{html.escape(layer)} · channel {channel} · reaches '
            f"{v.activation:.3g}</figcaption>{examples}</figure>"
        )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Channel atlas · {html.escape(layer)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:1rem;color:#111;background:#fff}"
        "main{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;width:300px}"
        "figure img{image-rendering:auto}.ex{display:flex;flex-wrap:wrap;gap:2px}"
        "figcaption{font-size:.9rem}</style></head><body>"
        f"<h1>Channel atlas · {html.escape(layer)}</h1><p>{html.escape(describe)}. Each card: the image "
        "optimized to make the channel fire (its mean activation on it), then the crops of the folder "
        "that made it fire most, strongest first.</p>"
        f"<main>{''.join(cards)}</main></body></html>"
    )
    path = out / "atlas.html"
    path.write_text(page, encoding="utf-8")
    return path


def _examples_html(out: Path, rows) -> str:
    images = [
        f'<img src="{_inline(out / r.thumbnail, "jpeg")}" width="48" height="48" '
        f'alt="{html.escape(r.image)}, activation {r.activation:.3g}" title="{html.escape(r.image)} · {r.activation:.3g}">'
        for r in rows.itertuples()
    ]
    return f'<div class="ex">{"".join(images)}</div>'

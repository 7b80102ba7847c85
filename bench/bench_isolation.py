"""What decoding in a worker process costs, measured in one process.

    python bench/bench_isolation.py [--repeats N] [--json]

Videos: the time to start a contained worker (``resnet.video.workers``) and open a clip, against
opening it in this process. Photos: what the same isolation would add to a request, a photo's
bytes sent to a waiting worker process that decodes it (``load_image``) and sends the RGB
pixels back, against decoding it here; the example photos (about 0.3 megapixels) and one of
12 megapixels, medians of N runs.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np
from clips import write_clip

from resnet.core.preprocess import load_image
from resnet.video.decoding import VideoReader
from resnet.video.workers import ContainedReader

from common import median_ms


def photo_worker(connection) -> None:
    """Decode each photo's bytes received; send back its pixels (H, W, 3 uint8)."""
    while (data := connection.recv()) is not None:
        connection.send(np.asarray(load_image(data)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    photos = [p.read_bytes() for p in sorted((ROOT / "assets").glob("*.jpg"))]
    large = io.BytesIO()
    load_image(photos[0]).resize((4000, 3000)).save(large, "JPEG", quality=90)  # a 12-megapixel phone photo
    photos.append(large.getvalue())
    here = {i: median_ms(lambda d=d: np.asarray(load_image(d)), args.repeats) for i, d in enumerate(photos)}
    parent, child = multiprocessing.Pipe()
    worker = multiprocessing.get_context("spawn").Process(target=photo_worker, args=(child,), daemon=True)
    worker.start()

    def round_trip(data: bytes) -> np.ndarray:
        parent.send(data)
        return parent.recv()

    isolated = {i: median_ms(lambda d=d: round_trip(d), args.repeats) for i, d in enumerate(photos)}
    parent.send(None)
    worker.join()
    with tempfile.TemporaryDirectory() as folder:
        clip = write_clip(Path(folder) / "clip.mp4", size=(640, 480), seconds=2.0, fps=10)
        open_here = median_ms(lambda: VideoReader(clip), max(3, args.repeats // 4))
        open_contained = median_ms(lambda: ContainedReader(clip).close(), max(3, args.repeats // 4))
    rows = {
        "photo_decode_ms": round(float(np.median(list(here.values()))), 2),
        "photo_isolated_ms": round(float(np.median(list(isolated.values()))), 2),
        "photo_extra_ms": round(float(np.median([isolated[i] - here[i] for i in here if i < len(photos) - 1])), 2),
        "photo_12mp_decode_ms": round(here[len(photos) - 1], 1),
        "photo_12mp_extra_ms": round(isolated[len(photos) - 1] - here[len(photos) - 1], 1),
        "clip_open_ms": round(open_here, 1),
        "clip_open_contained_ms": round(open_contained, 1),
    }
    if args.json:
        print(json.dumps(rows))
        return
    for name, value in rows.items():
        print(f"{name:24} {value:>8}")


if __name__ == "__main__":
    main()

"""Frames per second the live webcam handler sustains on this machine (server side).

    python bench/bench_live.py [--seconds S] [--device cpu|cuda] [--json]

Feeds 640×480 frames (a webcam's usual size) to the same handler the page's live tab streams
to, back to back, and reports frames per second and the median time per frame.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resnet import Explainer, load_image, load_weights
from resnet.core.runtime import tune_allocator
from ui.files import ScratchFiles
from ui.tabs.live import LiveTab


def live_rate(explainer: Explainer, seconds: float) -> dict:
    """Feed 640×480 frames to the live handler back to back for ``seconds``: frames/s and median ms."""
    live = LiveTab(explainer, ScratchFiles())
    frames = [np.asarray(load_image(p).resize((640, 480))) for p in sorted((ROOT / "assets").glob("*.jpg"))]
    live.live(frames[0], None, None, False, 0.6, False, "en")  # warm-up
    durations, last, start = [], None, time.perf_counter()
    while time.perf_counter() - start < seconds:
        begin = time.perf_counter()
        last = live.live(frames[len(durations) % len(frames)], last, None, False, 0.6, False, "en").live_last
        durations.append(time.perf_counter() - begin)
    elapsed = time.perf_counter() - start
    return {
        "frames": len(durations),
        "fps": len(durations) / elapsed,
        "ms_per_frame": statistics.median(durations) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to stream (default 10)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tune_allocator()
    result = live_rate(Explainer(load_weights("random", device=args.device)), args.seconds)
    print(
        json.dumps(result)
        if args.json
        else f"{result['fps']:.1f} frames/s, {result['ms_per_frame']:.1f} ms per frame (median)"
    )


if __name__ == "__main__":
    main()

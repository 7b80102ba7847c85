"""Frames explained per second on a video, end to end, against the live webcam's rate in the same run.

    python bench/bench_video.py [--seconds S] [--rounds R] [--batch-sizes 1,4,8,16] [--device cpu|cuda] [--json]

Writes a 640×480 H.264 clip of the example photos (S seconds at 10 fps), then runs the video
path the CLI and the Video tab run (decode with PyAV, ``explain_frames`` in batches, draw the
overlay, encode H.264) at every batch size, and the live webcam handler (``bench_live.live_rate``:
one 640×480 frame at a time, its overlay PNG-encoded) right after each, for as long. The two
alternate for R rounds, so a busy spell of a shared machine hits both; the ratio reported is the
median of the rounds' ratios (video frames/s over live frames/s: above 1, batching and streaming
pay). ``x_in_process`` compares the app's path, FFmpeg in worker processes (``resnet.video.workers``),
with the same path decoding and encoding in this process, alternated in the same rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench_live import live_rate
from clips import write_clip

from resnet import Explainer, load_weights
from resnet.core.runtime import tune_allocator
from resnet.video.frames import OverlayWriter, VideoReader, explain_frames, overlay_frame
from resnet.video.workers import ContainedReader, ContainedWriter


def video_rate(explainer: Explainer, clip: Path, out: Path, batch_size: int, contained: bool = True) -> dict:
    """Every frame of ``clip`` decoded, explained in batches, drawn and encoded: frames/s. With
    ``contained`` (the app's path) FFmpeg runs in worker processes, else in this one."""
    start = time.perf_counter()
    reader = ContainedReader(clip) if contained else VideoReader(clip)
    with (ContainedWriter if contained else OverlayWriter)(out, reader.info.fps) as writer:
        for explained in explain_frames(reader.frames(0), explainer, batch_size=batch_size):
            writer.write(overlay_frame(explained))
    seconds = time.perf_counter() - start
    return {"frames": writer.frames, "seconds": round(seconds, 2), "fps": writer.frames / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="clip length at 10 fps (default 6)")
    parser.add_argument("--rounds", type=int, default=3, help="video and live runs alternated (default 3)")
    parser.add_argument("--batch-sizes", default="1,8")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tune_allocator()  # as the CLI does
    explainer = Explainer(load_weights("random", device=args.device))
    explainer.warm_up()
    with tempfile.TemporaryDirectory() as folder:
        clip = write_clip(Path(folder) / "clip.mp4", size=(640, 480), seconds=args.seconds, fps=10)
        rows = {}
        for size in (int(b) for b in args.batch_sizes.split(",")):
            video, here, live = [], [], []
            for _ in range(args.rounds):
                result = video_rate(explainer, clip, Path(folder) / f"out{size}.mp4", size)
                video.append(result["fps"])
                here.append(video_rate(explainer, clip, Path(folder) / f"in{size}.mp4", size, contained=False)["fps"])
                live.append(live_rate(explainer, result["seconds"])["fps"])
            rows[f"batch{size}"] = {
                "video_fps": round(statistics.median(video), 2),
                "in_process_fps": round(statistics.median(here), 2),
                "live_fps": round(statistics.median(live), 2),
                "x_live": round(statistics.median(v / lv for v, lv in zip(video, live, strict=True)), 2),
                "x_in_process": round(statistics.median(v / h for v, h in zip(video, here, strict=True)), 2),
                "frames": result["frames"],
            }
    print(json.dumps(rows, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in rows.items()))


if __name__ == "__main__":
    main()

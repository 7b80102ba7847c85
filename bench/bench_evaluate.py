"""How fast ``python -m resnet evaluate`` scores images, against the ideal, in one run.

    python bench/bench_evaluate.py [--images N] [--json]

Local: Grad-CAM + deletion + insertion (``Scorer`` on one method, no RandomCAM floor) over N
copies of the example photos, in images per second, against the ideal: bare forward passes per
second (batches of 17, as the curves use) divided by the 34 masked images a photo's two curves
need. Ray: the whole command (``--engine local`` and ``--engine ray`` with one actor using every
core), each in a fresh process on the same images, wall-clock; the ratio is Ray's overhead on one
machine (its start, the actor, the transfers). Targets: >= 0.8x the ideal; Ray <= 1.2x local.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resnet import Explainer, load_weights
from resnet.core.runtime import tune_allocator
from resnet.evaluate.engine import Scorer, Settings, find_images

CURVE_PASSES = 34  # two curves of K + 1 = 17 masked images


def forwards_per_second(explainer: Explainer, batch: int = 17, rounds: int = 4) -> float:
    x = torch.randn(batch, 3, 224, 224)
    with torch.inference_mode():
        explainer.forward_stages(x)
        start = time.perf_counter()
        for _ in range(rounds):
            explainer.forward_stages(x)
    return batch * rounds / (time.perf_counter() - start)


def local_rate(explainer: Explainer, folder: Path) -> float:
    scorer = Scorer(explainer, Settings(methods=("Grad-CAM",), metrics=("deletion", "insertion")), floor=False)
    images = find_images(folder)
    scorer.score(folder, images[0])  # warm-up
    start = time.perf_counter()
    for image in images:
        scorer.score(folder, image)
    return len(images) / (time.perf_counter() - start)


def command_seconds(folder: Path, checkpoint: Path, engine: str) -> float:
    out = folder.parent / f"out-{engine}"
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "resnet", "evaluate", str(folder), "--out", str(out)]
    command += ["--weights", str(checkpoint), "--device", "cpu", "--methods", "Grad-CAM", "--engine", engine]
    if engine == "ray":
        command += ["--workers", "1", "--threads-per-worker", str(os.cpu_count() or 1)]
    env = {**os.environ, "RESNET_OFFLINE": "1", "RAY_USAGE_STATS_ENABLED": "0"}
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tune_allocator()  # as the CLI does
    weights = load_weights("random", device="cpu")
    explainer = Explainer(weights)
    photos = sorted((ROOT / "assets").glob("*.jpg"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        folder.mkdir()
        for i in range(args.images):
            shutil.copy(photos[i % len(photos)], folder / f"{i:03d}.jpg")
        checkpoint = Path(tmp) / "resnet50.pth"
        torch.save(weights.model.state_dict(), checkpoint)
        ideal = forwards_per_second(explainer) / CURVE_PASSES
        rate = local_rate(explainer, folder)
        local_s = command_seconds(folder, checkpoint, "local")
        ray_s = command_seconds(folder, checkpoint, "ray")
    figures = {
        "images": args.images,
        "local_images_per_s": round(rate, 3),
        "ideal_images_per_s": round(ideal, 3),
        "local/ideal": round(rate / ideal, 2),
        "command_local_s": round(local_s, 1),
        "command_ray_s": round(ray_s, 1),
        "ray/local": round(ray_s / local_s, 2),
    }
    print(json.dumps(figures, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()

"""Cost of each CAM method in forward passes, on this machine (the app's time estimates).

    python bench/bench_methods.py [--skip-slow] [--json]

Grad-CAM is the engine's exact fast path (an explanation); the others run the grad-cam
package through resnet.cams.methods.Heatmaps, as the app does. Score-CAM and Ablation-CAM take minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resnet import Explainer, load_image, load_weights
from resnet.cams.methods import DEFAULT_METHOD, METHODS, Heatmaps
from resnet.core.runtime import tune_allocator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-slow", action="store_true", help="skip Score-CAM and Ablation-CAM")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tune_allocator()
    explainer = Explainer(load_weights("random", device="cpu"))
    heatmaps = Heatmaps(explainer)
    image = load_image(ROOT / "assets" / "chelsea.jpg")
    explanation = explainer.explain(image)
    forward_s = min(explainer.warm_up() for _ in range(5))
    other = (explanation.cam_class + 1) % 1000
    heatmaps.heatmap(explanation, "Eigen-CAM", other)  # imports the package, copies the model once
    costs = {}
    for label in METHODS:
        if args.skip_slow and METHODS[label].forwards > 100:
            continue
        start = time.perf_counter()
        if label == DEFAULT_METHOD:
            explainer.explain(image)
        else:
            heatmaps.heatmap(explanation, label, other)
        costs[label] = (time.perf_counter() - start) / forward_s
    result = {"forward_ms": forward_s * 1000, "forwards": costs, "torch_threads": torch.get_num_threads()}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"forward: {forward_s * 1000:.1f} ms")
    for label, cost in costs.items():
        print(f"{label:>14}: {cost:7.1f} forward passes  ({cost * forward_s:.1f} s)")


if __name__ == "__main__":
    main()

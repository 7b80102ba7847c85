"""What an occlusion-sensitivity map costs: milliseconds and forward passes, measured in one process.

    python bench/bench_occlusion.py [--repeats N] [--json]

Random weights (speed does not depend on them), one example photo, 32-pixel patches every 16
pixels (13 × 13 positions + the image = 170 forward passes, in batches of 32) and 56-pixel
patches every 28 (50 passes). "per forward" divides a map's time by its passes; "× forward"
compares it with one bare forward pass (batch 1) of the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch

from resnet import Explainer, load_image, load_weights
from resnet.cams.occlusion import occlusion_map
from resnet.core.runtime import tune_allocator

from common import median_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tune_allocator()  # as the CLI does
    explainer = Explainer(load_weights("random", device="cpu"))
    full = explainer.explain(load_image(sorted((ROOT / "assets").glob("*.jpg"))[0]))
    x = torch.from_numpy(full.input)[None]

    def forward():
        with torch.inference_mode():
            explainer.forward_stages(x)

    forward_ms = median_ms(forward, max(10, args.repeats))
    rows = {"forward_ms": round(forward_ms, 1)}
    for patch, stride in ((32, 16), (56, 28)):
        passes = occlusion_map(explainer, full.input, full.cam_class, patch, stride).forwards
        ms = median_ms(
            lambda p=patch, s=stride: occlusion_map(explainer, full.input, full.cam_class, p, s), args.repeats
        )
        rows[f"patch{patch}_stride{stride}"] = {
            "ms": round(ms),
            "forwards": passes,
            "ms_per_forward": round(ms / passes, 1),
            "x_forward": round(ms / forward_ms, 1),
        }
    print(json.dumps(rows, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in rows.items()))


if __name__ == "__main__":
    main()

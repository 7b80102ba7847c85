"""What each Trust panel costs: milliseconds and forward passes, measured in one process.

    python bench/bench_trust.py [--repeats N] [--json]

The Trust tab's checks on one image (random weights: speed does not depend on them): the
sanity check with Grad-CAM (6 randomized copies), the deletion and insertion curves (2 × 17
masked images, batched), and the comparison of the seven quick methods. Each figure is the
median of ``--repeats`` runs; "forwards" divides it by one bare forward pass of the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resnet import Explainer, load_image, load_weights
from resnet.cams.methods import Heatmaps
from resnet.cams.trust import agreement_forwards, faithfulness_curves, method_agreement, sanity_check, sanity_forwards
from resnet.core.runtime import tune_allocator

from common import median_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tune_allocator()
    explainer = Explainer(load_weights("random", device="cpu"))
    heatmaps = Heatmaps(explainer)
    full = explainer.explain(load_image(ROOT / "assets" / "chelsea.jpg"))
    forward_ms = min(explainer.warm_up() for _ in range(5)) * 1000
    panels = {
        "sanity (Grad-CAM)": (
            lambda: sanity_check(explainer, full.input, full.cam, "Grad-CAM", full.cam_class),
            sanity_forwards("Grad-CAM"),
        ),
        "deletion + insertion curves": (
            lambda: faithfulness_curves(explainer, full.input, full.cam, full.cam_class),
            34,
        ),
        "method agreement (7 methods)": (
            lambda: method_agreement(heatmaps, full.input, full.cam_class),
            agreement_forwards(),
        ),
    }
    results = {"forward_ms": round(forward_ms, 1)}
    for name, (fn, planned) in panels.items():
        ms = median_ms(fn, 1 if "agreement" in name else args.repeats)
        results[name] = {
            "ms": round(ms, 1),
            "forwards_measured": round(ms / forward_ms, 1),
            "forwards_planned": planned,
        }
    if args.json:
        print(json.dumps(results))
        return
    print(f"one forward pass: {forward_ms:.1f} ms")
    for name, figure in results.items():
        if isinstance(figure, dict):
            print(
                f"{name:>30}: {figure['ms']:8.1f} ms = {figure['forwards_measured']:6.1f} forwards (planned {figure['forwards_planned']:.0f})"
            )


if __name__ == "__main__":
    main()

"""Score-CAM and Ablation-CAM against the grad-cam package run on torchvision's own ResNet50.

    python bench/check_slow_methods.py [--json]

The test suite compares every other CAM method with the package (``tests/test_deep.py``); these
two take minutes each on a CPU (one masked or ablated forward pass per layer4 channel), so this
check runs by hand and its result is reported in docs/performance.md. Weights: ``random`` (a
seeded ResNet50), loaded once through the app's code and once into torchvision's model with
ReLUs that are not in-place. Prints each method's largest difference and its map's range; exits 1 above 1e-4 or for a
nearly flat map.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pytorch_grad_cam
import torch
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from torchvision.models import resnet50

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resnet import Explainer, load_image, load_weights
from resnet.cams.methods import Heatmaps

PACKAGE = {"Score-CAM": pytorch_grad_cam.ScoreCAM, "Ablation-CAM": pytorch_grad_cam.AblationCAM}
TOLERANCE = 1e-4


def reference_model(weights) -> torch.nn.Module:
    """torchvision's ResNet50 with the same parameters, every ReLU out of place."""
    model = resnet50(weights=None)
    model.load_state_dict({k: v.detach().cpu() for k, v in weights.model.state_dict().items()})
    for module in model.modules():
        if isinstance(module, torch.nn.ReLU):
            module.inplace = False
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    weights = load_weights("random", device="cpu")
    explainer = Explainer(weights)
    explanation = explainer.explain(load_image(ROOT / "assets" / "chelsea.jpg"))
    reference = reference_model(weights)
    x = torch.from_numpy(explanation.input)[None].requires_grad_(True)  # (1, 3, 224, 224)
    rows = []
    for name, package_class in PACKAGE.items():
        started = time.perf_counter()
        ours = Heatmaps(explainer).heatmap(explanation, name, explanation.cam_class)
        ours_s = time.perf_counter() - started
        with package_class(model=reference, target_layers=[reference.layer4[-1]]) as cam:
            expected = cam(input_tensor=x, targets=[ClassifierOutputTarget(explanation.cam_class)])[0]
        difference = float(np.abs(ours - expected).max())
        spread = float(ours.max() - ours.min())  # a flat map would agree with anything
        rows.append({"method": name, "max_abs_difference": difference, "spread": spread, "seconds": round(ours_s, 1)})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(
                f"{row['method']}: largest difference {row['max_abs_difference']:.2e} over a map spanning "
                f"{row['spread']:.2f} ({row['seconds']} s ours)"
            )
    sys.exit(1 if any(row["max_abs_difference"] > TOLERANCE or row["spread"] < 0.5 for row in rows) else 0)


if __name__ == "__main__":
    main()

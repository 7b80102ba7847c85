"""Feature visualization speed: channels per second at 128 and 224 px, one at a time vs a batch
of 8, with the forward stopped at the target layer vs run to the logits (what a library that
hooks the whole model, such as torch-lucent, pays). Random weights (speed does not depend on them).

    python bench/bench_channels.py [--device cpu|cuda] [--steps 48]
"""

from __future__ import annotations

import argparse
import time

import torch

from resnet import Explainer, load_weights
from resnet.channels import visualize as vis
from resnet.channels.answers import estimate_seconds
from resnet.channels.targets import Target
from resnet.channels.visualize import Optimization, visualize


def seconds_per_channel(explainer: Explainer, layer: str, size: int, batch: int, steps: int) -> float:
    targets = [Target(layer, channel) for channel in range(batch)]
    settings = Optimization(size=size, steps=steps)
    visualize(explainer, targets, Optimization(size=size, steps=2))  # warm-up
    start = time.perf_counter()
    visualize(explainer, targets, settings)
    return (time.perf_counter() - start) / batch


def full_depth(explainer: Explainer, layer: str, size: int, steps: int) -> float:
    """One channel with the walk run to the logits every step (the forward not stopped)."""
    original = vis._depth
    vis._depth = lambda explainer, _layer: original(explainer, "logit")
    try:
        return seconds_per_channel(explainer, layer, size, 1, steps)
    finally:
        vis._depth = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=Optimization.steps)
    args = parser.parse_args()
    explainer = Explainer(load_weights("random", device=args.device))
    x = torch.randn(1, 3, 224, 224, device=explainer.device)
    with torch.inference_mode():
        explainer.model(x)
        start = time.perf_counter()
        for _ in range(5):
            explainer.model(x)
        forward = (time.perf_counter() - start) / 5
    print(f"device {explainer.device}, torch threads {torch.get_num_threads()}, {args.steps} steps per picture")
    print(f"one 224 px forward pass: {forward * 1000:.0f} ms")
    print("| layer | size | one at a time (s/channel) | batch of 8 (s/channel) | batch speed-up | estimate shown (s) |")
    print("|---|---|---|---|---|---|")
    for layer in ("layer3.5", "layer4.2"):
        for size in (128, 224):
            single = seconds_per_channel(explainer, layer, size, 1, args.steps)
            batched = seconds_per_channel(explainer, layer, size, 8, args.steps)
            guess = estimate_seconds(forward, layer, Optimization(size=size, steps=args.steps))
            print(f"| {layer} | {size} | {single:.2f} | {batched:.2f} | {single / batched:.2f}× | {guess:.1f} |")
    stopped = seconds_per_channel(explainer, "layer3.5", 128, 1, args.steps)
    whole = full_depth(explainer, "layer3.5", 128, args.steps)
    print(f"layer3 at 128 px, forward stopped at the layer: {stopped:.2f} s; run to the logits: {whole:.2f} s "
          f"({whole / stopped:.2f}× slower)")  # fmt: skip


if __name__ == "__main__":
    main()

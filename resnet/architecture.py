"""ResNet50's architecture as a table read off the model itself: shapes, parameters, FLOPs."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from .explain import Explainer, Explanation

PARTS = ("stem", "layer1", "layer2", "layer3", "layer4", "head")


@dataclass(frozen=True)
class Part:
    name: str  # "stem", "layer1".."layer4", "head"
    blocks: int  # bottleneck blocks in the stage (0 for stem and head)
    output: tuple[int, ...]  # output shape of one image, e.g. (256, 56, 56)
    params: int  # parameters
    gflops: float  # floating-point operations for one 224×224 image, in billions (2 per multiply-add)


def architecture(explainer: Explainer) -> list[Part]:
    """Measure each part of the network on one blank 224×224 image.

    The FLOP counter hooks modules globally, so it runs on a private copy of the model.
    """
    model = copy.deepcopy(explainer.model).float().cpu()
    members = {
        "stem": [model.conv1, model.bn1, model.relu, model.maxpool],
        **{name: [getattr(model, name)] for name in PARTS[1:5]},
        "head": [model.avgpool, model.fc],
    }
    x = torch.zeros(1, 3, 224, 224)
    counter = FlopCounterMode(display=False)
    with torch.inference_mode():
        with counter:
            model(x)  # counted per module: "ResNet.layer1", ...
        outputs = {"stem": model.maxpool(model.relu(model.bn1(model.conv1(x))))}
        for name in PARTS[1:5]:
            outputs[name] = getattr(model, name)(outputs[list(outputs)[-1]])
        outputs["head"] = model.fc(torch.flatten(model.avgpool(outputs["layer4"]), 1))
    flops = counter.get_flop_counts()
    parts = []
    for name in PARTS:
        keys = {"stem": ["ResNet.conv1"], "head": ["ResNet.fc"]}.get(name, [f"ResNet.{name}"])
        count = sum(sum(flops.get(key, {}).values()) for key in keys)
        params = sum(p.numel() for module in members[name] for p in module.parameters())
        blocks = len(getattr(model, name)) if name.startswith("layer") else 0
        parts.append(Part(name, blocks, tuple(outputs[name].shape[1:]), params, count / 1e9))
    return parts


def architecture_table(parts: list[Part]) -> str:
    """A Markdown table of the parts, with a total row."""
    lines = ["| part | bottleneck blocks | output (C×H×W) | parameters | GFLOPs |", "| --- | ---: | --- | ---: | ---: |"]
    for p in parts:
        shape = "×".join(str(d) for d in p.output)
        lines.append(f"| {p.name} | {p.blocks or '–'} | {shape} | {p.params:,} | {p.gflops:.2f} |")
    total_params, total_flops = sum(p.params for p in parts), sum(p.gflops for p in parts)
    lines.append(f"| **total** | **{sum(p.blocks for p in parts)}** | 1000 logits | **{total_params:,}** | **{total_flops:.2f}** |")
    return "\n".join(lines)


def image_story(explanation: Explanation, categories: list[str]) -> str:
    """What the residual blocks did to this image, in plain words (Markdown)."""
    blocks = explanation.blocks
    if not blocks:
        return ""
    strongest = max(blocks, key=lambda b: b.ratio)
    weakest = min(blocks, key=lambda b: b.ratio)
    opposing = [b.name for b in blocks if b.cosine < 0]
    top = explanation.top5[0]
    text = [
        f"For your image (top-1: **{top.name}**, {top.probability:.1%}):",
        f"- The block that changed the signal most is **{strongest.name}**: its residual branch F(x) is "
        f"{strongest.ratio:.2f}× as large as the shortcut x it adds to.",
        f"- The block that changed it least is **{weakest.name}** ({weakest.ratio:.2f}×): there the shortcut "
        "carries the signal almost unchanged.",
    ]
    if opposing:
        text.append(f"- In {', '.join(opposing)} the correction points against the signal (cosine < 0): these blocks suppress features.")
    else:
        text.append("- Every block's correction points along the signal (cosine ≥ 0): each one reinforces what came in.")
    return "\n".join(text)

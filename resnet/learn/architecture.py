"""ResNet50's architecture read off the model itself: shapes, parameters, FLOPs per part.

FLOPs here are floating-point operations, two per multiply-add, as ``torch.utils.flop_counter``
counts them: ResNet50 needs about 8.2 GFLOPs per 224×224 image. torchvision's model card says
4.09 "GFLOPS" for the same model because it counts multiply-adds (MACs); ``Part.gmacs`` is that
figure.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from resnet.core.explainer import Explainer
from resnet.core.network import STAGE_NAMES, STEM, head, stage_ends, walk

PARTS = ("stem", "layer1", "layer2", "layer3", "layer4", "head")


@dataclass(frozen=True)
class Part:
    name: str  # "stem", "layer1".."layer4", "head"
    blocks: int  # bottleneck blocks in the stage (0 for stem and head)
    output: tuple[int, ...]  # output shape of one image, e.g. (256, 56, 56)
    params: int  # parameters
    gflops: float  # floating-point operations for one 224×224 image, in billions (2 per multiply-add)

    @property
    def gmacs(self) -> float:
        """Multiply-adds in billions: the unit torchvision's "GFLOPS" of 4.09 counts."""
        return self.gflops / 2


def architecture(explainer: Explainer) -> list[Part]:
    """Measure each part of the network on one blank 224×224 image.

    The FLOP counter hooks modules globally, so it runs on a private copy of the model, made on
    PyTorch's "meta" device: shapes without data, so measuring costs no second 100 MB model.
    Parameters are counted on the model itself.
    """
    real = explainer.model
    members = {
        "stem": [getattr(real, name) for name in STEM],
        **{name: [getattr(real, name)] for name in STAGE_NAMES},
        "head": [real.avgpool, real.fc],
    }
    model = _meta_copy(real)
    x = torch.zeros(1, 3, 224, 224, device="meta")
    counter = FlopCounterMode(display=False)
    with torch.inference_mode():
        with counter:
            model(x)  # counted per module: "ResNet.layer1", ...
        ends = stage_ends(model)
        outputs = {ends[step.name]: step.output for step in walk(model, x) if step.name in ends}
        outputs["head"] = head(model, outputs["layer4"])
    flops = counter.get_flop_counts()
    parts = []
    for name in PARTS:
        keys = {"stem": ["ResNet.conv1"], "head": ["ResNet.fc"]}.get(name, [f"ResNet.{name}"])
        count = sum(sum(flops.get(key, {}).values()) for key in keys)
        params = sum(p.numel() for module in members[name] for p in module.parameters())
        blocks = len(getattr(model, name)) if name.startswith("layer") else 0
        parts.append(Part(name, blocks, tuple(outputs[name].shape[1:]), params, count / 1e9))
    return parts


def _meta_copy(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``model`` whose parameters and buffers are float32 tensors on the meta device,
    its BatchNorm layers left out."""
    memo = {}
    for tensor in [*model.parameters(), *model.buffers()]:
        meta = tensor.detach().to("meta", torch.float32 if tensor.is_floating_point() else tensor.dtype)
        memo[id(tensor)] = (
            torch.nn.Parameter(meta, tensor.requires_grad) if isinstance(tensor, torch.nn.Parameter) else meta
        )
    meta_model = copy.deepcopy(model, memo)
    # BatchNorm keeps shapes and the counter counts none of its work, but on the meta device it
    # runs PyTorch's Python decomposition (three quarters of the measuring time): left out.
    for module in list(meta_model.modules()):
        for name, child in module.named_children():
            if isinstance(child, torch.nn.BatchNorm2d):
                setattr(module, name, torch.nn.Identity())
    return meta_model

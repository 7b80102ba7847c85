"""Helpers shared by the test modules (imported as ``helpers``; never from another test module)."""

from __future__ import annotations

import copy
import re
import socket
import types
from pathlib import Path

import torch
import torch.nn.functional as nnf

from resnet.cams.methods import METHODS
from resnet.core.heads import Head


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A memory figure of a process from /proc (VmRSS: resident now, VmHWM: peak resident)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def reference_with_head(reference_model, head: Head) -> torch.nn.Module:
    """torchvision's resnet50 with ``fc`` replaced by a Linear(2048, K) holding the head."""
    model = copy.deepcopy(reference_model)
    model.fc = torch.nn.Linear(2048, len(head.classes))
    with torch.no_grad():
        model.fc.weight.copy_(torch.from_numpy(head.weight))
        model.fc.bias.copy_(torch.from_numpy(head.bias))
    return model.eval()


def residual_branch(block, x):
    """F(x) of a torchvision bottleneck, written out with torch.nn.functional's out-of-place ReLU."""
    out = nnf.relu(block.bn1(block.conv1(x)))
    out = nnf.relu(block.bn2(block.conv2(out)))
    return block.bn3(block.conv3(out))


def shortcut_branch(block, x):
    return x if block.downsample is None else block.downsample(x)


def with_lesions(reference_model, removed: dict[str, str]):
    """A copy of torchvision's model whose named blocks lose their residual branch or their shortcut."""
    model = copy.deepcopy(reference_model)
    for name, what in removed.items():
        stage, index = name.split(".")
        block = getattr(model, stage)[int(index)]
        if what == "residual":
            block.forward = types.MethodType(lambda self, x: nnf.relu(shortcut_branch(self, x)), block)
        else:
            block.forward = types.MethodType(lambda self, x: nnf.relu(residual_branch(self, x)), block)
    return model.eval()


def block_gradients(model, x, cam_class):
    """‖∂ logit / ∂ output‖ at the stem's output and every block's, by autograd with backward hooks."""
    grads = {}
    hooks = [model.maxpool.register_full_backward_hook(lambda m, gi, go: grads.__setitem__("stem", go[0]))]
    for stage in ("layer1", "layer2", "layer3", "layer4"):
        for i, block in enumerate(getattr(model, stage)):
            name = f"{stage}.{i}"
            hooks.append(block.register_full_backward_hook(lambda m, gi, go, n=name: grads.__setitem__(n, go[0])))
    try:
        model(torch.from_numpy(x)[None].requires_grad_())[0, cam_class].backward()
    finally:
        for hook in hooks:
            hook.remove()
    return {name: float(g.norm()) for name, g in grads.items()}


# Latin words a Chinese page may show: names of things (the model, its parts, the CAM methods,
# file formats, units) that stay as they are in Chinese texts too.
NAMES = {w.lower() for name in METHODS for w in (name, *re.findall(r"[A-Za-z]+", name))}
# Each line: names of things; file formats and a unit; more formats and a cache's name; the model's parts (stage names stay as they
# are, fc.weight and fc.bias by their names); the raced networks (plain-20, resnet-56); authors,
# venues, data sets and measures; notation.
ALLOWED_WORDS = """
resnet resnet50 imagenet imagenet-1k imagenet1k_v1 imagenet1k_v2 cam grad-cam torchvision pytorch gradio scikit-learn
json png csv tsv mp4 mov avi webm pth safetensors mb
stem layer conv bn relu maxpool fc logit batchnorm gflops road cpu api weight bias
plain
jpeg gif webp bmp tiff torch hub
adebayo petsiuk spearman he cvpr cifar rise auc veit neurips ssim
cos log
"""
ALLOWED_LATIN = NAMES | set(ALLOWED_WORDS.split())
# Text that is not words: hashes and file names.
NOT_WORDS = re.compile(r"\b[0-9a-f]{8}\b|[\w.-]+\.(?:pth|pt|jpg|png)\b")


def english_words(text: str) -> set[str]:
    """The Latin words in ``text`` that a Chinese page should not show (see ``ALLOWED_LATIN``)."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9_\-]+", NOT_WORDS.sub(" ", text))
    return {w for w in words if not {w.lower(), w.lower().rstrip("-0123456789")} & ALLOWED_LATIN}

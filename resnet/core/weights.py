"""Which ResNet50 weights to use, where they come from, and where the model runs.

Weights are named by a *spec*:

- ``IMAGENET1K_V2`` (default) or ``IMAGENET1K_V1``: torchvision's Weights enum, read from the
  torch hub cache (``$TORCH_HOME/hub/checkpoints``) and downloaded there once if missing.
- a path to a ``state_dict`` saved as ``.pth`` / ``.pt`` or ``.safetensors``.
- ``random``: a seeded, untrained network for offline smoke runs.

A file whose sha256 starts with the hash torchvision publishes in its file name is reported
under that name; any other file is reported as custom weights with its short hash.
"""

from __future__ import annotations

import hashlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torchvision.models import ResNet50_Weights, resnet50
from torchvision.transforms._presets import ImageClassification

log = logging.getLogger(__name__)

DEFAULT_SPEC = "IMAGENET1K_V2"
RANDOM_SPEC = "random"
PRETRAINED = {w.name: w for w in ResNet50_Weights}  # IMAGENET1K_V1, IMAGENET1K_V2
SPEC_ENV = "RESNET_WEIGHTS"  # default spec when none is given
OFFLINE_ENV = "RESNET_OFFLINE"  # "1": never download; use the cache or fall back


@dataclass(frozen=True)
class LoadedWeights:
    """A ready ResNet50 (eval mode, on its device) and the truth about its weights."""

    model: nn.Module
    name: str  # "IMAGENET1K_V2", "IMAGENET1K_V1", "custom" or "random"
    source: str  # file the weights came from, or "seed N" for random weights
    sha256: str | None  # full hex digest of the file; None for random weights
    transforms: ImageClassification  # the exact preprocessing these weights expect
    categories: list[str]  # 1000 ImageNet-1k class names, index = class id
    device: torch.device
    warning: str | None = None  # what a user must be told (untrained, fallback, mismatch)

    @property
    def trained(self) -> bool:
        return self.name != RANDOM_SPEC

    @property
    def memory_format(self) -> torch.memory_format:
        """How the model and its inputs lay out tensors: channels-last on CUDA, where it is faster."""
        return memory_format_for(self.device)

    @property
    def short_hash(self) -> str | None:
        return self.sha256[:8] if self.sha256 else None

    def describe(self) -> str:
        """One line saying which weights these are, e.g. ``ResNet50 · IMAGENET1K_V2 · top-1 80.9%``."""
        if self.name in PRETRAINED:
            top1 = PRETRAINED[self.name].meta["_metrics"]["ImageNet-1K"]["acc@1"]
            return f"ResNet50 · {self.name} · top-1 {top1:.1f}%"
        if self.name == "custom":
            return f"ResNet50 · custom weights {self.short_hash} ({Path(self.source).name})"
        return f"ResNet50 · random weights ({self.source}) · UNTRAINED"


def resolve_device(choice: str = "auto") -> torch.device:
    """``auto`` picks CUDA when available; ``cuda`` without a GPU is an error."""
    choice = choice.lower()
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cpu":
        return torch.device("cpu")
    if choice.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"--device {choice} was asked for, but no CUDA GPU is visible; use --device cpu or auto.")
        return torch.device(choice)
    raise ValueError(f"Unknown device {choice!r}: choose auto, cpu or cuda.")


def hub_checkpoint_path(weights: ResNet50_Weights) -> Path:
    """Where torch hub caches this enum member's file (honours ``$TORCH_HOME``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights.url)


def published_hash_prefix(weights: ResNet50_Weights) -> str:
    """The sha256 prefix torchvision puts in the file name, e.g. ``11ad3fa6``."""
    return Path(weights.url).stem.rsplit("-", 1)[-1]


def known_weights_name(sha256: str) -> str | None:
    """The enum name of a torchvision file with this sha256, or None if it is not one."""
    for name, weights in PRETRAINED.items():
        if sha256.startswith(published_hash_prefix(weights)):
            return name
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read a ``state_dict`` without running any code from the file (``weights_only``)."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # each loader has its own error types for bad files
        raise ValueError(
            f"Could not read weights from {path}: {err.__class__.__name__}: {err}. "
            "The file is truncated, corrupt or not a PyTorch/safetensors state_dict; "
            "download it again or pass another file with --weights."
        ) from err
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]  # a training checkpoint that wraps the weights
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} does not hold a state_dict (a mapping of parameter names to tensors).")
    return {k.removeprefix("module."): v for k, v in state.items()}  # DataParallel prefix


def build_model(state: dict[str, torch.Tensor] | None, source: str) -> nn.Module:
    """A torchvision ResNet50 with these weights (random init when ``state`` is None).

    With weights, the model is built on the meta device and takes the loaded tensors as its own
    (no random init to overwrite: 0.45 s on 2 cores, and no second copy of the weights)."""
    if state is None:
        return resnet50(weights=None)
    with torch.device("meta"):
        model = resnet50(weights=None)
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}  # fp16/bf16 files too
    try:
        model.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as err:
        first_line = str(err).splitlines()[0]
        raise ValueError(
            f"{source} is not a ResNet50 ImageNet-1k checkpoint ({first_line} ...). "
            "Pass a state_dict of torchvision.models.resnet50 with a 1000-class fc layer."
        ) from err
    return model


def _place(model: nn.Module, device: torch.device) -> nn.Module:
    """Eval mode, frozen parameters (never needed here), on the device in its memory format."""
    model.eval().requires_grad_(False)
    return model.to(device=device, memory_format=memory_format_for(device))


def memory_format_for(device: torch.device) -> torch.memory_format:
    """Channels-last on CUDA, where convolutions run faster in it; the default elsewhere."""
    return torch.channels_last if device.type == "cuda" else torch.contiguous_format


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").lower() in ("1", "true", "yes")


def _from_file(path: Path, device: torch.device, expected: str | None = None) -> LoadedWeights:
    """Load a local checkpoint; ``expected`` is the enum name when it came from the hub cache."""
    with ThreadPoolExecutor(1) as hashing:  # hashlib lets go of the GIL: the file is hashed while it loads
        digest = hashing.submit(sha256_of, path)
        model = build_model(read_state_dict(path), str(path))
        digest = digest.result()
    name = known_weights_name(digest) or "custom"
    warning = None
    if expected and name != expected:
        warning = (
            f"The cached file {path} does not match torchvision's {expected} "
            f"(sha256 {digest[:8]}, expected {published_hash_prefix(PRETRAINED[expected])}...); "
            "it is used and reported as custom weights. Delete it to download the real file again."
        )
        log.warning(warning)
    preset = PRETRAINED.get(name, PRETRAINED[DEFAULT_SPEC])
    return LoadedWeights(
        model=_place(model, device),
        name=name,
        source=str(path),
        sha256=digest,
        transforms=preset.transforms(),
        categories=list(preset.meta["categories"]),
        device=device,
        warning=warning,
    )


def random_weights(device: torch.device, seed: int = 0, warning: str | None = None) -> LoadedWeights:
    """A seeded, untrained ResNet50; its predictions are meaningless."""
    with torch.random.fork_rng(devices=[]):  # leave the caller's random state alone
        torch.manual_seed(seed)
        model = build_model(None, "random")
    preset = PRETRAINED[DEFAULT_SPEC]
    return LoadedWeights(
        model=_place(model, device),
        name=RANDOM_SPEC,
        source=f"seed {seed}",
        sha256=None,
        transforms=preset.transforms(),
        categories=list(preset.meta["categories"]),
        device=device,
        warning=warning
        or "These weights are random and untrained: the predictions and heatmaps are meaningless. "
        "Start the app with --weights IMAGENET1K_V2 (or a checkpoint path) for a real model.",
    )


def _pretrained(name: str, device: torch.device, fallback: bool) -> LoadedWeights:
    weights = PRETRAINED[name]
    path = hub_checkpoint_path(weights)
    if not path.exists():
        if _offline():
            reason = f"{OFFLINE_ENV}=1 and the file is not in the cache"
        else:
            try:
                log.info("Downloading %s weights to %s (once; later starts use the cache)", name, path)
                path.parent.mkdir(parents=True, exist_ok=True)
                torch.hub.download_url_to_file(weights.url, str(path), published_hash_prefix(weights), progress=True)
                reason = None
            except Exception as err:  # no network, proxy, disk full, bad hash ...
                reason = f"download failed: {err.__class__.__name__}: {err}"
        if reason:
            fix = (
                f"To fix: connect to the internet once and restart (the file is cached in {path.parent}), "
                f"or download {weights.url} into {path.parent}, or pass --weights PATH to a local checkpoint."
            )
            if not fallback:
                raise ValueError(f"The {name} weights are not available ({reason}). {fix}")
            warning = (
                f"The pretrained {name} weights could not be loaded ({reason}). Running with RANDOM, "
                f"untrained weights: predictions are meaningless. {fix}"
            )
            log.warning(warning)
            return random_weights(device, warning=warning)
    return _from_file(path, device, expected=name)


def _resolve_spec(spec: str | None) -> str:
    """The spec given, else ``$RESNET_WEIGHTS``, else the default."""
    return spec or os.environ.get(SPEC_ENV) or DEFAULT_SPEC


def pending_download(spec: str | None = None) -> ResNet50_Weights | None:
    """The enum member that ``load_weights(spec)`` would download now (not cached, not offline)."""
    weights = PRETRAINED.get(_resolve_spec(spec).upper())
    if weights is None or _offline() or hub_checkpoint_path(weights).exists():
        return None
    return weights


def load_weights(spec: str | None = None, device: str = "auto", fallback: bool = False) -> LoadedWeights:
    """Load ResNet50 weights by spec (see module docstring).

    Args:
        spec: ``IMAGENET1K_V2``, ``IMAGENET1K_V1``, ``random`` or a checkpoint path; None means
            ``$RESNET_WEIGHTS`` or ``IMAGENET1K_V2``.
        device: ``auto``, ``cpu`` or ``cuda``.
        fallback: when pretrained weights cannot be had, use random ones with a warning
            instead of raising (the app does this; the CLI does not).
    """
    spec = _resolve_spec(spec)
    target = resolve_device(device)
    if spec.upper() in PRETRAINED:
        return _pretrained(spec.upper(), target, fallback)
    if spec.lower() == RANDOM_SPEC:
        return random_weights(target)
    path = Path(spec).expanduser()
    if not path.is_file():
        choices = ", ".join([*PRETRAINED, RANDOM_SPEC])
        raise ValueError(f"Weights {spec!r} are neither one of {choices} nor an existing checkpoint file.")
    return _from_file(path, target)

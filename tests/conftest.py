"""Shared fixtures: one input-sensitive test checkpoint and one model per test session.

Pretrained weights cannot be downloaded in tests (offline). A plain random ResNet50 gives
nearly the same top-5 for every image, which would hide mixed-up requests or a missed EXIF
rotation, so the test checkpoint is made input-sensitive: BatchNorm statistics recalibrated on
the example photos, and an ``fc`` layer centred and scaled so logits spread.

A random deep network is also chaotic: a 2% change at the stem (JPEG re-encoding) became a 74%
change at layer4, so the same picture saved twice got different answers. Scaling every residual
branch down (the last BatchNorm of each block starts at RESIDUAL_GAMMA, as in "zero-init
residual" training) keeps it smooth: the same picture keeps its top-1 across encodings, while a
rotated or different photo still changes it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from helpers import free_port as pick_free_port
from hypothesis import settings
from torchvision.models import ResNet50_Weights, resnet50

from resnet import Explainer, load_image, load_weights
from resnet.core.preprocess import model_input

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
PHOTOS = sorted(ASSETS.glob("*.jpg"))
LOGIT_STD = 4.0  # spread of test logits across classes: clear top-1s, non-trivial top-5s
RESIDUAL_GAMMA = 0.1  # initial scale of every residual branch (bn3.weight)

# Fuzzing: CI draws the same examples every run, so a red run replays exactly (HYPOTHESIS_PROFILE=ci
# does the same here); a developer's run keeps exploring new ones.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True, scope="session")
def _offline_environment(tmp_path_factory):
    """No test may download weights: empty hub cache, offline switch on."""
    patch = pytest.MonkeyPatch()
    patch.setenv("RESNET_OFFLINE", "1")
    patch.setenv("TORCH_HOME", str(tmp_path_factory.mktemp("torch_home")))
    patch.delenv("RESNET_WEIGHTS", raising=False)
    patch.setenv("RESNET_CHANNEL_CACHE", str(tmp_path_factory.mktemp("channel_cache")))  # never the user's
    yield
    patch.undo()


def _stage_features(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Pooled layer4 features (B, 2048)."""
    backbone = torch.nn.Sequential(*list(model.children())[:-1])
    return torch.flatten(backbone(x), 1)


def make_test_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """A seeded ResNet50 whose predictions depend on the image (see module docstring)."""
    transforms = ResNet50_Weights.IMAGENET1K_V2.transforms()
    x = torch.cat([model_input(load_image(p), transforms)[0] for p in PHOTOS])  # (6, 3, 224, 224)
    x = torch.cat([x, x.flip(-1)])  # (12, 3, 224, 224)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = resnet50(weights=None)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # cumulative average: the statistics of this batch
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in stage:
            torch.nn.init.constant_(block.bn3.weight, RESIDUAL_GAMMA)
    with torch.no_grad():
        model.train()
        model(x)
        model.eval()
        features = _stage_features(model, x)  # (12, 2048)
        weight = model.fc.weight / (features.std(0) + 1e-3)  # (1000, 2048)
        bias = -(weight @ features.mean(0))  # centre: logits follow what differs between photos
        scale = LOGIT_STD / (features @ weight.T + bias).std()
        model.fc.weight.copy_(weight * scale)
        model.fc.bias.copy_(bias * scale)
    return model.state_dict()


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> Path:
    """The test checkpoint saved as a user's ``.pth`` file."""
    path = tmp_path_factory.mktemp("weights") / "test-resnet50.pth"
    torch.save(make_test_state_dict(), path)
    return path


@pytest.fixture(scope="session")
def weights(checkpoint):
    return load_weights(str(checkpoint), device="cpu")


@pytest.fixture(scope="session")
def explainer(weights) -> Explainer:
    return Explainer(weights)


@pytest.fixture(scope="session")
def reference_model(checkpoint) -> torch.nn.Module:
    """torchvision's own ResNet50 with the same weights, loaded independently of our code."""
    model = resnet50(weights=None)
    model.load_state_dict(torch.load(checkpoint, weights_only=True))
    return model.eval()


@pytest.fixture
def free_port() -> int:
    return pick_free_port()


@pytest.fixture(scope="session")
def served(explainer):
    """The real app on a free loopback port, for the whole session: (demo, url)."""
    from ui.page import build_demo, launch

    port = pick_free_port()
    demo = build_demo(explainer)
    launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield demo, f"http://127.0.0.1:{port}"
    demo.close()


@pytest.fixture(scope="session")
def server(served) -> str:
    return served[1]


@pytest.fixture(scope="session")
def client(server):
    from gradio_client import Client

    return Client(server, verbose=False)


@pytest.fixture(scope="session")
def photos() -> list[Path]:
    """The six example photos from assets/."""
    return PHOTOS


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` run only where CUDA is available (bench/gpu_check.sh runs them); a
    test that starts the real server (``served``, ``server``, ``client``) is ``slow``."""
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip)
        if {"served", "server", "client"} & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)

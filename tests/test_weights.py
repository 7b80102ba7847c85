"""Weights: hub cache, local files, hash naming, fallback, bad checkpoints."""

from __future__ import annotations

import hashlib
import pickle
import shutil

import pytest
import torch
from safetensors.torch import save_file
from torchvision.models import ResNet50_Weights, resnet18, resnet50

from resnet import load_weights
from resnet.core.weights import hub_checkpoint_path, known_weights_name, resolve_device

V2 = ResNet50_Weights.IMAGENET1K_V2


def same_parameters(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_local_pth_is_named_custom_with_its_hash(checkpoint, weights, reference_model):
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert weights.name == "custom"
    assert weights.sha256 == digest
    assert weights.describe() == f"ResNet50 · custom weights {digest[:8]} (test-resnet50.pth)"
    assert weights.trained and weights.warning is None
    assert same_parameters(weights.model, reference_model)
    assert not any(p.requires_grad for p in weights.model.parameters())
    assert not weights.model.training


def test_safetensors_file_loads_the_same_weights(tmp_path, checkpoint, weights):
    path = tmp_path / "model.safetensors"
    save_file(torch.load(checkpoint, weights_only=True), str(path))
    loaded = load_weights(str(path), device="cpu")
    assert same_parameters(loaded.model, weights.model)
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_half_precision_checkpoint_loads_as_float32(tmp_path, checkpoint):
    path = tmp_path / "half.pth"
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in torch.load(checkpoint).items()}, path)
    loaded = load_weights(str(path), device="cpu").model
    state = loaded.state_dict()
    assert all(t.device.type == "cpu" for t in state.values())  # built on meta: every tensor was given
    assert {t.dtype for t in state.values()} == {torch.float32, torch.int64}
    reference = resnet50(weights=None)  # torchvision's own loading copies the half tensors into float32 ones
    reference.load_state_dict(torch.load(path, weights_only=True))
    assert same_parameters(loaded, reference)


def test_hub_cache_is_used_without_downloading(tmp_path, monkeypatch, checkpoint, weights):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    cached = hub_checkpoint_path(V2)
    assert cached == tmp_path / "hub" / "checkpoints" / "resnet50-11ad3fa6.pth"
    cached.parent.mkdir(parents=True)
    shutil.copy(checkpoint, cached)
    loaded = load_weights("IMAGENET1K_V2", device="cpu")
    assert loaded.source == str(cached)
    assert same_parameters(loaded.model, weights.model)
    # The test file is not torchvision's, so it must not be passed off as IMAGENET1K_V2.
    assert loaded.name == "custom"
    assert "does not match torchvision's IMAGENET1K_V2" in loaded.warning
    assert loaded.transforms.resize_size == [232]


def test_env_variable_chooses_the_weights(monkeypatch, checkpoint, weights):
    monkeypatch.setenv("RESNET_WEIGHTS", str(checkpoint))
    assert load_weights(device="cpu").sha256 == weights.sha256


@pytest.mark.parametrize(
    ("digest", "name"),
    [("11ad3fa6" + "0" * 56, "IMAGENET1K_V2"), ("0676ba61" + "f" * 56, "IMAGENET1K_V1"), ("12345678" + "0" * 56, None)],
)
def test_known_torchvision_hashes_are_named(digest, name):
    assert known_weights_name(digest) == name


def test_pretrained_description_names_enum_and_accuracy(weights):
    import dataclasses

    named = dataclasses.replace(weights, name="IMAGENET1K_V2")
    assert named.describe() == "ResNet50 · IMAGENET1K_V2 · top-1 80.9%"
    assert dataclasses.replace(weights, name="IMAGENET1K_V1").describe() == "ResNet50 · IMAGENET1K_V1 · top-1 76.1%"


def test_missing_pretrained_weights_fall_back_to_random_with_a_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    loaded = load_weights("IMAGENET1K_V2", device="cpu", fallback=True)
    assert loaded.name == "random" and not loaded.trained
    assert "UNTRAINED" in loaded.describe()
    for hint in ("RANDOM", "meaningless", str(tmp_path / "hub" / "checkpoints"), "--weights PATH", V2.url):
        assert hint in loaded.warning
    with pytest.raises(ValueError, match="not available"):
        load_weights("IMAGENET1K_V2", device="cpu", fallback=False)


def test_random_weights_are_seeded_and_flagged():
    a, b = load_weights("random", device="cpu"), load_weights("random", device="cpu")
    assert same_parameters(a.model, b.model)
    assert a.name == "random" and "untrained" in a.warning


def test_truncated_checkpoint_gives_a_clear_error(tmp_path, checkpoint):
    bad = tmp_path / "truncated.pth"
    bad.write_bytes(checkpoint.read_bytes()[: checkpoint.stat().st_size // 2])
    with pytest.raises(ValueError, match="truncated, corrupt"):
        load_weights(str(bad), device="cpu")


def test_other_architecture_is_rejected(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(resnet18().state_dict(), path)
    with pytest.raises(ValueError, match="not a ResNet50 ImageNet-1k checkpoint"):
        load_weights(str(path), device="cpu")


class _Exploit:
    def __reduce__(self):
        return (print, ("code ran while loading",))


def test_pickle_with_code_is_refused(tmp_path, capsys):
    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"fc.weight": _Exploit()}, f)
    with pytest.raises(ValueError, match="Could not read weights"):
        load_weights(str(path), device="cpu")
    assert "code ran" not in capsys.readouterr().out


def test_unknown_spec_lists_the_choices():
    with pytest.raises(ValueError, match="IMAGENET1K_V1, IMAGENET1K_V2, random"):
        load_weights("no/such/file.pth", device="cpu")


def test_device_choices():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="choose auto, cpu or cuda"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")

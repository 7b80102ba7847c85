"""Hostile head files (Teach tab upload, ``explain --head``): a head the Teach tab could have made,
or a ValueError whose sentence says what is wrong; never another error, never the file's path."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import save_file

from resnet.core.heads import FEATURES, Head, HeadCache, fingerprint, load_head, save_head
from resnet.learn.teaching import MAX_CLASSES, MIN_CLASSES

BACKBONE = "ab" * 32
EXAMPLES = 500


def write(path, weight, bias, classes, backbone=BACKBONE) -> str:
    metadata = {"classes": classes if isinstance(classes, str) else json.dumps(classes), "backbone_sha256": backbone}
    save_file({"weight": weight, "bias": bias}, str(path), metadata=metadata)
    return str(path)


def good(k: int = 3):
    rng = np.random.default_rng(k)
    return rng.normal(size=(k, FEATURES)).astype(np.float32), rng.normal(size=k).astype(np.float32)


def check(path) -> Head | None:
    """Load; a Head must be one the Teach tab could make; an error must be a sentence without the path."""
    try:
        head = load_head(path)
    except ValueError as err:
        message = str(err)
        assert message.endswith(".") and str(path) not in message and "/tmp" not in message
        return None
    assert MIN_CLASSES <= len(head.classes) <= MAX_CLASSES and len(set(head.classes)) == len(head.classes)
    assert head.weight.shape == (len(head.classes), FEATURES) and head.weight.dtype == np.float32
    assert np.isfinite(head.weight).all() and np.isfinite(head.bias).all()
    return head


@pytest.mark.parametrize(
    ("classes", "change", "message"),
    [
        ('"abc"', None, "list of 2 to 10 different names"),  # a JSON string once became 3 classes
        ({"a": 1, "b": 2}, None, "list of 2 to 10 different names"),
        ("5", None, "list of 2 to 10 different names"),  # once a TypeError
        (["only"], None, "list of 2 to 10 different names"),
        (["cat", "cat", "dog"], None, "different names"),
        (["cat", "", "dog"], None, "different names"),
        (["cat", "dog", "owl"], "nan", "NaN"),
        (["cat", "dog", "owl"], "inf", "infinities"),
        (["cat", "dog", "owl"], "int", "floating-point"),
        (["cat", "dog"], None, r"needs weight \(2, 2048\)"),  # 3 rows of weights for 2 classes
        (["cat", "dog", "owl"], "backbone", "sha256"),
    ],
)
def test_each_kind_of_bad_head_gets_its_sentence(tmp_path, classes, change, message):
    weight, bias = good(3)
    backbone = BACKBONE
    if change == "nan":
        weight[1, 5] = np.nan
    elif change == "inf":
        bias[0] = np.inf
    elif change == "int":
        weight, bias = weight.astype(np.int32), bias.astype(np.int32)
    elif change == "backbone":
        backbone = "not a hash"
    path = write(tmp_path / "head.safetensors", weight, bias, classes, backbone)
    with pytest.raises(ValueError, match=message) as caught:
        load_head(path)
    assert str(tmp_path) not in str(caught.value)


def test_a_good_head_and_a_huge_file(tmp_path):
    weight, bias = good(4)
    head = check(write(tmp_path / "good.safetensors", weight, bias, ["a", "b", "c", "d"]))
    assert head is not None and head.classes == ["a", "b", "c", "d"]
    huge = tmp_path / "huge.safetensors"
    huge.write_bytes(b"\0" * (2**20 + 1))
    with pytest.raises(ValueError, match="over 1024 KB"):
        load_head(huge)


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> bytes:
    weight, bias = good(3)
    path = tmp_path_factory.mktemp("heads") / "head.safetensors"
    save_head(Head(weight, bias, ["kettle", "teapot", "mug"], BACKBONE), path)
    return path.read_bytes()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["flip", "run", "truncate"]),
    position=st.floats(0, 1, exclude_max=True),
    value=st.integers(0, 255),
    length=st.integers(1, 64),
)
def test_any_mutated_head_file_is_a_head_or_a_sentence(tmp_path_factory, original, kind, position, value, length):
    at = int(position * len(original))
    if kind == "flip":
        data = bytearray(original)
        data[at] ^= 1 << (value % 8)
        data = bytes(data)
    elif kind == "run":
        data = original[:at] + bytes([value]) * length + original[at + length :]
    else:
        data = original[:at]
    path = tmp_path_factory.mktemp("mutated") / "head.safetensors"
    path.write_bytes(data)
    check(path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=70),
    lambda inner: st.lists(inner, max_size=12) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(classes=json_values)
def test_any_classes_metadata_is_a_head_or_a_sentence(tmp_path_factory, classes):
    k = len(classes) if isinstance(classes, list) and 1 <= len(classes) <= 12 else 3
    weight, bias = good(k)
    path = write(tmp_path_factory.mktemp("classes") / "head.safetensors", weight, bias, classes)
    head = check(path)
    if head is not None:
        assert head.classes == classes


def test_the_head_cache_makes_each_head_once_and_keeps_the_last_used():
    made = []
    cache = HeadCache(lambda head: made.append(head.classes) or len(made), keep=2)
    heads = [Head(*good(3), [f"c{i}", "b", "a"], BACKBONE) for i in range(3)]
    same_as_first = Head(heads[0].weight.copy(), heads[0].bias.copy(), ["c0", "b", "a"], BACKBONE)
    assert fingerprint(same_as_first) == fingerprint(heads[0]) != fingerprint(heads[1])
    assert [cache.of(heads[0]), cache.of(same_as_first), cache.of(heads[1])] == [1, 1, 2]
    assert cache.of(heads[0]) == 1  # used last: kept, so heads[1] is the oldest
    assert cache.of(heads[2]) == 3  # a third head pushes out heads[1]
    assert cache.of(heads[0]) == 1 and cache.of(heads[1]) == 4
    assert len(made) == 4

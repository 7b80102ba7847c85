"""The Learn tab's table is measured from the model: check it against known ResNet50 facts."""

from __future__ import annotations

import pytest
import torch
from torchvision.models import resnet50

from resnet.core.network import block_names
from resnet.learn.architecture import architecture
from ui.tabs.learn import architecture_table


def test_parts_match_the_resnet50_design(explainer):
    parts = {p.name: p for p in architecture(explainer)}
    assert list(parts) == ["stem", "layer1", "layer2", "layer3", "layer4", "head"]
    assert [parts[f"layer{i}"].blocks for i in range(1, 5)] == [3, 4, 6, 3]
    assert parts["layer3"].output == (1024, 14, 14) and parts["head"].output == (1000,)
    assert sum(p.params for p in parts.values()) == sum(p.numel() for p in resnet50().parameters()) == 25_557_032
    assert parts["layer1"].params == sum(p.numel() for p in explainer.model.layer1.parameters())
    total = sum(p.gflops for p in parts.values())
    assert 8.0 < total < 8.4  # two FLOPs per multiply-add
    assert sum(p.gmacs for p in parts.values()) == pytest.approx(4.09, abs=0.05)  # torchvision's "GFLOPS" figure
    conv1 = explainer.model.conv1
    assert abs(parts["stem"].gflops - 2 * 112 * 112 * 64 * 3 * 7 * 7 / 1e9) < 1e-6  # the 7×7 conv, counted by hand
    assert not any(m._forward_hooks for m in explainer.model.modules()) and conv1.weight.device == torch.device("cpu")


def test_table_lists_every_part_the_total_and_says_what_it_counts(explainer):
    table = architecture_table(architecture(explainer), "en")
    assert "| layer3 | 6 | 1024×14×14 | 7,098,368 |" in table and "**25,557,032**" in table
    assert "| G multiply-adds | GFLOPs |" in table and "4.09" in table and "multiply-adds" in table.split("\n")[-1]
    assert "| 部分 | 瓶颈块 |" in architecture_table(architecture(explainer), "zh-CN")


def test_block_names_are_read_off_the_model(explainer):
    names = block_names(explainer.model)
    assert names == [
        b.name for b in explainer.explain(__import__("PIL.Image").Image.new("RGB", (64, 64)), blocks=True).blocks
    ]
    assert len(names) == 16 and names[0] == "layer1.0" and names[-1] == "layer4.2"

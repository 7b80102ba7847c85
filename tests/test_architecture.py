"""The Learn tab's table is measured from the model: check it against known ResNet50 facts."""

from __future__ import annotations

import torch
from torchvision.models import resnet50

from resnet.architecture import architecture, architecture_table


def test_parts_match_the_resnet50_design(explainer):
    parts = {p.name: p for p in architecture(explainer)}
    assert [p for p in parts] == ["stem", "layer1", "layer2", "layer3", "layer4", "head"]
    assert [parts[f"layer{i}"].blocks for i in range(1, 5)] == [3, 4, 6, 3]
    assert parts["layer3"].output == (1024, 14, 14) and parts["head"].output == (1000,)
    assert sum(p.params for p in parts.values()) == sum(p.numel() for p in resnet50().parameters()) == 25_557_032
    assert parts["layer1"].params == sum(p.numel() for p in explainer.model.layer1.parameters())
    total = sum(p.gflops for p in parts.values())
    assert 8.0 < total < 8.4  # ResNet50: about 4.1 billion multiply-adds per 224×224 image
    conv1 = explainer.model.conv1
    assert abs(parts["stem"].gflops - 2 * 112 * 112 * 64 * 3 * 7 * 7 / 1e9) < 1e-6  # the 7×7 conv, counted by hand
    assert not any(m._forward_hooks for m in explainer.model.modules()) and conv1.weight.device == torch.device("cpu")


def test_table_lists_every_part_and_the_total(explainer):
    table = architecture_table(architecture(explainer))
    assert "| layer3 | 6 | 1024×14×14 | 7,098,368 |" in table and "**25,557,032**" in table

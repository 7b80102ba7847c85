"""The training race: twin networks, the CLI contract, and the shipped curves."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as nnf
from PIL import Image

from resnet.learn.race import CifarNet, load_data, train

from conftest import ROOT

SHIPPED = ROOT / "assets" / "race_digits.csv"


def test_plain_and_residual_twins_have_the_same_layers_and_weights():
    for depth in (8, 20, 56):
        plain, residual = CifarNet(depth, False), CifarNet(depth, True)
        weighted = [m for m in plain.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
        assert len(weighted) == depth  # depth counts the layers with weights: 6n convs, the stem, fc
        assert sum(p.numel() for p in plain.parameters()) == sum(p.numel() for p in residual.parameters())
    with pytest.raises(ValueError, match="6n \\+ 2"):
        CifarNet(21, True)


def test_a_residual_block_adds_its_zero_padded_input():
    torch.manual_seed(0)
    net = CifarNet(8, True).eval()
    block = net.blocks[1]  # 16 -> 32 channels, stride 2
    x = torch.randn(2, 16, 8, 8)
    branch = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(x)))))  # (2, 32, 4, 4)
    shortcut = torch.cat([x[:, :, ::2, ::2], torch.zeros(2, 16, 4, 4)], dim=1)
    with torch.no_grad():
        torch.testing.assert_close(block(x), nnf.relu(branch + shortcut))
        block.residual = False
        torch.testing.assert_close(block(x), nnf.relu(branch))


def test_training_reports_errors_it_can_recompute():
    data = load_data()
    assert data.train_x.shape == (1347, 1, 8, 8) and data.test_x.shape == (450, 1, 8, 8)
    points = list(train(8, True, data, epochs=2, seed=3))
    assert [p.epoch for p in points] == [1, 2] and points[-1].step == 2 * 22  # 1347 / 64 batches an epoch
    assert 0 <= points[-1].train_error <= 1 and points[-1].model == "resnet-8"
    again = list(train(8, True, data, epochs=2, seed=3))
    assert [p.train_error for p in again] == [p.train_error for p in points]  # seeded: the same race


@pytest.mark.slow
def test_the_race_command_writes_its_table_and_figure(tmp_path):
    out = tmp_path / "race"
    command = [sys.executable, "-m", "resnet", "race", "--depths", "8,14", "--epochs", "2", "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader((out / "race.csv").read_text().splitlines()))
    assert list(rows[0]) == [
        "model",
        "depth",
        "residual",
        "step",
        "epoch",
        "train_loss",
        "train_error",
        "test_error",
        "seconds",
    ]
    assert sorted({r["model"] for r in rows}) == ["plain-14", "plain-8", "resnet-14", "resnet-8"] and len(rows) == 8
    assert Image.open(out / "race.png").format == "PNG"
    bad = subprocess.run([*command[:5], "20,x", *command[6:]], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "whole numbers" in bad.stderr
    odd = subprocess.run([*command[:5], "21", *command[6:]], cwd=ROOT, capture_output=True, text=True)
    assert odd.returncode == 2 and "6n + 2" in odd.stderr


def test_the_shipped_race_shows_the_degradation_for_every_seed():
    rows = list(csv.DictReader(SHIPPED.read_text().splitlines()))
    seeds = sorted({r["seed"] for r in rows})
    assert len(seeds) == 3
    for seed in seeds:
        last = {}
        for row in rows:
            if row["seed"] == seed:
                last[row["model"]] = float(row["train_error"])  # rows are in training order
        assert last["plain-56"] > last["plain-20"] + 0.1, (seed, last)  # deeper plain: worse
        assert last["resnet-56"] <= last["resnet-20"] + 0.02, (seed, last)  # deeper residual: not worse

"""resnet.present.report and resnet.present.charts: the JSON record and the chart data agree with the engine."""

from __future__ import annotations

import json

import pytest

from resnet import load_image
from resnet.cams.methods import DEFAULT_METHOD, ROAD_METRIC
from resnet.present.charts import (
    COSINE,
    DOWN,
    RATIO,
    TOP_CHANNELS,
    UP,
    block_series,
    logit_bars,
    residual_summary,
    road_relies,
)
from resnet.present.report import build_report


@pytest.fixture(scope="module")
def full(explainer, photos):
    return explainer.explain(load_image(photos[3]), blocks=True)


def test_report_names_weights_classes_and_method(weights, full):
    report = build_report(weights, full, cam_class=281, contrast=282)
    assert report["weights"] == {
        "name": "custom",
        "sha256": weights.sha256,
        "description": weights.describe(),
        "trained": True,
    }
    assert report["explained_class"] == {"index": 281, "name": "tabby"}
    assert report["contrast_class"] == {"index": 282, "name": "tiger cat"}
    assert report["method"] == DEFAULT_METHOD and report["layer"] == "layer4"
    assert [p["index"] for p in report["top5"]] == [p.index for p in full.top5]
    assert "logit_decomposition" not in report and "faithfulness" not in report
    assert json.loads(json.dumps(report)) == report  # plain JSON types only


def test_report_decomposition_lists_the_charts_channels(explainer, weights, full):
    parts = explainer.logit_parts(full, full.cam_class)
    report = build_report(weights, full, cam_class=full.cam_class, logit_parts=parts, road=0.25)
    bars = logit_bars(parts)
    decomposition = report["logit_decomposition"]
    assert [c["channel"] for c in decomposition["channels_up"]] == [b.channel for b in bars if b.effect == UP]
    assert [c["channel"] for c in decomposition["channels_down"]] == [b.channel for b in bars if b.effect == DOWN]
    assert len(decomposition["channels_up"]) == TOP_CHANNELS
    assert decomposition["sum_of_contributions"] + decomposition["bias"] == pytest.approx(
        decomposition["logit"], abs=1e-3
    )
    assert report["faithfulness"] == {"metric": ROAD_METRIC, "score": 0.25}
    assert [b["name"] for b in report["blocks"]] == [b.name for b in full.blocks]


def test_chart_data_follows_the_engine(explainer, full):
    parts = explainer.logit_parts(full, full.cam_class)
    bars = logit_bars(parts, count=3)
    assert [b.contribution for b in bars[:3]] == sorted(parts.contributions, reverse=True)[:3]
    assert [b.contribution for b in bars[3:]] == sorted(parts.contributions)[:3]
    points = block_series(full.blocks)
    assert [p.series for p in points[:2]] == [RATIO, COSINE] and len(points) == 32
    assert points[0].value == full.blocks[0].ratio and points[1].value == full.blocks[0].cosine
    summary = residual_summary(full.blocks)
    assert summary.strongest.ratio == max(b.ratio for b in full.blocks)
    assert summary.weakest.ratio == min(b.ratio for b in full.blocks)
    assert summary.opposing == [b.name for b in full.blocks if b.cosine < 0]
    assert road_relies(0.2) and not road_relies(0.0) and not road_relies(-0.3)


def test_report_equals_a_recomputation_on_torchvisions_model(explainer, weights, reference_model, full):
    """Top-5, logit and its channel split from torchvision's own ResNet50 (not from the builder's
    helpers): logit[c] = sum_k fc.weight[c, k] * mean(layer4_k) + fc.bias[c]."""
    import torch

    c = full.cam_class
    parts_of_model = torch.nn.Sequential(*list(reference_model.children())[:-2])  # up to layer4
    with torch.no_grad():
        x = torch.from_numpy(full.input)[None]
        pooled = parts_of_model(x).mean(dim=(2, 3))[0]  # (2048,)
        logits = reference_model(x)[0]
    probabilities = torch.softmax(logits, dim=0)
    contributions = reference_model.fc.weight[c].detach() * pooled  # (2048,)
    up = torch.argsort(contributions, descending=True)[:TOP_CHANNELS]
    down = torch.argsort(contributions)[:TOP_CHANNELS]
    report = build_report(weights, full, cam_class=c, logit_parts=None)
    assert [p["index"] for p in report["top5"]] == torch.topk(probabilities, 5).indices.tolist()
    assert [p["probability"] for p in report["top5"]] == pytest.approx(
        torch.topk(probabilities, 5).values.tolist(), abs=1e-5
    )
    decomposition = build_report(weights, full, cam_class=c, logit_parts=explainer.logit_parts(full, c))[
        "logit_decomposition"
    ]
    assert decomposition["logit"] == pytest.approx(float(logits[c]), abs=1e-4)
    assert decomposition["bias"] == pytest.approx(float(reference_model.fc.bias[c].detach()), abs=1e-6)
    assert [ch["channel"] for ch in decomposition["channels_up"]] == [int(k) for k in up if contributions[k] > 0]
    assert [ch["channel"] for ch in decomposition["channels_down"]] == [int(k) for k in down if contributions[k] < 0]
    assert [ch["contribution"] for ch in decomposition["channels_up"]] == pytest.approx(
        [float(contributions[k]) for k in up if contributions[k] > 0], abs=1e-5
    )

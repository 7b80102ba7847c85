"""What a Ray Serve replica does, without Ray: engine functions by name only, batches that
answer each caller as the engine does alone, and the deployment's settings."""

from __future__ import annotations

import numpy as np
import pytest

from resnet import load_image, model_input
from resnet.core.explainer import Explainer
from resnet.learn import lessons
from resnet.serve.replica import Replica, function_name, resolve
from resnet.serve.settings import ServeSettings


@pytest.fixture(scope="module")
def replica(checkpoint):
    return Replica(str(checkpoint), "cpu", "fp32")


def test_functions_are_named_and_found_again():
    for fn in (Explainer.stage_grids, lessons.stem):
        assert resolve(function_name(fn)) is fn


@pytest.mark.parametrize("name", ["os:system", "builtins:eval", "resnet", "resnet.learn.lessons:<lambda>", "x:y"])
def test_only_the_engines_functions_are_found(name):
    with pytest.raises(ValueError, match="not an engine function"):
        resolve(name)


def test_a_batch_answers_each_caller_as_the_engine_alone(replica, explainer, photos):
    """Three callers in one batch, asking for different stages: each gets its own top-5 and
    heatmap (equal to the engine's alone), every stage any of them asked for, one batch recorded."""
    images = [load_image(p) for p in photos[:3]]
    requests = [
        (model_input(images[0], explainer.weights.transforms), (), False),
        (model_input(images[1], explainer.weights.transforms), ("layer4",), False),
        (model_input(images[2], explainer.weights.transforms), ("layer1",), True),
    ]
    answers = replica.explain_prepared(requests)
    assert list(replica.batch_sizes)[-1] == 3
    for image, answer in zip(images, answers, strict=True):
        alone = explainer.explain(image)
        assert [p.index for p in answer.top5] == [p.index for p in alone.top5]
        np.testing.assert_allclose(answer.cam, alone.cam, atol=1e-5)
        assert set(answer.stages) == {"layer1", "layer4"} and answer.blocks is not None


def test_a_call_runs_on_the_replicas_explainer_and_is_counted(replica, explainer, photos):
    x = explainer.explain(load_image(photos[0])).input
    stem = replica.call(function_name(lessons.stem), (x,), {})
    np.testing.assert_allclose(stem.pool, lessons.stem(explainer, x).pool, atol=1e-5)
    assert replica.describe()["calls"][function_name(lessons.stem)] == 1


def test_settings_choose_fixed_replicas_or_autoscaling():
    assert ServeSettings(replicas=3).scaling() == {"num_replicas": 3}
    scaling = ServeSettings(replicas=2, max_replicas=6, target_ongoing=3).scaling()["autoscaling_config"]
    assert scaling == {"min_replicas": 2, "max_replicas": 6, "target_ongoing_requests": 3}

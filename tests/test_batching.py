"""resnet.core.batching: concurrent calls share forward passes and still get each their own answer."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PIL import Image

from resnet import load_image
from resnet.core.batching import BatchingExplainer


@pytest.mark.slow
def test_concurrent_calls_share_batches_and_get_their_own_answers(explainer, photos):
    images = [load_image(p) for p in photos] + [
        load_image(p).transpose(Image.Transpose.FLIP_LEFT_RIGHT) for p in photos[:2]
    ]
    expected = [explainer.explain(image) for image in images]
    batcher = BatchingExplainer(explainer, max_batch=8)
    answers: dict[int, object] = {}
    start = threading.Barrier(len(images))

    def call(i: int) -> None:
        start.wait()
        answers[i] = batcher.explain(images[i])

    for _ in range(3):
        threads = [threading.Thread(target=call, args=(i,)) for i in range(len(images))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i, want in enumerate(expected):
            got = answers[i]
            assert [p.index for p in got.top5] == [p.index for p in want.top5]
            np.testing.assert_allclose(got.logits, want.logits, atol=1e-4)
            np.testing.assert_allclose(got.cam, want.cam, atol=1e-5)
    assert sum(batcher.batch_sizes) == 3 * len(images)
    assert max(batcher.batch_sizes) <= 8


class HeldFirstBatch:
    """The real explainer, whose first batch waits until ``release`` is set (the model is busy)."""

    def __init__(self, explainer):
        self.explainer, self.weights = explainer, explainer.weights
        self.busy, self.release = threading.Event(), threading.Event()

    def explain_prepared(self, inputs, **options):
        if not self.busy.is_set():
            self.busy.set()
            self.release.wait(timeout=60)
        return self.explainer.explain_prepared(inputs, **options)


def test_calls_that_wait_for_a_busy_model_share_one_forward_pass(explainer, photos):
    held = HeldFirstBatch(explainer)
    batcher = BatchingExplainer(held, max_batch=8)
    images = [load_image(p) for p in photos]  # 6 photos: one keeps the model busy, five wait
    answers: dict[int, object] = {}
    threads = [
        threading.Thread(target=lambda i=i: answers.__setitem__(i, batcher.explain(images[i]))) for i in range(6)
    ]
    threads[0].start()
    assert held.busy.wait(timeout=60)
    for t in threads[1:]:
        t.start()
    while batcher._queue.qsize() < 5:  # until the five calls are queued behind the busy model
        assert all(t.is_alive() for t in threads[1:])
        threading.Event().wait(0.01)
    held.release.set()
    for t in threads:
        t.join(timeout=120)
    assert list(batcher.batch_sizes) == [1, 5]  # the five waiting calls shared one forward pass
    for i, image in enumerate(images):
        np.testing.assert_allclose(answers[i].logits, explainer.explain(image).logits, atol=1e-4)


def test_a_lone_call_is_not_delayed_and_a_failure_reaches_its_caller(explainer, photos):
    batcher = BatchingExplainer(explainer, max_batch=8)
    assert batcher.explain(load_image(photos[0])).top5 == explainer.explain(load_image(photos[0])).top5
    assert list(batcher.batch_sizes) == [1]
    with pytest.raises(RuntimeError):
        batcher.explain(Image.new("L", (64, 64)))  # not the clean RGB image callers must pass
    assert batcher.explain(load_image(photos[1])).top5 == explainer.explain(load_image(photos[1])).top5  # still serving


def test_a_batch_brings_back_the_stages_any_of_its_callers_asked_for(explainer, photos):
    held = HeldFirstBatch(explainer)
    batcher = BatchingExplainer(held, max_batch=8)
    images = [load_image(p) for p in photos[:3]]
    wanted = [(), ("layer4",), ("stem", "layer2")]
    answers: dict[int, object] = {}
    threads = [
        threading.Thread(target=lambda i=i: answers.__setitem__(i, batcher.explain(images[i], stages=wanted[i])))
        for i in range(3)
    ]
    threads[0].start()
    assert held.busy.wait(timeout=60)
    for t in threads[1:]:
        t.start()
    deadline = time.monotonic() + 60
    while batcher._queue.qsize() < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    held.release.set()
    for t in threads:
        t.join(timeout=120)
    assert list(batcher.batch_sizes) == [1, 2]
    assert answers[0].stages == {}  # alone in its batch: nothing it did not ask for
    assert answers[1].stages.keys() == answers[2].stages.keys() == {"stem", "layer2", "layer4"}

"""Dynamic batching: concurrent ``explain`` calls share one forward pass.

Requests that arrive while the model is busy wait in a queue; when it is free, one worker
thread takes every waiting image (up to ``max_batch``) and runs ``Explainer.explain_prepared``
once. A lone request never waits for company, so batching adds no latency when the server is
idle. Each caller decodes its upload and prepares the model's input (resize, crop, normalise)
in its own thread, so that work runs in parallel, off the model's path, and a bad file fails
alone, before it reaches the queue: one visitor's broken photo never costs another visitor an answer. (Gradio's own
``batch=True`` cannot do that: a batched function that raises fails every request in its batch.)
"""

from __future__ import annotations

import collections
import queue
import threading
from concurrent.futures import Future

from PIL import Image

from resnet.core.explainer import Explainer
from resnet.core.explanation import STAGES, Explanation
from resnet.core.preprocess import model_input


class BatchingExplainer:
    """``explain(image)`` like ``Explainer.explain``, with waiting calls batched together."""

    def __init__(self, explainer: Explainer, max_batch: int = 8):
        self.explainer = explainer
        self.weights = explainer.weights
        self.max_batch = max_batch
        self.batch_sizes: collections.deque[int] = collections.deque(
            maxlen=1000
        )  # recent batches, for tests and benches
        self._queue: queue.SimpleQueue[tuple[tuple, tuple[str, ...], Future]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def explain(self, image: Image.Image, stages: tuple[str, ...] = STAGES) -> Explanation:
        """Top-5, Grad-CAM and the ``stages``' activations of a clean RGB image (see
        ``Explainer.explain``; a batch brings back the stages any of its callers asked for)."""
        future: Future[Explanation] = Future()
        prepared = model_input(image, self.weights.transforms)  # here, in parallel: not on the model's path
        self._queue.put((prepared, stages, future))
        self._ensure_worker()
        return future.result()

    def _ensure_worker(self) -> None:
        with self._start_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._serve, name="explain-batches", daemon=True)
                self._worker.start()

    def _serve(self) -> None:
        while True:
            batch = [self._queue.get()]  # wait for work
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())  # everything already waiting
                except queue.Empty:
                    break
            self.batch_sizes.append(len(batch))
            try:
                wanted = tuple(name for name in STAGES if any(name in stages for _, stages, _ in batch))
                results = self.explainer.explain_prepared([prepared for prepared, _, _ in batch], stages=wanted)
            except Exception as err:
                for _, _, future in batch:
                    future.set_exception(err)
                continue
            for (_, _, future), result in zip(batch, results, strict=True):
                future.set_result(result)

"""Locust scenario: visitors of the app upload photos and ask for explanations and predictions.

    locust -f bench/locustfile.py --headless -u USERS -r USERS -t 30s --host http://127.0.0.1:7860

Each simulated visitor is a ``gradio_client`` session (Gradio's real upload, queue and result
protocol) that calls the public endpoints: ``/explain`` (label, heatmap, stage pictures) and
``/predict`` (numbers only), with a think time of 0.5-2 s. The page's own events (class,
method and display changes, live frames) are private to the page and cannot be called from
outside it; ``bench/load_test.py`` runs this scenario for 8, 32 and 64 visitors.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from gradio_client import Client, handle_file
from locust import User, between, task

PHOTOS = sorted((Path(__file__).resolve().parent.parent / "assets").glob("*.jpg"))


class Visitor(User):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.gradio = Client(self.host, verbose=False)

    def on_stop(self) -> None:
        self.gradio.close()

    def call(self, api: str) -> None:
        photo = random.choice(PHOTOS)
        start = time.perf_counter()
        error = None
        try:
            self.gradio.predict(handle_file(str(photo)), api_name=api)
        except Exception as err:  # Gradio's "queue is full" arrives as an exception
            error = err
        self.environment.events.request.fire(
            request_type="gradio",
            name=api,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=0,
            exception=error,
            context={},
        )

    @task(3)
    def explain(self) -> None:
        self.call("/explain")

    @task(2)
    def predict(self) -> None:
        self.call("/predict")

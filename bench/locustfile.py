"""Locust scenario: API callers and page visitors of the app.

    locust -f bench/locustfile.py --headless -u USERS -r USERS -t 30s --host http://127.0.0.1:7860 [Visitor|PageVisitor]

``Visitor`` is a ``gradio_client`` session (Gradio's real upload, queue and result protocol)
that calls the public endpoints: ``/explain`` (label, heatmap, stage pictures) and ``/predict``
(numbers only), with a think time of 0.5-2 s.

``PageVisitor`` is an open page, spoken in the browser's protocol (``tests/page_session.py``): it
analyses a photo when it arrives, then reads for 10-30 s between actions: picks another class
(the page then redraws every stage's Grad-CAM), switches the method, changes the feature maps,
or analyses another photo. It stays open until the run ends, then closes. Live webcam frames
are not simulated (Gradio streams them over a protocol the simulation does not speak).
``bench/load_test.py`` runs Visitor for 8, 32 and 64 users and PageVisitor for memory per page.
With several front ends (``--host URL1,URL2``) each Visitor keeps to one, chosen at random.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # page_session

from gradio_client import Client, handle_file
from locust import User, between, task
from page_session import PageSession

PHOTOS = sorted((Path(__file__).resolve().parent.parent / "assets").glob("*.jpg"))


def timed(user: User, kind: str, name: str, action) -> None:
    """Run ``action`` and report it to Locust as one request (an exception is a failure: Gradio's
    "queue is full" arrives as one)."""
    start = time.perf_counter()
    error = None
    try:
        action()
    except Exception as err:
        error = err
    user.environment.events.request.fire(
        request_type=kind,
        name=name,
        response_time=(time.perf_counter() - start) * 1000,
        response_length=0,
        exception=error,
        context={},
    )


def front_end(hosts: str) -> str:
    """One of several front ends (``--host URL1,URL2``), kept for the visitor's whole visit: the
    session affinity a load balancer gives."""
    return random.choice(hosts.split(","))


class Visitor(User):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.gradio = Client(front_end(self.host), verbose=False)

    def on_stop(self) -> None:
        self.gradio.close()

    def call(self, api: str) -> None:
        photo = random.choice(PHOTOS)
        timed(self, "gradio", api, lambda: self.gradio.predict(handle_file(str(photo)), api_name=api))

    @task(3)
    def explain(self) -> None:
        self.call("/explain")

    @task(2)
    def predict(self) -> None:
        self.call("/predict")


QUICK_METHODS = ("Grad-CAM", "HiResCAM", "XGradCAM", "LayerCAM")


class PageVisitor(User):
    wait_time = between(10, 30)

    def on_start(self) -> None:
        self.page = PageSession(self.host)
        self.timed("new photo", self.analyze)

    def on_stop(self) -> None:
        self.page.close()

    def timed(self, name: str, action) -> None:
        timed(self, "page", name, action)

    def analyze(self) -> None:
        self.page.trigger("button", "click", image=self.page.upload(random.choice(PHOTOS)))

    @task(4)
    def pick_class(self) -> None:
        self.timed("pick class", lambda: self.page.trigger("any_class", "input", any_class=random.randrange(1000)))

    @task(2)
    def switch_method(self) -> None:
        self.timed("switch method", lambda: self.page.trigger("method", "input", method=random.choice(QUICK_METHODS)))

    @task(1)
    def feature_maps(self) -> None:
        self.timed(
            "feature maps", lambda: self.page.trigger("channels", "release", channels=random.choice((8, 16, 32)))
        )

    @task(1)
    def new_photo(self) -> None:
        self.timed("new photo", self.analyze)


class ReadingPage(PageVisitor):
    """A page that arrives, analyses a photo, does one more thing and then reads for minutes:
    ``load_test.py --pages`` measures what such open pages cost the server."""

    wait_time = between(300, 600)

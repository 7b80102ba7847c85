"""The dataset evaluation on Ray Data: the same ``Scorer`` in a pool of actors, on one machine
or a cluster, with the rows coming back as they finish (so a run resumes where it stopped)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import ray
import torch

from resnet.core.explainer import Explainer
from resnet.core.runtime import tune_allocator
from resnet.core.weights import load_weights
from resnet.evaluate.engine import Scored, Scorer, Settings


class RayScorer:
    """A Ray actor: loads the weights once, then scores each batch of image paths it is given."""

    def __init__(self, flags: dict, settings: dict):
        tune_allocator()  # as the CLI's own process does
        torch.set_num_threads(max(1, int(flags["threads"])))
        self.data = Path(flags["data"])
        weights = load_weights(flags["weights"], device=flags["device"])
        self.scorer = Scorer(Explainer(weights, precision=flags["precision"]), Settings(**settings))

    def __call__(self, batch: dict) -> dict:
        outcomes = [self.scorer.score(self.data, image) for image in batch["image"]]
        return {"outcome": [json.dumps({"image": o.image, "rows": o.rows, "skipped": o.skipped}) for o in outcomes]}


def score_on_ray(
    data: Path,
    todo: list[str],
    settings: Settings,
    model: dict,
    address: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float = 0.0,
    threads_per_worker: int | None = None,
) -> Iterator[Scored]:
    """Score ``todo`` (paths under ``data``) on a Ray cluster (``address``; None starts a local
    one, shut down at the end): ``workers`` actors (default one per CPU, or per GPU), each with
    ``model`` (``weights``, ``device``, ``precision``) loaded once. Raises ValueError for a
    cluster that cannot give what is asked."""
    if not todo:
        return
    ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    gpus = gpus_per_worker
    resources = ray.cluster_resources()
    if gpus > resources.get("GPU", 0):
        ray.shutdown()
        raise ValueError(
            f"--gpus-per-worker {gpus:g}, but the Ray cluster has {resources.get('GPU', 0):g} GPUs; "
            "ask for fewer, or join a cluster with GPUs (--ray-address)."
        )
    cpus = int(resources.get("CPU", 1))
    workers = workers or max(1, int(resources.get("GPU", 0) // gpus) if gpus else cpus)
    flags = {
        "data": str(data.resolve()),
        **model,
        "threads": threads_per_worker or max(1, cpus // workers),
    }
    per_actor_cpus = 1.0  # what Ray reserves for an actor (its torch threads are set above)
    dataset = ray.data.from_items([{"image": image} for image in todo], override_num_blocks=min(len(todo), 4 * workers))
    scored = dataset.map_batches(
        RayScorer,
        fn_constructor_kwargs={"flags": flags, "settings": asdict(settings)},
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=per_actor_cpus,
        num_gpus=gpus or None,
    )
    try:
        for row in scored.iter_rows():
            outcome = json.loads(row["outcome"])
            yield Scored(outcome["image"], outcome["rows"], outcome["skipped"])
    finally:
        if address is None:
            ray.shutdown()

"""Work over a folder on Ray Data: the same per-image worker in a pool of actors, on one machine
or a cluster, with each image's outcome coming back as it finishes (so a run resumes where it
stopped). The dataset evaluation's ``Scorer`` runs here, and so do the channel atlas's examples."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import ray
import torch

from resnet.core.explainer import Explainer
from resnet.core.runtime import tune_allocator
from resnet.core.weights import load_weights
from resnet.evaluate.engine import Scored, Scorer, Settings

# make(explainer, options) -> a function (root, image) -> Scored; a module-level function, so Ray
# ships it by reference
WorkerMaker = Callable[[Explainer, dict], Callable[[Path, str], Scored]]


class RayWorker:
    """A Ray actor: loads the weights once, makes its worker, then runs it on each batch of paths."""

    def __init__(self, flags: dict, make: WorkerMaker, options: dict):
        tune_allocator()  # as the CLI's own process does
        torch.set_num_threads(max(1, int(flags["threads"])))
        self.data = Path(flags["data"])
        weights = load_weights(flags["weights"], device=flags["device"])
        self.work = make(Explainer(weights, precision=flags["precision"]), options)

    def __call__(self, batch: dict) -> dict:
        outcomes = [self.work(self.data, image) for image in batch["image"]]
        return {"outcome": [json.dumps({"image": o.image, "rows": o.rows, "skipped": o.skipped}) for o in outcomes]}


def scorer(explainer: Explainer, options: dict) -> Callable[[Path, str], Scored]:
    """The evaluation's worker: ``Scorer.score`` with the run's settings."""
    return Scorer(explainer, Settings(**options)).score


def score_on_ray(data: Path, todo: list[str], settings: Settings, model: dict, *args, **kwargs) -> Iterator[Scored]:
    """``Scorer.score`` of every image in ``todo`` on Ray (arguments as ``map_on_ray``'s)."""
    return map_on_ray(data, todo, scorer, asdict(settings), model, *args, **kwargs)


def map_on_ray(
    data: Path,
    todo: list[str],
    make: WorkerMaker,
    options: dict,
    model: dict,
    address: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float = 0.0,
    threads_per_worker: int | None = None,
) -> Iterator[Scored]:
    """Run ``make(explainer, options)`` on ``todo`` (paths under ``data``) on a Ray cluster
    (``address``; None starts a local one, shut down at the end): ``workers`` actors (default one
    per CPU, or per GPU), each with ``model`` (``weights``, ``device``, ``precision``) loaded once.
    Raises ValueError for a cluster that cannot give what is asked."""
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
    outcomes = dataset.map_batches(
        RayWorker,
        fn_constructor_kwargs={"flags": flags, "make": make, "options": options},
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=per_actor_cpus,
        num_gpus=gpus or None,
    )
    try:
        for row in outcomes.iter_rows():
            outcome = json.loads(row["outcome"])
            yield Scored(outcome["image"], outcome["rows"], outcome["skipped"])
    finally:
        if address is None:
            ray.shutdown()

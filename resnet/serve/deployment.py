"""The replica as a Ray Serve deployment: explanations batched with ``@serve.batch``, any engine
function by name, resources and autoscaling from ``ServeSettings``.

``serve run resnet.serve.deployment:build weights=random`` (or ``serve.yaml``) deploys it alone;
``python app.py --engine ray`` starts it when the cluster does not run it yet.
"""

from __future__ import annotations

import asyncio

from ray import serve

from resnet.serve.replica import Replica
from resnet.serve.settings import ServeSettings


@serve.deployment(name="Engine")
class Engine:
    """One replica: the weights are loaded before Serve sends it any work."""

    def __init__(self, settings: dict):
        chosen = ServeSettings(**settings)
        self.replica = Replica(chosen.weights, chosen.device, chosen.precision, chosen.threads)
        self.explain.set_max_batch_size(chosen.max_batch)
        self.explain.set_batch_wait_timeout_s(chosen.batch_wait_s)

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.005)
    async def explain(self, requests: list[tuple]) -> list:
        """(prepared, stages, blocks) per caller -> one Explanation each, from one forward pass."""
        return await asyncio.to_thread(self.replica.explain_prepared, requests)

    async def call(self, name: str, args: tuple, kwargs: dict, head=None):
        """An engine function by name, on this replica's Explainer or a taught head's (``Replica.call``)."""
        return await asyncio.to_thread(self.replica.call, name, args, kwargs, head)

    def describe(self) -> dict:
        return self.replica.describe()


def application(settings: ServeSettings):
    """The deployment bound to ``settings``: resources per replica, replicas or autoscaling."""
    return Engine.options(
        ray_actor_options={"num_cpus": settings.num_cpus, "num_gpus": settings.num_gpus},
        max_ongoing_requests=settings.max_ongoing,
        **settings.scaling(),
    ).bind(settings.as_dict())


def build(args: dict):
    """Serve's application builder (``serve run``/``serve.yaml``): ``args`` are ServeSettings' fields."""
    fields = ServeSettings.__dataclass_fields__
    unknown = set(args) - set(fields)
    if unknown:
        raise ValueError(f"Unknown settings {sorted(unknown)}; choose from {', '.join(fields)}.")
    # Text from the command line, or YAML's numbers, as each field's type (weights stays as given).
    chosen = {k: v if fields[k].default is None else type(fields[k].default)(v) for k, v in args.items()}
    return application(ServeSettings(**chosen))

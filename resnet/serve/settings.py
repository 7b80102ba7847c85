"""What a deployment is asked for: weights, replicas, resources, batching, autoscaling."""

from __future__ import annotations

from dataclasses import asdict, dataclass

APP_NAME = "resnet-explainer"  # the Serve application every front end of a cluster joins


@dataclass(frozen=True)
class ServeSettings:
    """One deployment's settings (plain data: it travels to the replicas).

    ``weights``/``device``/``precision`` are the model flags, read on each replica's machine (a
    path must exist there). ``replicas`` is a fixed count unless ``max_replicas`` is larger, then
    Serve scales between ``replicas`` and ``max_replicas`` to keep about ``target_ongoing``
    requests per replica. ``threads``: torch's CPU threads in a replica (the thread count moves
    gradients in their last bits, so equal answers need equal counts). ``max_batch`` and
    ``batch_wait_s``: concurrent explanations share a forward pass of up to ``max_batch``
    images, waiting at most ``batch_wait_s`` for company.
    """

    weights: str | None = None
    device: str = "auto"
    precision: str = "auto"
    replicas: int = 1
    max_replicas: int = 0  # 0: no autoscaling, ``replicas`` replicas
    target_ongoing: float = 4.0
    num_cpus: float = 1.0
    num_gpus: float = 0.0  # fractions share a GPU between replicas
    threads: int = 0  # torch's threads per replica; 0: Ray's choice (num_cpus, at least 1)
    max_batch: int = 8
    batch_wait_s: float = 0.005
    max_ongoing: int = 16  # requests a replica holds at once (so a batch can fill)

    def as_dict(self) -> dict:
        return asdict(self)

    def scaling(self) -> dict:
        """``num_replicas`` or ``autoscaling_config`` for ``serve.deployment``."""
        if self.max_replicas > self.replicas:
            return {
                "autoscaling_config": {
                    "min_replicas": self.replicas,
                    "max_replicas": self.max_replicas,
                    "target_ongoing_requests": self.target_ongoing,
                }
            }
        return {"num_replicas": self.replicas}

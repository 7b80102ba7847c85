"""What a front end says when the replicas cannot answer (no Ray needed to catch it)."""

from __future__ import annotations


class EngineUnavailable(RuntimeError):
    """The model's replicas could not answer. ``reason``: ``busy`` (a replica died under the call
    and the retries failed too: try again) or ``gone`` (the cluster does not answer at all)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"the model's replicas are {reason}: {detail}")
        self.reason = reason

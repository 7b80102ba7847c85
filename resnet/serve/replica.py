"""What one replica does, without Ray: hold the weights, explain batches of prepared inputs, and
run a named engine function on its Explainer."""

from __future__ import annotations

import collections
import importlib
import os

import torch

from resnet.core.explainer import Explainer
from resnet.core.explanation import STAGES, Explanation
from resnet.core.heads import Head, HeadCache, backbone_sha256, with_head
from resnet.core.weights import load_weights


def function_name(fn) -> str:
    """``resnet.core.explainer:Explainer.stage_grids``: how a front end names an engine function."""
    return f"{fn.__module__}:{fn.__qualname__}"


def resolve(name: str):
    """The engine function ``name`` names; only functions of this package (``resnet.``) run."""
    module, _, qualname = name.partition(":")
    if not module.startswith("resnet.") or not qualname or "<" in qualname:
        raise ValueError(f"{name!r} is not an engine function (resnet.MODULE:FUNCTION).")
    found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


class Replica:
    """The model and the work a replica does; ``batch_sizes`` records the batches it ran."""

    def __init__(self, weights: str | None, device: str, precision: str, threads: int = 0):
        if threads > 0:
            torch.set_num_threads(threads)
        loaded = load_weights(weights, device=device)
        self.explainer = Explainer(loaded, precision=precision)
        backbone = backbone_sha256(self.explainer.model)  # a visitor's head must fit it (with_head checks)
        self.heads = HeadCache(lambda head: Explainer(with_head(loaded, head, backbone), precision))
        self.batch_sizes: collections.deque[int] = collections.deque(maxlen=1000)
        self.calls: collections.Counter[str] = collections.Counter()  # engine functions run, by name

    def explain_prepared(self, requests: list[tuple]) -> list[Explanation]:
        """[(prepared, stages, blocks)] -> their explanations from one forward pass (each gets
        the union of the stages and blocks asked for; see ``Explainer.explain_prepared``)."""
        self.batch_sizes.append(len(requests))
        wanted = {stage for _, stages, _ in requests for stage in stages}
        return self.explainer.explain_prepared(
            [prepared for prepared, _, _ in requests],
            stages=tuple(stage for stage in STAGES if stage in wanted),
            blocks=any(blocks for *_, blocks in requests),
        )

    def call(self, name: str, args: tuple, kwargs: dict, head: Head | None = None):
        """``resolve(name)(explainer, *args, **kwargs)``: any engine function that takes the
        Explainer first (an ``Explainer`` method named through its class, too). With a taught
        ``head``, the explainer of the backbone with that head (made once, the last few kept)."""
        fn = resolve(name)
        self.calls[name] += 1
        return fn(self.explainer if head is None else self.heads.of(head), *args, **kwargs)

    def describe(self) -> dict:
        """Who answers and what it did: the process, the weights, recent batch sizes, calls by function."""
        return {
            "pid": os.getpid(),
            "weights": self.explainer.weights.describe(),
            "batches": list(self.batch_sizes),
            "calls": dict(self.calls),
        }

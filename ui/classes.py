"""Which classes a page explains: ImageNet's (the shared model) or a visitor's taught head.

A head's classifier shares the backbone with the shared model (no copy; see
``resnet.teach.with_head``) and is built once per head, not once per event or live frame.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

from resnet import Explainer
from resnet.heatmaps import Heatmaps
from resnet.teach import Head, backbone_sha256, with_head

KEEP_HEADS = 4  # classifiers of taught heads kept ready (each may hold a model copy for the package's methods)


@dataclass(frozen=True)
class Classifier:
    explainer: Explainer
    heatmaps: Heatmaps  # the grad-cam package's methods on a private copy of this classifier's model
    categories: list[str]
    head: Head | None  # None: ImageNet's 1000 classes


class Classifiers:
    def __init__(self, explainer: Explainer, heatmaps: Heatmaps | None = None, keep: int = KEEP_HEADS):
        """``heatmaps``: the shared model's (made if not given)."""
        heatmaps = heatmaps or Heatmaps(explainer)
        self.shared = Classifier(explainer, heatmaps, explainer.weights.categories, None)
        self.keep = keep
        self._heads: OrderedDict[str, Classifier] = OrderedDict()
        self._lock = threading.Lock()

    @cached_property
    def backbone(self) -> str:
        return backbone_sha256(self.shared.explainer.model)

    def of(self, head: Head | None) -> Classifier:
        """The shared classifier, or the one of ``head`` (built on first use, the last few kept)."""
        if head is None:
            return self.shared
        key = _fingerprint(head)
        with self._lock:
            found = self._heads.get(key)
            if found is not None:
                self._heads.move_to_end(key)
                return found
        shared = self.shared.explainer
        explainer = Explainer(with_head(shared.weights, head, self.backbone), shared.precision)
        classifier = Classifier(explainer, Heatmaps(explainer), list(head.classes), head)
        with self._lock:
            self._heads[key] = classifier
            while len(self._heads) > self.keep:
                self._heads.popitem(last=False)
        return classifier


def _fingerprint(head: Head) -> str:
    digest = hashlib.sha256(head.weight.tobytes())
    digest.update(head.bias.tobytes())
    digest.update("\0".join(head.classes).encode())
    digest.update(head.backbone_sha256.encode())
    return digest.hexdigest()

"""Which classes a page explains: ImageNet's (the shared model) or a visitor's taught head.

A head's classifier shares the backbone with the shared model (no copy; see
``resnet.core.heads.with_head``) and is built once per head, not once per event or live frame.
ImageNet's classes are named in the page's language (``ui/locales/imagenet_zh_CN.tsv``); a
taught head's classes keep the names the visitor gave them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from resnet import Explainer, Explanation
from resnet.cams.methods import DEFAULT_METHOD, Heatmaps, heatmaps_for, method_heatmap, method_named
from resnet.core.heads import Head, HeadCache, backbone_sha256, with_head
from resnet.present.render import has_cjk_font
from ui.locales import imagenet_names
from ui.text import language_of

IMAGENET_CLASSES = 1000
KEEP_HEADS = 4  # classifiers of taught heads kept ready (each may hold a model copy for the package's methods)


@dataclass(frozen=True)
class Classifier:
    explainer: Explainer
    heatmaps: Heatmaps  # the grad-cam package's methods on a private copy of this classifier's model
    categories: list[str]
    head: Head | None  # None: ImageNet's 1000 classes
    engine: object = None  # the model's replicas (resnet.serve.front.RayEngine), or None: the model runs here

    def run(self, fn, *args, **kwargs):
        """``fn(explainer, *args, **kwargs)`` (an engine function, or an ``Explainer`` method named
        through its class) where this classifier's model runs: on the replicas (a taught head
        travels with the call), or here."""
        if self.engine is None:
            return fn(self.explainer, *args, **kwargs)
        if self.head is None:
            return self.engine.call(fn, *args, **kwargs)
        return self.engine.call_with_head(self.head, fn, *args, **kwargs)

    def explain_steps(self, image, *, all_stages: bool = False, blocks: bool = False):
        """``Explainer.explain_steps`` where the model runs: on replicas, batched with other
        callers (a taught head's: in one call, its one answer given for both steps)."""
        if self.engine is None or self.head is None:
            return (self.engine or self.explainer).explain_steps(image, all_stages=all_stages, blocks=blocks)
        whole = self.run(Explainer.explain, image, all_stages=all_stages, blocks=blocks)
        return iter([whole] * (2 if all_stages else 1))

    def batches(self):
        """What ``resnet.video.frames.explain_frames`` needs of an Explainer (``explain_batch``),
        where the model runs: the explainer itself, or its calls sent to the replicas."""
        return self.explainer if self.engine is None else _RemoteBatches(self)

    def kept_heatmap(self, explanation: Explanation, method: str, cam_class: int, contrast: int | None = None):
        """``Heatmaps.kept_heatmap``: Grad-CAM here (its grid, from the stored activations and the
        host's ``fc``), the package's methods where the model runs."""
        if self.engine is None or method_named(method).label == DEFAULT_METHOD:
            return self.heatmaps.kept_heatmap(explanation, method, cam_class, contrast)
        return self.run(method_heatmap, explanation, method, cam_class, contrast)

    def names(self, language: str | None) -> list[str]:
        """The class names shown on a page in ``language``: ImageNet's in that language, a head's as taught.

        Chinese names need a CJK font to be drawn into the heatmaps' captions; without one the page
        keeps the English names everywhere, so its labels and pictures agree."""
        if self.head is not None or len(self.categories) != IMAGENET_CLASSES or not has_cjk_font():
            return self.categories
        return imagenet_names(language_of(language)) or self.categories

    def labels(self, explanation: Explanation, language: str | None) -> dict[str, float]:
        """The top-5 for a ``gr.Label``: class name in ``language`` -> probability."""
        names = self.names(language)
        return {names[p.index]: p.probability for p in explanation.top5}

    def localise_report(self, report: dict, language: str | None) -> dict:
        """A JSON report (``resnet.present.report``) whose ImageNet classes also carry their name in ``language``."""
        names = self.names(language)
        if names is self.categories:
            return report
        key = "name_" + language_of(language).replace("-", "_")

        def named(ref):
            return ref if ref is None else {**ref, key: names[ref["index"]]}

        report = {**report, "top5": [named(p) for p in report["top5"]]}
        for field in ("explained_class", "contrast_class"):
            report[field] = named(report[field])
        if "logit_decomposition" in report:
            part = report["logit_decomposition"]
            report["logit_decomposition"] = {**part, "class": named(part["class"])}
        return report


@dataclass(frozen=True)
class _RemoteBatches:
    """``explain_batch`` through a classifier's replicas (a video clip's frames, a batch a call)."""

    classifier: Classifier

    def explain_batch(self, images, **kwargs):
        return self.classifier.run(Explainer.explain_batch, images, **kwargs)


class Classifiers:
    def __init__(self, explainer: Explainer, heatmaps: Heatmaps | None = None, keep: int = KEEP_HEADS, engine=None):
        """``heatmaps``: the shared model's (made if not given); ``engine``: the model's replicas
        (``resnet.serve.front.RayEngine``), where every classifier's model calls go (a taught
        head's with its head), or None: here."""
        heatmaps = heatmaps or heatmaps_for(explainer)
        self.shared = Classifier(explainer, heatmaps, explainer.weights.categories, None, engine)
        self._heads = HeadCache(self._classifier, keep)
        # Hashed now, while the weights are within reach (on a ZeroGPU Space they are not, outside
        # GPU calls, once the app has launched): every head is checked against it. The hash runs
        # while the page is built (hashlib lets go of the GIL); the Teach tab waits for it when wired.
        hashing = ThreadPoolExecutor(1, thread_name_prefix="backbone-sha256")
        self._backbone = hashing.submit(backbone_sha256, explainer.model)
        hashing.shutdown(wait=False)  # the thread ends with the hash

    @property
    def backbone(self) -> str:
        """sha256 of the shared model's backbone (``resnet.core.heads.backbone_sha256``)."""
        return self._backbone.result()

    def of(self, head: Head | None) -> Classifier:
        """The shared classifier, or the one of ``head`` (built on first use, the last few kept)."""
        return self.shared if head is None else self._heads.of(head)

    def _classifier(self, head: Head) -> Classifier:
        shared = self.shared.explainer
        explainer = Explainer(with_head(shared.weights, head, self.backbone), shared.precision)
        return Classifier(explainer, heatmaps_for(explainer), list(head.classes), head, self.shared.engine)

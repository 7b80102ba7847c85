"""The grad-cam package's CAM methods and its ROAD faithfulness metric, run safely.

The package installs hooks on the model and keeps per-call state on its CAM objects, so running
it on the shared model would let concurrent requests record into each other. Here every
package call runs on a private copy of the model, one call at a time, and the hooks are
released even when the method fails. Plain Grad-CAM never comes here: the engine computes it
exactly without the package (see ``explain.py``).
"""

from __future__ import annotations

import contextlib
import copy
import threading
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from resnet.core.explainer import Explainer
from resnet.core.explanation import Explanation, check_class, full_size_cam

ROAD_PERCENTILES = (20, 40, 60, 80)  # % of pixels removed, as in the ROAD paper
# ROAD runs 8 forward passes, but its noisy linear imputation of the removed pixels dominates:
# about 58 forward passes' worth of time in all (bench/bench_trust.py, 2-core CPU).
ROAD_COST_FORWARDS = 58
ROAD_METRIC = "ROAD combined, 20-80% removed, softmax probability"  # what Heatmaps.road measures
_HEATMAPS_LOCK = threading.Lock()  # heatmaps_for makes one Heatmaps per Explainer


# Costs of the methods grad-cam 1.5.7 added, in forward passes (bench/bench_methods.py, 2-core CPU).
SHAPLEY_FORWARDS, FINER_FORWARDS, KPCA_FORWARDS, ELEMENTWISE_FORWARDS, REFINE_FORWARDS = 5, 3, 3, 5, 9


@dataclass(frozen=True)
class Method:
    label: str  # as shown in the UI
    class_name: str  # the pytorch_grad_cam class (imported on first use: it loads cv2 and friends)
    forwards: float  # cost in forward passes, measured with bench/bench_methods.py on a 2-core CPU
    layers: tuple[str, ...] = ()  # stages whose last blocks it combines (RefineCAM); else the one asked for

    @property
    def package_class(self) -> type:
        """The grad-cam package's class for this method (imported here, on first use)."""
        import pytorch_grad_cam

        return getattr(pytorch_grad_cam, self.class_name)


METHODS: dict[str, Method] = {
    m.label: m
    for m in [
        Method("Grad-CAM", "GradCAM", 1),  # served by the engine's exact fast path
        Method("Grad-CAM++", "GradCAMPlusPlus", 5),
        Method("HiResCAM", "HiResCAM", 3),
        Method("XGradCAM", "XGradCAM", 3),
        Method("LayerCAM", "LayerCAM", 3),
        Method("Eigen-CAM", "EigenCAM", 4),
        Method("EigenGrad-CAM", "EigenGradCAM", 6),
        Method("FullGrad", "FullGrad", 70),
        Method("Score-CAM", "ScoreCAM", 1400),  # one masked forward per layer4 channel (2048)
        Method("Ablation-CAM", "AblationCAM", 1700),  # one ablated forward per layer4 channel
        Method("ShapleyCAM", "ShapleyCAM", SHAPLEY_FORWARDS),  # gradient and Hessian-vector product
        Method("Finer-CAM", "FinerCAM", FINER_FORWARDS),  # the class against its closest rivals
        Method("KPCA-CAM", "KPCA_CAM", KPCA_FORWARDS),  # kernel PCA of the activations
        Method("Grad-CAM element-wise", "GradCAMElementWise", ELEMENTWISE_FORWARDS),
        Method(
            "RefineCAM", "RefineCAM", REFINE_FORWARDS, ("layer2", "layer3", "layer4")
        ),  # Grad-CAM++ per stage, multiplied
    ]
}
DEFAULT_METHOD = "Grad-CAM"


def method_named(name: str | Method) -> Method:
    """Look a method up by its label, case- and punctuation-insensitively (``gradcam++``); a
    ``Method`` is itself (e.g. ``resnet.evaluate.engine.FLOOR``, which the menus do not offer)."""
    if isinstance(name, Method):
        return name
    key = _squash(name)
    for method in METHODS.values():
        if _squash(method.label) == key:
            return method
    raise ValueError(f"Unknown CAM method {name!r}; choose one of: {', '.join(METHODS)}.")


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum() or ch == "+")


class ContrastTarget:
    """The score logit[a] - logit[b]: "why a and not b"."""

    def __init__(self, a: int, b: int):
        self.a, self.b = check_class(a), check_class(b)

    def __call__(self, output: torch.Tensor) -> torch.Tensor:
        return output[..., self.a] - output[..., self.b]


def target_for(cam_class: int, contrast: int | None = None):
    """A grad-cam package target for one class, or for a class minus another."""
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    return ClassifierOutputTarget(check_class(cam_class)) if contrast is None else ContrastTarget(cam_class, contrast)


def _release(cam) -> None:
    """Remove the hooks a package CAM put on the model (wrappers keep theirs on inner CAMs)."""
    for inner in [cam, getattr(cam, "base_cam", None), *getattr(cam, "base_cam_per_layer", [])]:
        if inner is not None and hasattr(inner, "activations_and_grads"):
            inner.activations_and_grads.release()


@contextlib.contextmanager
def seeded(seed: int, device: torch.device):
    """Seed torch's generators for a block and restore them after it: the CPU's, and the CUDA
    generator of ``device`` when it is a GPU (``manual_seed`` reseeds both)."""
    devices = (
        [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    )
    with torch.random.fork_rng(devices=devices, device_type="cuda"):
        torch.manual_seed(seed)
        yield


class Heatmaps:
    """Heatmaps of any method, class and contrast for one Explainer's explanations.

    Grad-CAM comes from the engine's exact fast path; the other methods and the ROAD metric
    run the grad-cam package, one call at a time, on a private copy of the model.
    """

    def __init__(self, explainer: Explainer, model: nn.Module | None = None):
        """``model``: a copy the package may hook (one nobody else runs); by default a private copy
        of ``explainer.model`` is made on first use."""
        self.explainer = explainer
        self._lock = threading.Lock()
        self._model = model

    def _private_model(self) -> nn.Module:
        if self._model is None:
            self._model = copy.deepcopy(self.explainer.model)
        return self._model

    def heatmap(self, explanation: Explanation, method: str, cam_class: int, contrast: int | None = None) -> np.ndarray:
        """The CAM of ``method`` at layer4 for ``cam_class`` (minus ``contrast``): (224, 224) in [0, 1]."""
        return full_size_cam(self.kept_heatmap(explanation, method, cam_class, contrast))

    def kept_heatmap(
        self, explanation: Explanation, method: str, cam_class: int, contrast: int | None = None
    ) -> np.ndarray:
        """``heatmap`` in its smallest exact form: Grad-CAM's (7, 7) grid before upsampling (0.2 kB),
        another method's (224, 224) map (200 kB); ``full_size_cam`` makes the map of either."""
        if method_named(method).label == DEFAULT_METHOD:
            if cam_class == explanation.cam_class and contrast is None:
                return explanation.cam_grid
            return self.explainer.layer4_grid(explanation, cam_class, contrast)
        return self.package_cam(explanation.input, method, cam_class, contrast)

    def input_cam(self, x: np.ndarray, method: str, cam_class: int, contrast: int | None = None) -> np.ndarray:
        """The CAM of ``method`` at layer4 for an input (3, 224, 224): (224, 224) in [0, 1].

        Grad-CAM runs one forward pass of the explainer's model (the exact fast path); other
        methods run the package.
        """
        if method_named(method).label != DEFAULT_METHOD:
            return self.package_cam(x, method, cam_class, contrast)
        with torch.inference_mode():
            _, stages = self.explainer.forward_stages(torch.from_numpy(x)[None])  # (1, 3, 224, 224) in
            return self.explainer.layer4_cam(stages["layer4"][0], cam_class, contrast)

    def package_cam(
        self, x: np.ndarray, method: str, cam_class: int, contrast: int | None = None, layer: str = "layer4"
    ) -> np.ndarray:
        """The package's CAM for an input (3, 224, 224) at the last block of ``layer``: (224, 224) in [0, 1]."""
        chosen = method_named(method)
        with self._lock:
            model = self._private_model()
            layers = [getattr(model, name)[-1] for name in (chosen.layers or (layer,))]
            cam = chosen.package_class(model=model, target_layers=layers)
            # ShapleyCAM differentiates the gradient again: it needs a graph from the head's
            # weights (through avgpool and fc the second-order term itself is 0).
            model.fc.weight.requires_grad_(chosen.class_name == "ShapleyCAM")
            try:
                batch = torch.from_numpy(x)[None].to(self.explainer.device).requires_grad_(True)
                with torch.enable_grad():  # parameters stay frozen; gradients flow from the input
                    if chosen.class_name == "FinerCAM" and contrast is None:  # against the closest classes
                        result = cam(input_tensor=batch, targets=None, target_idx=check_class(cam_class))
                    else:
                        result = cam(input_tensor=batch, targets=[target_for(cam_class, contrast)])
            finally:
                _release(cam)  # the package's __exit__ would swallow IndexError
                model.fc.weight.requires_grad_(False)
        return np.asarray(result[0], dtype=np.float32)

    def road(self, x: np.ndarray, cam: np.ndarray, cam_class: int, seed: int = 0) -> float:
        """ROAD faithfulness of a CAM, in probability units.

        The average, over removing 20/40/60/80% of the pixels, of (probability left when the
        least relevant pixels are removed - probability left when the most relevant are
        removed) / 2. Positive: the model relies on the highlighted region; near 0: it does not.
        Costs 8 forward passes plus the imputation of the removed pixels.
        """
        from pytorch_grad_cam.metrics.road import ROADCombined
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget

        metric = ROADCombined(percentiles=list(ROAD_PERCENTILES))
        batch = torch.from_numpy(x)[None].to(self.explainer.device)
        with self._lock, seeded(seed, self.explainer.device), torch.inference_mode():  # the imputer adds noise
            scores = metric(
                batch, cam[None], [ClassifierOutputSoftmaxTarget(check_class(cam_class))], self.explainer.model
            )
        return float(scores[0])


def heatmaps_for(explainer: Explainer) -> Heatmaps:
    """The one ``Heatmaps`` of ``explainer`` (its private model copy made once), kept on it."""
    with _HEATMAPS_LOCK:
        found = getattr(explainer, "_heatmaps", None)
        if found is None:
            found = explainer._heatmaps = Heatmaps(explainer)
    return found


def method_heatmap(
    explainer: Explainer, explanation: Explanation, method: str, cam_class: int, contrast: int | None = None
) -> np.ndarray:
    """``Heatmaps.heatmap`` of ``explainer``'s one Heatmaps: what a replica runs for a page (``resnet.serve``)."""
    return heatmaps_for(explainer).heatmap(explanation, method, cam_class, contrast)


def road_score(explainer: Explainer, x: np.ndarray, cam: np.ndarray, cam_class: int) -> float:
    """``Heatmaps.road`` of ``explainer``'s one Heatmaps."""
    return heatmaps_for(explainer).road(x, cam, cam_class)

"""ResNet50 explainer engine: weights, preprocessing, one walk of the network (``network``),
one-pass explanations, trust checks, lessons, lesions, the training race, rendering, the CLI.

This package never imports gradio and returns plain data; the page (``ui/``) and the command
line (``python -m resnet``) are built on it. The module map is in ``docs/architecture.md``.
"""

import importlib

_EXPORTS = {  # imported on first use, so a module that needs no torch (``clipfile``) loads without it
    "STAGES": "explain",
    "Explainer": "explain",
    "Explanation": "explain",
    "Prediction": "explain",
    "load_image": "preprocess",
    "model_input": "preprocess",
    "LoadedWeights": "weights",
    "load_weights": "weights",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

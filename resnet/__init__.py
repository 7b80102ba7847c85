"""ResNet50 explainer engine, in packages that match the page, imports running one way:
``core`` at the bottom; ``cams`` on it; ``present``; then ``evaluate``, ``learn`` and ``video``;
the command line (``cli``, ``python -m resnet``) on top.

It never imports gradio and returns plain data; the page (``ui/``) is built on it. The module
map is in ``docs/architecture.md``.
"""

import importlib

_EXPORTS = {  # imported on first use, so a module that needs no torch (``video.decoding``) loads without it
    "STAGES": "core.explanation",
    "Explainer": "core.explainer",
    "Explanation": "core.explanation",
    "Prediction": "core.explanation",
    "load_image": "core.preprocess",
    "model_input": "core.preprocess",
    "LoadedWeights": "core.weights",
    "load_weights": "core.weights",
}
_MODULES = {"render": "present.render"}  # modules the documentation imports from here
__all__ = [*_EXPORTS, *_MODULES]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    if name in _MODULES:
        return importlib.import_module(f".{_MODULES[name]}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""ResNet50 explainer engine: weights, preprocessing, one walk of the network (``network``),
one-pass explanations, trust checks, lessons, lesions, the training race, rendering, the CLI.

This package never imports gradio and returns plain data; the page (``ui/``) and the command
line (``python -m resnet``) are built on it. The module map is in ``docs/architecture.md``.
"""

from .explain import STAGES, Explainer, Explanation, Prediction
from .preprocess import load_image, model_input
from .weights import LoadedWeights, load_weights

__all__ = [
    "STAGES",
    "Explainer",
    "Explanation",
    "LoadedWeights",
    "Prediction",
    "load_image",
    "load_weights",
    "model_input",
]

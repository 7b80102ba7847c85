"""ResNet50 explainer engine: weights, preprocessing, one-pass explanations, rendering.

This package never imports gradio; ``app.py`` is the UI on top of it.
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

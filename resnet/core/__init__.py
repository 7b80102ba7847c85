"""The core: weights, preprocessing, the one walk of the network, ``Explainer`` and its
``Explanation``, batching, taught heads, host copies, files of a run, allocator settings.

Imports nothing else of ``resnet``; every other package is built on it."""

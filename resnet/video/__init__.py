"""Clips: decoding and encoding (``decoding``), the same in contained worker processes
(``workers``), and the frames explained and drawn (``frames``).

Imports ``resnet.core``, ``resnet.cams`` and ``resnet.present``."""

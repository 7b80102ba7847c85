"""Scoring CAM methods over a folder of images: the engine (``engine``), the same on Ray Data
(``on_ray``), and the tables, intervals and curves it writes (``report``).

Imports ``resnet.core``, ``resnet.cams`` and ``resnet.present``."""

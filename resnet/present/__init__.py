"""What the engine's results look like to people: pictures (``render``), the data of the
charts and tables (``charts``), and the one JSON report (``report``). No UI, no language.

Imports ``resnet.core`` and ``resnet.cams``."""

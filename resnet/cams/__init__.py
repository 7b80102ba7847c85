"""Where the model looked: the CAM methods (``methods``), occlusion, what-if edits, and the
trust checks (sanity, faithfulness curves, ROAD, agreement).

Imports ``resnet.core`` only."""

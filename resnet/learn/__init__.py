"""Teaching material: the CNN lessons, lesions and gradients along depth, the architecture
table, the plain-against-residual race, and teaching new classes.

Imports ``resnet.core``, ``resnet.cams`` and ``resnet.present``."""

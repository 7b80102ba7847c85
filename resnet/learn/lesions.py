"""Residual lesions: what the network does without one block's residual branch, or its shortcut.

Veit et al. (NeurIPS 2016) showed that residual networks behave like ensembles of shallow
networks: removing one residual branch (the block then outputs relu(shortcut(x))) barely hurts,
while removing a shortcut (the block outputs relu(F(x))) cuts every path through that block.
Each lesion is one row of a batch (``network.walk``'s ``keep``), so a whole experiment is a few
batched forward passes. ``gradient_along_depth`` compares the gradient along the depth with and without
every shortcut (the same weights: the plain version is a different function of them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from resnet.core.explainer import Explainer
from resnet.core.explanation import check_class
from resnet.core.host import to_numpy
from resnet.core.network import STEM, block_names, head

REMOVED = "residual", "shortcut"  # what a lesion removes from a block
MAX_RANDOM = 8  # random lesions: k = 0 .. MAX_RANDOM residual branches removed at once
DRAWS = 8  # random draws of k blocks for each k
BATCH = 16  # lesions per forward pass


@dataclass(frozen=True)
class Lesions:
    """The logits of one image under every lesion of the experiment."""

    blocks: list[str]  # the 16 blocks, network order
    intact: np.ndarray  # (K,) logits, no lesion
    residual_removed: np.ndarray  # (16, K): block i outputs relu(shortcut(x))
    shortcut_removed: np.ndarray  # (16, K): block i outputs relu(F(x))
    random_counts: np.ndarray  # (M,) int: how many random residual branches each draw removed
    random_logits: np.ndarray  # (M, K)

    def probabilities(self, logits: np.ndarray, cam_class: int) -> np.ndarray:
        """The class's softmax probability in each row of ``logits`` (R, K) -> (R,)."""
        shifted = logits - logits.max(axis=-1, keepdims=True)
        return np.exp(shifted[..., cam_class]) / np.exp(shifted).sum(axis=-1)

    def random_curve(self, cam_class: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """k = 0 .. MAX_RANDOM, and the mean and standard deviation of the class's probability over the draws."""
        p = self.probabilities(self.random_logits, cam_class)
        ks = np.unique(self.random_counts)
        return (
            ks,
            np.array([p[self.random_counts == k].mean() for k in ks]),
            np.array([p[self.random_counts == k].std() for k in ks]),
        )


def lesion_forwards(blocks: int = 16) -> int:
    """Forward passes of ``lesions``: the intact image, two lesions per block, the random draws."""
    return 1 + 2 * blocks + MAX_RANDOM * DRAWS


def lesioned_logits(explainer: Explainer, x: np.ndarray, rows: list[dict[str, str]]) -> np.ndarray:
    """Logits of an input (3, 224, 224) under each row's lesions ({block: "residual"|"shortcut"}): (R, K)."""
    names = block_names(explainer.model)
    out = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        keep = {}
        for name in names:
            weights = torch.ones(len(chunk), 2)  # (B, [residual, shortcut])
            for i, row in enumerate(chunk):
                if name in row:
                    weights[i, REMOVED.index(row[name])] = 0
            if (weights == 0).any():
                device = explainer.device
                keep[name] = tuple(w.reshape(-1, 1, 1, 1).to(device) for w in weights.T)
        batch = torch.from_numpy(x)[None].expand(len(chunk), -1, -1, -1)  # (B, 3, 224, 224)
        with torch.inference_mode():
            for step in explainer.walk(batch, keep=keep):
                features = step.output
            out.append(to_numpy(head(explainer.model, features)))  # (B, K)
    return np.concatenate(out)


def lesions(explainer: Explainer, x: np.ndarray, seed: int = 0) -> Lesions:
    """The whole experiment on one input (3, 224, 224): ``lesion_forwards()`` rows, batched."""
    names = block_names(explainer.model)
    rng = np.random.default_rng(seed)
    counts = np.repeat(np.arange(MAX_RANDOM + 1), DRAWS)  # (M,) k = 0 is the intact network, DRAWS times
    draws = [{names[i]: "residual" for i in rng.choice(len(names), k, replace=False)} for k in counts[DRAWS:]]
    rows = [{}] + [{n: "residual"} for n in names] + [{n: "shortcut"} for n in names] + draws
    logits = lesioned_logits(explainer, x, rows)
    intact, count = logits[0], len(names)
    random_logits = np.concatenate([np.repeat(intact[None], DRAWS, axis=0), logits[1 + 2 * count :]])
    return Lesions(names, intact, logits[1 : 1 + count], logits[1 + count : 1 + 2 * count], counts, random_logits)


def gradient_along_depth(
    explainer: Explainer, x: np.ndarray, cam_class: int, shortcuts: bool = True
) -> list[tuple[str, float]]:
    """‖∂ logit[cam_class] / ∂ output‖ of the stem and of every block, in network order.

    One backward pass from the class score (the model's parameters need no gradient). Without
    ``shortcuts`` every block outputs relu(F(x)): the same weights as a plain network, which is a
    different function of them, so its gradients show what the shortcuts carry.
    """
    names = block_names(explainer.model)
    keep = None if shortcuts else dict.fromkeys(names, (1.0, 0.0))
    outputs: list[tuple[str, torch.Tensor]] = []
    with torch.enable_grad():
        # The stem's output is a leaf: the backward stops there and touches no parameter.
        for step in explainer.walk(torch.from_numpy(x)[None], leaf=STEM[-1], keep=keep):
            if step.is_block:
                step.output.retain_grad()
                outputs.append((step.name, step.output))
            elif step.name == STEM[-1]:
                outputs.append(("stem", step.output))
        logits = head(explainer.model, outputs[-1][1])  # (1, K)
        logits[0, check_class(cam_class, logits.shape[1])].backward()
    return [(name, float(t.grad.float().norm())) for name, t in outputs]

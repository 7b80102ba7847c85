"""Explain one image with one forward pass: top-5, Grad-CAM, stage activations, block statistics.

ResNet50 ends in global average pooling and one linear layer, so for the ``layer4`` output
``A`` (2048×7×7) the logit of class c is ``sum_k fc.weight[c, k] * mean(A_k) + fc.bias[c]``.
Its gradient with respect to ``A_k[i, j]`` is ``fc.weight[c, k] / 49`` everywhere: Grad-CAM's
channel weights are known without a backward pass, and the CAM of any class (or of the
difference of two logits) is one product of ``fc.weight`` rows with the stored activations.

The forward pass is ``network.walk`` (the one walk of the network), so no hooks are ever
installed and concurrent calls share nothing but the read-only model. Grad-CAMs of the earlier
stages come from one backward pass that starts at the ``layer1`` output, so it never runs
through the stem or the parameters.

CAMs of an explained image, fastest first: ``layer4_evidence`` (the raw 7×7 evidence),
``layer4_grid`` (Grad-CAM before upsampling), ``layer4_cam`` (over the crop; no model run
for any class) and ``stage_grids`` (every stage: one forward, one partial backward).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import torch
from PIL import Image

from resnet.core import network
from resnet.core.explanation import (
    _EPS,
    STAGE_NAMES,
    STAGES,
    TOP_K,
    BlockStats,
    Explanation,
    LogitParts,
    Prediction,
    _normalise,
    check_class,
    full_size_cam,
)
from resnet.core.host import to_host, to_numpy
from resnet.core.preprocess import crop_input, prepare_inputs
from resnet.core.weights import LoadedWeights

PRECISIONS = {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}  # autocast dtype
FP16_GRAD_SCALE = 2.0**10  # fp16 gradients of a scaled score stay normal and far below fp16's maximum


class Explainer:
    """Runs the model on images. Holds only read-only state; safe to share across threads."""

    def __init__(self, weights: LoadedWeights, precision: str = "auto"):
        """``precision``: ``fp32``, or ``fp16`` / ``bf16`` autocast for the network body (the fc
        head always runs in fp32); ``auto`` is fp16 on CUDA and fp32 on the CPU. The tests check
        fp16 against fp32 on the CPU with this same code path."""
        self.weights = weights
        self.model = weights.model
        self.device = weights.device
        self.num_classes = len(weights.categories)  # 1000, or the classes of a taught head (resnet.core.heads)
        if precision == "auto":
            precision = "fp16" if self.device.type == "cuda" else "fp32"
        if precision not in PRECISIONS:
            raise ValueError(f"Unknown precision {precision!r}; choose auto or one of {', '.join(PRECISIONS)}.")
        self.precision = precision
        self._stage_ends = network.stage_ends(self.model)  # last step of each stage -> the stage
        # The classifier on the host, copied once now: every class's Grad-CAM and logit parts of an
        # explained image come from it without touching the model (on a ZeroGPU Space the model's
        # tensors are out of reach outside GPU calls once the app has launched).
        self.fc_weight = self.model.fc.weight.detach().float().cpu().contiguous()  # (classes, 2048)
        self.fc_bias = self.model.fc.bias.detach().float().cpu().contiguous()  # (classes,)

    def autocast(self):
        """The context the network body runs under: autocast at this precision, or nothing for fp32."""
        dtype = PRECISIONS[self.precision]
        return torch.autocast(self.device.type, dtype=dtype) if dtype else contextlib.nullcontext()

    def explain(
        self,
        image: Image.Image,
        cam_class: int | None = None,
        *,
        all_stages: bool = False,
        blocks: bool = False,
        stages: tuple[str, ...] = STAGES,
    ) -> Explanation:
        """Explain a clean RGB image (see ``preprocess.load_image``) with one forward pass.

        Args:
            image: upright RGB PIL image.
            cam_class: class id for the CAM; defaults to the top-1 class.
            all_stages: also Grad-CAMs of layer1..layer4 (adds one partial backward pass).
            blocks: also the statistics of the 16 residual blocks (no extra pass).
            stages: the stages whose activations come back in ``Explanation.stages`` (all by
                default; a label and its Grad-CAM need none, and copy back 16 KB instead of 7 MB).
        """
        return self.explain_batch([image], [cam_class], all_stages=all_stages, blocks=blocks, stages=stages)[0]

    def explain_batch(
        self,
        images: list[Image.Image],
        cam_classes: list[int | None] | None = None,
        *,
        all_stages: bool = False,
        blocks: bool = False,
        stages: tuple[str, ...] = STAGES,
    ) -> list[Explanation]:
        """Explain several images with one batched forward pass (see ``explain``). Several
        images are prepared in parallel (resizing releases the GIL)."""
        inputs = prepare_inputs(images, self.weights.transforms)
        return self.explain_prepared(inputs, cam_classes, all_stages=all_stages, blocks=blocks, stages=stages)

    def explain_steps(
        self, image: Image.Image, *, all_stages: bool = False, blocks: bool = False
    ) -> Iterator[Explanation]:
        """``explain`` of one image as it goes: the forward pass's explanation first, then with
        ``all_stages`` the same with every stage's Grad-CAM (see ``explain_in_steps``)."""
        inputs = prepare_inputs([image], self.weights.transforms)
        for explanations in self.explain_in_steps(inputs, all_stages=all_stages, blocks=blocks):
            yield explanations[0]

    def explain_crops(self, crops: list[Image.Image], cam_classes: list[int | None] | None = None) -> list[Explanation]:
        """Explain pictures that already are the model's crop (e.g. an edited crop, see
        ``resnet.cams.whatif``): normalised as they are, not resized or cropped again."""
        mean, std = self.weights.transforms.mean, self.weights.transforms.std
        return self.explain_prepared([(crop_input(crop, mean, std)[None], crop) for crop in crops], cam_classes)

    def explain_prepared(
        self,
        inputs: list[tuple[torch.Tensor, Image.Image]],
        cam_classes: list[int | None] | None = None,
        *,
        all_stages: bool = False,
        blocks: bool = False,
        stages: tuple[str, ...] = STAGES,
    ) -> list[Explanation]:
        """(x (1, 3, 224, 224), crop) pairs (``preprocess.model_input``) -> explanations, one
        batched forward pass (and with ``all_stages`` one partial backward pass)."""
        *_, explanations = self.explain_in_steps(
            inputs, cam_classes, all_stages=all_stages, blocks=blocks, stages=stages
        )
        return explanations

    def explain_in_steps(
        self,
        inputs: list[tuple[torch.Tensor, Image.Image]],
        cam_classes: list[int | None] | None = None,
        *,
        all_stages: bool = False,
        blocks: bool = False,
        stages: tuple[str, ...] = STAGES,
    ) -> Iterator[list[Explanation]]:
        """``explain_prepared`` as it goes: the explanations of the forward pass (top-5, the
        layer4 Grad-CAM, activations, blocks), then with ``all_stages`` the same again with every
        stage's Grad-CAM, from the partial backward pass that runs only when asked for the second.

        A page shows the first answer while the backward pass runs. No grad mode is held across
        a ``yield`` (a caller may resume the generator on another thread)."""
        unknown = set(stages) - set(STAGES)
        if unknown:
            raise ValueError(f"Unknown stages {sorted(unknown)}; choose from {', '.join(STAGES)}.")
        x = torch.cat([x for x, _ in inputs])  # (B, 3, 224, 224)
        x = x.pin_memory() if self.device.type == "cuda" else x
        x = x.to(self.device, non_blocking=True).contiguous(memory_format=self.weights.memory_format)
        count = len(inputs)
        block_stats: list[list[BlockStats]] | None = [[] for _ in range(count)] if blocks else None
        with torch.enable_grad() if all_stages else torch.inference_mode():
            logits, activations = self.forward_stages(x, block_stats, stage_grads=all_stages)
            chosen = self._chosen(logits.detach(), cam_classes or [None] * count)  # (B,) on the device
        explanations = self._explanations(inputs, logits, activations, chosen, stages, block_stats)
        yield explanations
        if all_stages:
            with torch.enable_grad():
                # The images are independent (eval mode), so one backward of the summed scores
                # gives every image the gradient of its own score.
                grids = self._stage_grids(activations, logits.gather(1, chosen[:, None]).sum())
            yield [replace(e, stage_grids=g) for e, g in zip(explanations, grids, strict=True)]

    def _explanations(
        self,
        inputs: list[tuple[torch.Tensor, Image.Image]],
        logits: torch.Tensor,
        activations: dict[str, torch.Tensor],
        chosen: torch.Tensor,
        stages: tuple[str, ...],
        block_stats: list[list[BlockStats]] | None,
    ) -> list[Explanation]:
        """A batch's explanations without stage Grad-CAMs. Everything per image (softmax, top-5,
        the layer4 Grad-CAM) is computed for the whole batch on the model's device, and what comes
        back to the host comes in one copy (``to_host``): no per-image or per-value synchronisation."""
        with torch.inference_mode():
            logits = logits.detach().float()  # (B, classes)
            probabilities = logits.softmax(dim=1)
            top = probabilities.topk(min(TOP_K, self.num_classes))  # (B, 5), fewer for a small taught head
            layer4 = activations["layer4"].detach()  # (B, 2048, 7, 7)
            h, w = layer4.shape[-2:]
            directions = self.model.fc.weight[chosen].float() / (h * w)  # (B, 2048)
            host = to_host(
                {
                    "logits": logits,
                    "probabilities": probabilities,
                    "top_p": top.values,
                    "top_k": top.indices,
                    "chosen": chosen,
                    "cam_grid": _cam_grids(layer4, directions),  # (B, 7, 7)
                    **{name: activations[name].detach() for name in stages},
                }
            )
        names = self.weights.categories
        normalisation = (tuple(self.weights.transforms.mean), tuple(self.weights.transforms.std))
        top_k, top_p, chosen_ = host["top_k"].tolist(), host["top_p"].tolist(), host["chosen"].tolist()
        return [
            Explanation(
                crop=crop,
                normalisation=normalisation,
                logits=host["logits"][i],
                probabilities=host["probabilities"][i],
                top5=[Prediction(k, names[k], p) for k, p in zip(top_k[i], top_p[i], strict=True)],
                cam_class=chosen_[i],
                cam_grid=host["cam_grid"][i],
                stages={name: host[name][i] for name in stages},
                blocks=block_stats[i] if block_stats is not None else None,
            )
            for i, (_, crop) in enumerate(inputs)
        ]

    def _chosen(self, logits: torch.Tensor, cam_classes: list[int | None]) -> torch.Tensor:
        """The class each image's CAM explains, (B,) int64 on the logits' device: the given one,
        else the top-1 (found on the device: no synchronisation)."""
        given = torch.tensor([-1 if c is None else self.check_class(c) for c in cam_classes], device=logits.device)
        return torch.where(given >= 0, given, logits.argmax(dim=1))

    def warm_up(self, runs: int = 2) -> float:
        """Run the model on a blank input ``runs`` times; return the fastest run's seconds. The first
        run also sets up the kernels (up to 30% slower on a CPU), and one run alone swung 5× on a busy
        machine: the fastest of two is the steady pass unless both were slowed."""
        x = torch.zeros(1, 3, 224, 224, device=self.device).contiguous(memory_format=self.weights.memory_format)
        seconds = []
        with torch.inference_mode():
            for _ in range(runs):
                start = time.perf_counter()
                self.forward_stages(x)
                if self.device.type == "cuda":
                    torch.cuda.synchronize()
                seconds.append(time.perf_counter() - start)
        return min(seconds)

    def walk(self, x: torch.Tensor, **kwargs) -> Iterator[network.Step]:
        """``network.walk`` of ``x`` (B, 3, 224, 224) on this analysis's device, memory format and precision."""
        x = x.to(self.device).contiguous(memory_format=self.weights.memory_format)
        return network.walk(self.model, x, autocast=self.autocast, **kwargs)

    def forward_stages(
        self, x: torch.Tensor, block_stats: list[list[BlockStats]] | None = None, stage_grads: bool = False
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The forward pass, stage by stage. Returns logits (B, 1000) and STAGES -> (B, C, H, W).

        With ``block_stats`` (a list per image) each block's statistics are recorded. With
        ``stage_grads`` (under grad mode) the layer1 output is made a leaf that requires grad, so
        a backward pass from the logits stops there: no gradient for the stem or any parameter
        is ever computed.
        """
        ends = self._stage_ends
        leaf = next(name for name, stage in ends.items() if stage == "layer1") if stage_grads else None
        stages = {}
        for step in self.walk(x, branches=block_stats is not None, leaf=leaf):
            if block_stats is not None and step.is_block:
                pairs = zip(block_stats, step.residual.detach(), step.shortcut.detach(), strict=True)
                for image_stats, r, s in pairs:
                    image_stats.append(_block_stats(step.name, r, s))
            if step.name in ends:
                stages[ends[step.name]] = step.output  # stem (B, 64, 56, 56) .. layer4 (B, 2048, 7, 7)
        return network.head(self.model, stages["layer4"]), stages

    def stage_grids(
        self, explanation: Explanation, cam_class: int, contrast: int | None = None
    ) -> dict[str, np.ndarray]:
        """Grad-CAMs of layer1..layer4 for a class (or A minus B), each (h, w) of its stage before
        upsampling (``upsample_cams`` puts them over the crop): one forward, one partial backward."""
        x = self._input(explanation)
        with torch.enable_grad():
            logits, stages = self.forward_stages(x, stage_grads=True)
            score = logits[0, self.check_class(cam_class)]
            if contrast is not None:
                score = score - logits[0, self.check_class(contrast)]
            return self._stage_grids(stages, score)[0]

    def activations(self, explanation: Explanation) -> dict[str, np.ndarray]:
        """Every stage's activations for an explained image (one forward pass): STAGES -> (C, H, W)."""
        with torch.inference_mode():
            _, stages = self.forward_stages(self._input(explanation))
            return {name: to_numpy(act[0]) for name, act in stages.items()}

    def _input(self, explanation: Explanation) -> torch.Tensor:
        x = torch.from_numpy(explanation.input)[None].to(self.device)  # (1, 3, 224, 224)
        return x.contiguous(memory_format=self.weights.memory_format)

    def _stage_grids(self, stages: dict[str, torch.Tensor], score: torch.Tensor) -> list[dict[str, np.ndarray]]:
        """Grad-CAM grids at every stage, for every image, from one backward pass of ``score``."""
        acts = [stages[name] for name in STAGE_NAMES]
        # Under fp16 autocast the gradients flow back in fp16, where ~13% of layer4's (about
        # fc.weight / 49) are subnormal and lose digits: the score is scaled up first and the
        # gradients scaled back in fp32, as mixed-precision training's loss scaling does.
        scale = FP16_GRAD_SCALE if self.precision == "fp16" else 1.0
        grads = torch.autograd.grad(score * scale, acts)
        grids = [{} for _ in range(acts[0].shape[0])]
        for name, act, grad in zip(STAGE_NAMES, acts, grads, strict=True):
            alphas = grad.float().mean(dim=(2, 3)) / scale  # (B, C) spatial mean of the gradient
            for i, grid in enumerate(to_numpy(_cam_grids(act.detach(), alphas))):  # (B, h, w)
                grids[i][name] = grid
        return grids

    def class_direction(self, cam_class: int, contrast: int | None = None) -> torch.Tensor:
        """fc row of the class, minus the contrast class's row for "why A and not B": (2048,) on the host."""
        weight = self.fc_weight
        direction = weight[self.check_class(cam_class)]
        if contrast is not None:
            direction = direction - weight[self.check_class(contrast)]
        return direction

    def layer4_evidence(
        self, explanation: Explanation | torch.Tensor, cam_class: int, contrast: int | None = None
    ) -> np.ndarray:
        """Grad-CAM's evidence at layer4 before the ReLU and the scaling: sum_k (w_k / 49) · A_k. (h, w)

        ``explanation``: an explained image, or layer4 activations (2048, h, w). Positive cells
        speak for the class, negative ones against it; its sum is the logit minus the bias (for a
        contrast: the difference of the two logits minus their biases). Equals pytorch-grad-cam's
        ``GradCAM(model, [model.layer4[-1]])`` before its ReLU: channel weights are the spatial
        mean of the gradient, which for avgpool + fc is ``direction / (h*w)``.
        """
        with torch.inference_mode():
            layer4 = explanation if isinstance(explanation, torch.Tensor) else torch.from_numpy(explanation.layer4)
            layer4 = layer4.detach().float().cpu()  # (2048, h, w): the host copy of fc, no model run
            _, h, w = layer4.shape
            direction = self.class_direction(cam_class, contrast) / (h * w)
            return torch.einsum("k,khw->hw", direction, layer4).numpy()

    def layer4_grid(
        self,
        explanation: Explanation | torch.Tensor,
        cam_class: int,
        contrast: int | None = None,
        against: bool = False,
    ) -> np.ndarray:
        """Grad-CAM at layer4 before upsampling: relu(evidence) min-max scaled, (h, w) in [0, 1].

        ``against``: the map of the negated score, i.e. where the evidence argues against the class.
        """
        evidence = torch.from_numpy(self.layer4_evidence(explanation, cam_class, contrast))
        return _normalise(torch.relu(-evidence if against else evidence)).numpy()

    def layer4_cam(
        self,
        explanation: Explanation | torch.Tensor,
        cam_class: int,
        contrast: int | None = None,
        against: bool = False,
    ) -> np.ndarray:
        """Grad-CAM at layer4 over the crop, (224, 224) in [0, 1], no model run: ``layer4_grid``
        upsampled and scaled again, as the grad-cam package does."""
        return full_size_cam(self.layer4_grid(explanation, cam_class, contrast, against))

    def check_class(self, index: int) -> int:
        """``index`` if it is a class of this model, else a clear ValueError."""
        return check_class(index, self.num_classes)

    def logit_parts(self, explanation: Explanation, cam_class: int) -> LogitParts:
        """Split the class's logit into per-channel contributions of the pooled layer4 features."""
        index = self.check_class(cam_class)
        pooled = torch.from_numpy(explanation.layer4).float().mean(dim=(1, 2))  # (2048,)
        contributions = (self.fc_weight[index] * pooled).numpy()
        bias = float(self.fc_bias[index])
        return LogitParts(cam_class, float(explanation.logits[cam_class]), bias, contributions)


def _block_stats(name: str, residual: torch.Tensor, shortcut: torch.Tensor) -> BlockStats:
    """Statistics of one block from F(x) and shortcut(x), both (C, H, W)."""
    r, s = residual.float().flatten(), shortcut.float().flatten()
    r_norm, s_norm = r.norm(), s.norm()
    return BlockStats(
        name=name,
        ratio=float(r_norm / s_norm),
        cosine=float(r @ s / (r_norm * s_norm)),
        residual_map=residual.float().norm(dim=0).cpu().numpy(),
    )


def _cam_grids(activations: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """relu(sum_k alpha_k A_k), min-max scaled per image: the CAMs at the activations' own
    resolution. activations (B, C, h, w), alphas (B, C) -> (B, h, w)."""
    cams = torch.relu(torch.einsum("bk,bkhw->bhw", alphas.float(), activations.float()))
    cams = cams - cams.amin(dim=(1, 2), keepdim=True)
    return cams / (_EPS + cams.amax(dim=(1, 2), keepdim=True))

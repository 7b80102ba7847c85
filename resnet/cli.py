"""Command line: ``python -m resnet explain IMAGE [IMAGE ...] --out DIR [options]``.

Per image NAME it writes ``NAME_cam.png`` (overlay with legend), ``NAME_<stage>.png``
(feature-map grids), ``NAME.json`` (top-5, weights, explained class, ...) and ``NAME.npz``
(``logits``: 1000 float32; ``cam``: 224×224 float32 in [0, 1] over the crop the model saw;
with ``--stages`` ``cam_layer1``..``cam_layer4``; with ``--blocks`` ``block_ratio`` and
``block_cosine``, 16 float32 each in network order).
A bad file is reported and skipped; the exit code is 1 if any image failed, 2 if nothing ran.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from . import render
from .cams import DEFAULT_METHOD, METHODS, Heatmaps, method_named
from .explain import Explainer, Explanation, find_class
from .preprocess import load_image
from .report import build_report
from .runtime import tune_allocator
from .weights import LoadedWeights, load_weights


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m resnet", description="Explain ResNet50 predictions.")
    commands = parser.add_subparsers(dest="command", required=True)
    explain = commands.add_parser("explain", help="top-5, Grad-CAM and stage feature maps for images")
    explain.add_argument("images", nargs="+", type=Path, help="image files")
    explain.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    explain.add_argument(
        "--weights",
        default=None,
        help="IMAGENET1K_V2 (default, or $RESNET_WEIGHTS), IMAGENET1K_V1, random, or a .pth/.safetensors path",
    )
    explain.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    explain.add_argument("--precision", default="auto", help="auto (fp16 on CUDA, fp32 on CPU), fp32, fp16 or bf16")
    explain.add_argument("--json", action="store_true", help="print the JSON records to stdout")
    explain.add_argument("--method", default=DEFAULT_METHOD, help=f"CAM method: {', '.join(METHODS)}")
    explain.add_argument("--target", default=None, help="class to explain, id or name (default: top-1)")
    explain.add_argument("--contrast", default=None, help="explain 'target and not CONTRAST' (id or name)")
    explain.add_argument("--stages", action="store_true", help="also Grad-CAMs of layer1..layer4 into the .npz")
    explain.add_argument("--blocks", action="store_true", help="also residual block statistics into .npz and .json")
    return parser


class Options:
    """Validated per-run choices, so a typo fails before any image is processed."""

    def __init__(self, args: argparse.Namespace, categories: list[str]):
        self.method = method_named(args.method).label
        self.target = None if args.target is None else find_class(args.target, categories)
        self.contrast = None if args.contrast is None else find_class(args.contrast, categories)
        self.stages, self.blocks = args.stages, args.blocks


def explain_one(image: Path, explainer: Explainer, heatmaps: Heatmaps, options: Options) -> tuple[Explanation, dict]:
    """Run the engine for one image; return the explanation and the arrays for the .npz."""
    stage_cams_now = options.stages and options.contrast is None
    explanation = explainer.explain(load_image(image), options.target, all_stages=stage_cams_now, blocks=options.blocks)
    cam_class = explanation.cam_class
    arrays = {
        "logits": explanation.logits,
        "cam": heatmaps.heatmap(explanation, options.method, cam_class, options.contrast),
    }
    if options.stages:
        stage_cams = explanation.stage_cams or explainer.stage_cams(explanation, cam_class, options.contrast)
        arrays.update({f"cam_{name}": cam for name, cam in stage_cams.items()})
    if options.blocks:
        arrays["block_ratio"] = np.array([b.ratio for b in explanation.blocks])
        arrays["block_cosine"] = np.array([b.cosine for b in explanation.blocks])
    return explanation, {k: v.astype(np.float32) for k, v in arrays.items()}


def write_outputs(
    stem: str, out: Path, image: Path, explanation: Explanation, arrays: dict, weights: LoadedWeights, options: Options
) -> dict:
    """Write the PNGs, JSON and NPZ of one image; return its JSON record."""
    names = weights.categories
    target = f"“{names[explanation.cam_class]}”"
    if options.contrast is not None:
        target += f" and not “{names[options.contrast]}”"
    pictures = {f"{stem}_cam.png": render.cam_overlay(explanation.crop, arrays["cam"], target)}
    for stage, (grid, _) in zip(explanation.stages, render.feature_grids(explanation.stages, min_tile=56)):
        pictures[f"{stem}_{stage}.png"] = grid
    for filename, picture in pictures.items():
        picture.save(out / filename)
    np.savez(out / f"{stem}.npz", **arrays)
    record = {"image": str(image)}
    record.update(
        build_report(weights, explanation, cam_class=explanation.cam_class, method=options.method, contrast=options.contrast)
    )
    record["files"] = [*pictures, f"{stem}.npz"]
    (out / f"{stem}.json").write_text(json.dumps(record, indent=2))
    return record


def unique_stems(images: list[Path]) -> list[str]:
    """File stems, made unique (``cat``, ``cat-2``) so same-named files do not overwrite."""
    seen: dict[str, int] = {}
    stems = []
    for image in images:
        count = seen.get(image.stem, 0) + 1
        seen[image.stem] = count
        stems.append(image.stem if count == 1 else f"{image.stem}-{count}")
    return stems


def explain_command(args: argparse.Namespace) -> int:
    try:
        weights = load_weights(args.weights, device=args.device)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if weights.warning:
        print(f"warning: {weights.warning}", file=sys.stderr)
    try:
        options = Options(args, weights.categories)
        explainer = Explainer(weights, precision=args.precision)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"using {weights.describe()}", file=sys.stderr)
    heatmaps = Heatmaps(explainer)
    args.out.mkdir(parents=True, exist_ok=True)
    records, failures = [], 0
    for image, stem in zip(args.images, unique_stems(args.images)):
        try:
            explanation, arrays = explain_one(image, explainer, heatmaps, options)
        except (ValueError, OSError) as err:
            failures += 1
            print(f"error: {image}: {err}", file=sys.stderr)
            records.append({"image": str(image), "error": str(err)})
            continue
        records.append(write_outputs(stem, args.out, image, explanation, arrays, weights, options))
        if not args.json:
            best = explanation.top5[0]
            print(f"{image}: {best.name} ({best.probability:.1%}) -> {args.out / stem}_cam.png")
    if args.json:
        print(json.dumps(records, indent=2))
    if failures == len(args.images):
        return 2
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tune_allocator()
    return explain_command(args)

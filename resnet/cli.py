"""Command line: ``python -m resnet explain IMAGE [IMAGE ...] --out DIR [--json]``.

Per image NAME it writes ``NAME_gradcam.png`` (overlay with legend), ``NAME_<stage>.png``
(feature-map grids), ``NAME.json`` (top-5, weights, explained class) and ``NAME.npz``
(``logits``: 1000 float32; ``cam``: 224×224 float32 in [0, 1] over the crop the model saw).
A bad file is reported and skipped; the exit code is 1 if any image failed, 2 if nothing ran.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from . import render
from .explain import Explainer, Explanation
from .preprocess import load_image
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
    explain.add_argument("--json", action="store_true", help="print the JSON records to stdout")
    return parser


def record(image: Path, explanation: Explanation, weights: LoadedWeights, files: list[str]) -> dict:
    """The JSON record written next to the images."""
    names = weights.categories
    return {
        "image": str(image),
        "weights": {"name": weights.name, "sha256": weights.sha256, "description": weights.describe()},
        "top5": [{"index": p.index, "name": p.name, "probability": p.probability} for p in explanation.top5],
        "explained_class": {"index": explanation.cam_class, "name": names[explanation.cam_class]},
        "method": "gradcam",
        "layer": "layer4",
        "files": files,
    }


def write_outputs(stem: str, out: Path, image: Path, explanation: Explanation, weights: LoadedWeights) -> dict:
    """Write the PNGs, JSON and NPZ of one image; return its record."""
    class_name = weights.categories[explanation.cam_class]
    pictures = {f"{stem}_gradcam.png": render.cam_overlay(explanation.crop, explanation.cam, class_name)}
    for stage, activation in explanation.stages.items():
        pictures[f"{stem}_{stage}.png"] = render.feature_grid(activation)
    for filename, picture in pictures.items():
        picture.save(out / filename)
    np.savez(out / f"{stem}.npz", logits=explanation.logits.astype(np.float32), cam=explanation.cam.astype(np.float32))
    rec = record(image, explanation, weights, [*pictures, f"{stem}.npz"])
    (out / f"{stem}.json").write_text(json.dumps(rec, indent=2))
    return rec


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
    print(f"using {weights.describe()}", file=sys.stderr)
    explainer = Explainer(weights)
    args.out.mkdir(parents=True, exist_ok=True)
    records, failures = [], 0
    for image, stem in zip(args.images, unique_stems(args.images)):
        try:
            explanation = explainer.explain(load_image(image))
        except (ValueError, OSError) as err:
            failures += 1
            print(f"error: {image}: {err}", file=sys.stderr)
            records.append({"image": str(image), "error": str(err)})
            continue
        records.append(write_outputs(stem, args.out, image, explanation, weights))
        if not args.json:
            best = explanation.top5[0]
            print(f"{image}: {best.name} ({best.probability:.1%}) -> {args.out / stem}_gradcam.png")
    if args.json:
        print(json.dumps(records, indent=2))
    if failures == len(args.images):
        return 2
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return explain_command(args)

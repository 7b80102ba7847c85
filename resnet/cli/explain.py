"""``python -m resnet explain IMAGE [IMAGE ...] --out DIR [options]``.

Per image NAME it writes ``NAME_cam.png`` (overlay with legend), ``NAME_<stage>.png``
(feature-map grids), ``NAME.json`` (top-5, weights, explained class, ...) and ``NAME.npz``
(``logits``: 1000 float32; ``cam``: 224×224 float32 in [0, 1] over the crop the model saw;
with ``--stages`` ``cam_layer1``..``cam_layer4``; with ``--blocks`` ``block_ratio`` and
``block_cosine``, 16 float32 each in network order; with ``--sanity`` ``sanity_layers``,
``sanity_cams`` (6×224×224) and ``sanity_spearman`` (6); with ``--faithfulness``
``deletion_curve`` and ``insertion_curve`` (K+1 each) and ``deletion_auc``, ``insertion_auc``;
with ``--lesion`` ``lesion_blocks`` (16), ``lesion_logits`` and ``lesion_shortcut_logits`` (16×1000);
with ``--gradients`` ``grad_names`` (17), ``grad_norms`` and ``grad_norms_plain`` (17)).
Folders are walked; images go through the model in batches; ``summary.csv`` and
``summary.json`` list every image; a re-run skips images already done with the same options.
A bad file is reported and skipped; the exit code is 1 if any image failed, 2 if nothing ran.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from resnet.cams.methods import DEFAULT_METHOD, METHODS, Heatmaps, method_named
from resnet.cams.trust import CURVE_STEPS, SANITY_LAYERS, faithfulness_curves, sanity_check
from resnet.cli.flags import add_model_flags, load_model
from resnet.core.explainer import Explainer
from resnet.core.explanation import Explanation, find_class, upsample_cams
from resnet.core.files import IMAGE_SUFFIXES, collect_files, finished_record
from resnet.core.network import block_names
from resnet.core.preprocess import load_image
from resnet.core.weights import LoadedWeights
from resnet.learn.lesions import gradient_along_depth, lesioned_logits
from resnet.present import render
from resnet.present.report import build_report, faithfulness_section, sanity_section


def add_parser(commands) -> None:
    explain = commands.add_parser("explain", help="top-5, Grad-CAM and stage feature maps for images")
    explain.add_argument("images", nargs="+", type=Path, help="image files and/or folders (walked recursively)")
    explain.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    add_model_flags(explain)
    explain.add_argument("--json", action="store_true", help="print the JSON records to stdout")
    explain.add_argument("--method", default=DEFAULT_METHOD, help=f"CAM method: {', '.join(METHODS)}")
    explain.add_argument("--target", default=None, help="class to explain, id or name (default: top-1)")
    explain.add_argument("--contrast", default=None, help="explain 'target and not CONTRAST' (id or name)")
    explain.add_argument("--stages", action="store_true", help="also Grad-CAMs of layer1..layer4 into the .npz")
    explain.add_argument("--blocks", action="store_true", help="also residual block statistics into .npz and .json")
    explain.add_argument(
        "--sanity",
        action="store_true",
        help="also the cascading randomization sanity check (6 maps, Spearman) into .npz and .json",
    )
    explain.add_argument(
        "--faithfulness",
        action="store_true",
        help=f"also deletion and insertion curves ({CURVE_STEPS + 1} points) and their areas into .npz and .json",
    )
    explain.add_argument(
        "--lesion",
        action="store_true",
        help="also the logits with each block's residual branch, then its shortcut, removed (16×1000 each)",
    )
    explain.add_argument(
        "--gradients",
        action="store_true",
        help="also the gradient norm of the class score at the stem and every block, with and without shortcuts",
    )
    explain.add_argument("--batch-size", type=int, default=8, help="images per forward pass (default 8)")
    explain.add_argument("--no-resume", action="store_true", help="redo images an earlier run already finished")
    explain.add_argument(
        "--head", type=Path, default=None, help="explain the classes of a taught head (python -m resnet teach)"
    )


class Options:
    """Validated per-run choices, so a typo fails before any image is processed."""

    def __init__(self, args: argparse.Namespace, categories: list[str]):
        self.method = method_named(args.method).label
        self.target = None if args.target is None else find_class(args.target, categories)
        self.contrast = None if args.contrast is None else find_class(args.contrast, categories)
        self.stages, self.blocks = args.stages, args.blocks
        self.sanity, self.faithfulness = args.sanity, args.faithfulness
        self.lesion, self.gradients = args.lesion, args.gradients
        self.head = None if args.head is None else str(args.head)

    def as_dict(self) -> dict:
        """What a record must match to be reused when a run resumes."""
        return {
            "method": self.method,
            "target": self.target,
            "contrast": self.contrast,
            "stages": self.stages,
            "blocks": self.blocks,
            "sanity": self.sanity,
            "faithfulness": self.faithfulness,
            "lesion": self.lesion,
            "gradients": self.gradients,
            "head": self.head,
        }


def explain_chunk(
    chunk: list[tuple[Path, object]], explainer: Explainer, heatmaps: Heatmaps, options: Options
) -> list[tuple[Explanation, dict]]:
    """Explain loaded images in one batch; return each explanation with the arrays for its .npz."""
    stage_cams_now = options.stages and options.contrast is None
    images = [image for _, image in chunk]
    explanations = explainer.explain_batch(
        images, [options.target] * len(images), all_stages=stage_cams_now, blocks=options.blocks
    )
    results = []
    for explanation in explanations:
        cam_class = explanation.cam_class
        arrays = {
            "logits": explanation.logits,
            "cam": heatmaps.heatmap(explanation, options.method, cam_class, options.contrast),
        }
        if options.stages:
            stage_cams = explanation.stage_cams or upsample_cams(
                explainer.stage_grids(explanation, cam_class, options.contrast)
            )
            arrays.update({f"cam_{name}": cam for name, cam in stage_cams.items()})
        if options.blocks:
            arrays["block_ratio"] = np.array([b.ratio for b in explanation.blocks])
            arrays["block_cosine"] = np.array([b.cosine for b in explanation.blocks])
        if options.sanity:
            sanity = sanity_check(
                explainer, explanation.input, arrays["cam"], options.method, cam_class, options.contrast
            )
            arrays.update(sanity_cams=sanity.cams, sanity_spearman=sanity.spearman)
        if options.faithfulness:
            curves = faithfulness_curves(explainer, explanation.input, arrays["cam"], cam_class)
            arrays.update(
                deletion_curve=curves.deletion,
                insertion_curve=curves.insertion,
                deletion_auc=np.array(curves.deletion_auc),
                insertion_auc=np.array(curves.insertion_auc),
            )
        arrays.update(residual_arrays(explainer, explanation, options))
        names = {k: arrays.pop(k) for k in ("lesion_blocks", "grad_names") if k in arrays}
        arrays = {k: v.astype(np.float32) for k, v in arrays.items()}
        arrays.update(names)
        if options.sanity:
            arrays["sanity_layers"] = np.array(SANITY_LAYERS)
        results.append((explanation, arrays))
    return results


def residual_arrays(explainer: Explainer, explanation: Explanation, options: Options) -> dict:
    """``--lesion`` and ``--gradients``: what the residual blocks and their shortcuts do for this image."""
    arrays = {}
    if options.lesion:
        names = block_names(explainer.model)
        rows = [{name: "residual"} for name in names] + [{name: "shortcut"} for name in names]
        logits = lesioned_logits(explainer, explanation.input, rows)  # (32, K)
        arrays.update(lesion_blocks=np.array(names), lesion_logits=logits[:16], lesion_shortcut_logits=logits[16:])
    if options.gradients:
        x, cam_class = explanation.input, explanation.cam_class
        norms = gradient_along_depth(explainer, x, cam_class)
        plain = gradient_along_depth(explainer, x, cam_class, shortcuts=False)
        arrays.update(
            grad_names=np.array([n for n, _ in norms]),
            grad_norms=np.array([v for _, v in norms]),
            grad_norms_plain=np.array([v for _, v in plain]),
        )
    return arrays


def write_image_files(
    stem: str, out: Path, image: Path, explanation: Explanation, arrays: dict, weights: LoadedWeights, options: Options
) -> dict:
    """Write the PNGs, JSON and NPZ of one image; return its JSON record."""
    caption = render.heatmap_caption(weights.categories, explanation.cam_class, options.contrast)
    pictures = {f"{stem}_cam.png": render.cam_overlay(explanation.crop, arrays["cam"], caption)}
    for stage, (grid, _) in zip(explanation.stages, render.feature_grids(explanation.stages, min_tile=56), strict=True):
        pictures[f"{stem}_{stage}.png"] = grid
    for filename, picture in pictures.items():
        picture.save(out / filename)
    np.savez(out / f"{stem}.npz", **arrays)
    sections = {}
    if options.sanity:
        sections["sanity"] = sanity_section(arrays["sanity_spearman"])
    if options.faithfulness:
        curves = (arrays[k] for k in ("deletion_curve", "insertion_curve", "deletion_auc", "insertion_auc"))
        sections["faithfulness_curves"] = faithfulness_section(*curves)
    report = build_report(
        weights,
        explanation,
        cam_class=explanation.cam_class,
        method=options.method,
        contrast=options.contrast,
        sections=sections,
    )
    record = {"image": str(image), **report}
    record["options"] = options.as_dict()
    record["files"] = [*pictures, f"{stem}.npz"]
    (out / f"{stem}.json").write_text(json.dumps(record, indent=2))  # written last: marks the image done
    return record


def write_summary(out: Path, records: list[dict]) -> None:
    """summary.json (every record) and summary.csv (one line per image)."""
    (out / "summary.json").write_text(json.dumps(records, indent=2))
    with open(out / "summary.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image", "status", "top1", "top1_probability", "top5", "explained_class", "error"])
        for r in records:
            if "error" in r:
                writer.writerow([r["image"], "error", "", "", "", "", r["error"]])
            else:
                top5 = ";".join(p["name"] for p in r["top5"])
                writer.writerow(
                    [
                        r["image"],
                        "ok",
                        r["top5"][0]["name"],
                        f"{r['top5'][0]['probability']:.6f}",
                        top5,
                        r["explained_class"]["name"],
                        "",
                    ]
                )


def run(args: argparse.Namespace) -> int:
    try:
        explainer = load_model(args, head=args.head)
        options = Options(args, explainer.weights.categories)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    images = collect_files(args.images)
    if not images:
        print("error: no images found (looked for " + ", ".join(sorted(IMAGE_SUFFIXES)) + ")", file=sys.stderr)
        return 2
    records = {} if args.no_resume else finished_records(args.out, images, options)
    if records:
        print(f"resuming: {len(records)} of {len(images)} images already done in {args.out}", file=sys.stderr)
    todo = [i for i in range(len(images)) if i not in records]
    progress = tqdm(
        total=len(images), initial=len(records), unit="image", desc="explaining", file=sys.stderr, disable=None
    )
    heatmaps = Heatmaps(explainer)
    for start in range(0, len(todo), max(1, args.batch_size)):
        batch = todo[start : start + max(1, args.batch_size)]
        records.update(explain_batch(args, images, batch, explainer, heatmaps, options, progress))
    progress.close()
    ordered = [records[i] for i in range(len(images))]
    write_summary(args.out, ordered)
    if args.json:
        print(json.dumps(ordered, indent=2))
    failures = sum("error" in r for r in ordered)
    if failures == len(ordered):
        return 2
    return 1 if failures else 0


def finished_records(out: Path, images: list[tuple[Path, str]], options: Options) -> dict[int, dict]:
    """The records an earlier run with the same options left in ``out``, by image index."""
    found = {i: finished_record(out, stem, image, options.as_dict()) for i, (image, stem) in enumerate(images)}
    return {i: record for i, record in found.items() if record}


def explain_batch(args, images, batch: list[int], explainer, heatmaps, options: Options, progress) -> dict[int, dict]:
    """Read, explain and write the images at indices ``batch``; each one's record (or error) by index."""
    records, chunk = {}, []
    for i in batch:
        image = images[i][0]
        try:
            chunk.append((i, load_image(image)))
        except (ValueError, OSError) as err:
            records[i] = {"image": str(image), "error": str(err)}
            progress.write(f"error: {image}: {err}", file=sys.stderr)
            progress.update(1)
    if not chunk:
        return records
    for (i, _), (explanation, arrays) in zip(chunk, explain_chunk(chunk, explainer, heatmaps, options), strict=True):
        image, stem = images[i]
        records[i] = write_image_files(stem, args.out, image, explanation, arrays, explainer.weights, options)
        if not args.json:
            best = explanation.top5[0]
            progress.write(
                f"{image}: {best.name} ({best.probability:.1%}) -> {args.out / stem}_cam.png", file=sys.stdout
            )
    progress.update(len(chunk))
    return records

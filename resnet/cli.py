"""Command line: ``python -m resnet explain IMAGE [IMAGE ...] --out DIR [options]``, and
``python -m resnet teach DATA_DIR --out HEAD.safetensors`` (new classes; ``explain --head``), and
``python -m resnet video VIDEO [...] --out DIR`` (see ``video_cli``), and
``python -m resnet race --depths 20,56 --out DIR`` (plain against residual networks, see ``race_cli``).

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

from . import render
from .evaluate_cli import add_evaluate_parser, evaluate_command
from .explain import PRECISIONS, Explainer, Explanation, find_class, upsample_cams
from .heatmaps import DEFAULT_METHOD, METHODS, Heatmaps, method_named
from .lesions import gradient_along_depth, lesioned_logits
from .network import block_names
from .preprocess import load_image
from .race_cli import add_race_parser, race_command
from .report import build_report
from .runs import IMAGE_SUFFIXES, collect_files, finished_record
from .runtime import tune_allocator
from .teach import MAX_CLASSES, MIN_CLASSES, load_head, save_head, teach, with_head
from .trust import CURVE_BASELINE, CURVE_STEPS, SANITY_LAYERS, faithfulness_curves, sanity_check
from .video_cli import add_video_parser, video_command
from .weights import DEFAULT_SPEC, PRETRAINED, RANDOM_SPEC, SPEC_ENV, LoadedWeights, load_weights


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    """--weights, --device and --precision: shared by this CLI and the web app."""
    parser.add_argument(
        "--weights",
        default=None,
        help=f"{DEFAULT_SPEC} (default, or ${SPEC_ENV}), {', '.join(n for n in PRETRAINED if n != DEFAULT_SPEC)}, "
        f"{RANDOM_SPEC}, or a .pth/.safetensors path",
    )
    parser.add_argument("--device", default="auto", help="auto (default: CUDA when available), cpu or cuda")
    parser.add_argument(
        "--precision",
        default="auto",
        choices=["auto", *PRECISIONS],
        help="auto (default: fp16 on CUDA, fp32 on CPU), " + ", ".join(PRECISIONS),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m resnet", description="Explain ResNet50 predictions.")
    commands = parser.add_subparsers(dest="command", required=True)
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
    taught = commands.add_parser("teach", help="teach new classes: a linear head on the frozen backbone")
    taught.add_argument(
        "data", type=Path, help=f"a folder of {MIN_CLASSES}-{MAX_CLASSES} class folders: DATA_DIR/CLASS/* images"
    )
    taught.add_argument("--out", type=Path, required=True, help="the head file to write (.safetensors)")
    add_model_flags(taught)
    add_video_parser(commands, add_model_flags)
    add_race_parser(commands)
    add_evaluate_parser(commands)
    return parser


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


def write_outputs(
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
    record = {"image": str(image)}
    record.update(
        build_report(
            weights, explanation, cam_class=explanation.cam_class, method=options.method, contrast=options.contrast
        )
    )
    if options.sanity:
        record["sanity"] = {
            "layers": list(SANITY_LAYERS),
            "spearman": [float(v) for v in arrays["sanity_spearman"]],
        }
    if options.faithfulness:
        record["faithfulness_curves"] = {
            "steps": len(arrays["deletion_curve"]) - 1,
            "baseline": CURVE_BASELINE,
            "deletion_curve": [float(v) for v in arrays["deletion_curve"]],
            "insertion_curve": [float(v) for v in arrays["insertion_curve"]],
            "deletion_auc": float(arrays["deletion_auc"]),
            "insertion_auc": float(arrays["insertion_auc"]),
        }
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


def explain_command(args: argparse.Namespace) -> int:
    try:
        weights = load_weights(args.weights, device=args.device)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if weights.warning:
        print(f"warning: {weights.warning}", file=sys.stderr)
    try:
        if args.head is not None:
            weights = with_head(weights, load_head(args.head))
        options = Options(args, weights.categories)
        explainer = Explainer(weights, precision=args.precision)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"using {weights.describe()}", file=sys.stderr)
    heatmaps = Heatmaps(explainer)
    args.out.mkdir(parents=True, exist_ok=True)
    images = collect_files(args.images)
    if not images:
        print("error: no images found (looked for " + ", ".join(sorted(IMAGE_SUFFIXES)) + ")", file=sys.stderr)
        return 2
    records: dict[int, dict] = {}
    todo = []
    for i, (image, stem) in enumerate(images):
        previous = None if args.no_resume else finished_record(args.out, stem, image, options.as_dict())
        if previous:
            records[i] = previous
        else:
            todo.append(i)
    if len(records):
        print(f"resuming: {len(records)} of {len(images)} images already done in {args.out}", file=sys.stderr)
    progress = tqdm(
        total=len(images), initial=len(records), unit="image", desc="explaining", file=sys.stderr, disable=None
    )
    batch_size = max(1, args.batch_size)
    for start in range(0, len(todo), batch_size):
        chunk = []
        for i in todo[start : start + batch_size]:
            image = images[i][0]
            try:
                chunk.append((i, load_image(image)))
            except (ValueError, OSError) as err:
                records[i] = {"image": str(image), "error": str(err)}
                progress.write(f"error: {image}: {err}", file=sys.stderr)
                progress.update(1)
        if chunk:
            for (i, _), (explanation, arrays) in zip(
                chunk, explain_chunk(chunk, explainer, heatmaps, options), strict=True
            ):
                image, stem = images[i]
                records[i] = write_outputs(stem, args.out, image, explanation, arrays, weights, options)
                if not args.json:
                    best = explanation.top5[0]
                    progress.write(
                        f"{image}: {best.name} ({best.probability:.1%}) -> {args.out / stem}_cam.png", file=sys.stdout
                    )
            progress.update(len(chunk))
    progress.close()
    ordered = [records[i] for i in range(len(images))]
    write_summary(args.out, ordered)
    if args.json:
        print(json.dumps(ordered, indent=2))
    failures = sum("error" in r for r in ordered)
    if failures == len(ordered):
        return 2
    return 1 if failures else 0


def teach_command(args: argparse.Namespace) -> int:
    """Fit a head on DATA_DIR/CLASS/* and write it; exit 0, 1 if some images were skipped, 2 if it could not run."""
    folders = sorted(p for p in args.data.iterdir() if p.is_dir()) if args.data.is_dir() else []
    if not MIN_CLASSES <= len(folders) <= MAX_CLASSES:
        print(
            f"error: {args.data} must hold {MIN_CLASSES} to {MAX_CLASSES} class folders (DATA_DIR/CLASS/* images); "
            f"found {len(folders)}",
            file=sys.stderr,
        )
        return 2
    try:
        weights = load_weights(args.weights, device=args.device)
        explainer = Explainer(weights, precision=args.precision)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"using {weights.describe()}", file=sys.stderr)
    examples, skipped = {}, 0
    for folder in folders:
        examples[folder.name] = []
        for path, _ in collect_files([folder]):
            try:
                examples[folder.name].append(load_image(path))
            except (ValueError, OSError) as err:
                skipped += 1
                print(f"skipped {path}: {err}", file=sys.stderr)
    total = sum(len(photos) for photos in examples.values())
    progress = tqdm(total=total, unit="photo", desc="extracting features", file=sys.stderr, disable=None)
    try:
        taught = teach(explainer, examples, progress=progress.update)
    except ValueError as err:
        progress.close()
        print(f"error: {err}", file=sys.stderr)
        return 2
    progress.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_head(taught.head, args.out)
    counts = ", ".join(f"{name} ({n})" for name, n in taught.examples.items())
    print(f"classes: {counts}")
    print(f"training accuracy: {taught.train_accuracy:.1%}")
    if taught.held_out_accuracy is None:
        print("held-out accuracy: not measured (give every class at least 3 photos)")
    else:
        print(f"held-out accuracy: {taught.held_out_accuracy:.1%} on {taught.held_out} photos left out of a first fit")
    print(f"wrote {args.out}")
    return 1 if skipped else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tune_allocator()
    commands = {
        "explain": explain_command,
        "teach": teach_command,
        "video": video_command,
        "race": race_command,
        "evaluate": evaluate_command,
    }
    return commands[args.command](args)

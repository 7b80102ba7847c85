"""``python -m resnet teach DATA_DIR --out HEAD.safetensors``: teach new classes (a linear head
on the frozen backbone) from DATA_DIR/CLASS/* photos; ``explain --head`` and the page use it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from resnet.cli.flags import add_model_flags, load_model
from resnet.core.files import collect_files
from resnet.core.heads import save_head
from resnet.core.preprocess import load_image
from resnet.learn.teaching import MAX_CLASSES, MIN_CLASSES, teach


def add_parser(commands) -> None:
    taught = commands.add_parser("teach", help="teach new classes: a linear head on the frozen backbone")
    taught.add_argument(
        "data", type=Path, help=f"a folder of {MIN_CLASSES}-{MAX_CLASSES} class folders: DATA_DIR/CLASS/* images"
    )
    taught.add_argument("--out", type=Path, required=True, help="the head file to write (.safetensors)")
    add_model_flags(taught)


def run(args: argparse.Namespace) -> int:
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
        explainer = load_model(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    examples, skipped = read_examples(folders)
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


def read_examples(folders: list[Path]) -> tuple[dict[str, list], int]:
    """Each class folder's photos (walked), and how many files could not be read (said on stderr)."""
    examples, skipped = {}, 0
    for folder in folders:
        examples[folder.name] = []
        for path, _ in collect_files([folder]):
            try:
                examples[folder.name].append(load_image(path))
            except (ValueError, OSError) as err:
                skipped += 1
                print(f"skipped {path}: {err}", file=sys.stderr)
    return examples, skipped

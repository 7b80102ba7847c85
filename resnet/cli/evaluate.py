"""``python -m resnet evaluate DATA --out DIR``: CAM methods compared over a folder, here or on Ray.

Writes ``DIR/scores.parquet`` (a folder of parts, one per image), ``DIR/skipped.csv``,
``DIR/summary.csv``, ``DIR/curves.npz`` and ``DIR/report.html`` (see docs/evaluate.md). The same
command run again goes on where a killed run stopped. ``--engine ray`` runs the same scoring on a
Ray cluster (Ray Data: image paths -> ``map_batches`` over an actor pool, each actor loading the
weights once); ``--ray-address`` joins one, without it a local one starts.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from resnet.cli.flags import add_model_flags, load_model
from resnet.evaluate.engine import (
    DEFAULT_METRICS,
    FLOOR,
    METRICS,
    QUICK_METHODS,
    Scored,
    Scorer,
    Settings,
    Store,
    find_images,
)

EXIT_USAGE = 2


def add_parser(commands) -> None:
    evaluate = commands.add_parser("evaluate", help="compare CAM methods over a folder of images (faithfulness)")
    evaluate.add_argument(
        "data", type=Path, help="a folder of images (walked recursively; class folders for --target label)"
    )
    evaluate.add_argument("--out", type=Path, required=True, help="output folder (a rerun goes on where it stopped)")
    evaluate.add_argument("--methods", default=",".join(QUICK_METHODS), help="comma-separated CAM methods")
    evaluate.add_argument("--metrics", default=",".join(DEFAULT_METRICS), help=f"comma-separated: {', '.join(METRICS)}")
    evaluate.add_argument("--boxes", type=Path, default=None, help="CSV image,x0,y0,x1,y1 in the images' pixels")
    evaluate.add_argument("--target", default="top1", choices=("top1", "label"), help="the class each map explains")
    evaluate.add_argument("--limit", type=int, default=None, help="only the first N images (sorted by path)")
    evaluate.add_argument("--batch-size", type=int, default=17, help="masked images per forward pass (default 17)")
    evaluate.add_argument("--engine", default="local", choices=("local", "ray"))
    evaluate.add_argument("--ray-address", default=None, help="join this Ray cluster (default: start a local one)")
    evaluate.add_argument("--workers", type=int, default=None, help="Ray actors (default: one per CPU, or per GPU)")
    evaluate.add_argument("--gpus-per-worker", type=float, default=0.0, help="GPUs each Ray actor holds")
    evaluate.add_argument(
        "--threads-per-worker",
        type=int,
        default=None,
        help="torch threads in each Ray actor (default: the cluster's CPUs per actor); the same count as a "
        "local run gives the same numbers to the last bit",
    )
    add_model_flags(evaluate)


def run(args: argparse.Namespace) -> int:
    try:
        settings, images = _prepare(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    store = Store(args.out)
    done = store.done()
    todo = [image for image in images if image not in done]
    print(f"{len(images)} images, {len(done & set(images))} already done, {len(todo)} to go", file=sys.stderr)
    started = time.perf_counter()
    results = _run_ray(args, settings, todo) if args.engine == "ray" else _run_local(args, settings, todo)
    try:
        for scored in _progress(results, len(todo)):
            store.save(scored)
    except ValueError as err:  # the cluster cannot run what was asked (finished images stay saved)
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    seconds = time.perf_counter() - started
    from resnet.evaluate.report import write_evaluation

    write_evaluation(store, settings, _run_record(args, settings, len(images), seconds))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _prepare(args: argparse.Namespace) -> tuple[Settings, list[str]]:
    """Settings and images from the flags, or a ValueError that says what to change."""
    if not args.data.is_dir():
        raise ValueError(f"{args.data} is not a folder; give a folder of images.")
    if args.batch_size < 1 or (args.limit is not None and args.limit < 1):
        raise ValueError("--batch-size and --limit must be at least 1.")
    if args.workers is not None and args.workers < 1:
        raise ValueError("--workers must be at least 1.")
    ray_only = (args.ray_address, args.workers, args.gpus_per_worker, args.threads_per_worker)
    if args.engine == "local" and any(ray_only):
        raise ValueError("--ray-address, --workers, --gpus-per-worker and --threads-per-worker need --engine ray.")
    if args.threads_per_worker is not None and args.threads_per_worker < 1:
        raise ValueError("--threads-per-worker must be at least 1.")
    if args.engine == "ray" and importlib.util.find_spec("ray") is None:
        raise ValueError("--engine ray needs Ray: pip install 'ray[data]'.")
    from resnet.evaluate.engine import read_boxes

    boxes = read_boxes(args.boxes) if args.boxes else {}
    settings = Settings(
        methods=tuple(m.strip() for m in args.methods.split(",") if m.strip()),
        metrics=tuple(m.strip() for m in args.metrics.split(",") if m.strip()),
        target=args.target,
        batch_size=args.batch_size,
        boxes=boxes,
    )
    if not settings.methods:
        raise ValueError("--methods is empty; name at least one method.")
    images = find_images(args.data)
    if not images:
        raise ValueError(f"no images found under {args.data}.")
    return settings, images[: args.limit]


def _run_local(args, settings: Settings, todo: list[str]) -> Iterator[Scored]:
    scorer = Scorer(load_model(args, quiet=True), settings)
    for image in todo:
        yield scorer.score(args.data, image)


def _run_ray(args, settings: Settings, todo: list[str]) -> Iterator[Scored]:
    from resnet.evaluate.on_ray import score_on_ray

    model = {"weights": args.weights, "device": args.device, "precision": args.precision}
    return score_on_ray(
        args.data, todo, settings, model, args.ray_address, args.workers, args.gpus_per_worker, args.threads_per_worker
    )


def _progress(results: Iterator[Scored], total: int) -> Iterator[Scored]:
    """A progress bar with the rate and time left, on stderr."""
    from tqdm import tqdm

    with tqdm(total=total, unit="image", desc="evaluating", file=sys.stderr) as bar:
        for scored in results:
            bar.update(1)
            yield scored


def _run_record(args, settings: Settings, images: int, seconds: float) -> dict:
    import torch
    import torchvision

    from resnet.core.weights import DEFAULT_SPEC, SPEC_ENV

    try:
        from importlib.metadata import version

        gradcam = version("grad-cam")
    except Exception:
        gradcam = "unknown"
    return {
        "data": str(args.data),
        "images": images,
        "methods": list(settings.methods) + [FLOOR.label],
        "metrics": list(settings.metrics),
        "target": settings.target,
        "boxes": str(args.boxes) if args.boxes else None,
        "engine": args.engine,
        "weights": args.weights or os.environ.get(SPEC_ENV) or DEFAULT_SPEC,
        "device": args.device,
        "precision": args.precision,
        "batch_size": settings.batch_size,
        "seconds_this_run": round(seconds, 1),
        "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__, "grad-cam": gradcam},
    }

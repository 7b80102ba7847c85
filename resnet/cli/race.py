"""``python -m resnet race --depths 20,56 --out DIR [--seconds S] [--epochs E] [--seed N] [--dataset D]``.

Trains a plain and a residual network of each depth from scratch, side by side (``resnet.learn.race``),
and writes ``DIR/race.csv`` (one row per model and epoch: ``model, depth, residual, step, epoch,
train_loss, train_error, test_error, seconds``) and ``DIR/race.png`` (training error by epoch).
Several ``--seed`` values (comma-separated) run the race once each; the CSV then has a ``seed``
column too. Exit code 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import asdict, fields
from pathlib import Path

from resnet.learn.race import DATASETS, Point, race

COLUMNS = [f.name for f in fields(Point)]
COLOURS = {"plain": "#d62728", "resnet": "#1f77b4"}  # plain nets red, residual blue; the deeper one solid


def add_parser(commands) -> None:
    parser = commands.add_parser("race", help="plain against residual networks of two depths, trained from scratch")
    parser.add_argument("--depths", default="20,56", help="depths 6n + 2, comma-separated (default 20,56)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    parser.add_argument("--seconds", type=float, default=None, help="training time per model (default: no limit)")
    parser.add_argument("--epochs", type=int, default=15, help="epochs per model (default 15)")
    parser.add_argument("--seed", default="0", help="seed, or seeds comma-separated (default 0)")
    parser.add_argument("--dataset", default="digits", choices=DATASETS, help="training data (default digits)")


def run(args: argparse.Namespace) -> int:
    try:
        depths = tuple(int(d) for d in args.depths.split(","))
        seeds = [int(s) for s in args.seed.split(",")]
    except ValueError:
        print("error: --depths and --seed take whole numbers, comma-separated (e.g. --depths 20,56).", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for seed in seeds:
            for point in race(depths, epochs=args.epochs, seconds=args.seconds, seed=seed, dataset=args.dataset):
                rows.append({**asdict(point), "seed": seed})
                print(
                    f"seed {seed} · {point.model} · epoch {point.epoch}: train error {point.train_error:.3f}",
                    file=sys.stderr,
                )
    except ValueError as err:  # a depth that is not 6n + 2
        print(f"error: {err}", file=sys.stderr)
        return 2
    columns = COLUMNS + ["seed"] if len(seeds) > 1 else COLUMNS
    with open(args.out / "race.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    race_figure(rows).savefig(args.out / "race.png", dpi=100)
    print(f"wrote {args.out / 'race.csv'} and {args.out / 'race.png'}")
    return 0


def race_figure(rows: list[dict]):
    """Training error by epoch of every model (and seed), as He et al. plot it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    deepest = max(int(row["depth"]) for row in rows)
    runs = {}
    for row in rows:
        runs.setdefault((row["model"], row.get("seed", 0)), []).append(row)
    for (model, _), points in runs.items():
        kind = "resnet" if points[0]["residual"] in (True, "True") else "plain"
        style = "-" if int(points[0]["depth"]) == deepest else "--"
        axis.plot(
            [int(p["epoch"]) for p in points],
            [float(p["train_error"]) for p in points],
            style,
            color=COLOURS[kind],
            label=model,
        )
    handles, labels = axis.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    axis.legend(unique.values(), unique.keys())
    axis.set_xlabel("epoch")
    axis.set_ylabel("training error")
    axis.set_ylim(0, 1)
    figure.tight_layout()
    return figure

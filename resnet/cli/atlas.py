"""``python -m resnet atlas --layer L --channels 0-63 --out DIR [--data FOLDER]``: what each channel
of a layer looks for.

Writes ``DIR/<layer>/<channel>.png`` (each channel's feature visualization, cached on disk for
the next run and the page), with ``--data`` also ``DIR/index.parquet`` (the top examples: layer,
channel, image, activation, rank, the receptive-field box in the 224×224 crop the model saw,
the thumbnail), ``DIR/thumbs/`` and, always, the self-contained ``DIR/atlas.html``. The
examples' search keeps a Parquet part per image in ``DIR/examples.parquet/``, so a killed run
goes on where it stopped; ``--engine ray`` runs it on Ray Data (``evaluate.on_ray``).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from resnet.channels.atlas import write_html, write_index, write_visualizations
from resnet.channels.cache import Cache
from resnet.channels.examples import SORT, Finder, example_schema
from resnet.channels.targets import LOGIT, ChannelError, Target, canonical_layer, channel_count, parse_channels
from resnet.channels.visualize import Optimization
from resnet.cli.flags import add_model_flags, load_model
from resnet.evaluate.engine import Store, find_images

EXIT_USAGE = 2


def add_parser(commands) -> None:
    atlas = commands.add_parser("atlas", help="what each channel of a layer looks for: visualizations, top examples")
    atlas.add_argument(
        "--layer", required=True, help="stem, layer1 .. layer4 (a stage's last block), layer3.2, or logit"
    )
    atlas.add_argument("--channels", default="0-15", help="channels (class ids for logit): 0-63, 5 or 0-3,17")
    atlas.add_argument("--out", type=Path, required=True, help="output folder")
    atlas.add_argument("--data", type=Path, default=None, help="a folder of images for the top examples")
    atlas.add_argument("--top", type=int, default=8, help="examples per channel (default 8)")
    atlas.add_argument(
        "--size", type=int, default=Optimization.size, help=f"visualization pixels (default {Optimization.size})"
    )
    atlas.add_argument(
        "--steps", type=int, default=Optimization.steps, help=f"optimization steps (default {Optimization.steps})"
    )
    atlas.add_argument("--seed", type=int, default=Optimization.seed)
    atlas.add_argument(
        "--cache", type=Path, default=None, help="visualization cache (default ~/.cache/resnet-explainer)"
    )
    atlas.add_argument("--engine", default="local", choices=("local", "ray"), help="where the examples are searched")
    atlas.add_argument("--ray-address", default=None, help="join this Ray cluster (default: start a local one)")
    atlas.add_argument("--workers", type=int, default=None, help="Ray actors (default: one per CPU)")
    add_model_flags(atlas)


def run(args: argparse.Namespace) -> int:
    try:
        explainer = load_model(args, quiet=True)
        layer = canonical_layer(explainer.model, args.layer)
        count = channel_count(explainer.model, layer)
        channels = parse_channels(args.channels, count, layer)
        settings = Optimization(size=args.size, steps=args.steps, seed=args.seed)
        images = _images(args, layer)
    except (ChannelError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    name = args.layer.strip()
    targets = [Target(layer, channel) for channel in channels]
    out = args.out
    top = None
    if images:
        try:
            top = _examples(args, explainer, layer, name, channels, images)
        except ValueError as err:  # the cluster cannot run what was asked
            print(f"error: {err}", file=sys.stderr)
            return EXIT_USAGE
    from tqdm import tqdm

    with tqdm(total=len(targets), unit="channel", desc="visualizing", file=sys.stderr) as bar:
        made = write_visualizations(explainer, name, targets, out, settings, Cache(args.cache), bar.update)
    write_html(out, name, made, top, explainer.weights.describe())
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _images(args: argparse.Namespace, layer: str) -> list[str]:
    """The folder's images for the examples, or a ValueError saying what to change."""
    if args.top < 1:
        raise ValueError("--top must be at least 1.")
    if args.data is None:
        if args.engine == "ray" or args.ray_address or args.workers:
            raise ValueError("--engine ray, --ray-address and --workers search --data; give a folder.")
        return []
    if layer == LOGIT:
        raise ValueError("A logit has no position to crop around; give a feature layer with --data.")
    if not args.data.is_dir():
        raise ValueError(f"{args.data} is not a folder; give a folder of images.")
    if args.engine == "ray" and importlib.util.find_spec("ray") is None:
        raise ValueError("--engine ray needs Ray: pip install 'ray[data]'.")
    images = find_images(args.data)
    if not images:
        raise ValueError(f"no images found under {args.data}.")
    return images


def _examples(args, explainer, layer: str, name: str, channels: list[int], images: list[str]):
    """Every image's strongest positions (resumable, here or on Ray) -> the top examples."""
    store = Store(args.out, parts="examples.parquet", schema=example_schema, order=SORT)
    done = store.done()
    todo = [image for image in images if image not in done]
    print(f"{len(images)} images, {len(images) - len(todo)} already searched, {len(todo)} to go", file=sys.stderr)
    if args.engine == "ray":
        from resnet.channels.examples import finder
        from resnet.evaluate.on_ray import map_on_ray

        model = {"weights": args.weights, "device": args.device, "precision": args.precision}
        results = map_on_ray(args.data, todo, finder, {"layers": [layer]}, model, args.ray_address, args.workers)
    else:
        work = Finder(explainer, [layer]).find
        results = (work(args.data, image) for image in todo)
    for found in results:
        store.save(found)
    rows = store.rows()
    rows = rows[(rows["layer"] == layer) & rows["channel"].isin(channels)]
    return write_index(rows, args.top, name, args.data, args.out, explainer.weights.transforms)

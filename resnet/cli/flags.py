"""What every subcommand (and the web app) shares: the model flags, and the one way to load the
model they name. Imports nothing else of the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from resnet.core.explainer import PRECISIONS, Explainer
from resnet.core.heads import load_head, with_head
from resnet.core.weights import DEFAULT_SPEC, PRETRAINED, RANDOM_SPEC, SPEC_ENV, load_weights


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    """--weights, --device and --precision: shared by every subcommand and the web app."""
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


def load_model(args: argparse.Namespace, head: Path | None = None, quiet: bool = False) -> Explainer:
    """The model the flags name, with the taught ``head`` in place of ``fc`` if one is given.

    Prints the weights' warning (a fallback, a download that failed) and what is used to stderr
    unless ``quiet``. Raises ValueError with a sentence for a bad path, file, head or device.
    """
    weights = load_weights(args.weights, device=args.device)
    if weights.warning and not quiet:
        print(f"warning: {weights.warning}", file=sys.stderr)
    if head is not None:
        weights = with_head(weights, load_head(head))
    explainer = Explainer(weights, precision=args.precision)
    if not quiet:
        print(f"using {weights.describe()}", file=sys.stderr)
    return explainer

"""``python -m resnet SUBCOMMAND``: the parser of every subcommand, and the dispatch to each."""

from __future__ import annotations

import argparse

from resnet.cli import atlas, evaluate, explain, race, teach, video
from resnet.core.runtime import tune_allocator

SUBCOMMANDS = {"explain": explain, "teach": teach, "video": video, "race": race, "evaluate": evaluate, "atlas": atlas}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m resnet", description="Explain ResNet50 predictions.")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS.values():
        module.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tune_allocator()
    return SUBCOMMANDS[args.command].run(args)

"""ResNet50 Explainer: start the web app (flags, weights, launch; Hugging Face Spaces too).

    python app.py [--weights W] [--device auto|cpu|cuda] [--precision P] [--host H] [--port P] [--mcp]

The page itself lives in ``ui/`` and the engine in ``resnet/``. Importing this module builds
nothing and loads no weights; ``main()`` does.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os

from resnet import Explainer, load_weights
from resnet.cli.flags import add_model_flags
from resnet.core.runtime import keep_server_lean
from resnet.core.weights import pending_download
from ui.notice import notice_page
from ui.page import MAX_BATCH, build_demo, launch
from ui.text import in_every_language

try:
    import spaces  # on Hugging Face ZeroGPU Spaces: GPU work must run inside spaces.GPU
except ImportError:
    spaces = None
ZERO_GPU = spaces is not None and spaces.config.Config.zero_gpu  # $SPACES_ZERO_GPU, set by the Space

log = logging.getLogger("app")


def on_gpu(fn, duration=None):
    """Run ``fn`` under ``spaces.GPU`` on a ZeroGPU Space; unchanged everywhere else.

    ``duration``: seconds the call may hold the GPU (ZeroGPU's default is 60), or a function of
    ``fn``'s arguments that says so (the slow CAM methods take minutes).
    """
    if spaces is None:
        return fn
    return spaces.GPU(fn, duration=duration) if duration is not None else spaces.GPU(fn)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="ResNet50 Explainer web app")
    add_model_flags(parser)
    parser.add_argument(
        "--host",
        default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        help="address to bind (default 127.0.0.1, or $GRADIO_SERVER_NAME)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        help="port (default 7860, or $GRADIO_SERVER_PORT)",
    )
    parser.add_argument("--mcp", action="store_true", help="also serve /explain as an MCP tool (needs gradio[mcp])")
    add_engine_flags(parser)
    return parser.parse_args(argv)


def add_engine_flags(parser: argparse.ArgumentParser) -> None:
    """Where the model runs: here (default), or on replicas in a Ray Serve deployment."""
    parser.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local (default): the model runs in this process; ray: on Ray Serve replicas shared by every front end",
    )
    parser.add_argument("--ray-address", default=None, help="a Ray cluster to join (default: start a local one)")
    parser.add_argument("--replicas", type=int, default=1, help="replicas to start when the cluster runs none")
    parser.add_argument("--max-replicas", type=int, default=0, help="autoscale up to this many replicas (0: fixed)")
    parser.add_argument("--replica-cpus", type=float, default=1.0, help="CPUs per replica (fractions allowed)")
    parser.add_argument("--replica-gpus", type=float, default=0.0, help="GPUs per replica (fractions allowed)")


def ray_engine(args: argparse.Namespace, weights):
    """The front end's way to the replicas: join the deployment on the cluster, or start it."""
    from resnet.serve.front import RayEngine, join  # Ray is imported only with --engine ray
    from resnet.serve.settings import ServeSettings

    settings = ServeSettings(
        weights=args.weights,
        device=args.device,
        precision=args.precision,
        replicas=args.replicas,
        max_replicas=args.max_replicas,
        num_cpus=args.replica_cpus,
        num_gpus=args.replica_gpus,
    )
    return RayEngine(join(settings, args.ray_address), weights)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    keep_server_lean()  # many open pages: keep only live memory resident (before any thread starts)
    download = pending_download(args.weights)
    waiting = (
        notice_page(args.host, args.port, in_every_language("downloading", name=download.name))
        if download
        else contextlib.nullcontext()
    )
    try:
        with waiting:
            weights = load_weights(args.weights, device=args.device, fallback=True)
        explainer = Explainer(weights, precision=args.precision)
    except ValueError as err:  # a bad path, a corrupt checkpoint, a device that is not there
        raise SystemExit(f"error: {err}") from None
    forward_seconds = on_gpu(explainer.warm_up)()  # on ZeroGPU the GPU exists only inside spaces.GPU calls
    log.info(
        "Using %s on %s; one forward pass takes %.0f ms", weights.describe(), weights.device, forward_seconds * 1000
    )
    # On ZeroGPU only a spaces.GPU call may touch the GPU: no batching thread there.
    max_batch = 1 if ZERO_GPU else MAX_BATCH
    engine = ray_engine(args, weights) if args.engine == "ray" else None
    demo = build_demo(explainer, forward_seconds, on_gpu=on_gpu, max_batch=max_batch, engine=engine)
    launch(demo, args.host, args.port, mcp_server=args.mcp)


if __name__ == "__main__":
    main()

"""The page's API on Ray Serve against the in-process engine: one client's round trip, and the
throughput of 8 clients at once.

    python bench/bench_ray.py [--requests N] [--clients C] [--replicas R] [--json]

Random weights (speed does not depend on them), served on loopback twice in this process: with
the in-process engine (dynamic batching, ``max_batch=8``) and with ``engine=RayEngine`` (a local
Ray instance, R replicas with Serve's ``@serve.batch``, torch on as many threads as here). For
``/predict`` and ``/explain`` it times N calls from one client, one after another (median round
trip), and 2N calls from C clients at once (requests per second). Prints both engines' figures
and the ratios Ray / in-process, all from this one run. Targets: one client ≤ 1.15× the round
trip, C clients ≥ 0.9× the throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch
from bench_serve import throughput

from resnet import Explainer, load_weights
from resnet.core.runtime import keep_server_lean
from ui.page import build_demo, launch

from common import free_port


def ray_engine(weights, replicas: int):
    from ray import serve

    from resnet.serve.front import RayEngine, join
    from resnet.serve.settings import ServeSettings

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    settings = ServeSettings(weights="random", device="cpu", replicas=replicas, threads=torch.get_num_threads())
    return RayEngine(join(settings), weights), serve


def measure(explainer, engine, requests: int, clients: int) -> dict:
    demo = build_demo(explainer, engine=engine)
    port = free_port()
    with contextlib.redirect_stdout(sys.stderr):
        launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}"
    figures = {}
    for api in ("/predict", "/explain"):
        _, serial_s = throughput(url, api, requests, 1)
        parallel_rps, _ = throughput(url, api, 2 * requests, clients)
        figures[api] = {"one_client_ms": round(serial_s * 1000, 1), f"{clients}_clients_rps": round(parallel_rps, 2)}
    with contextlib.redirect_stdout(sys.stderr):
        demo.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=24)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    keep_server_lean()  # as app.py does
    weights = load_weights("random", device="cpu")
    explainer = Explainer(weights)
    explainer.warm_up()
    engine, serve = ray_engine(weights, args.replicas)
    local = measure(explainer, None, args.requests, args.clients)
    remote = measure(explainer, engine, args.requests, args.clients)
    serve.shutdown()
    rate = f"{args.clients}_clients_rps"
    results = {
        api: {
            "in_process": local[api],
            "ray": remote[api],
            "round_trip_ratio": round(remote[api]["one_client_ms"] / local[api]["one_client_ms"], 2),
            "throughput_ratio": round(remote[api][rate] / local[api][rate], 2),
        }
        for api in local
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.replicas} replica(s), {torch.get_num_threads()} torch threads, {args.clients} clients")
    for api, row in results.items():
        print(
            f"{api:>9}: one client {row['in_process']['one_client_ms']} ms here, {row['ray']['one_client_ms']} ms "
            f"on Ray ({row['round_trip_ratio']}×); {args.clients} clients {row['in_process'][rate]} vs "
            f"{row['ray'][rate]} requests/s ({row['throughput_ratio']}×)"
        )


if __name__ == "__main__":
    main()

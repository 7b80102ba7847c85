"""Throughput with many clients: serial calls vs 8 at once, with and without dynamic batching.

    python bench/bench_serve.py [--requests N] [--clients C] [--json]

The app (random weights; speed does not depend on them) is served on loopback twice in this
process: with ``max_batch=8`` (waiting requests share a forward pass) and ``max_batch=1``.
For ``/explain`` and ``/predict`` it times N calls from one client, one after another, and N
calls from C clients at once, and prints requests per second and the ratios, plus one bare
forward pass for scale. All figures come from this one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gradio_client import Client, handle_file

from resnet import Explainer, load_weights
from resnet.core.runtime import keep_server_lean
from ui.page import build_demo, launch

from common import free_port

PHOTOS = sorted((ROOT / "assets").glob("*.jpg"))


def throughput(url: str, api: str, requests: int, clients: int) -> tuple[float, float]:
    """(requests per second, median seconds per request) with ``clients`` callers at once."""
    pool_clients = [Client(url, verbose=False) for _ in range(clients)]
    for client in pool_clients:  # warm-up: one call each
        client.predict(handle_file(str(PHOTOS[0])), api_name=api)
    latencies: list[float] = []

    def call(i: int) -> None:
        start = time.perf_counter()
        pool_clients[i % clients].predict(handle_file(str(PHOTOS[i % len(PHOTOS)])), api_name=api)
        latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(call, range(requests)))
    elapsed = time.perf_counter() - start
    for client in pool_clients:
        client.close()
    return requests / elapsed, statistics.median(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=48)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    keep_server_lean()  # as app.py does
    explainer = Explainer(load_weights("random", device="cpu"))
    forward_ms = min(explainer.warm_up() for _ in range(5)) * 1000
    results: dict = {"forward_ms": round(forward_ms, 1)}
    for max_batch in (8, 1):
        demo = build_demo(explainer, max_batch=max_batch)
        port = free_port()
        with contextlib.redirect_stdout(sys.stderr):
            launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
        url = f"http://127.0.0.1:{port}"
        for api in ("/explain", "/predict"):
            serial, serial_latency = throughput(url, api, args.requests // 2, 1)
            parallel, parallel_latency = throughput(url, api, args.requests, args.clients)
            results[f"{api} max_batch={max_batch}"] = {
                "serial_rps": round(serial, 2),
                "serial_ms": round(serial_latency * 1000, 1),
                "serial_ms/forward": round(serial_latency * 1000 / forward_ms, 2),
                f"{args.clients}_clients_rps": round(parallel, 2),
                f"{args.clients}_clients/serial": round(parallel / serial, 2),
            }
        with contextlib.redirect_stdout(sys.stderr):
            demo.close()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"one forward pass: {forward_ms:.1f} ms")
    for name, figures in results.items():
        if isinstance(figures, dict):
            print(f"{name:>24}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()

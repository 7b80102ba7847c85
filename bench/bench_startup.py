"""Time from ``python app.py`` to the first answered request, and peak memory while serving.

    python bench/bench_startup.py [--requests N] [--json]

Writes a seeded ResNet50 checkpoint to a temporary folder (a local weights file, as a user
would pass with --weights), starts the app on a free loopback port, calls /explain with
gradio_client as soon as the server answers, then N more times, and reads the server's peak
resident memory (VmHWM) from /proc. The floor, measured in the same run: a fresh Python that
imports torch, torchvision and gradio, loads the checkpoint and runs one forward pass (run
before and after the app; their mean).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torchvision.models import resnet50

from common import free_port, memory_mb

ROOT = Path(__file__).resolve().parent.parent


FLOOR = """
import resource, sys, time
import torch, torchvision, gradio
model = torchvision.models.resnet50()
model.load_state_dict(torch.load(sys.argv[1], weights_only=True))
with torch.inference_mode():
    model.eval()(torch.zeros(1, 3, 224, 224))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def floor(checkpoint: Path) -> tuple[float, float]:
    """Seconds and peak resident MB of the floor (see the module's docstring)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", FLOOR, str(checkpoint)], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="requests after the first (default 30)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from gradio_client import Client, handle_file

    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(tmp) / "resnet50.pth"
        torch.manual_seed(0)
        torch.save(resnet50().state_dict(), checkpoint)
        before = floor(checkpoint)  # the floor runs before and after the app, and counts as their mean
        port = free_port()
        image = handle_file(str(ROOT / "assets" / "chelsea.jpg"))
        start = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "app.py", "--weights", str(checkpoint), "--port", str(port), "--device", "cpu"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "RESNET_OFFLINE": "1"},
        )
        try:
            while True:
                try:
                    client = Client(f"http://127.0.0.1:{port}", verbose=False)
                    break
                except Exception:  # not listening yet
                    if server.poll() is not None or time.perf_counter() - start > 120:
                        raise SystemExit("the app did not start") from None
                    time.sleep(0.05)
            client.predict(image, api_name="/explain")
            first_answer_s = time.perf_counter() - start
            rss_after_first = memory_mb(server.pid)
            for _ in range(args.requests):
                client.predict(image, api_name="/explain")
            after = floor(checkpoint)
            floor_s, floor_mb = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
            result = {
                "first_answer_s": first_answer_s,
                "floor_s": floor_s,
                "first_answer/floor": first_answer_s / floor_s,
                "rss_after_first_mb": rss_after_first,
                "peak_rss_mb": memory_mb(server.pid, "VmHWM"),
                "floor_peak_rss_mb": floor_mb,
                "rss_after_requests_mb": memory_mb(server.pid),
                "requests": args.requests + 1,
            }
        finally:
            server.terminate()
            server.wait(timeout=30)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value:.2f}" if isinstance(value, float) else f"{key:>22}: {value}")


if __name__ == "__main__":
    main()

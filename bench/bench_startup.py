"""Time from ``python app.py`` to the first answered request, and peak memory while serving.

    python bench/bench_startup.py [--rounds N] [--requests N] [--json]

Writes a seeded ResNet50 checkpoint to a temporary folder (a local weights file, as a user
would pass with --weights), starts the app on a free loopback port, calls /explain with
gradio_client as soon as the server answers, then N more times, and reads the server's peak
resident memory (VmHWM) from /proc. The floor: a fresh Python that imports torch, torchvision
and gradio, loads the checkpoint and runs one forward pass. Each round runs the floor, the app
and the floor again, and divides the app's time by the mean of the two floors beside it; the
result is the median round (one start swings by ±0.5 s on a 2-core machine, floor and app alike).
Both start with their bytecode cached: the app's modules are compiled first, as Python does on
any start after the first (the first start ever also compiles them, about 0.2 s on 2 cores),
and as pip did for the libraries.
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


def start_app(checkpoint: Path, requests: int) -> dict:
    """One start of the app: seconds to the first answer, and memory after ``requests`` more."""
    from gradio_client import Client, handle_file

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
        for _ in range(requests):
            client.predict(image, api_name="/explain")
        return {
            "first_answer_s": first_answer_s,
            "rss_after_first_mb": rss_after_first,
            "peak_rss_mb": memory_mb(server.pid, "VmHWM"),
            "rss_after_requests_mb": memory_mb(server.pid),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="floor, app, floor rounds (default 5)")
    parser.add_argument("--requests", type=int, default=30, help="requests after the first (default 30)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(tmp) / "resnet50.pth"
        torch.manual_seed(0)
        torch.save(resnet50().state_dict(), checkpoint)
        subprocess.run([sys.executable, "-m", "compileall", "-q", "app.py", "ui", "resnet"], cwd=ROOT, check=True)
        floors, rounds = [floor(checkpoint)], []
        for _ in range(args.rounds):
            app = start_app(checkpoint, args.requests)
            floors.append(floor(checkpoint))
            (before_s, before_mb), (after_s, after_mb) = floors[-2:]
            floor_s = (before_s + after_s) / 2
            rounds.append({**app, "floor_s": floor_s, "ratio": app["first_answer_s"] / floor_s})
            rounds[-1]["floor_peak_rss_mb"] = (before_mb + after_mb) / 2
            print(json.dumps({k: round(v, 3) for k, v in rounds[-1].items()}), file=sys.stderr, flush=True)
    median = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]
    result = {
        "first_answer/floor": median["ratio"],
        "first_answer_s": median["first_answer_s"],
        "floor_s": median["floor_s"],
        "ratios": [round(r["ratio"], 3) for r in rounds],
        **{key: max(r[key] for r in rounds) for key in ("peak_rss_mb", "floor_peak_rss_mb")},
        "rss_after_requests_mb": median["rss_after_requests_mb"],
        "requests": args.requests + 1,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value:.2f}" if isinstance(value, float) else f"{key:>22}: {value}")


if __name__ == "__main__":
    main()

"""GPU figures in one table: latency of one request, batched throughput per precision, agreement.

    python bench/bench_gpu.py [--device cuda] [--batches 64 256] [--seconds S] [--json]

For fp32, fp16 and bf16 (autocast; the fc head stays fp32): the compute time of one
explanation (``Explainer.explain`` on a decoded image, CUDA synchronised), and explanations per
second at each batch size (``explain_batch`` on decoded images, everything the API computes:
top-5, Grad-CAM, stage activations back on the CPU). Agreement with fp32 on the six example
photos: same top-5 (set), max |Δ probability|, max |Δ CAM|. Peak GPU memory from torch and the
used memory ``nvidia-smi`` reports. Runs on the CPU too (``--device cpu --batches 2``), which is
how it is checked where no GPU is lent. Targets on an H100/H200-class GPU: >= 2,000
explanations/s batched, <= 10 ms of compute for one request.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resnet import Explainer, load_image, load_weights
from resnet.runtime import tune_allocator

PHOTOS = sorted((ROOT / "assets").glob("*.jpg"))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def single_ms(explainer: Explainer, image, repeats: int = 30) -> float:
    for _ in range(5):
        explainer.explain(image)
    times = []
    for _ in range(repeats):
        sync(explainer.device)
        start = time.perf_counter()
        explainer.explain(image)
        sync(explainer.device)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def per_second(explainer: Explainer, images: list, seconds: float) -> float:
    explainer.explain_batch(images)  # warm-up (cuDNN picks its kernels)
    sync(explainer.device)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        explainer.explain_batch(images)
        done += len(images)
    sync(explainer.device)
    return done / (time.perf_counter() - start)


def nvidia_smi_used_mb() -> float | None:
    if not shutil.which("nvidia-smi"):
        return None
    out = subprocess.run(
        ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"], capture_output=True, text=True
    ).stdout
    return float(out.split()[0]) if out.strip() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--seconds", type=float, default=10.0, help="time per throughput figure")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tune_allocator()
    weights = load_weights("random", device=args.device)
    device = weights.device
    images = [load_image(p) for p in PHOTOS]
    rows, reference = [], None
    for precision in ("fp32", "fp16", "bf16"):
        explainer = Explainer(weights, precision=precision)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        row = {"precision": precision, "one_request_ms": round(single_ms(explainer, images[2]), 2)}
        for batch in args.batches:
            batch_images = [images[i % len(images)] for i in range(batch)]
            row[f"per_s_batch_{batch}"] = round(per_second(explainer, batch_images, args.seconds), 1)
        results = explainer.explain_batch(images)
        if reference is None:
            reference = results
        row["same_top5"] = all(
            {p.index for p in a.top5} == {p.index for p in b.top5} for a, b in zip(results, reference, strict=True)
        )
        row["max_prob_diff"] = float(
            max(np.abs(a.probabilities - b.probabilities).max() for a, b in zip(results, reference, strict=True))
        )
        row["max_cam_diff"] = float(max(np.abs(a.cam - b.cam).max() for a, b in zip(results, reference, strict=True)))
        if device.type == "cuda":
            row["peak_torch_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
        row["nvidia_smi_used_mb"] = nvidia_smi_used_mb()
        rows.append(row)
    machine = {"device": str(device), "torch": torch.__version__}
    if device.type == "cuda":
        machine["gpu"] = torch.cuda.get_device_name()
    if args.json:
        print(json.dumps({"machine": machine, "rows": rows}, indent=2))
        return
    print(f"machine: {machine}")
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")


if __name__ == "__main__":
    main()

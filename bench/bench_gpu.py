"""GPU figures in one table: latency of one request, batched throughput per precision, agreement.

    python bench/bench_gpu.py [--device cuda] [--batches 64 256] [--seconds S] [--json]
    python bench/bench_gpu.py --device cpu --host-work 256

For fp32, fp16 and bf16 (autocast; the fc head stays fp32): the compute time of one
explanation (``Explainer.explain`` on a decoded image, CUDA synchronised), and explanations per
second at each batch size (``explain_batch`` on decoded images, everything the API computes:
top-5, Grad-CAM, stage activations back on the CPU). Agreement with fp32 on the six example
photos: same top-5 (set), max |Δ probability|, max |Δ CAM|. Peak GPU memory from torch and the
used memory ``nvidia-smi`` reports. Runs on the CPU too (``--device cpu --batches 2``), which is
how it is checked where no GPU is lent. ``--host-work B`` prints only the host's share: the
pipeline with the model taken out, per explanation, at batch B (target on 2 CPU cores at batch
256: <= 0.5 ms after the model, so a GPU's rate is not bounded by its host). Targets on an H100/H200-class GPU: >= 2,000
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

from resnet import STAGES, Explainer, load_image, load_weights
from resnet.core.preprocess import prepare_inputs
from resnet.core.runtime import tune_allocator

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


def host_work(explainer: Explainer, images: list, rounds: int = 3, stages=STAGES) -> dict:
    """The host's work per explanation, in ms, with the model taken out of the pipeline.

    ``prepare_ms``: ``prepare_inputs`` (decode-free: resize, crop, normalise) per image, on its
    thread pool; in the server each request prepares its own input before it joins a batch, so
    this runs in parallel and off the model's path. ``after_model_ms``: everything
    ``explain_batch`` does after the forward pass (softmax, top-5, Grad-CAM, the copy to the host,
    the records), with the forward pass replaced by its stored outputs: what a GPU's host does per
    explanation while the GPU computes. Freeing the activations is left out: on a GPU that is the
    caching allocator's bookkeeping, on a CPU it is the model's memory.
    """
    transforms = explainer.weights.transforms
    prepare_inputs(images[:8], transforms)  # warm-up
    start = time.perf_counter()
    for _ in range(rounds):
        inputs = prepare_inputs(images, transforms)
    prepare_s = (time.perf_counter() - start) / rounds
    with torch.inference_mode():
        outputs = explainer.forward_stages(torch.cat([x for x, _ in inputs]))
    explainer.forward_stages = lambda *args, **kwargs: outputs  # this instance only
    try:
        explainer.explain_prepared(inputs, stages=stages)  # warm-up
        start = time.perf_counter()
        for _ in range(rounds):
            explainer.explain_prepared(inputs, stages=stages)
        after_s = (time.perf_counter() - start) / rounds
    finally:
        del explainer.forward_stages
    return {
        "batch": len(images),
        "stages": ",".join(stages) or "none",
        "prepare_ms": round(prepare_s * 1000 / len(images), 3),
        "after_model_ms": round(after_s * 1000 / len(images), 3),
    }


def nvidia_smi_used_mb() -> list[float] | None:
    """Used memory of every GPU nvidia-smi lists, in MB ("[N/A]" and other non-numbers skipped)."""
    if not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_used_mb(out)


def parse_used_mb(out: str) -> list[float] | None:
    values = []
    for line in out.splitlines():
        try:
            values.append(float(line.strip()))
        except ValueError:  # "[N/A]", "[Not Supported]", blank
            continue
    return values or None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--seconds", type=float, default=10.0, help="time per throughput figure")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--host-work",
        type=int,
        metavar="BATCH",
        help="only the host's work per explanation at this batch size (e.g. 256): the pipeline minus the model",
    )
    args = parser.parse_args()
    tune_allocator()
    weights = load_weights("random", device=args.device)
    device = weights.device
    images = [load_image(p) for p in PHOTOS]
    if args.host_work:
        explainer = Explainer(weights)
        batch = [images[i % len(images)] for i in range(args.host_work)]
        rows = [host_work(explainer, batch, stages=stages) for stages in ((), ("layer4",), STAGES)]
        print(json.dumps(rows, indent=2) if args.json else "\n".join(str(row) for row in rows))
        return
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

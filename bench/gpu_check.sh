#!/usr/bin/env bash
# Everything GPU-only in one go (about 5 minutes on an H100/H200): the gpu-marked tests, then one
# table of latency, batched throughput (batch 64 and 256) in fp32/fp16/bf16, fp16/bf16-vs-fp32
# agreement and memory (bench/bench_gpu.py), then the explain benchmark's ratios on CUDA.
# Installs nothing: run it where requirements-dev.txt is installed and a CUDA GPU is visible.
set -euo pipefail
cd "$(dirname "$0")/.."
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU visible'; print('gpu:', torch.cuda.get_device_name())"
nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv || true
timeout 120 python -m pytest -m gpu -q -p no:cacheprovider
timeout 240 python bench/bench_gpu.py --device cuda --batches 64 256 --seconds 10
timeout 120 python bench/bench_explain.py --device cuda --repeats 50 --no-http

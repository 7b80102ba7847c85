#!/usr/bin/env bash
# Everything GPU-only in one go, under 5 minutes on an H100/H200: the gpu-marked tests, one table
# of latency, batched throughput (batch 64 and 256) in fp32/fp16/bf16, agreement and memory
# (bench/bench_gpu.py), the host's share per explanation, and the explain benchmark's ratios on
# CUDA at fp16 and fp32. Each step runs under its own time limit and the script always goes on
# to the next; every step's output is kept under $OUT (or a temporary folder) and the summary
# table at the end says how each step ended. Installs nothing: run it where requirements-dev.txt
# is installed and a CUDA GPU is visible.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
declare -a rows

step() {  # step NAME SECONDS COMMAND...: run it under a time limit, show its output, note how it ended
    local name="$1" limit="$2"
    shift 2
    echo "=== $name (limit ${limit}s) ==="
    local start=$SECONDS
    timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$out/$name.log"
    local code=${PIPESTATUS[0]}
    local verdict="ok"
    if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then verdict="timed out"; elif [ "$code" -ne 0 ]; then verdict="failed ($code)"; fi
    rows+=("| $name | $verdict | $((SECONDS - start)) s | $out/$name.log |")
}

step gpu 15 python -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU visible'; print('gpu:', torch.cuda.get_device_name(), 'torch', torch.__version__)"
step nvidia-smi 15 nvidia-smi --query-gpu=index,name,memory.total,memory.used,driver_version --format=csv
# Only the modules that hold gpu-marked tests: one missing optional dependency elsewhere cannot stop them.
mapfile -t modules < <(grep -l "pytest.mark.gpu" tests/test_*.py)
step gpu-tests 70 python -m pytest -m gpu -q -p no:cacheprovider "${modules[@]}"
step bench-gpu 90 python bench/bench_gpu.py --device cuda --batches 64 256 --seconds 5
step host-work 40 python bench/bench_gpu.py --device cuda --host-work 256
step explain-fp16 35 python bench/bench_explain.py --device cuda --precision fp16 --repeats 50 --no-http
step explain-fp32 35 python bench/bench_explain.py --device cuda --precision fp32 --repeats 50 --no-http

echo
echo "| step | result | time | output |"
echo "| --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"

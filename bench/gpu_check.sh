#!/usr/bin/env bash
# One short GPU check. Installs nothing: run it where requirements-dev.txt is installed and a
# CUDA GPU is visible. Prints the benchmark figures (JSON) and runs the GPU-marked tests.
set -euo pipefail
cd "$(dirname "$0")/.."
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU visible'; print('gpu:', torch.cuda.get_device_name())"
python bench/bench_explain.py --device cuda --repeats 50 --json
python bench/bench_live.py --device cuda --seconds 10 --json
python -m pytest -m gpu -q -p no:cacheprovider

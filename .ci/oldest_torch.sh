#!/usr/bin/env bash
# The app on the oldest torch/torchvision pair requirements.txt admits, on ZeroGPU's Python
# (3.10) where this machine has it: the fast tier (the engine and unit tests).
# A ZeroGPU Space installs torch from its own list of versions, so the range must hold at its
# low end too. Run by .ci/run after the main suite; by hand: bash .ci/oldest_torch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# ZeroGPU's Python (3.10) where one runs here (pyenv's shims name versions they cannot run), else python3.
for PYTHON in ${OLDEST_PYTHON:-} python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 python3; do
    "$PYTHON" -c "import sys" 2>/dev/null && break
done
rm -rf .oldest-venv
"$PYTHON" -m venv .oldest-venv
# The dev requirements without their pins (-r, -c lines): the app's ranges decide, the oldest pair is forced.
tools=$(mktemp)
grep -v '^-[rc] ' requirements-dev.txt >"$tools"
.oldest-venv/bin/pip install -q -r requirements.txt -r "$tools" -c .ci/oldest-torch.txt
.oldest-venv/bin/python - <<'PY'
import sys, torch, torchvision
print(f"oldest pair: Python {sys.version.split()[0]}, torch {torch.__version__}, torchvision {torchvision.__version__}")
PY
.oldest-venv/bin/python -m pytest -q -p no:cacheprovider -m "not slow"

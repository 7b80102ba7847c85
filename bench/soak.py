"""500 requests in a row against the launched app: memory, hooks and temporary files.

    python bench/soak.py [--requests N] [--json]

Runs the app in this process (random weights) on a free loopback port, sends N /explain
requests with gradio_client, one after another, cycling through the example photos, and every
50 requests prints resident memory, the files in Gradio's cache and in the app's scratch
folder, and the hooks on the model.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resnet import Explainer, load_weights
from resnet.core.runtime import tune_allocator
from ui.files import SCRATCH_DIR
from ui.page import build_demo, launch

from common import free_port, memory_mb


def count_files(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder)) if folder.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from gradio_client import Client, handle_file

    tune_allocator()
    explainer = Explainer(load_weights("random", device="cpu"))
    demo = build_demo(explainer)
    port = free_port()
    launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    gradio_cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    photos = sorted((ROOT / "assets").glob("*.jpg"))
    client = Client(f"http://127.0.0.1:{port}", verbose=False, download_files=False)
    rows = []
    for i in range(1, args.requests + 1):
        client.predict(handle_file(str(photos[i % len(photos)])), api_name="/explain")
        if i % 50 == 0 or i == 1:
            hooks = sum(
                len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
                for m in explainer.model.modules()
            )
            rows.append(
                {
                    "requests": i,
                    "rss_mb": round(memory_mb(), 1),
                    "gradio_cache_files": count_files(gradio_cache),
                    "scratch_files": count_files(SCRATCH_DIR),
                    "hooks": hooks,
                }
            )
            if not args.json:
                print(rows[-1], flush=True)
    with contextlib.redirect_stdout(sys.stderr):  # Gradio announces the closing on stdout
        demo.close()
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

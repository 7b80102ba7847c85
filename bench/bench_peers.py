"""This app against the Spaces a visitor would use instead, on the same checkpoint, in one run.

    python bench/bench_peers.py [--rounds R] [--clients C] [--calls N] [--json]

Starts three servers on loopback, each in its own process: a label-only Space
(``gr.Interface(Image -> Label)`` over torchvision's resnet50, as such Spaces are written), a
typical Grad-CAM Space (the same plus ``pytorch_grad_cam.GradCAM`` and ``show_cam_on_image``),
and this app (``app.py``); the peers' output components carry an ``elem_id`` so that
``bench_browser.py`` finds them in the page (nothing else). One ``gradio_client`` calls each endpoint in turn for R rounds
(median round trip), then C clients call each endpoint N times at once (requests per second).
Ratios compare figures of this run.

``/explain`` is also called by a client that leaves its two pictures on the server
(``download_files=False``), and the cost of one file fetch as ``gradio_client`` makes it (a new
``httpx`` client, so a new TLS context, per file) is timed: together they show where the time
between a label and an explanation goes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch
from torchvision.models import resnet50

from common import free_port

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT / "assets" / "chelsea.jpg"
LEFT_ON_SERVER = "this app /explain, files left on server"

LABEL_SPACE = """
import sys, gradio as gr, torch
from torchvision.models import ResNet50_Weights, resnet50
weights = ResNet50_Weights.IMAGENET1K_V2
model = resnet50()
model.load_state_dict(torch.load(sys.argv[1], weights_only=True))
model.eval()
preprocess = weights.transforms()
categories = weights.meta["categories"]

def classify(image):
    with torch.no_grad():
        probabilities = model(preprocess(image).unsqueeze(0)).softmax(1)[0]
    return {categories[i]: float(probabilities[i]) for i in range(1000)}

gr.Interface(classify, gr.Image(type="pil"), gr.Label(num_top_classes=5, elem_id="top5")).launch(
    server_port=int(sys.argv[2])
)
"""

GRADCAM_SPACE = """
import sys, gradio as gr, numpy as np, torch
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.image import show_cam_on_image
from torchvision.models import ResNet50_Weights, resnet50
weights = ResNet50_Weights.IMAGENET1K_V2
model = resnet50()
model.load_state_dict(torch.load(sys.argv[1], weights_only=True))
model.eval()
preprocess = weights.transforms()
categories = weights.meta["categories"]
cam = GradCAM(model=model, target_layers=[model.layer4[-1]])

def explain(image):
    x = preprocess(image).unsqueeze(0)
    with torch.no_grad():
        probabilities = model(x).softmax(1)[0]
    grayscale = cam(input_tensor=x, targets=None)[0]  # None: the top-1 class
    picture = np.asarray(image.convert("RGB").resize((224, 224)), dtype=np.float32) / 255
    overlay = show_cam_on_image(picture, grayscale, use_rgb=True)
    return {categories[i]: float(probabilities[i]) for i in range(1000)}, overlay

outputs = [gr.Label(num_top_classes=5, elem_id="top5"), gr.Image(elem_id="heatmap")]
gr.Interface(explain, gr.Image(type="pil"), outputs).launch(
    server_port=int(sys.argv[2])
)
"""


def start(command: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "RESNET_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    process = subprocess.Popen(
        [*command, str(port)] if command[1] == "-c" else [*command, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


def start_apps(folder: Path) -> dict[str, tuple[subprocess.Popen, str]]:
    """The two peer Spaces and this app over one seeded checkpoint saved in ``folder``:
    name -> (process, url)."""
    checkpoint = folder / "resnet50.pth"
    torch.manual_seed(0)
    torch.save(resnet50().state_dict(), checkpoint)
    return {
        "label-only Space": start([sys.executable, "-c", LABEL_SPACE, str(checkpoint)]),
        "Grad-CAM Space": start([sys.executable, "-c", GRADCAM_SPACE, str(checkpoint)]),
        "this app": start([sys.executable, "app.py", "--weights", str(checkpoint), "--device", "cpu"]),
    }


def connect(url: str, process: subprocess.Popen, download_files: bool = True):
    from gradio_client import Client

    deadline = time.monotonic() + 180
    while True:
        try:
            return Client(url, verbose=False, download_files=download_files)
        except Exception:  # not listening yet
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{url} did not start") from None
            time.sleep(0.2)


def throughput(url: str, api_name: str, clients: int, calls: int, download_files: bool = True) -> float:
    """Requests per second with ``clients`` clients calling ``calls`` times each, at once."""
    from gradio_client import Client, handle_file

    connections = [Client(url, verbose=False, download_files=download_files) for _ in range(clients)]
    barrier = threading.Barrier(clients)

    def run(client) -> None:
        barrier.wait()
        for _ in range(calls):
            client.predict(handle_file(str(PHOTO)), api_name=api_name)

    threads = [threading.Thread(target=run, args=(c,)) for c in connections]
    start_s = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return clients * calls / (time.perf_counter() - start_s)


def fetch_setup_ms(rounds: int = 20) -> float:
    """What ``gradio_client`` pays per file it fetches before any byte moves: ``httpx.stream``
    builds a new client, and with it a TLS context, for every file."""
    import httpx

    start_s = time.perf_counter()
    for _ in range(rounds):
        httpx.Client().close()
    return (time.perf_counter() - start_s) * 1000 / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--calls", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from gradio_client import handle_file

    with tempfile.TemporaryDirectory() as folder:
        servers = start_apps(Path(folder))
        try:
            endpoints = {
                "label-only Space": (servers["label-only Space"], "/classify"),  # gr.Interface names it after fn
                "Grad-CAM Space": (servers["Grad-CAM Space"], "/explain"),
                "this app /explain": (servers["this app"], "/explain"),
                "this app /predict": (servers["this app"], "/predict"),
                LEFT_ON_SERVER: (servers["this app"], "/explain"),
            }
            clients = {
                name: connect(url, process, download_files=name != LEFT_ON_SERVER)
                for name, ((process, url), _) in endpoints.items()
            }
            times = {name: [] for name in endpoints}
            for _ in range(args.rounds + 1):  # the first round warms each server up and is not counted
                for name, (_, api_name) in endpoints.items():
                    start_s = time.perf_counter()
                    clients[name].predict(handle_file(str(PHOTO)), api_name=api_name)
                    times[name].append((time.perf_counter() - start_s) * 1000)
            rows = {}
            for name, ((_, url), api_name) in endpoints.items():
                rows[name] = {
                    "one_client_ms": round(statistics.median(times[name][1:]), 1),
                    "clients_req_s": round(
                        throughput(url, api_name, args.clients, args.calls, download_files=name != LEFT_ON_SERVER), 2
                    ),
                }
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(timeout=30)
    label, gradcam, ours = rows["label-only Space"], rows["Grad-CAM Space"], rows["this app /explain"]
    ratios = {
        "explain/label round trip": round(ours["one_client_ms"] / label["one_client_ms"], 2),
        "explain/Grad-CAM round trip": round(ours["one_client_ms"] / gradcam["one_client_ms"], 2),
        "explain/label throughput": round(ours["clients_req_s"] / label["clients_req_s"], 2),
        "explain, files left on server/label round trip": round(
            rows[LEFT_ON_SERVER]["one_client_ms"] / label["one_client_ms"], 2
        ),
        "explain, files left on server/label throughput": round(
            rows[LEFT_ON_SERVER]["clients_req_s"] / label["clients_req_s"], 2
        ),
    }
    fetch_ms = round(fetch_setup_ms(), 1)
    if args.json:
        print(json.dumps({"rows": rows, "ratios": ratios, "client_setup_ms_per_file": fetch_ms}, indent=2))
        return
    print(f"{'endpoint':40} {'one client ms':>14} {f'{args.clients} clients req/s':>18}")
    for name, row in rows.items():
        print(f"{name:40} {row['one_client_ms']:>14} {row['clients_req_s']:>18}")
    for name, value in ratios.items():
        print(f"{name:48} {value}")
    print(f"{'gradio_client setup per fetched file, ms':48} {fetch_ms}")


if __name__ == "__main__":
    main()

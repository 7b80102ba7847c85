"""How far above one forward pass an explanation costs, measured in one process.

    python bench/bench_explain.py [--device cpu|cuda] [--precision auto|fp32|fp16|bf16] [--repeats N] [--json]

Every figure uses the same model weights, input image and torch thread settings; each is the
median of ``--repeats`` runs after warm-up. Ratios compare figures from this same run. The
"forward" baseline runs like with like: the explainer's precision (autocast) and memory format
(``auto`` is fp16 and channels-last on CUDA, fp32 on the CPU).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resnet import Explainer, load_image, load_weights, model_input
from resnet.core.runtime import tune_allocator
from resnet.present import render

from common import free_port

IMAGE = ROOT / "assets" / "chelsea.jpg"


def median_ms(fn, repeats: int, device: torch.device, warmup: int = 3) -> float:
    """Median wall time of fn() in milliseconds (CUDA work is waited for)."""

    def timed() -> float:
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - start) * 1000

    for _ in range(warmup):
        timed()
    return statistics.median(timed() for _ in range(repeats))


def naive_pipeline(model: torch.nn.Module, x: torch.Tensor):
    """The usual way: classify, then the grad-cam package, then a feature extractor."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    from torchvision.models.feature_extraction import create_feature_extractor

    extractor = create_feature_extractor(model, ["maxpool", "layer1", "layer2", "layer3", "layer4"])

    def run():
        with torch.no_grad():
            top1 = int(model(x).argmax())
        with GradCAM(model=model, target_layers=[model.layer4[-1]]) as cam:
            cam(input_tensor=x, targets=[ClassifierOutputTarget(top1)])
        with torch.no_grad():
            extractor(x)

    return run


def engine_figures(device: str, repeats: int, precision: str = "auto") -> dict[str, float]:
    weights = load_weights("random", device=device)
    explainer = Explainer(weights, precision=precision)
    image = load_image(IMAGE)
    x = model_input(image, weights.transforms)[0].to(weights.device)  # (1, 3, 224, 224)
    x = x.contiguous(memory_format=weights.memory_format)  # as the explainer feeds it
    model, dev = weights.model, weights.device

    def forward():  # the bare model at the explainer's precision and memory format
        with torch.inference_mode(), explainer.autocast():
            model(x)

    def explain_rendered():  # every picture /explain sends, encoded as the app encodes them
        result = explainer.explain(image)
        pictures = [render.cam_overlay(result.crop, result.cam, weights.categories[result.cam_class])]
        pictures.append(render.feature_sheet(result.stages))
        for picture in pictures:
            picture.save(io.BytesIO(), format="PNG", compress_level=render.PNG_COMPRESS_LEVEL)

    explanation = explainer.explain(image)
    other = (explanation.cam_class + 1) % 1000
    plain_model = copy.deepcopy(model).requires_grad_(True)  # as a user's model would be
    ms = {
        "forward": median_ms(forward, repeats, dev),
        "explain": median_ms(lambda: explainer.explain(image), repeats, dev),
        "explain_rendered": median_ms(explain_rendered, repeats, dev),
        "naive": median_ms(naive_pipeline(plain_model, x), max(3, repeats // 2), dev),
        "switch_class": median_ms(lambda: explainer.layer4_cam(explanation, other), repeats, dev),
        "all_stages": median_ms(lambda: explainer.explain(image, all_stages=True), repeats, dev),
    }
    return ms


def http_figures(repeats: int, tmp: Path, device: str) -> dict[str, float]:
    """Round trips of /explain and of a do-nothing endpoint with the same components and limits.

    The do-nothing endpoint computes nothing and answers with the same shape of result: a
    5-class label dict, one 1×1 PNG for the heatmap and one 1×1 PNG for the feature maps. So ``http_null`` holds Gradio's own upload, queue, per-file and download costs,
    and ``http - http_null`` what the product adds: the model, rendering, PNG encoding, and
    the bytes of its real pictures.
    """
    import gradio as gr
    from gradio_client import Client, handle_file
    from PIL import Image

    from ui.files import untrusted_image
    from ui.page import build_demo, launch

    weights = load_weights("random", device=device)
    product = build_demo(Explainer(weights))

    dot = tmp / "dot.png"
    Image.new("RGB", (1, 1)).save(dot)
    fixed_labels = dict.fromkeys(weights.categories[:5], 0.2)
    with gr.Blocks() as null:
        image = untrusted_image(sources=["upload", "webcam", "clipboard"])
        outputs = [gr.Label(num_top_classes=5), gr.Image(type="filepath", format="png"), gr.Image(format="png")]
        gr.Button().click(lambda path: (fixed_labels, str(dot), str(dot)), image, outputs, api_name="explain")

    clients = {}
    for name, demo in (("http", product), ("http_null", null)):
        port = free_port()
        launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
        clients[name] = Client(f"http://127.0.0.1:{port}", verbose=False)
    # Alternate the two endpoints call by call, so drift in machine load hits both alike.
    times: dict[str, list[float]] = {name: [] for name in clients}
    for round_ in range(repeats + 3):
        for name, client in clients.items():
            start = time.perf_counter()
            client.predict(handle_file(str(IMAGE)), api_name="/explain")
            if round_ >= 3:  # warm-up rounds
                times[name].append((time.perf_counter() - start) * 1000)
    for client in clients.values():
        client.close()
    with contextlib.redirect_stdout(sys.stderr):  # Gradio announces the closing on stdout
        product.close()
        null.close()
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument(
        "--precision", default="auto", help="auto (default), fp32, fp16 or bf16; the baseline matches it"
    )
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per figure (median)")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP round-trip figures")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    tune_allocator()  # as the CLI does (the http rows serve the app in this process)

    ms = engine_figures(args.device, args.repeats, args.precision)
    if not args.no_http:
        with tempfile.TemporaryDirectory() as tmp:
            ms.update(http_figures(args.repeats, Path(tmp), args.device))
    ratios = {
        "explain/forward": ms["explain"] / ms["forward"],
        "explain_rendered/forward": ms["explain_rendered"] / ms["forward"],
        "naive/explain": ms["naive"] / ms["explain"],
        "switch_class_ms": ms["switch_class"],
        "all_stages/forward": ms["all_stages"] / ms["forward"],
    }
    if "http" in ms:
        ms["http_extra"] = ms["http"] - ms["http_null"]
        ratios["http/http_null"] = ms["http"] / ms["http_null"]
        ratios["http_extra/forward"] = ms["http_extra"] / ms["forward"]
    machine = {
        "device": args.device,
        "precision": args.precision,
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }
    if args.device.startswith("cuda"):
        machine["gpu"] = torch.cuda.get_device_name()
    if args.json:
        print(json.dumps({"ms": ms, "ratios": ratios, "machine": machine}, indent=2))
        return
    print(f"machine: {machine}")
    for name, value in ms.items():
        print(f"{name:>18}: {value:8.2f} ms")
    for name, value in ratios.items():
        print(f"{name:>26}: {value:8.3f}")


if __name__ == "__main__":
    main()

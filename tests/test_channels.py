"""What each channel looks for: the Fourier parameterization, the optimized images against photos,
1/f noise and torch-lucent, receptive fields against gradients, the top examples against a
brute-force loop, the cache, and the ``atlas`` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from resnet import load_image, model_input
from resnet.channels import fourier
from resnet.channels.cache import Cache
from resnet.channels.examples import Finder, seen_crop, top_examples
from resnet.channels.receptive import fields
from resnet.channels.targets import ChannelError, Target, canonical_layer, parse_channels, target
from resnet.channels.visualize import Adam, Optimization, normalise, visualize
from resnet.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
LAYER3 = [Target("layer3.5", channel) for channel in (5, 417, 1000)]
MEAN, STD = torch.tensor([0.485, 0.456, 0.406])[:, None, None], torch.tensor([0.229, 0.224, 0.225])[:, None, None]


def torchvision_outputs(model: torch.nn.Module, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``module``'s output on normalised ``x``, read with a hook on torchvision's own model (the
    output cloned: its ReLUs are in place). -> (B, C, H, W)"""
    seen = []
    handle = module.register_forward_hook(lambda _m, _i, out: seen.append(out.detach().clone()))
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
    return seen[0]


def torchvision_means(model: torch.nn.Module, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Per-channel spatial means of ``module``'s output. -> (B, C)"""
    return torchvision_outputs(model, module, x).mean(dim=(2, 3))


def pink_noise(count: int, size: int, seed: int = 0) -> torch.Tensor:
    """Smooth random images with natural statistics: 1/f amplitude, random phase, each colour
    channel scaled to the mean and spread of photos. -> (count, 3, size, size) in [0, 1]"""
    generator = torch.Generator().manual_seed(seed)
    amplitude = 1.0 / fourier.frequencies(size).clamp(min=1.0 / size)
    phase = torch.rand(count, 3, size, size // 2 + 1, generator=generator) * 2 * torch.pi
    noise = torch.fft.irfft2(amplitude * torch.exp(1j * phase), s=(size, size))
    noise = (noise - noise.mean(dim=(2, 3), keepdim=True)) / noise.std(dim=(2, 3), keepdim=True)
    return (0.45 + 0.2 * noise).clamp(0, 1)  # the example photos: mean 0.38-0.51, spread 0.19-0.20


@pytest.fixture(scope="module")
def layer3_images(explainer):
    return visualize(explainer, LAYER3, Optimization())


def test_the_parameterization_round_trip_is_exact():
    generator = torch.Generator().manual_seed(1)
    image = torch.rand(2, 3, 64, 64, generator=generator) * 0.98 + 0.01
    assert torch.allclose(fourier.image_of(fourier.spectrum_of(image)), image, atol=1e-5)
    # a spectrum the inverse FFT can hold (the image's) comes back too
    spectrum = fourier.spectrum_of(fourier.image_of(fourier.random_spectrum(2, 64, generator, sd=0.5)))
    assert torch.allclose(fourier.spectrum_of(fourier.image_of(spectrum)), spectrum, atol=1e-4)


def test_the_optimizer_steps_as_torchs_adam():
    generator = torch.Generator().manual_seed(0)
    ours, theirs = (torch.randn(3, 5, generator=torch.Generator().manual_seed(1)).requires_grad_() for _ in range(2))
    adam, reference = Adam(ours, lr=0.2), torch.optim.Adam([theirs], lr=0.2)
    for _ in range(20):
        target = torch.randn(3, 5, generator=generator)
        for param in (ours, theirs):
            param.grad = None
            ((param - target) ** 3).abs().sum().backward()
        adam.step()
        reference.step()
        assert torch.allclose(ours, theirs, atol=1e-6)


def test_optimized_images_drive_their_channels_far_above_photos_and_pink_noise(layer3_images, reference_model, photos):
    crops = torch.cat([model_input(load_image(p), _transforms())[0] for p in photos])
    pictures = torch.stack([torch.from_numpy(v.image).permute(2, 0, 1).float() / 255 for v in layer3_images])
    channels = [t.channel for t in LAYER3]
    layer3 = reference_model.layer3
    reached = torchvision_means(reference_model, layer3, (pictures - MEAN) / STD)[range(3), channels]
    by_photos = torchvision_means(reference_model, layer3, crops)[:, channels].max(dim=0).values
    by_noise = torchvision_means(reference_model, layer3, (pink_noise(16, 128) - MEAN) / STD)[:, channels]
    # the value reported is torchvision's on the saved 8-bit image
    assert reached.tolist() == pytest.approx([v.activation for v in layer3_images], rel=0.02, abs=0.02)
    assert (reached > 3 * by_photos).all(), (reached, by_photos)
    assert (reached > 3 * by_noise.max(dim=0).values).all(), (reached, by_noise)


def _transforms():
    from torchvision.models import ResNet50_Weights

    return ResNet50_Weights.IMAGENET1K_V2.transforms()


@pytest.mark.slow
def test_torch_lucent_reaches_a_comparable_activation(layer3_images, checkpoint):
    """torch-lucent 0.1.8's render_vis on torchvision's model, the same objective (the channel's
    mean), parameterization (decorrelated Fourier), optimizer and steps, with its own transforms.
    Its own copy of the model: render_vis leaves its hooks on the model it is given."""
    pytest.importorskip("kornia")
    from lucent.optvis import param, render
    from torchvision.models import resnet50

    reference_model = resnet50(weights=None)
    reference_model.load_state_dict(torch.load(checkpoint, weights_only=True))
    reference_model.eval()

    settings = Optimization()
    channel = LAYER3[0].channel
    np.random.seed(0)
    torch.manual_seed(0)
    images = render.render_vis(
        reference_model,
        f"layer3:{channel}",
        param_f=lambda: param.image(settings.size, fft=True, decorrelate=True),
        optimizer=lambda params: torch.optim.Adam(params, lr=settings.lr),
        thresholds=(settings.steps,),
        fixed_image_size=settings.size,
        show_image=False,
        progress=False,
    )
    theirs = torch.from_numpy(images[0]).permute(0, 3, 1, 2).float()
    reached = float(torchvision_means(reference_model, reference_model.layer3, (theirs - MEAN) / STD)[0, channel])
    ours = layer3_images[0].activation
    assert 0.5 * reached < ours < 3 * reached, (ours, reached)


@pytest.mark.slow
def test_a_channel_does_not_depend_on_its_batch_mates(explainer, layer3_images):
    """Each row has its own seeded start and transforms: after one step a channel's image is the
    same alone or in a batch (to the 8-bit level). Later, floating-point rounding that differs with
    the batch size grows through Adam's steps into other details, not into another strength; the
    same batch again is the same image, bit for bit."""
    one_step = Optimization(steps=1)
    together, alone = visualize(explainer, LAYER3, one_step)[1], visualize(explainer, [LAYER3[1]], one_step)[0]
    assert np.abs(together.image.astype(int) - alone.image.astype(int)).max() <= 1
    alone = visualize(explainer, [LAYER3[1]], Optimization())[0]
    assert alone.activation == pytest.approx(layer3_images[1].activation, rel=0.1)
    again = visualize(explainer, [LAYER3[1]], Optimization())[0]
    assert np.array_equal(again.image, alone.image)


def test_every_layer_and_a_logit_can_be_visualized(explainer):
    """A channel that is zero on a grey start still moves (its value before the ReLU rises)."""
    targets = [target(explainer.model, "stem", 5), target(explainer.model, "layer1.0", 3), Target("logit", 1)]
    made = visualize(explainer, targets, Optimization(size=64, steps=24))
    assert all(v.image.shape == (64, 64, 3) for v in made)
    assert all(v.activation > 0.1 for v in made), [v.activation for v in made]
    assert made[2].activation == pytest.approx(_logit(explainer, made[2].image, 1), rel=1e-4)


def test_half_precision_reaches_what_full_precision_does(weights):
    """The analysis's precision is the optimization's: fp16 autocast (as on CUDA, here on the CPU)
    with its loss scaled, so no gradient underflows."""
    from resnet import Explainer

    settings = Optimization(size=64, steps=12)
    full = visualize(Explainer(weights, precision="fp32"), LAYER3[:1], settings)[0]
    half = visualize(Explainer(weights, precision="fp16"), LAYER3[:1], settings)[0]
    assert half.activation == pytest.approx(full.activation, rel=0.2)
    assert (
        half.activation > 1.5 * visualize(Explainer(weights), LAYER3[:1], Optimization(size=64, steps=1))[0].activation
    )


def _logit(explainer, image: np.ndarray, index: int) -> float:
    x = normalise(explainer, torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255)
    with torch.no_grad():
        return float(explainer.model(x)[0, index])


def test_the_cache_gives_a_second_visitor_the_same_image_at_once(explainer, tmp_path):
    cache, settings = Cache(tmp_path), Optimization(size=48, steps=4)
    first = cache.get(explainer, [LAYER3[0]], settings)[0]
    assert cache.missing(explainer, [LAYER3[0]], settings) == []
    again = cache.get(explainer, [LAYER3[0]], settings)[0]
    assert again.seconds == 0 and np.array_equal(again.image, first.image) and again.activation == first.activation
    other = Optimization(size=48, steps=5)
    assert cache.missing(explainer, [LAYER3[0]], other) == [LAYER3[0]]  # the settings are in the key


@pytest.mark.parametrize("layer", ["stem", "layer1.0", "layer1.2", "layer2.0"])
def test_receptive_fields_match_the_gradient_of_one_position(reference_model, layer):
    """The pixels whose gradient is not zero for one position (over a few inputs and channels:
    a ReLU or a max-pool may block a path for one of them) fill exactly the computed field."""
    model = reference_model
    module = model.maxpool if layer == "stem" else getattr(model, layer.split(".")[0])[int(layer.split(".")[1])]
    x = torch.randn(4, 3, 224, 224, generator=torch.Generator().manual_seed(0)).requires_grad_()
    seen = []
    handle = module.register_forward_hook(lambda _m, _i, out: seen.append(out))
    try:
        model(x)
    finally:
        handle.remove()
    out = seen[0]  # (4, C, H, W)
    for row, col in [(out.shape[2] // 2, out.shape[3] // 2), (0, 1)]:
        (grad,) = torch.autograd.grad(out[:, :16, row, col].sum(), x, retain_graph=True)
        ys, xs = np.nonzero(grad.abs().sum(dim=(0, 1)).numpy())
        found = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        assert found == fields(model)[layer].box(row, col, 224), (layer, row, col)


def test_deeper_fields_grow_and_cover_the_crop(explainer):
    found = fields(explainer.model)
    assert found["stem"].size == 11 and found["layer2.0"].size == 43
    assert found["layer3.5"].box(7, 7, 224) == (0, 0, 224, 224)


@pytest.fixture(scope="module")
def folder(photos, tmp_path_factory):
    root = tmp_path_factory.mktemp("atlas-data")
    for photo in photos:
        shutil.copy(photo, root / photo.name)
    (root / "nested").mkdir()
    Image.open(photos[0]).rotate(90, expand=True).save(root / "nested" / "turned.png")
    (root / "broken.jpg").write_text("not an image")
    return root


def test_top_examples_equal_a_brute_force_loop(explainer, reference_model, folder):
    finder = Finder(explainer, ["layer2.0"])
    rows = pd.DataFrame([r for image in ["broken.jpg", *_images(folder)] for r in finder.find(folder, image).rows])
    top = top_examples(rows, 3)
    expected = []
    module = reference_model.layer2[0]
    for image in _images(folder):
        x = model_input(load_image(folder / image), explainer.weights.transforms)[0]
        maps = torchvision_outputs(reference_model, module, x)[0]  # (512, H, W)
        expected.append(maps.flatten(1).max(dim=1).values.numpy())  # (512,)
    values = np.stack(expected)  # (images, 512)
    for channel in (0, 7, 300):
        order = sorted(range(len(values)), key=lambda i: -values[i, channel])[:3]
        got = top[top["channel"] == channel]
        assert got["image"].tolist() == [_images(folder)[i] for i in order]
        assert got["activation"].to_numpy() == pytest.approx(values[order, channel], rel=1e-4, abs=1e-5)
    assert finder.find(folder, "broken.jpg").skipped


def _images(folder: Path) -> list[str]:
    from resnet.evaluate.engine import find_images

    return [i for i in find_images(folder) if i != "broken.jpg"]


def test_names_and_ranges_are_checked_with_a_sentence(explainer):
    model = explainer.model
    assert canonical_layer(model, "layer3") == "layer3.5" and canonical_layer(model, "layer1.1") == "layer1.1"
    assert parse_channels("0-3,17,2", 64) == [0, 1, 2, 3, 17]
    for bad, words in [("layer9", "no layer"), ("conv1", "no layer"), ("layer4.3", "no layer")]:
        with pytest.raises(ChannelError, match=words):
            canonical_layer(model, bad)
    for bad, words in [("0-64", "0 to 63"), ("3-1", "backwards"), ("a", "not a channel range"), ("", "not a")]:
        with pytest.raises(ChannelError, match=words):
            parse_channels(bad, 64, "stem")
    with pytest.raises(ChannelError, match="0 to 999"):
        target(model, "logit", 1000)


def test_the_atlas_command_writes_pictures_index_thumbnails_and_one_page(explainer, checkpoint, folder, tmp_path):
    out = tmp_path / "atlas"
    args = ["atlas", "--layer", "layer2.0", "--channels", "0-2", "--data", str(folder), "--out", str(out)]
    args += [
        "--top",
        "3",
        "--size",
        "48",
        "--steps",
        "3",
        "--cache",
        str(tmp_path / "cache"),
        "--weights",
        str(checkpoint),
    ]
    assert main(args) == 0
    assert sorted(p.name for p in (out / "layer2.0").iterdir()) == ["0.png", "1.png", "2.png"]
    index = pd.read_parquet(out / "index.parquet")
    assert set(index.columns) >= {"layer", "channel", "image", "activation", "x0", "y0", "x1", "y1", "rank"}
    assert len(index) == 9 and set(index["channel"]) == {0, 1, 2}
    first = index.iloc[0]
    crop = seen_crop(folder, first["image"], explainer.weights.transforms)
    expected = crop.crop((first.x0, first.y0, first.x1, first.y1)).resize((96, 96), Image.Resampling.BICUBIC)
    thumb = np.asarray(Image.open(out / first["thumbnail"]), dtype=int)
    assert np.abs(thumb - np.asarray(expected, dtype=int)).mean() < 3  # JPEG's loss only
    page = (out / "atlas.html").read_text()
    assert "http://" not in page and "https://" not in page and page.count("data:image/") == 3 + 9
    # run again: nothing searched twice, the same index
    assert main(args) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "index.parquet"), index)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--layer", "layer9"], "no layer 'layer9'"),
        (["--layer", "layer3", "--channels", "0-1024"], "0 to 1023"),
        (["--layer", "stem", "--channels", "x"], "not a channel range"),
        (["--layer", "logit", "--data", "."], "no position"),
    ],
)
def test_bad_atlas_arguments_exit_2_with_a_sentence(checkpoint, tmp_path, capsys, extra, words):
    assert main(["atlas", *extra, "--out", str(tmp_path), "--weights", str(checkpoint)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


@pytest.mark.slow
def test_ray_finds_the_same_examples(checkpoint, folder, tmp_path):
    env = {**os.environ, "RESNET_OFFLINE": "1", "RAY_USAGE_STATS_ENABLED": "0"}
    outs = {}
    for engine in ("local", "ray"):
        out = outs[engine] = tmp_path / engine
        command = [
            sys.executable, "-m", "resnet", "atlas", "--layer", "layer1", "--channels", "0-31", "--data", str(folder),
            "--out", str(out), "--size", "32", "--steps", "1", "--weights", str(checkpoint), "--engine", engine,
            "--cache", str(tmp_path / "cache"),
        ]  # fmt: skip
        if engine == "ray":
            command += ["--workers", "2"]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    local, ray = (Store_rows(outs[e]) for e in ("local", "ray"))
    pd.testing.assert_frame_equal(local.drop(columns="activation"), ray.drop(columns="activation"))
    assert ray["activation"].to_numpy() == pytest.approx(local["activation"].to_numpy(), rel=1e-5, abs=1e-6)


def Store_rows(out: Path) -> pd.DataFrame:
    from resnet.channels.examples import SORT, example_schema
    from resnet.evaluate.engine import Store

    return Store(out, parts="examples.parquet", schema=example_schema, order=SORT).rows()

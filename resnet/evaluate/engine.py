"""Which CAM method is most faithful for this model on this data: every method scored on every image.

One image at a time (``Scorer.score``): the image is explained once; each method's map is made
for the chosen class (the top-1, or the class its folder names) and scored with the metrics
asked for, the same definitions as the Trust tab and ``explain --faithfulness``
(``resnet.cams.trust``): deletion and insertion with K = 16 steps and the ImageNet-mean baseline,
trapezoid areas; ROAD; the cascading-randomization sanity check (mean Spearman); and, where the
image has boxes, the pointing game and the energy inside the boxes. ``RandomCAM`` (random channel
weights, seeded by the image's path) is always scored too: the floor a method must beat.

Rows go to ``Store`` one image at a time (a Parquet part per image, written atomically), so a
killed run goes on where it stopped. ``summarise`` turns the rows into the per-method table.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import math
import os
import tempfile
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from resnet.cams.methods import Heatmaps, Method, heatmaps_for, method_named
from resnet.cams.trust import AGREEMENT_METHODS, CURVE_STEPS, faithfulness_curves, sanity_check
from resnet.core.explainer import Explainer
from resnet.core.explanation import find_class
from resnet.core.files import IMAGE_SUFFIXES
from resnet.core.preprocess import MAX_ASPECT, ImageError, load_image

FLOOR = Method("RandomCAM", "RandomCAM", 2)  # random channel weights: what a map without meaning scores
METRICS = ("deletion", "insertion", "road", "sanity", "pointing", "energy")
DEFAULT_METRICS = ("deletion", "insertion")
QUICK_METHODS = AGREEMENT_METHODS  # the default --methods: the ones that cost a few forward passes
POINTING_TOLERANCE = 15  # crop pixels between the map's maximum and a box (TorchRay's pointing game)
SCORES = {  # metric -> (column, higher is better)
    "deletion": ("deletion_auc", False),
    "insertion": ("insertion_auc", True),
    "road": ("road", True),
    "sanity": ("sanity_spearman", False),  # a map that survives randomization is not explaining the model
    "pointing": ("pointing_hit", True),
    "energy": ("energy", True),
}
COLUMNS = ("image", "method", "class", *(column for column, _ in SCORES.values()), "seconds")
Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(frozen=True)
class Settings:
    """What an evaluation computes (the same for every engine and every resumed run)."""

    methods: tuple[str, ...] = QUICK_METHODS
    metrics: tuple[str, ...] = DEFAULT_METRICS
    target: str = "top1"  # or "label": the class the image's top folder names
    batch_size: int = 17  # masked images per forward pass (a curve is K + 1 = 17)
    boxes: dict[str, list[Box]] = field(default_factory=dict)  # image (relative path) -> boxes in its pixels

    def __post_init__(self):
        unknown = set(self.metrics) - set(METRICS)
        if unknown:
            raise ValueError(f"Unknown metrics {sorted(unknown)}; choose from {', '.join(METRICS)}.")
        if self.target not in ("top1", "label"):
            raise ValueError(f"--target must be top1 or label, not {self.target!r}.")
        for name in self.methods:
            method_named(name)  # a clear ValueError for an unknown method


@dataclass(frozen=True)
class Scored:
    """One image's outcome: its rows (one per method), or why it was skipped."""

    image: str
    rows: list[dict] = field(default_factory=list)
    skipped: str | None = None


def find_images(root: Path, suffixes: Iterable[str] = IMAGE_SUFFIXES) -> list[str]:
    """Image files under ``root`` (the suffixes ``explain`` walks folders for) as sorted paths
    relative to it (POSIX separators)."""
    found = (p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
    return sorted(p.relative_to(root).as_posix() for p in found)


def read_boxes(path: Path) -> dict[str, list[Box]]:
    """A CSV ``image,x0,y0,x1,y1`` (several rows per image allowed) -> image -> boxes."""
    boxes: dict[str, list[Box]] = {}
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        missing = {"image", "x0", "y0", "x1", "y1"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path.name} needs the columns image,x0,y0,x1,y1 (missing {', '.join(sorted(missing))}).")
        for line, row in enumerate(reader, start=2):
            try:
                box = tuple(float(row[k]) for k in ("x0", "y0", "x1", "y1"))
            except ValueError:
                raise ValueError(f"{path.name}, line {line}: box corners must be numbers.") from None
            boxes.setdefault(Path(row["image"]).as_posix(), []).append(box)
    return boxes


def boxes_in_crop(boxes: list[Box], size: tuple[int, int], resize: int, crop: int) -> list[Box]:
    """Boxes in an image's pixels -> boxes in the model's crop, mapped as the pixels are (the
    panorama limit, resize of the short side, centre crop; ``preprocess.model_input``) and cut to
    the crop. Boxes left empty are dropped."""
    width, height = size
    short, long = min(width, height), max(width, height)
    keep = int(short * MAX_ASPECT)
    left0 = top0 = 0
    if long > keep:  # _limit_aspect's centre crop of a panorama
        if width > height:
            left0, width = (width - keep) // 2, keep
        else:
            top0, height = (height - keep) // 2, keep
    short, long = min(width, height), max(width, height)
    new_short, new_long = resize, int(resize * long / short)  # torchvision's resize of the short side
    new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    left, top = int(round((new_w - crop) / 2.0)), int(round((new_h - crop) / 2.0))
    mapped = []
    for x0, y0, x1, y1 in boxes:
        box = (
            min(max((x0 - left0) * new_w / width - left, 0.0), crop),
            min(max((y0 - top0) * new_h / height - top, 0.0), crop),
            min(max((x1 - left0) * new_w / width - left, 0.0), crop),
            min(max((y1 - top0) * new_h / height - top, 0.0), crop),
        )
        if box[2] > box[0] and box[3] > box[1]:
            mapped.append(box)
    return mapped


def box_mask(boxes: list[Box], size: int) -> np.ndarray:
    """(size, size) bool: the pixels whose centres lie in any box."""
    mask = np.zeros((size, size), bool)
    for x0, y0, x1, y1 in boxes:
        mask[math.ceil(y0 - 0.5) : math.ceil(y1 - 0.5), math.ceil(x0 - 0.5) : math.ceil(x1 - 0.5)] = True
    return mask


def energy(cam: np.ndarray, boxes: list[Box]) -> float:
    """The map's mass inside the boxes over its total mass (Score-CAM's energy-based pointing game)."""
    total = float(cam.sum())
    return float(cam[box_mask(boxes, cam.shape[0])].sum()) / total if total > 0 else math.nan


def pointing_hit(cam: np.ndarray, boxes: list[Box], tolerance: float = POINTING_TOLERANCE) -> float:
    """1.0 when the map's maximum (its first, in reading order) lies within ``tolerance`` pixels
    of a box, else 0.0 (the pointing game, as TorchRay scores it)."""
    row, col = np.unravel_index(int(np.argmax(cam)), cam.shape)
    x, y = col + 0.5, row + 0.5  # the pixel's centre
    for x0, y0, x1, y1 in boxes:
        dx, dy = max(x0 - x, 0.0, x - x1), max(y0 - y, 0.0, y - y1)
        if math.hypot(dx, dy) <= tolerance:
            return 1.0
    return 0.0


@contextlib.contextmanager
def numpy_seeded(seed: int):
    """numpy's global generator seeded for a block, then put back as it was."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def floor_seed(image: str) -> int:
    """RandomCAM's seed for an image: the same on every engine and every run."""
    return zlib.crc32(image.encode())


class Scorer:
    """Scores images with one model; each engine's worker holds one."""

    def __init__(self, explainer: Explainer, settings: Settings, floor: bool = True, heatmaps: Heatmaps | None = None):
        """``floor``: also score RandomCAM (every evaluation does; a benchmark of one method may not).
        ``heatmaps``: the explainer's, when it already has one (its private model copy is reused)."""
        self.explainer = explainer
        self.heatmaps = heatmaps or Heatmaps(explainer)
        self.settings = settings
        self.methods = [method_named(m) for m in settings.methods] + ([FLOOR] if floor else [])
        transforms = explainer.weights.transforms
        self.resize, self.crop = transforms.resize_size[0], transforms.crop_size[0]

    def score(self, root: Path, image: str) -> Scored:
        """Every method's scores for one image (relative to ``root``), or why it was skipped."""
        try:
            picture = load_image(root / image)
        except (ImageError, OSError) as err:
            return Scored(image, skipped=str(err).replace(str(root), "DATA"))
        folder_class = None
        if self.settings.target == "label":  # checked before the model runs
            folder = Path(image).parts[0] if len(Path(image).parts) > 1 else None
            with contextlib.suppress(ValueError):
                folder_class = find_class(folder, self.explainer.weights.categories) if folder else None
            if folder_class is None:
                return Scored(image, skipped=f"its folder {folder!r} names no ImageNet class (index or name)")
        explanation = self.explainer.explain(picture, stages=("layer4",))
        cam_class = explanation.cam_class if folder_class is None else folder_class
        boxes = None
        if image in self.settings.boxes:
            boxes = boxes_in_crop(self.settings.boxes[image], picture.size, self.resize, self.crop)
        x = explanation.input  # (3, 224, 224)
        rows = []
        for method in self.methods:
            start = time.perf_counter()
            row = self._score_method(explanation, x, method, cam_class, boxes, floor_seed(image))
            rows.append({"image": image, "method": method.label, "class": cam_class, **row})
            rows[-1]["seconds"] = time.perf_counter() - start
        return Scored(image, rows)

    def _score_method(self, explanation, x, method: Method, cam_class: int, boxes, seed: int) -> dict:
        metrics = self.settings.metrics
        if method.label == "Grad-CAM" and cam_class == explanation.cam_class:
            cam = explanation.cam  # the map `explain` writes, exactly
        elif method.label == "Grad-CAM":
            cam = self.explainer.layer4_cam(explanation, cam_class)  # the fast path: no model run
        else:
            with numpy_seeded(seed):  # RandomCAM draws its weights from numpy's generator
                cam = self.heatmaps.package_cam(x, method, cam_class)
        row = {column: math.nan for column, _ in SCORES.values()}
        row["deletion_curve"] = row["insertion_curve"] = None
        if "deletion" in metrics or "insertion" in metrics:
            curves = faithfulness_curves(self.explainer, x, cam, cam_class, batch=self.settings.batch_size)
            if "deletion" in metrics:
                row["deletion_auc"], row["deletion_curve"] = curves.deletion_auc, curves.deletion.tolist()
            if "insertion" in metrics:
                row["insertion_auc"], row["insertion_curve"] = curves.insertion_auc, curves.insertion.tolist()
        if "road" in metrics:
            row["road"] = self.heatmaps.road(x, cam, cam_class)
        if "sanity" in metrics:
            row["sanity_spearman"] = float(sanity_check(self.explainer, x, cam, method, cam_class).spearman.mean())
        if boxes:  # no box, or every box outside the crop: NaN
            if "pointing" in metrics:
                row["pointing_hit"] = pointing_hit(cam, boxes)
            if "energy" in metrics:
                row["energy"] = energy(cam, boxes)
        return row


def score_picture(explainer: Explainer, settings: Settings, name: str, data: bytes) -> Scored:
    """``Scorer.score`` of one picture sent as its file's bytes (where the caller's files are out of
    reach: a Ray Serve replica), with the explainer's one Heatmaps."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / Path(name).name).write_bytes(data)
        return Scorer(explainer, settings, heatmaps=heatmaps_for(explainer)).score(Path(folder), Path(name).name)


# -- where rows are kept ---------------------------------------------------------------------------


class Store:
    """An evaluation's folder: ``scores.parquet/`` (one Parquet part per finished image, written
    atomically, so none is ever half there or written twice) and ``skipped/`` (one line per
    skipped image); ``done()`` says which images a resumed run leaves alone."""

    def __init__(self, out: Path, parts: str = "scores.parquet", schema=None, order=("image", "method")):
        """``parts``, ``schema`` (a function giving the pyarrow schema) and ``order`` (the sort of
        ``rows``) are the evaluation's by default; the channel atlas keeps its examples the same way."""
        self.out = out
        self.schema = schema or row_schema
        self.order = list(order)
        self.parts = out / parts
        self.skips = out / "skipped"
        self.parts.mkdir(parents=True, exist_ok=True)
        self.skips.mkdir(parents=True, exist_ok=True)
        for stale in [*self.parts.glob(".*.tmp"), *self.skips.glob(".*.tmp")]:  # a write a kill cut short
            stale.unlink()

    @staticmethod
    def key(image: str) -> str:
        return hashlib.sha1(image.encode()).hexdigest()[:20]

    def done(self) -> set[str]:
        import pyarrow.parquet as pq

        finished = {
            pq.read_table(p, columns=["image"]).column("image")[0].as_py() for p in self.parts.glob("*.parquet")
        }
        skipped = {p.read_text().split("\t", 1)[0] for p in self.skips.glob("*.tsv")}
        return finished | skipped

    def save(self, scored: Scored) -> None:
        if scored.skipped is not None:
            reason = " ".join(scored.skipped.split())
            _atomic_write(self.skips / f"{self.key(scored.image)}.tsv", f"{scored.image}\t{reason}\n".encode())
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(scored.rows, schema=self.schema())
        target = self.parts / f"{self.key(scored.image)}.parquet"
        staging = target.with_name(f".{target.name}.tmp")
        pq.write_table(table, staging)
        os.replace(staging, target)

    def rows(self):
        """Every row so far as a pandas DataFrame, sorted by ``order``."""
        import pandas as pd

        parts = sorted(self.parts.glob("*.parquet"))
        if not parts:
            return pd.DataFrame({c: [] for c in self.schema().names})
        frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        return frame.sort_values(self.order, kind="stable").reset_index(drop=True)

    def skipped(self) -> list[tuple[str, str]]:
        lines = (p.read_text().rstrip("\n").split("\t", 1) for p in self.skips.glob("*.tsv"))
        return sorted((image, reason) for image, reason in lines)


def row_schema():
    """The Parquet schema of a row (pyarrow is imported when a run first writes)."""
    import pyarrow as pa

    curve = pa.list_(pa.float32())
    return pa.schema(
        [("image", pa.string()), ("method", pa.string()), ("class", pa.int64())]
        + [(column, pa.float64()) for column, _ in SCORES.values()]
        + [("seconds", pa.float64()), ("deletion_curve", curve), ("insertion_curve", curve)]
    )


def _atomic_write(path: Path, data: bytes) -> None:
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_bytes(data)
    os.replace(staging, path)


# -- the summary -----------------------------------------------------------------------------------


def bootstrap_interval(values: np.ndarray, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean (NaN for fewer than two values)."""
    if len(values) < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def summarise(rows, metrics: tuple[str, ...]):
    """Per (method, metric): mean, 95% bootstrap interval, n, rank among the methods (1 best), and
    whether the method beats RandomCAM (the interval of its per-image difference to RandomCAM
    lies wholly on the better side). A pandas DataFrame."""
    import pandas as pd

    records = []
    for metric in metrics:
        column, higher = SCORES[metric]
        by_method = {m: g.set_index("image")[column].dropna() for m, g in rows.groupby("method", sort=False)}
        floor = by_method.get(FLOOR.label)
        for method, values in by_method.items():
            low, high = bootstrap_interval(values.to_numpy())
            beats = math.nan
            if floor is not None and method != FLOOR.label:
                paired = values.index.intersection(floor.index)
                difference = (values[paired] - floor[paired]).to_numpy() * (1 if higher else -1)
                d_low, _ = bootstrap_interval(difference)
                beats = bool(d_low > 0) if not math.isnan(d_low) else math.nan
            mean = float(values.mean()) if len(values) else math.nan
            records.append(
                {"method": method, "metric": metric, "mean": mean, "ci_low": low, "ci_high": high, "n": len(values)}
            )
            records[-1]["beats_random"] = beats
        block = [r for r in records if r["metric"] == metric]
        order = sorted(block, key=lambda r: (math.isnan(r["mean"]), -r["mean"] if higher else r["mean"]))
        for rank, record in enumerate(order, start=1):
            record["rank"] = rank if not math.isnan(record["mean"]) else None
    return pd.DataFrame(records, columns=["method", "metric", "mean", "ci_low", "ci_high", "n", "rank", "beats_random"])


def mean_curves(rows) -> dict[str, np.ndarray]:
    """``deletion/METHOD`` and ``insertion/METHOD`` -> (K + 1,) mean curves, and their standard errors."""
    arrays: dict[str, np.ndarray] = {"fractions": np.linspace(0, 1, CURVE_STEPS + 1).astype(np.float32)}
    for method, group in rows.groupby("method", sort=False):
        for kind in ("deletion", "insertion"):
            curves = [np.asarray(c, np.float32) for c in group[f"{kind}_curve"] if c is not None and len(c)]
            if curves:
                stacked = np.stack(curves)
                arrays[f"{kind}/{method}"] = stacked.mean(axis=0)
                arrays[f"{kind}_se/{method}"] = stacked.std(axis=0) / math.sqrt(len(curves))
    return arrays

"""``python -m resnet video VIDEO [...] --out DIR [--fps F] [--method M] [--batch-size N]``.

Per clip NAME it writes ``NAME_cam.mp4`` (H.264: the Grad-CAM overlay and the top-1 on every
explained frame), ``NAME_frames.csv`` (frame, time_s, top1_index, top1_name, probability) and
``NAME.npz`` (``frame_index`` (F,) int64, ``time_s`` (F,) float64, ``logits`` (F, K) float32),
then ``NAME.json`` (what was done, with which options; written last, so a re-run skips clips
already done). A bad clip is reported and skipped; exit 1 if any clip failed, 2 if none ran.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from resnet.cams.methods import DEFAULT_METHOD, METHODS, Heatmaps, method_named
from resnet.cli.flags import add_model_flags, load_model
from resnet.core.explainer import Explainer
from resnet.core.files import collect_files, finished_record
from resnet.present import render
from resnet.video.frames import (
    MAX_SECONDS,
    VIDEO_SUFFIXES,
    Limits,
    VideoError,
    explain_frames,
    overlay_frame,
    sampling_rate,
)
from resnet.video.workers import ContainedReader, ContainedWriter


def add_parser(commands) -> None:
    video = commands.add_parser("video", help="Grad-CAM overlay video, per-frame top-1 and logits for clips")
    video.add_argument("videos", nargs="+", type=Path, help="video files and/or folders (walked recursively)")
    video.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    video.add_argument(
        "--fps",
        type=float,
        default=None,
        help="frames explained per second of video (default: the clip's rate, at most 10; 0: every frame)",
    )
    add_model_flags(video)
    video.add_argument("--method", default=DEFAULT_METHOD, help=f"CAM method: {', '.join(METHODS)}")
    video.add_argument("--batch-size", type=int, default=8, help="frames per forward pass (default 8)")
    video.add_argument(
        "--max-seconds", type=float, default=MAX_SECONDS, help=f"longest clip accepted (default {MAX_SECONDS:.0f})"
    )
    video.add_argument("--no-resume", action="store_true", help="redo clips an earlier run already finished")
    video.add_argument("--head", type=Path, default=None, help="explain the classes of a taught head")
    video.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="en",
        help="language of the overlay's captions (class names, colour bar) and of the notes, as the page's Video tab",
    )


LANGUAGES = ("en", "zh-CN")


@dataclass(frozen=True)
class VideoWords:
    """What the overlay and the notes say in one language."""

    legend: render.LegendWords
    names: list[str] | None  # class names in the captions; None: the weights' (or taught head's) own
    stopped: str  # "... ended early: {why} ..."


def video_words(language: str, taught: bool) -> VideoWords:
    """The page's texts in ``language`` (``ui.locales``, which imports no Gradio) for the overlay;
    a taught head keeps the names it was taught. English where no font here draws the words."""
    from ui.locales import en, imagenet_names, zh_CN

    texts = (zh_CN if language == "zh-CN" else en).SERVER
    legend = render.LegendWords(*(texts[k] for k in ("legend_low", "legend_high", "legend_target", "legend_contrast")))
    if not render.can_draw(legend):
        return VideoWords(render.ENGLISH, None, en.SERVER["video_stopped"])
    return VideoWords(legend, None if taught else imagenet_names(language), texts["video_stopped"])


def explain_video(
    reader: ContainedReader,
    stem: str,
    out: Path,
    explainer: Explainer,
    heatmaps: Heatmaps,
    args,
    options: dict,
    progress,
    words: VideoWords | None = None,
) -> dict:
    """Explain one opened clip into its four files; return its record (raises VideoError)."""
    path = reader.path
    rate = sampling_rate(reader.info, args.fps)
    rows, logits = [], []
    with ContainedWriter(out / f"{stem}_cam.mp4", rate) as writer:
        for explained in explain_frames(
            reader.frames(args.fps), explainer, heatmaps, options["method"], args.batch_size
        ):
            writer.write(
                overlay_frame(explained, words.legend, names=words.names) if words else overlay_frame(explained)
            )
            best = explained.explanation.top5[0]
            rows.append((explained.frame.index, explained.frame.time_s, best.index, best.name, best.probability))
            logits.append(explained.explanation.logits)
            progress.update(1)
    write_frame_tables(out, stem, rows, logits)
    record = {
        "video": str(path),
        "frames": len(rows),
        "fps_explained": rate,
        "clip": {
            "fps": reader.info.fps,
            "duration_s": reader.info.duration_s,
            "width": reader.info.width,
            "height": reader.info.height,
            "rotation": reader.info.rotation,
            "codec": reader.info.codec,
        },
        "stopped_early": reader.stopped,
        "options": options,
        "files": [f"{stem}_cam.mp4", f"{stem}_frames.csv", f"{stem}.npz"],
    }
    (out / f"{stem}.json").write_text(json.dumps(record, indent=2))  # written last: marks the clip done
    return record


def write_frame_tables(out: Path, stem: str, rows: list[tuple], logits: list[np.ndarray]) -> None:
    """``STEM_frames.csv`` (each explained frame's top-1) and ``STEM.npz`` (its logits)."""
    with open(out / f"{stem}_frames.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["frame", "time_s", "top1_index", "top1_name", "probability"])
        writer.writerows((i, f"{t:.6f}", k, name, f"{p:.6f}") for i, t, k, name, p in rows)
    np.savez(
        out / f"{stem}.npz",
        frame_index=np.array([r[0] for r in rows], dtype=np.int64),
        time_s=np.array([r[1] for r in rows], dtype=np.float64),
        logits=np.stack(logits).astype(np.float32),
    )


def run(args: argparse.Namespace) -> int:
    try:
        method = method_named(args.method).label
        explainer = load_model(args, head=args.head)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    clips = collect_files(args.videos, VIDEO_SUFFIXES)
    if not clips:
        print("error: no videos found (looked for " + ", ".join(sorted(VIDEO_SUFFIXES)) + ")", file=sys.stderr)
        return 2
    options = {
        "fps": args.fps,
        "method": method,
        "head": None if args.head is None else str(args.head),
        "lang": args.lang,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    heatmaps = Heatmaps(explainer)
    words = video_words(args.lang, taught=args.head is not None)
    failures, done = 0, 0
    for path, stem in clips:
        if not args.no_resume and finished_record(args.out, stem, path, options, kind="video"):
            print(f"{path}: already done in {args.out} (resuming)", file=sys.stderr)
            done += 1
            continue
        try:
            reader = ContainedReader(path, Limits(seconds=args.max_seconds))
            total = reader.expected_frames(args.fps)
            with tqdm(total=total, unit="frame", desc=path.name, file=sys.stderr, disable=None) as progress:
                record = explain_video(reader, stem, args.out, explainer, heatmaps, args, options, progress, words)
        except (VideoError, OSError) as err:
            failures += 1
            print(f"error: {path}: {err}", file=sys.stderr)
            continue
        done += 1
        if record["stopped_early"]:
            print(f"warning: {path}: {words.stopped.format(why=record['stopped_early'])}", file=sys.stderr)
        print(f"{path}: {record['frames']} frames -> {args.out / stem}_cam.mp4")
    if done == 0:
        return 2
    return 1 if failures else 0

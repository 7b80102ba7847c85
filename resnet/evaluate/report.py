"""An evaluation's outputs from its rows: ``skipped.csv``, ``summary.csv``, ``curves.npz`` and a
self-contained ``report.html`` (plots embedded as PNG data, nothing fetched from anywhere)."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math

import numpy as np

from resnet.evaluate.engine import FLOOR, SCORES, Settings, Store, mean_curves, summarise

DISAGREEMENTS = 8  # images shown where the methods disagree most


def write_evaluation(store: Store, settings: Settings, run: dict) -> None:
    rows = store.rows()
    out = store.out
    with open(out / "skipped.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["image", "reason"])
        writer.writerows(store.skipped())
    summary = summarise(rows, settings.metrics)
    summary.to_csv(out / "summary.csv", index=False)
    curves = mean_curves(rows)
    np.savez(out / "curves.npz", **curves)
    (out / "report.html").write_text(report_html(rows, summary, curves, store.skipped(), run), encoding="utf-8")


def report_html(rows, summary, curves: dict, skipped: list, run: dict) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>CAM methods compared</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}.no{color:#b00}</style></head><body>",
        "<h1>CAM methods compared</h1>",
        f"<p>{run['images']} images from <code>{html.escape(run['data'])}</code>, "
        f"{len(set(rows['image'])) if len(rows) else 0} scored, {len(skipped)} skipped; class explained: "
        f"{html.escape(run['target'])}. {FLOOR.label} (random channel weights) is the floor every method should beat.</p>",
    ]
    parts += _floor_verdicts(summary)
    if any(key.startswith("deletion/") or key.startswith("insertion/") for key in curves):
        parts.append(
            "<h2>Mean curves</h2><p>The explained class's probability as pixels are removed in the "
            "map's order (deletion: lower is better) or inserted into the ImageNet-mean image "
            "(insertion: higher is better); bands are ±1.96 standard errors.</p>"
        )
        parts.append(_image(curves_figure(curves)))
    parts.append("<h2>Metrics</h2><p>Means with 95% bootstrap intervals.</p>")
    parts.append(_image(_bars_figure(summary)))
    parts.append(_summary_table(summary))
    parts += _disagreements(rows)
    if skipped:
        parts.append("<h2>Skipped</h2><table><tr><th>image</th><th>reason</th></tr>")
        parts += [f"<tr><td>{html.escape(i)}</td><td>{html.escape(r)}</td></tr>" for i, r in skipped]
        parts.append("</table>")
    parts.append("<h2>Settings and versions</h2><pre>" + html.escape(json.dumps(run, indent=2)) + "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _floor_verdicts(summary) -> list[str]:
    losers = summary[(summary["beats_random"] == False) & (summary["method"] != FLOOR.label)]  # noqa: E712
    if losers.empty:
        return ["<p>Every method beats the random map on every metric here.</p>"]
    items = [f"<li>{html.escape(r.method)}: {html.escape(r.metric)}</li>" for r in losers.itertuples()]
    return [
        "<p class='no'>Not better than a random map on this data (95% interval of the per-image difference):</p><ul>",
        *items,
        "</ul>",
    ]


def _summary_table(summary) -> str:
    head = "<table><tr><th>method</th><th>metric</th><th>mean</th><th>95% interval</th><th>n</th><th>rank</th>"
    head += f"<th>beats {FLOOR.label}</th></tr>"
    lines = [head]
    for r in summary.itertuples():
        beats = "" if _nan(r.beats_random) else ("yes" if r.beats_random else "<span class='no'>no</span>")
        rank = "" if _nan(r.rank) else int(r.rank)
        lines.append(
            f"<tr><td>{html.escape(r.method)}</td><td>{r.metric}</td><td>{r.mean:.4f}</td>"
            f"<td>{r.ci_low:.4f} – {r.ci_high:.4f}</td><td>{r.n}</td><td>{rank}</td><td>{beats}</td></tr>"
        )
    lines.append("</table>")
    return "\n".join(lines)


def _disagreements(rows) -> list[str]:
    """The images where the methods' areas between the curves spread most."""
    if not len(rows) or rows["insertion_auc"].isna().all() or rows["deletion_auc"].isna().all():
        return []
    gap = rows.assign(gap=rows["insertion_auc"] - rows["deletion_auc"])
    gap = gap[gap["method"] != FLOOR.label]
    table = gap.pivot_table(index="image", columns="method", values="gap")
    spread = (table.max(axis=1) - table.min(axis=1)).sort_values(ascending=False).head(DISAGREEMENTS)
    lines = [
        "<h2>Where the methods disagree most</h2><p>Insertion minus deletion area per method (higher "
        "is more faithful); images with the widest spread first.</p><table><tr><th>image</th>"
    ]
    lines += [f"<th>{html.escape(m)}</th>" for m in table.columns] + ["<th>spread</th></tr>"]
    for image, value in spread.items():
        cells = "".join(f"<td>{table.loc[image, m]:.3f}</td>" for m in table.columns)
        lines.append(f"<tr><td>{html.escape(image)}</td>{cells}<td>{value:.3f}</td></tr>")
    lines.append("</table>")
    return lines


def _pyplot():
    """matplotlib's pyplot, drawing off-screen (imported when a report is first drawn)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def curves_figure(curves: dict):
    plt = _pyplot()

    fractions = curves["fractions"]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for axis, kind in zip(axes, ("deletion", "insertion"), strict=True):
        for key, mean in curves.items():
            if not key.startswith(f"{kind}/"):
                continue
            method = key.split("/", 1)[1]
            band = 1.96 * curves[f"{kind}_se/{method}"]
            style = "--" if method == FLOOR.label else "-"
            (line,) = axis.plot(fractions, mean, style, label=method)
            axis.fill_between(fractions, mean - band, mean + band, color=line.get_color(), alpha=0.15)
        axis.set_title(kind)
        axis.set_xlabel("fraction of pixels " + ("removed" if kind == "deletion" else "inserted"))
        axis.set_ylabel("probability of the class")
    for axis in axes:
        if axis.lines:
            axis.legend(fontsize=8)
    return figure


def _bars_figure(summary):
    plt = _pyplot()

    metrics = list(dict.fromkeys(summary["metric"]))
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.8), squeeze=False)
    for axis, metric in zip(axes[0], metrics, strict=True):
        block = summary[summary["metric"] == metric]
        means = block["mean"].to_numpy()
        errors = np.stack([means - block["ci_low"].to_numpy(), block["ci_high"].to_numpy() - means])
        axis.barh(block["method"], means, xerr=np.nan_to_num(errors), color="#4c72b0")
        higher = SCORES[metric][1]
        axis.set_title(f"{metric} ({'higher' if higher else 'lower'} is better)")
        axis.invert_yaxis()
    figure.tight_layout()
    return figure


def figure_png(figure, dpi: int = 90) -> bytes:
    """A matplotlib figure as PNG bytes; the figure is closed."""
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _image(figure) -> str:
    return f"<img alt='' src='data:image/png;base64,{base64.b64encode(figure_png(figure)).decode()}'>"


def _nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))

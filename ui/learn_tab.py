"""The Learn tab: the architecture table measured from the model, and what the blocks did to an image."""

from __future__ import annotations

from resnet.architecture import Part
from resnet.explain import BlockStats, Explanation
from resnet.panels import residual_summary
from ui.text import say


def architecture_table(parts: list[Part], language: str | None) -> str:
    """A Markdown table of the parts with a total row, and a note on FLOPs vs multiply-adds."""
    t = lambda key: say(language, key)  # noqa: E731
    header = [
        t(k) for k in ("table_part", "table_blocks", "table_output", "table_params", "table_gmacs", "table_gflops")
    ]
    lines = ["| " + " | ".join(header) + " |", "| --- | ---: | --- | ---: | ---: | ---: |"]
    for p in parts:
        shape = "×".join(str(d) for d in p.output)
        lines.append(f"| {p.name} | {p.blocks or '–'} | {shape} | {p.params:,} | {p.gmacs:.2f} | {p.gflops:.2f} |")
    params, gmacs, gflops = (sum(getattr(p, f) for p in parts) for f in ("params", "gmacs", "gflops"))
    blocks = sum(p.blocks for p in parts)
    lines.append(
        f"| **{t('table_total')}** | **{blocks}** | {t('table_logits')} | **{params:,}** | **{gmacs:.2f}** | **{gflops:.2f}** |"
    )
    return "\n".join(lines) + "\n\n" + t("table_note")


def residual_story(explanation: Explanation, blocks: list[BlockStats], language: str | None) -> str:
    """What the residual blocks did to this image, in plain words (Markdown)."""
    summary = residual_summary(blocks)
    top = explanation.top5[0]
    lines = [
        say(language, "story_intro", name=top.name, probability=top.probability),
        say(language, "story_strongest", block=summary.strongest.name, ratio=summary.strongest.ratio),
        say(language, "story_weakest", block=summary.weakest.name, ratio=summary.weakest.ratio),
    ]
    if summary.opposing:
        lines.append(say(language, "story_opposing", blocks=", ".join(summary.opposing)))
    else:
        lines.append(say(language, "story_aligned"))
    return "\n".join(lines)

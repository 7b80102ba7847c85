"""Gradio makes its web app and the page's config once, at launch.

Gradio 6 builds a FastAPI app three times on the way to serving: at the end of ``with Blocks``,
in ``queue()`` and in ``launch()``; only the last one serves (0.2 s each on 2 cores). It also
computes the page's config (every component's props and API schema) at the end of ``with
Blocks`` and again in ``launch()`` (0.35-0.9 s each on 2 cores); only the second is served, and
the page sets element ids after ``with Blocks``, so the first is stale anyway. Inside
``made_at_launch()`` the early ones are skipped; ``launch()`` runs outside it and makes both.

Gradio also asks matplotlib for its backend around every event; with none chosen, matplotlib
imports pyplot to pick one, which made the first answer 0.5 s later. The server draws off-screen:
``made_at_launch()`` chooses Agg.
"""

from __future__ import annotations

import contextlib

import gradio.blocks
import matplotlib


class _NoAppYet:
    """Stands in for ``gradio.routes.App`` where ``gradio.blocks`` makes an app before launch."""

    @staticmethod
    def create_app(blocks, *args, **kwargs) -> None:
        return None


def _no_config_yet(blocks: gradio.blocks.Blocks) -> dict:
    """Stands in for ``Blocks.get_config_file`` before launch: ``launch()`` computes the real one."""
    return {}


@contextlib.contextmanager
def made_at_launch():
    """While inside, ``with gr.Blocks()`` and ``Blocks.queue()`` make no web app and no config;
    matplotlib draws with Agg from then on."""
    matplotlib.use("agg")  # no pyplot import: it only sets the backend's name
    real_app, real_config = gradio.blocks.App, gradio.blocks.Blocks.get_config_file
    gradio.blocks.App, gradio.blocks.Blocks.get_config_file = _NoAppYet, _no_config_yet
    try:
        yield
    finally:
        gradio.blocks.App, gradio.blocks.Blocks.get_config_file = real_app, real_config

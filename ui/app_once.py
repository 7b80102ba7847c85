"""Gradio makes its web app once, at launch.

Gradio 6 builds a FastAPI app three times on the way to serving: at the end of ``with Blocks``,
in ``queue()`` and in ``launch()``; only the last one serves (0.2 s each on 2 cores, a sixth of
what the page adds to start-up). Inside ``made_at_launch()`` the first two are skipped.
``launch()`` imports ``App`` itself, so it always makes the real one.
"""

from __future__ import annotations

import contextlib

import gradio.blocks


class _NoAppYet:
    """Stands in for ``gradio.routes.App`` where ``gradio.blocks`` makes an app before launch."""

    @staticmethod
    def create_app(blocks, *args, **kwargs) -> None:
        return None


@contextlib.contextmanager
def made_at_launch():
    """While inside, ``with gr.Blocks()`` and ``Blocks.queue()`` make no web app."""
    real = gradio.blocks.App
    gradio.blocks.App = _NoAppYet
    try:
        yield
    finally:
        gradio.blocks.App = real

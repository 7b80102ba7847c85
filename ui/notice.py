"""A page that says the app is starting (the first download of the weights), served until it is ready."""

from __future__ import annotations

import contextlib

import gradio as gr


@contextlib.contextmanager
def notice_page(host: str, port: int, message: str, refresh_s: int = 10):
    """Serve a page that says ``message`` (and reloads itself) while the block runs.

    Used for the first download of the weights, so a visitor of a starting Space sees what is
    happening instead of an error; the real app takes the port afterwards.
    """
    with gr.Blocks(title="ResNet50 Explainer: starting") as notice:
        gr.Markdown(
            f"# ResNet50 Explainer is starting · ResNet50 解释器正在启动\n\n{message}\n\n"
            f"This page reloads itself every {refresh_s} s. · 本页每 {refresh_s} 秒自动刷新。"
        )
        gr.Timer(refresh_s).tick(None, js="() => { window.location.reload(); }", api_visibility="private")
    notice.launch(server_name=host, server_port=port, prevent_thread_lock=True, quiet=True, share=False)
    try:
        yield
    finally:
        notice.close()

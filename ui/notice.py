"""A page that says the app is starting (the first download of the weights), served until it is ready."""

from __future__ import annotations

import contextlib
import logging

import gradio as gr

from ui.text import in_every_language

log = logging.getLogger("app")


@contextlib.contextmanager
def notice_page(host: str, port: int, message: str, refresh_s: int = 10):
    """Serve a page that says ``message`` (and reloads itself) while the block runs. It is shown
    before the visitor's language is known, so it speaks every language the page does.

    Used for the first download of the weights, so a visitor of a starting Space sees what is
    happening instead of an error; the real app takes the port afterwards.
    """
    with gr.Blocks(title="ResNet50 Explainer: starting") as notice:
        gr.Markdown(
            f"# {in_every_language('starting')}\n\n{message}\n\n{in_every_language('reloads', seconds=refresh_s)}"
        )
        gr.Timer(refresh_s).tick(None, js="() => { window.location.reload(); }", api_visibility="private")
    notice.launch(server_name=host, server_port=port, prevent_thread_lock=True, quiet=True, share=False)
    log.info("Starting: http://%s:%d says so until the app is ready", host, port)
    try:
        yield
    finally:
        notice.close()
        log.info("The starting page is closed; the app takes over http://%s:%d", host, port)

"""Closed pages give their memory back at once.

Gradio keeps a closed page's session (its ``gr.State`` values and its own copy of the page's
component settings) for an hour, in case the visitor comes back. A popular Space has hundreds
of tabs opened and closed an hour; here a page's session is dropped as soon as its heartbeat
ends, and the allocator is asked to return the freed pages to the system.
"""

from __future__ import annotations

import gradio as gr

from resnet.core.runtime import release_free_memory


def forget_closed_pages(demo: gr.Blocks) -> None:
    """When a page closes, drop its session and hand the memory back (one ``unload`` event)."""

    def forget(request: gr.Request) -> None:
        holder = demo.state_holder
        with holder.lock:
            holder.session_data.pop(request.session_hash, None)
            holder.time_last_used.pop(request.session_hash, None)
        release_free_memory()

    demo.unload(forget)

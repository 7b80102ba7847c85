"""A page's session keeps only what the page needs, and closed pages give their memory back at once.

Gradio keeps, per session, a copy of every component's config with the values last shown (about
0.5 MB for this page's 245 components before anything runs, plus every picture, table and chart
sent since), only to serve "deep links" (``gr.DeepLinkButton``), which this page does not have.
``LeanSessionState`` keeps a session's ``gr.State`` values and the components an event changed,
as Gradio does, without that copy; and where an update changed only a component's value, it keeps
the page's own component instead of Gradio's new one (about 45 components a page, 0.15 MB).

Gradio also keeps a closed page's session for an hour, in case the visitor comes back. A popular
Space has hundreds of tabs opened and closed an hour; here a page's session is dropped as soon as
its heartbeat ends, and the allocator is asked to return the freed pages to the system.
"""

from __future__ import annotations

import datetime
import os
from copy import copy

import gradio as gr
import gradio.state_holder

from resnet.core.runtime import release_free_memory


class LeanSessionState(gradio.state_holder.SessionState):
    """Gradio's ``SessionState`` without the per-session config copy that only deep links read."""

    def __init__(self, blocks: gr.Blocks):
        self.blocks_config = copy(blocks.default_config)
        self._shared = blocks.default_config.blocks  # id -> the page's own component, shared by sessions
        self.state_data = {}
        self._state_ttl = {}
        self.is_closed = False
        self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600  # as Gradio's

    @property
    def config_values(self) -> dict:
        return {}  # read by the deep-link route alone: a deep link here holds no component

    def __setitem__(self, key: int, value) -> None:
        block = self.blocks_config.blocks.get(key)
        if isinstance(block, gr.State):
            self._state_ttl[key] = (block.time_to_live, datetime.datetime.now())
            self.state_data[key] = value
        else:
            self.blocks_config.blocks[key] = self._shared_if_same(key, value)

    def _shared_if_same(self, key: int, block):
        """The page's own component where ``block`` (Gradio's new instance for an update) has the
        same settings apart from its value: most updates change only the value, and a session then
        keeps no copy of the component (the value is never read back from it)."""
        shared = self._shared.get(key)
        if shared is None or shared is block or not hasattr(block, "constructor_args"):
            return block
        try:
            same = _settings(block) == _settings(shared)
        except (TypeError, ValueError):  # a setting that does not compare as one value (an array)
            same = False
        return shared if same else block

    def _update_config(self, key: int) -> None:
        pass

    def _update_value_in_config(self, key: int, value) -> None:
        pass


def _settings(block) -> dict:
    """A component's constructor arguments apart from its value (and ``render``, which Gradio sets
    to False on every updated copy)."""
    return {name: arg for name, arg in block.constructor_args.items() if name not in ("value", "render")}


def keep_pages_lean(demo: gr.Blocks) -> None:
    """Every session Gradio makes from now on (in this process) is a ``LeanSessionState``; when a
    page closes, its session is dropped and the memory handed back (one ``unload`` event)."""
    gradio.state_holder.SessionState = LeanSessionState

    def forget(request: gr.Request) -> None:
        holder = demo.state_holder
        with holder.lock:
            holder.session_data.pop(request.session_hash, None)
            holder.time_last_used.pop(request.session_hash, None)
        release_free_memory()

    demo.unload(forget)

"""What every tab shares: the page's state, its language, and how a tab wires its events.

Every page event sends the page's language as its last input (``LANGUAGE_JS``), so texts made
on the server follow the page. A handler returns one named record; its fields name the
components it fills, found on the tabs the event is given (see ``records.outputs``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import gradio as gr

from resnet.cams.methods import method_named
from resnet.serve.errors import EngineUnavailable
from ui.records import as_output_stream, as_outputs, outputs
from ui.text import LANGUAGE_JS, RELABEL_ID, WATCH_LANGUAGE_JS, say


def _no_gpu(fn, duration=None):
    return fn


def says_engine_errors(fn: Callable, stream: bool) -> Callable:
    """``fn`` (a handler whose last argument is the page's language; a generator if ``stream``) with
    ``EngineUnavailable`` (the model's replicas could not answer, ``resnet.serve``) told as a
    message in that language."""

    def message(err: EngineUnavailable, args: tuple) -> gr.Error:
        return gr.Error(say(args[-1] if args else None, f"engine_{err.reason}"))

    if stream:

        @functools.wraps(fn)
        def streamed(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except EngineUnavailable as err:
                raise message(err, args) from err

        return streamed

    @functools.wraps(fn)
    def handler(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except EngineUnavailable as err:
            raise message(err, args) from err

    return handler


class Shared:
    """The page's shared state (made inside its Blocks) and the event helpers every tab uses."""

    def __init__(self, on_gpu: Callable = _no_gpu, forward_seconds: float = 0.1):
        """``on_gpu(fn, duration)`` wraps every handler that runs the model (``spaces.GPU`` on a
        ZeroGPU Space); ``forward_seconds``: one forward pass here, for time estimates."""
        self.on_gpu = on_gpu
        self.forward_seconds = forward_seconds
        self.view = gr.State(None, time_to_live=3600)  # ui.view.View: the analysed image and its heatmap
        self.teach_head = gr.State(None, time_to_live=3600)  # this visitor's taught head, never shared
        self.learn_open = gr.State(False)  # whether the Learn tab is the one shown
        self.language = gr.Textbox(visible=False)  # filled by LANGUAGE_JS before each event
        self.relabel = gr.Button("relabel", elem_id=RELABEL_ID)  # clicked when <html lang> changes; hidden
        self.language_events: list = []  # (fn, inputs, record, owners): re-run when the language changes
        self.places: dict = {}  # tab id -> (group id, the groups' Tabs, the group's Tabs), set by the page

    def event(self, trigger, fn, inputs: list, record: type, *owners, gpu=False, **kwargs):
        """A private event: ``inputs`` and, last, the page's language in; ``record``'s fields out.

        ``gpu``: False, True, or a duration hint for ``on_gpu`` (see ``gpu_seconds``). A generator
        ``fn`` streams its records (and can be cancelled at each ``yield``).
        """
        stream = inspect.isgeneratorfunction(fn)
        wrap = as_output_stream if stream else as_outputs
        handler = wrap(
            says_engine_errors(fn if gpu is False else self.on_gpu(fn, duration=None if gpu is True else gpu), stream)
        )
        targets = outputs(record, self, *owners)
        return trigger(handler, [*inputs, self.language], targets, js=LANGUAGE_JS, api_visibility="private", **kwargs)

    def plain_event(self, trigger, fn, inputs: list, record: type, *owners, gpu=False, **kwargs):
        """An event whose handler needs no language (a redraw, a frame grab)."""
        handler = as_outputs(fn if gpu is False else self.on_gpu(fn, duration=None if gpu is True else gpu))
        return trigger(handler, inputs, outputs(record, self, *owners), api_visibility="private", **kwargs)

    def on_language(self, fn, inputs: list, record: type, *owners) -> None:
        """Run ``fn`` when the page loads and whenever its language changes (texts made on the server)."""
        self.language_events.append((fn, inputs, record, owners))

    def wire_language(self, demo: gr.Blocks) -> None:
        """The page's load event (which also starts the language watcher) and the relabel click."""
        previous = None  # each load event runs after the one before it
        for fn, inputs, record, owners in self.language_events:
            trigger, js = (demo.load, WATCH_LANGUAGE_JS) if previous is None else (previous.then, LANGUAGE_JS)
            targets = outputs(record, self, *owners)
            previous = trigger(as_outputs(fn), [*inputs, self.language], targets, js=js, api_visibility="private")
            self.event(self.relabel.click, fn, inputs, record, *owners)

    def stoppable(self, trigger, stop, fn, inputs: list, record: type, *owners, **kwargs):
        """``event`` for a long run that ``stop`` (built disabled) can cancel: ``stop`` is enabled
        first, then the run starts, and ``stop`` is disabled again when it ends or is pressed."""
        can_stop = lambda able: lambda: gr.update(interactive=able)  # noqa: E731
        enabled = trigger(can_stop(True), None, stop, queue=False, api_visibility="private")
        running = self.event(enabled.then, fn, inputs, record, *owners, **kwargs)
        running.then(can_stop(False), None, stop, queue=False, api_visibility="private")
        stop.click(can_stop(False), None, stop, cancels=[running], queue=False, api_visibility="private")
        return running

    def go_to(self, trigger, tab_id: str) -> None:
        """``trigger`` (``button.click``, ``event.then``) shows tab ``tab_id``: its group, then the tab
        (``places`` is set by the page)."""
        group, outer, inner = self.places[tab_id]
        show = lambda: (gr.Tabs(selected=group), gr.Tabs(selected=tab_id))  # noqa: E731
        trigger(show, None, [outer, inner], api_visibility="private")

    def gpu_seconds(self, fn: Callable, parameter: str, method_of=lambda value: value, times: int = 1):
        """A ZeroGPU duration hint for handler ``fn``: the cost of the CAM method that its argument
        named ``parameter`` says (``method_of(value)``) it will run, ×``times``.

        Three times the measured cost for safety, never under ZeroGPU's default of 60 s: Grad-CAM
        fits the default, Score-CAM asks for minutes. No value yet (no image): the handler answers
        at once, so one forward pass.
        """
        signature = inspect.signature(fn)
        if parameter not in signature.parameters:
            raise TypeError(f"{fn.__qualname__} has no parameter {parameter!r} to read a CAM method from.")

        def seconds(*args, **kwargs) -> int:
            value = signature.bind_partial(*args, **kwargs).arguments.get(parameter)
            forwards = 1 if value is None else method_named(str(method_of(value))).forwards
            return max(60, round(3 * times * forwards * self.forward_seconds))

        return seconds

    def fixed_seconds(self, forwards: float) -> int:
        """A ZeroGPU duration hint for a handler that runs ``forwards`` forward passes."""
        return max(60, round(3 * forwards * self.forward_seconds))

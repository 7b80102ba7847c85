"""Handlers return one named record per event; the event's outputs list is derived from it.

A record is a dataclass whose field names are the names of the page's components, so a panel
is added by adding a field (and its component): the outputs list and the returned values can
no longer drift apart.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable

import gradio as gr

SKIP = gr.skip()  # a record's field that leaves its component as it is


def output_names(record_type: type) -> list[str]:
    """The component names a record fills, in field order."""
    return [field.name for field in dataclasses.fields(record_type)]


def outputs(record_type: type, *owners: object) -> list:
    """The components an event with this record updates, in the record's field order.

    Each field names a component kept as an attribute of exactly one of ``owners`` (the tabs
    the event fills, and the page for its shared state).
    """
    found = []
    for name in output_names(record_type):
        holders = [owner for owner in owners if isinstance(getattr(owner, name, None), gr.blocks.Block)]
        if len(holders) != 1:
            where = ", ".join(type(owner).__name__ for owner in holders) or "none of " + ", ".join(
                type(owner).__name__ for owner in owners
            )
            raise TypeError(f"{record_type.__name__}.{name} must name one component; found in {where}.")
        found.append(getattr(holders[0], name))
    return found


def named_components(owner: object) -> dict[str, gr.blocks.Block]:
    """The components an owner (a tab, the page) keeps as attributes, by attribute name."""
    return {name: value for name, value in vars(owner).items() if isinstance(value, gr.blocks.Block)}


def settled(records: Iterable) -> dict:
    """What the page holds once a streamed handler is done: each field's last value that was
    not ``SKIP``, by name (fields never sent are left out)."""
    values = {}
    for record in records:
        values.update({name: value for name in output_names(type(record)) if (value := getattr(record, name)) != SKIP})
    return values


def as_outputs(fn: Callable) -> Callable:
    """Wrap a handler that returns a record so that Gradio gets the record's values in field order.

    The wrapper keeps ``fn``'s signature (``functools.wraps``), which Gradio reads to inject
    ``gr.Request`` and ``gr.Progress`` arguments.
    """

    @functools.wraps(fn)
    def handler(*args, **kwargs):
        return _values(fn(*args, **kwargs))

    return handler


def as_output_stream(fn: Callable) -> Callable:
    """``as_outputs`` for a generator handler (each yielded record becomes one update): Gradio
    streams it, and an event that cancels it stops it at its next ``yield``."""

    @functools.wraps(fn)
    def handler(*args, **kwargs):
        for record in fn(*args, **kwargs):
            yield _values(record)

    return handler


def _values(record):
    values = tuple(getattr(record, name) for name in output_names(type(record)))
    return values[0] if len(values) == 1 else values  # Gradio takes a lone output's value as is

"""Spans as context managers: W3C trace and span ids, timing, and the parent taken from the
span that encloses it in the current thread or asyncio task (contextvars)."""
from __future__ import annotations

import contextvars
import os
import time
from typing import TYPE_CHECKING, Any, Optional

from ._records import SPAN_FIELDS

if TYPE_CHECKING:
    from ._buffer import Buffer

_current: contextvars.ContextVar[Optional["Span"]] = contextvars.ContextVar("spool_current_span", default=None)


def current_span() -> Optional["Span"]:
    """The innermost open span of this thread or task, or None."""
    return _current.get()


def _random_id(size: int) -> str:
    while True:
        raw = os.urandom(size)
        if any(raw):  # all-zero ids are invalid (W3C)
            return raw.hex()


class Span:
    """One span being timed. `with buffer.span("llm-call", type="generation") as s:` opens it
    (a child of the enclosing span, or the root of a new trace) and appends it to the buffer
    when the block ends; an exception marks it status "error" with the exception's text.

    s.set(model="m", input="...", output="...", input_tokens=12) sets span fields; any other
    keyword becomes an attribute (str, int, float or bool)."""

    def __init__(self, buffer: "Buffer", name: str, type: str = "span", **fields: Any) -> None:
        self._buffer = buffer
        parent = _current.get()
        self.trace_id: str = parent.trace_id if parent is not None else _random_id(16)
        self.span_id: str = _random_id(8)
        self.parent_span_id: Optional[str] = parent.span_id if parent is not None else None
        self.fields: dict[str, Any] = {"name": name, "type": type}
        self.attributes: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        self._token: Optional[contextvars.Token] = None
        self.set(**fields)

    def set(self, **values: Any) -> "Span":
        """Sets span fields (model, input, output, input_tokens, output_tokens, tool_name,
        tool_input, tool_output, component_type, status, status_message, priority); other
        keywords become attributes."""
        for key, value in values.items():
            if key in SPAN_FIELDS and key not in ("attributes", "events", "trace_id", "span_id", "parent_span_id"):
                self.fields[key] = value
            elif key == "attributes":
                self.attributes.update(value)
            else:
                self.attributes[key] = value
        return self

    def add_event(self, name: str, **attributes: Any) -> None:
        """Something that happened now, during this span."""
        self.events.append({"name": name, "time_ns": time.time_ns(), "attributes": attributes})

    def __enter__(self) -> "Span":
        self.fields["start_ns"] = time.time_ns()
        self._token = _current.set(self)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.fields["end_ns"] = time.time_ns()
        if self._token is not None:
            _current.reset(self._token)
            self._token = None
        if exc is not None and self.fields.get("status") in (None, "unset"):
            self.fields["status"] = "error"
            self.fields.setdefault("status_message", f"{type(exc).__name__}: {exc}")
        self._buffer.add_span(self.record())

    def record(self) -> dict[str, Any]:
        """The span as add_span() takes it."""
        return dict(self.fields, trace_id=self.trace_id, span_id=self.span_id,
                    parent_span_id=self.parent_span_id, attributes=self.attributes, events=self.events)

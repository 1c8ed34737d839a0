"""Python values as the C API's record structs. Every string is encoded to UTF-8 bytes that
the returned `keep` list holds alive until the append returns."""
from __future__ import annotations

import ctypes
from typing import Any, Iterable, Mapping, Optional, Union

from . import _native

SPAN_TYPES = {"span": 0, "generation": 1, "tool": 2, "retrieval": 3, "event": 4}
SPAN_STATUSES = {"unset": 0, "ok": 1, "error": 2}
PRIORITIES = {"low": 0, "normal": 1, "high": 2, "critical": 3}
METRIC_KINDS = {"gauge": 0, "counter": 1, "histogram": 2}

AttributeValue = Union[str, int, float, bool]
Id = Union[str, bytes, None]


def named(table: Mapping[str, int], value: Union[str, int], what: str) -> int:
    """A name of `table` (or its number) as the number."""
    if isinstance(value, bool):
        raise ValueError(f"{what} {value!r} is not one of {', '.join(table)}")
    if isinstance(value, int):
        if value not in table.values():
            raise ValueError(f"{what} {value} is not one of {sorted(table.values())}")
        return value
    try:
        return table[value]
    except KeyError:
        raise ValueError(f"{what} {value!r} is not one of {', '.join(table)}") from None


def id_bytes(value: Id, size: int, what: str) -> bytes:
    """A W3C id given as hex text or raw bytes (None: all zero, i.e. absent)."""
    if value is None or value == "" or value == b"":
        return bytes(size)
    raw = bytes.fromhex(value) if isinstance(value, str) else bytes(value)
    if len(raw) != size:
        raise ValueError(f"{what} must be {size} bytes ({2 * size} hex digits), not {len(raw)}")
    return raw


class Builder:
    """Holds the encoded strings and arrays of one record until it is appended."""

    def __init__(self) -> None:
        self.keep: list[Any] = []

    def text(self, value: Optional[str]) -> _native.SpoolStr:
        if value is None:
            return _native.SpoolStr(None, 0)
        data = value.encode("utf-8", errors="surrogateescape") if isinstance(value, str) else bytes(value)
        self.keep.append(data)
        return _native.SpoolStr(data, len(data))

    def attributes(self, values: Optional[Mapping[str, AttributeValue]]):
        """(pointer, count) of a dict's attributes: str, int, float and bool values; any other
        value is stored as its str()."""
        if not values:
            return None, 0
        array = (_native.SpoolAttribute * len(values))()
        for slot, (key, value) in zip(array, values.items()):
            slot.key = self.text(str(key))
            if isinstance(value, bool):
                slot.type, slot.bool_value = 3, int(value)
            elif isinstance(value, int):
                slot.type, slot.int_value = 1, value
            elif isinstance(value, float):
                slot.type, slot.double_value = 2, value
            else:
                slot.type, slot.string_value = 0, self.text(value if isinstance(value, str) else str(value))
        self.keep.append(array)
        return array, len(values)

    def events(self, events: Optional[Iterable[Mapping[str, Any]]]):
        events = list(events or [])
        if not events:
            return None, 0
        array = (_native.SpoolEvent * len(events))()
        for slot, event in zip(array, events):
            slot.name = self.text(event.get("name", ""))
            slot.time_ns = int(event.get("time_ns", 0))
            slot.attributes, slot.attribute_count = self.attributes(event.get("attributes"))
        self.keep.append(array)
        return array, len(events)


SPAN_TEXT_FIELDS = ("name", "component_type", "status_message", "model", "input", "output", "tool_name",
                    "tool_input", "tool_output")
SPAN_FIELDS = set(SPAN_TEXT_FIELDS) | {"type", "trace_id", "span_id", "parent_span_id", "start_ns", "end_ns",
                                       "status", "attributes", "input_tokens", "output_tokens", "events",
                                       "priority"}


def span_struct(fields: Mapping[str, Any], b: Builder) -> _native.SpoolSpan:
    unknown = set(fields) - SPAN_FIELDS
    if unknown:
        raise ValueError(f"unknown span fields {sorted(unknown)} (attributes go in 'attributes')")
    s = _native.SpoolSpan()
    _native.lib.spool_span_init(ctypes.byref(s))
    for name in SPAN_TEXT_FIELDS:
        if fields.get(name) is not None:
            setattr(s, name, b.text(str(fields[name])))
    s.type = named(SPAN_TYPES, fields.get("type", "span"), "span type")
    s.status = named(SPAN_STATUSES, fields.get("status", "unset"), "span status")
    s.priority = named(PRIORITIES, fields.get("priority", "normal"), "priority")
    s.trace_id[:] = id_bytes(fields.get("trace_id"), 16, "trace_id")
    s.span_id[:] = id_bytes(fields.get("span_id"), 8, "span_id")
    s.parent_span_id[:] = id_bytes(fields.get("parent_span_id"), 8, "parent_span_id")
    s.start_ns = int(fields.get("start_ns", 0))
    s.end_ns = int(fields.get("end_ns", 0))
    s.input_tokens = int(fields.get("input_tokens", 0))
    s.output_tokens = int(fields.get("output_tokens", 0))
    s.attributes, s.attribute_count = b.attributes(fields.get("attributes"))
    s.events, s.event_count = b.events(fields.get("events"))
    return s

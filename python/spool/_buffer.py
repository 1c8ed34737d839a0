"""spool.Buffer: a log directory to append spans, logs, metrics and records to."""
from __future__ import annotations

import ctypes
import json
import os
import threading
import time
from typing import Any, Mapping, Optional, Sequence, Union

from . import _native
from ._errors import SpoolError, check
from ._records import METRIC_KINDS, PRIORITIES, AttributeValue, Builder, id_bytes, named, span_struct
from ._span import Span, current_span

SEVERITY_NUMBERS = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "WARNING": 13, "ERROR": 17, "FATAL": 21,
                    "CRITICAL": 21}


def _option_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Buffer:
    """A spool log directory, opened for appending.

        buffer = spool.Buffer("/var/spool/telemetry", full_policy="block")
        with buffer.span("llm-call", type="generation") as s:
            s.set(model="small", input=prompt)
        buffer.flush()
        buffer.close()

    The first process to open a directory writes its log; any other process that opens it
    attaches and appends through shared memory (several multiprocessing workers on one log).
    Options are the C API's, by name (spool.h: full_policy, queue_bytes, durability, ...).

    Appends return True when the record was queued and False when the full-queue policy
    dropped it (counted in stats()["dropped"]); bad input and a closed buffer raise SpoolError.
    A Buffer belongs to the process that opened it: after fork(), open a new one."""

    def __init__(self, dir: Union[str, os.PathLike], **options: Any) -> None:
        self._handle: Optional[int] = None
        self._lock = threading.Lock()
        opts = ctypes.c_void_p()
        check(_native.lib.spool_options_new(ctypes.byref(opts)), "spool_options_new")
        try:
            for key, value in options.items():
                check(_native.lib.spool_options_set(opts, key.encode(), _option_text(value).encode()),
                      f"option {key}")
            handle = ctypes.c_void_p()
            check(_native.lib.spool_open(os.fsencode(dir), opts, ctypes.byref(handle)), f"open {os.fspath(dir)}")
            self._handle = handle.value
        finally:
            _native.lib.spool_options_free(opts)
        self.dir = os.fspath(dir)

    # ---- lifecycle ----

    def close(self) -> None:
        """Drains what is queued into the log, syncs, and closes. Idempotent."""
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            check(_native.lib.spool_close(handle), "close")

    def __enter__(self) -> "Buffer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def _live(self) -> int:
        handle = self._handle
        if handle is None:
            raise SpoolError("Closed", f"the buffer on {self.dir} is closed")
        return handle

    @staticmethod
    def _queued(code: int, call: str) -> bool:
        if code in (_native.SPOOL_FULL, _native.SPOOL_TIMED_OUT):
            return False
        check(code, call)
        return True

    @property
    def role(self) -> str:
        """"writer" (this process writes the log) or "attached"."""
        return _native.lib.spool_role(self._live()).decode()

    # ---- appending ----

    def span(self, name: str, type: str = "span", **fields: Any) -> Span:
        """A span to use as a context manager; it is appended when the block ends."""
        return Span(self, name, type, **fields)

    def add_span(self, span: Mapping[str, Any]) -> bool:
        """Appends a span given as a dict: name, type, trace_id, span_id, parent_span_id (hex),
        start_ns, end_ns, status, status_message, attributes (dict), model, input, output,
        input_tokens, output_tokens, tool_name, tool_input, tool_output, component_type,
        events (list of {name, time_ns, attributes}), priority."""
        b = Builder()
        s = span_struct(span, b)
        return self._queued(_native.lib.spool_append_span(self._live(), ctypes.byref(s)), "add_span")

    def add_log(self, body: str, severity: Union[str, int] = "INFO",
                attributes: Optional[Mapping[str, AttributeValue]] = None, time_ns: Optional[int] = None,
                trace_id: Optional[str] = None, span_id: Optional[str] = None,
                priority: Union[str, int] = "normal") -> bool:
        """Appends a log line. The trace and span ids default to the current span's."""
        b = Builder()
        entry = _native.SpoolLog()
        _native.lib.spool_log_init(ctypes.byref(entry))
        entry.time_ns = time.time_ns() if time_ns is None else int(time_ns)
        if isinstance(severity, int):
            entry.severity_number = severity
        else:
            entry.severity_number = SEVERITY_NUMBERS.get(severity.upper(), 0)
            entry.severity_text = b.text(severity)
        entry.body = b.text(body)
        entry.attributes, entry.attribute_count = b.attributes(attributes)
        current = current_span()
        if trace_id is None and current is not None:
            trace_id, span_id = current.trace_id, current.span_id
        entry.trace_id[:] = id_bytes(trace_id, 16, "trace_id")
        entry.span_id[:] = id_bytes(span_id, 8, "span_id")
        entry.priority = named(PRIORITIES, priority, "priority")
        return self._queued(_native.lib.spool_append_log(self._live(), ctypes.byref(entry)), "add_log")

    def add_metric(self, name: str, value: float = 0.0, kind: str = "gauge", unit: str = "",
                   attributes: Optional[Mapping[str, AttributeValue]] = None, time_ns: Optional[int] = None,
                   count: int = 0, sum: float = 0.0, bucket_bounds: Sequence[float] = (),
                   bucket_counts: Sequence[int] = (), priority: Union[str, int] = "normal") -> bool:
        """Appends one metric point: a gauge or counter `value`, or a histogram (count, sum,
        bucket_bounds and len(bucket_bounds) + 1 bucket_counts)."""
        b = Builder()
        m = _native.SpoolMetric()
        _native.lib.spool_metric_init(ctypes.byref(m))
        m.name, m.unit = b.text(name), b.text(unit)
        m.kind = named(METRIC_KINDS, kind, "metric kind")
        m.time_ns = time.time_ns() if time_ns is None else int(time_ns)
        m.value, m.count, m.sum = float(value), int(count), float(sum)
        if bucket_bounds:
            bounds = (ctypes.c_double * len(bucket_bounds))(*bucket_bounds)
            b.keep.append(bounds)
            m.bucket_bounds, m.bucket_bound_count = bounds, len(bucket_bounds)
        if bucket_counts:
            counts = (ctypes.c_uint64 * len(bucket_counts))(*bucket_counts)
            b.keep.append(counts)
            m.bucket_counts, m.bucket_count_count = counts, len(bucket_counts)
        m.attributes, m.attribute_count = b.attributes(attributes)
        m.priority = named(PRIORITIES, priority, "priority")
        return self._queued(_native.lib.spool_append_metric(self._live(), ctypes.byref(m)), "add_metric")

    def add_record(self, type: str, data: bytes, priority: Union[str, int] = "normal") -> bool:
        """Appends opaque bytes under an application-defined type tag ("prediction")."""
        b = Builder()
        tag = b.text(type)
        raw = bytes(data)
        return self._queued(_native.lib.spool_append_raw(self._live(), tag, raw, len(raw),
                                                         named(PRIORITIES, priority, "priority")), "add_record")

    # ---- the log ----

    def flush(self, timeout_ms: int = 0) -> None:
        """Returns once everything this process appended so far is in the log."""
        check(_native.lib.spool_flush(self._live(), int(timeout_ms)), "flush")

    def sync(self) -> None:
        """fdatasync of the log now, whatever the durability mode."""
        check(_native.lib.spool_sync(self._live()), "sync")

    def stats(self) -> dict[str, Any]:
        """The buffer's counters: appended, written, dropped (by reason), queue_depth, role, ..."""
        out = ctypes.c_void_p()
        check(_native.lib.spool_stats_json(self._live(), ctypes.byref(out)), "stats")
        try:
            return json.loads(ctypes.string_at(out.value).decode())
        finally:
            _native.lib.spool_free(out)

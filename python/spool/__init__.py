"""spool for Python: append spans, logs, metrics and records to a spool log, from any number of
threads and processes, through spool's C API (libspool.so, loaded with ctypes: nothing to
compile). See spool.Buffer."""
from __future__ import annotations

from . import _native
from ._buffer import Buffer
from ._errors import SpoolError
from ._span import Span, current_span
from .log_handler import SpoolLogHandler, severity_number

__all__ = ["Buffer", "Span", "SpoolError", "SpoolLogHandler", "current_span", "severity_number", "version"]


def version() -> str:
    """The version of the loaded libspool."""
    return _native.lib.spool_version().decode()

"""A logging.Handler that buffers log records in spool, with the current span's trace and span
ids (spool's own spans, `with buffer.span(...)`), so log lines and traces can be joined."""
from __future__ import annotations

import logging
from typing import Any

from ._buffer import Buffer

_SEVERITY = ((logging.CRITICAL, 21), (logging.ERROR, 17), (logging.WARNING, 13), (logging.INFO, 9),
             (logging.DEBUG, 5))


def severity_number(levelno: int) -> int:
    """The OpenTelemetry severity number of a logging level (TRACE 1 .. FATAL 21)."""
    for level, number in _SEVERITY:
        if levelno >= level:
            return number
    return 1


class SpoolLogHandler(logging.Handler):
    """logging.getLogger().addHandler(spool.SpoolLogHandler(buffer)): every record becomes a
    spool log record (body: the formatted message; attributes: logger, module, line, thread,
    process, exception), correlated with the enclosing span. A record the buffer drops is
    counted in its stats; an error goes to logging's handleError, never to the caller."""

    def __init__(self, buffer: Buffer, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.buffer = buffer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            attributes: dict[str, Any] = {
                "logger": record.name,
                "code.function": record.funcName or "",
                "code.filepath": record.pathname or "",
                "code.lineno": int(record.lineno or 0),
                "thread.name": record.threadName or "",
                "process.pid": int(record.process or 0),
            }
            if record.exc_info and record.exc_info[0] is not None:
                attributes["exception.type"] = record.exc_info[0].__name__
                attributes["exception.message"] = str(record.exc_info[1])
            self.buffer.add_log(self.format(record), severity=record.levelname, attributes=attributes,
                                time_ns=int(record.created * 1e9))
        except Exception:
            self.handleError(record)

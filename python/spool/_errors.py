"""The exception spool raises, carrying the C API's status."""
from __future__ import annotations

from . import _native


class SpoolError(Exception):
    """A spool call failed: `status` is the C API's status name ("InvalidArgument", ...)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message or status)
        self.status = status


def check(code: int, call: str) -> None:
    """Raises SpoolError for a status other than OK, with the library's message."""
    if code == _native.SPOOL_OK:
        return
    name = _native.lib.spool_status_name(code).decode()
    message = (_native.lib.spool_last_error() or b"").decode(errors="replace")
    raise SpoolError(name, f"{call}: {message}" if message else f"{call}: {name}")

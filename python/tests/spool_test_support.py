"""What the Python tests share: a temporary log directory and the log read back through
`spoolctl dump` ($SPOOLCTL, set by ctest)."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import unittest
from typing import Any


def spoolctl() -> str:
    path = os.environ.get("SPOOLCTL")
    if not path:
        raise unittest.SkipTest("SPOOLCTL is not set (ctest sets it)")
    return path


def dump(log_dir: str) -> list[dict[str, Any]]:
    """Every record of the log, in offset order, as `spoolctl dump` prints it."""
    out = subprocess.run([spoolctl(), "dump", log_dir], check=True, capture_output=True, timeout=300)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def attributes(record: dict[str, Any]) -> dict[str, Any]:
    """The attributes of a dumped span or log as {key: value}."""
    body = record.get(record.get("kind", ""), {})
    result = {}
    for a in body.get("attributes", []) or []:
        result[a["key"]] = a.get("value")
    return result


class LogDirTest(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="spool-py-")
        self.dir = os.path.join(self._tmp.name, "log")

    def tearDown(self) -> None:
        self._tmp.cleanup()

"""The monthly report fixture (tests/supervision/fixtures/monthly_report.json) and a way to walk it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parent / "fixtures" / "monthly_report.json"


def report_json() -> dict[str, Any]:
    """A fresh copy of the fixture's document (tests may change it)."""
    return copy.deepcopy(json.loads(FIXTURE.read_text(encoding="utf-8")))


def at(document: Any, path: str) -> Any:
    """The value at a dotted path such as ``groups.2.on_time_rate``."""
    value = document
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value

"""Shared fixtures: the sample tenant in events/ feeds the tests as it feeds the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
TENANT = EVENTS / "sample-tenant"


@pytest.fixture
def tenant_dir() -> Path:
    return TENANT

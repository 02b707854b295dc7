"""Shared fixtures: the sample tenant in events/ feeds the tests as it feeds the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import TENANT


@pytest.fixture
def tenant_dir() -> Path:
    return TENANT

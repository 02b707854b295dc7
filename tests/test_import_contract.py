"""The import contract (pyproject.toml [tool.importlinter], docs/LAYOUT.md): the package keeps it,
and ``lint-imports`` fails, naming the arrow, on a copy of the package with one import back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGE = ROOT / "shared" / "groupaudit"


def _lint_imports(config: Path, source_root: Path) -> subprocess.CompletedProcess[str]:
    # the copy's folder first on the path, so grimp reads it and not the installed package
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=source_root,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "groupaudit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_package_keeps_its_import_contract(package_copy):
    # GIVEN an unchanged copy of the package and its contract
    # WHEN lint-imports checks it
    result = _lint_imports(package_copy / "pyproject.toml", package_copy)
    # THEN every contract is kept, and it checked the copy (the layers contract is among them)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken." in result.stdout
    assert "Layers: entry points, API" in result.stdout


def _not_allowed(importer: str, imported: str) -> str:
    return f"groupaudit.{importer} is not allowed to import groupaudit.{imported}"


CYCLE_IN_PIPELINE = "No cycles are allowed in groupaudit.pipeline"


def _cycle_in_groupaudit(importer: str, imported: str) -> str:
    return (
        "No cycles are allowed in groupaudit. It could be made acyclic by removing 1 dependency: "
        f"- .{importer} -> .{imported} (1 import)"
    )


BACK_ARROWS = [
    # a wire model reaching up to the composition root: back up the layers
    ("wire.py", "groupaudit.pipeline.runtime", _not_allowed("wire", "pipeline")),
    # an adapter running the engine: sideways, across the two sides
    ("adapters/storage/findings.py", "groupaudit.engine", _not_allowed("adapters", "engine")),
    # a connector writing to the store: sideways between independent adapters
    ("connectors/base.py", "groupaudit.adapters.storage", _not_allowed("connectors", "adapters")),
    # one aggregate of the table reaching into another: sideways inside the storage package
    (
        "adapters/storage/groups.py",
        "groupaudit.adapters.storage.runs",
        _not_allowed("adapters.storage.groups", "adapters.storage.runs"),
    ),
    # the table's base reaching up to an aggregate: back up the storage package's layers
    (
        "adapters/storage/dynamo.py",
        "groupaudit.adapters.storage.guard",
        _not_allowed("adapters.storage.dynamo", "adapters.storage.guard"),
    ),
    # the API operations importing the API function's resolver: back up the layers
    ("pipeline/api.py", "groupaudit.api.app", _not_allowed("pipeline", "api")),
    # the notices' addenda importing the notifier service, which imports them: a cycle
    ("pipeline/notice_addenda.py", "groupaudit.pipeline.notify", CYCLE_IN_PIPELINE),
    # a rule reaching for the engine that runs it, or for the policy that assembles the rules'
    # settings: cycles between groupaudit's own modules, named by the import to remove
    ("rules/stale_file.py", "groupaudit.engine", _cycle_in_groupaudit("rules", "engine")),
    ("rules/names.py", "groupaudit.policy", _cycle_in_groupaudit("rules", "policy")),
    # an adapter reading the monthly report's model, where supervision's service reads the stores
    (
        "adapters/backups.py",
        "groupaudit.supervision.report_model",
        _cycle_in_groupaudit("adapters", "supervision"),
    ),
]


@pytest.mark.parametrize(("module", "imported", "broken"), BACK_ARROWS)
def test_an_import_that_points_back_breaks_the_contract_and_is_named(package_copy, module, imported, broken):
    # GIVEN the copy with one import added that the contract does not allow
    path = package_copy / "groupaudit" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\nimport {imported}  # noqa\n", encoding="utf-8")
    # WHEN lint-imports checks it
    result = _lint_imports(package_copy / "pyproject.toml", package_copy)
    # THEN it fails and names the contract's complaint
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in " ".join(result.stdout.split()), result.stdout

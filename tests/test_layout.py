"""Project hygiene: generated docs are current; the layer and the package agree on dependencies."""

from __future__ import annotations

import tomllib

from conftest import ROOT
from groupaudit.docs_gen import main as docs_main


def test_generated_schemas_and_rules_table_are_current():
    # GIVEN the committed docs/schemas and docs/RULES.md
    # WHEN regenerated in check mode
    # THEN nothing is stale (run `make schemas` after changing a model or a rule)
    assert docs_main(["--docs", str(ROOT / "docs"), "--check"]) == 0


def test_layer_requirements_match_the_package_dependencies():
    # GIVEN pyproject.toml and the layer's requirements.txt
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [
        line.strip()
        for line in (ROOT / "shared" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # THEN they list the same bounded requirements
    assert sorted(layer) == sorted(project)
    assert all("<" in requirement or requirement.startswith("tzdata") for requirement in project)

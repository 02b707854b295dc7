"""Project hygiene: generated docs are current; the layer and the package agree on dependencies."""

from __future__ import annotations

import tomllib

from groupaudit.docs_gen import main as docs_main
from kit import ROOT


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
    # THEN they list the same bounded requirements, but for boto3 (the Lambda runtime's own)
    assert sorted(layer) == sorted(r for r in project if not r.startswith("boto3"))
    assert all("<" in requirement or requirement.startswith("tzdata") for requirement in project)

"""Project hygiene: generated docs are current; the layer and the package agree on dependencies."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from groupaudit.docs_gen import main as docs_main
from kit import ROOT


def test_generated_schemas_and_rules_table_are_current():
    # GIVEN the committed docs/schemas and docs/RULES.md
    # WHEN regenerated in check mode
    # THEN nothing is stale (run `make schemas` after changing a model or a rule)
    assert docs_main(["--docs", str(ROOT / "docs"), "--check"]) == 0


def test_layer_requirements_match_the_package_dependencies():
    # GIVEN pyproject.toml and the layer's requirements.txt (pins written by `make lock`)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = {
        canonicalize_name(pin.name): pin
        for pin in (
            Requirement(line)
            for line in (ROOT / "shared" / "requirements.txt").read_text().splitlines()
            if line and not line.startswith((" ", "#"))
        )
    }
    # THEN the layer pins each bounded requirement within its range, but boto3 (the Lambda
    # runtime's own); tests/test_layer.py checks the pins against the lock and the built layer
    for requirement in map(Requirement, project):
        name = canonicalize_name(requirement.name)
        if name == "boto3":
            assert name not in layer
            continue
        (pin,) = layer[name].specifier
        assert pin.operator == "==" and requirement.specifier.contains(pin.version), (requirement, pin)
    assert all("<" in requirement or requirement.startswith("tzdata") for requirement in project)

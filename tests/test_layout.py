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


def _layout_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Layout") :]
    return section[: section.index("```", section.index("```") + 3)]


def test_the_layout_docs_name_every_package_module_and_function():
    # GIVEN the package's top-level modules and packages, the modules of its service packages,
    # and the Lambda functions
    package = ROOT / "shared" / "groupaudit"
    top = sorted(
        p.stem if p.is_file() else p.name
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    )
    inner = sorted(
        f"{folder}/{p.stem}" if folder != "supervision" else p.stem
        for folder in ("pipeline", "supervision")
        for p in (package / folder).glob("*.py")
        if p.stem != "__init__"
    )
    layout = (ROOT / "docs" / "LAYOUT.md").read_text(encoding="utf-8")
    block = _layout_block()
    # THEN docs/LAYOUT.md names each of them (a new module gets its row or its words there) ...
    assert [name for name in top if f"`{name}" not in layout] == []
    assert [name for name in inner if f"`{name.split('/')[-1]}`" not in layout] == []
    # ... and the README's layout block has one line per package and names every function
    packages = [name for name in top if (package / name / "__init__.py").is_file()]
    assert [name for name in packages if f"{name}/" not in block] == []
    functions = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "handler.py").is_file())
    assert [name for name in functions if name not in block] == []

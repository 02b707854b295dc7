"""What ships is what is tested: one lock for development, CI and the layer; the layer `sam build`
makes holds the locked wheels for python3.13 on arm64, the package without its development
tools, nothing the Lambda runtime provides, and imports (docs/DEPLOY.md)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name

from awscalls import imported_modules, makefile_variable, package_sources, shipped_sources
from kit import ROOT

LOCK = ROOT / "requirements.lock"
LAYER_REQUIREMENTS = ROOT / "shared" / "requirements.txt"
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "urllib3", "jmespath"}
TARGET_ZIPPED_BYTES = 10_000_000
# The Lambda python3.13 runtime on arm64, as requirement markers see it.
LAMBDA_ENVIRONMENT: dict[str, str] = {
    **{marker: str(value) for marker, value in default_environment().items()},  # all strings
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "platform_machine": "aarch64",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
AARCH64 = 183  # ELF e_machine of a native extension built for arm64


def pins(path: Path, environment: dict[str, str] | None = None) -> dict[str, str]:
    """name -> version of each ``name==version`` line whose marker holds in ``environment``."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith((" ", "#", "-")):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", line
            found[canonicalize_name(requirement.name)] = specifier.version
    return found


def project() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def build(out: Path, *options: str) -> dict[str, Any]:
    """Build the layer as `sam build` does (bench/layer.py runs the Makefile's target)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "layer.py"), "--out", str(out), "--json", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 1: over the size target
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def layer(tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """The layer's python/ folder as deployed, and its figures."""
    figures = build(tmp_path_factory.mktemp("layer") / "arm64")
    return Path(figures["folder"]) / "python", figures


def distributions(folder: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for info in folder.glob("*.dist-info"):
        meta = metadata.PathDistribution(info).metadata
        found[canonicalize_name(meta["Name"])] = meta["Version"]
    return found


# ----------------------------------------------------------------------------- the lock


def test_the_lock_pins_every_requirement_of_the_project_within_its_range():
    # GIVEN the lock and pyproject.toml's runtime and development requirements
    locked = pins(LOCK)
    requirements = [
        Requirement(r) for r in (*project()["dependencies"], *project()["optional-dependencies"]["dev"])
    ]
    for requirement in requirements:
        # THEN each is pinned, to a version its range allows (else run `make lock`)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock: run make lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (name, locked[name])


def test_this_environment_runs_the_locked_versions():
    # GIVEN the distributions the tests run with (make setup installs with the lock)
    installed: dict[str, str] = {
        canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()
    }
    # THEN every locked package that applies here is installed at its locked version
    wrong = {name: (version, installed.get(name)) for name, version in pins(LOCK).items()}
    assert {name: versions for name, versions in wrong.items() if versions[0] != versions[1]} == {}


def test_the_layer_pins_are_the_lock_pins_less_what_the_runtime_provides():
    # GIVEN the layer's requirements and the lock as it resolves for python3.13 on arm64
    layer = pins(LAYER_REQUIREMENTS)
    locked = pins(LOCK, LAMBDA_ENVIRONMENT)
    # THEN the layer pins each of its packages at the lock's version
    assert {
        name: (version, locked.get(name)) for name, version in layer.items() if locked.get(name) != version
    } == {}
    # AND it pins every runtime dependency of the package, but boto3 and its own dependencies
    direct = {canonicalize_name(Requirement(r).name) for r in project()["dependencies"]}
    assert direct - set(layer) == {"boto3"}
    assert not RUNTIME_PROVIDED & set(layer)
    assert set(makefile_variable(ROOT, "RUNTIME_PROVIDED")) == RUNTIME_PROVIDED


# ----------------------------------------------------------------------------- the layer


def test_the_layer_zips_to_at_most_10_mb(layer):
    # GIVEN the layer as `sam build` builds it, zipped as `sam package` zips it
    _, figures = layer
    # THEN the upload is at most 10 MB (make bench prints the figure)
    assert 0 < figures["zipped_bytes"] <= TARGET_ZIPPED_BYTES, figures
    assert figures["within_target"] is True


def test_the_layer_holds_exactly_the_pinned_wheels_and_nothing_the_runtime_provides(layer):
    # GIVEN the distributions installed in the layer
    folder, _ = layer
    installed = distributions(folder)
    # THEN they are the layer's pins, at their versions
    assert installed == pins(LAYER_REQUIREMENTS)
    # AND neither boto3, botocore, s3transfer, urllib3 nor jmespath is there in any form
    entries = {canonicalize_name(path.name.split(".")[0].split("-")[0]) for path in folder.iterdir()}
    assert not entries & RUNTIME_PROVIDED
    assert (folder / "aws_xray_sdk").is_dir() and not (folder / "botocore").exists()


def test_the_layer_holds_the_package_without_its_development_tools(layer):
    # GIVEN the package in the layer and in the repository
    folder, _ = layer
    shipped = set(package_sources(folder, "groupaudit"))
    excluded = makefile_variable(ROOT, "LAYER_EXCLUDES")
    # THEN the layer holds every module but the development tools: the local stack and its
    # loopback peers, the CLI, the docs generators
    assert shipped == set(shipped_sources(ROOT)) - {
        m for m in shipped_sources(ROOT) if m.startswith("functions.")
    }
    assert excluded == [
        "groupaudit/local",
        "groupaudit/cli",
        "groupaudit/docs_gen.py",
        "groupaudit/api/openapi.py",
    ]
    assert not any((folder / path).exists() for path in excluded)
    assert not any(module.startswith("groupaudit.local") for module in shipped)
    # AND no bytecode of this machine's Python, no type stubs, no C sources
    leftovers = [
        p for p in folder.rglob("*") if p.suffix in (".pyc", ".pyi", ".c", ".pyx") or p.name == "__pycache__"
    ]
    assert leftovers == []


def test_native_extensions_are_built_for_python_3_13_on_arm64(layer):
    # GIVEN every native extension in the layer
    folder, _ = layer
    extensions = sorted(folder.rglob("*.so"))
    assert len(extensions) >= 6  # pydantic-core, msgspec, PyYAML, rapidfuzz, pyahocorasick, wrapt
    for path in extensions:
        header = path.read_bytes()[:20]
        # THEN each is an ELF file for AArch64 (e_machine), named for CPython 3.13
        assert header[:4] == b"\x7fELF", path
        assert int.from_bytes(header[18:20], "little") == AARCH64, path
        assert "cpython-313-aarch64-linux-gnu" in path.name, path


def test_no_handler_can_import_a_module_the_layer_leaves_out():
    # GIVEN every module of the package, the left-out ones too, and the four handlers
    sources = package_sources(ROOT / "shared", "groupaudit")
    handlers = shipped_sources(ROOT)
    sources |= {name: source for name, source in handlers.items() if name.startswith("functions.")}
    left_out = set(sources) - set(handlers)
    assert "groupaudit.local.stack" in left_out and "groupaudit.cli" in left_out
    # WHEN every import they make is followed (lazy ones and modules named by strings too)
    reached = imported_modules(sources, [name for name in sources if name.startswith("functions.")])
    # THEN none of them is left out of the layer
    assert reached & left_out == set()


def test_the_api_serves_no_swagger_ui():
    # GIVEN the API handler and the API package its resolver lives in (the layer leaves out
    # Powertools' Swagger UI assets)
    package = ROOT / "shared" / "groupaudit" / "api"
    paths = [ROOT / "functions" / "api" / "handler.py", *package.glob("*.py")]
    assert package / "app.py" in paths
    # THEN none of them enables the Swagger UI route
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        assert "enable_swagger" not in names, path


IMPORT_CHECK = r"""
import importlib, importlib.util, json, os, pkgutil, sys
layer, functions, externals = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
failed = {}
import groupaudit
for info in pkgutil.walk_packages(groupaudit.__path__, "groupaudit."):
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failed[info.name] = repr(exc)
for module, names in externals.items():
    try:
        loaded = importlib.import_module(module)
        for name in names:
            if not hasattr(loaded, name):
                importlib.import_module(f"{module}.{name}")
    except Exception as exc:
        failed[module] = repr(exc)
for name in sorted(os.listdir(functions)):
    path = os.path.join(functions, name, "handler.py")
    spec = importlib.util.spec_from_file_location(f"handler_{name}", path)
    try:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    except Exception as exc:
        failed[name] = repr(exc)
from aws_lambda_powertools import Tracer
Tracer(service="groupaudit")  # in a Lambda environment: loads the X-Ray SDK, patches botocore
import aws_xray_sdk, botocore, pydantic_core
files = {m.__name__: m.__file__ for m in (aws_xray_sdk, botocore, pydantic_core)}
print(json.dumps({"failed": failed, "files": files}))
"""


def external_imports() -> dict[str, list[str]]:
    """The third-party modules the shipped code imports (inside functions too), with the names
    it takes from them."""
    found: dict[str, set[str]] = {}
    for source in shipped_sources(ROOT).values():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.setdefault(alias.name, set())
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.setdefault(node.module, set()).update(alias.name for alias in node.names)
    return {
        module: sorted(names)
        for module, names in sorted(found.items())
        if module.partition(".")[0] not in sys.stdlib_module_names and not module.startswith("groupaudit")
    }


@pytest.mark.slow
def test_the_layer_imports_with_only_the_runtimes_boto3_beside_it(tmp_path):
    # GIVEN the same layer built for this machine's Python, and a folder holding what the
    # Lambda runtime adds: boto3 and its dependencies (taken from this environment)
    platforms = sorted({tag.platform for tag in sys_tags() if tag.platform.startswith("manylinux")})
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    options = ["--python", python, *(option for p in platforms for option in ("--platform", p))]
    folder = Path(build(tmp_path / "host", *options)["folder"]) / "python"
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for package in RUNTIME_PROVIDED:
        spec = find_spec(package)
        assert spec is not None and spec.submodule_search_locations, package
        (runtime / package).symlink_to(spec.submodule_search_locations[0])
    externals = external_imports()
    assert {"aws_lambda_powertools", "pydantic", "msgspec", "yaml", "ahocorasick"} <= set(externals)
    # WHEN a Python without site-packages imports every module of the layer's package, every
    # third-party module the code imports, each handler, and creates the Tracer, as in Lambda
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            IMPORT_CHECK,
            str(folder),
            str(ROOT / "functions"),
            json.dumps(externals),
        ],
        env={
            "PATH": os.environ["PATH"],
            "PYTHONPATH": os.pathsep.join([str(folder), str(runtime)]),
            "AWS_LAMBDA_FUNCTION_NAME": "groupaudit-check",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_SERVICE_NAME": "groupaudit",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # THEN nothing failed to import
    assert report["failed"] == {}
    # AND the X-Ray SDK and pydantic-core came from the layer, botocore from the runtime's folder
    assert report["files"]["aws_xray_sdk"].startswith(str(folder))
    assert report["files"]["pydantic_core"].startswith(str(folder))
    assert report["files"]["botocore"].startswith(str(runtime))

"""Structured log calls never use a key that Python's logging reserves for its LogRecord:
``logger.info("...", created=True)`` raises KeyError as soon as INFO is emitted (the deployed
level), so the request that logged it fails after its work was done."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from kit import ROOT

# What logging.Logger.makeRecord refuses in ``extra``: the attributes of a LogRecord, and these two.
RESERVED = frozenset(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", (), None))) | {
    "message",
    "asctime",
}
# ... except the logging methods' own parameters of the same names
PARAMETERS = frozenset({"exc_info", "stack_info", "stacklevel", "extra"})
LEVELS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})
SOURCES = sorted([*(ROOT / "shared" / "groupaudit").rglob("*.py"), *(ROOT / "functions").rglob("*.py")])


def _log_calls(tree: ast.AST) -> list[ast.Call]:
    """Calls of ``logger.<level>(...)`` and of names bound to such a method (``log = logger.info``)."""

    def is_level(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr in LEVELS
            and isinstance(node.value, ast.Name)
            and "log" in node.value.id.lower()
        )

    aliases = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(is_level(part) for part in ast.walk(node.value))
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (is_level(node.func) or (isinstance(node.func, ast.Name) and node.func.id in aliases))
    ]


def reserved_keys(source: str) -> list[tuple[int, str]]:
    """(line, key) of every log call in ``source`` passing a reserved LogRecord attribute."""
    return [
        (call.lineno, keyword.arg)
        for call in _log_calls(ast.parse(source))
        for keyword in call.keywords
        if keyword.arg in RESERVED - PARAMETERS
    ]


def test_the_scan_finds_reserved_keys_in_direct_and_aliased_log_calls():
    # GIVEN log calls with reserved keys, directly and through an alias, and harmless ones
    source = (
        "logger.info('audit requested', audit_id=a, created=c)\n"
        "log = logger.warning if bad else logger.info\n"
        "log('refused', name=n, status=s)\n"
        "logger.info('ok', new_audit=c, exc_info=True)\n"
        "other.info('not a logger', created=c)\n"
    )
    # WHEN scanned
    # THEN exactly the reserved keys of the logger calls are named, with their lines
    assert reserved_keys(source) == [(1, "created"), (3, "name")]
    assert {"created", "name", "msg", "args", "module", "lineno", "process", "thread"} <= RESERVED


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_log_call_of_the_package_or_the_functions_uses_a_reserved_key(path: Path):
    # GIVEN a module of the package or a function handler
    # WHEN its log calls are read
    found = reserved_keys(path.read_text(encoding="utf-8"))
    # THEN none passes a key that logging would refuse at the deployed level
    assert found == []

"""Every command and option of `groupaudit` has help with an example, and `--version`."""

from __future__ import annotations

import argparse
import subprocess
import sys
from importlib.metadata import version

import pytest

from groupaudit.cli import COMMANDS, command_modules, main, parser


def _walk(node: argparse.ArgumentParser, name: str):
    """(command line, parser) of the parser and every subparser under it."""
    yield name, node
    for action in node._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _walk(sub, f"{name} {sub_name}")


def _arguments(node: argparse.ArgumentParser):
    return [
        action
        for action in node._actions
        if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction))
    ]


def test_every_argument_of_every_command_has_help_with_an_example():
    # GIVEN every parser of the command line, the nested ones (groups add, policy show, ...) too
    parsers = dict(_walk(parser(), "groupaudit"))
    # THEN there are all of them, and every argument's help gives an example
    assert {"groupaudit audit-all", "groupaudit groups add", "groupaudit import slack-export"} <= set(parsers)
    assert {"groupaudit findings", "groupaudit api", "groupaudit policy show"} <= set(parsers)
    missing = [
        f"{name}: {action.option_strings or action.dest}"
        for name, node in parsers.items()
        for action in _arguments(node)
        if not action.help or "(e.g. " not in action.help
    ]
    assert missing == []
    counted = sum(len(_arguments(node)) for node in parsers.values())
    assert counted > 90  # the walk reached the options (not a vacuous pass)


def test_every_command_module_is_registered_once_with_a_name_help_and_run():
    # GIVEN the registry
    modules = command_modules()
    # THEN each module names its command, says what it does and runs it; names are unique
    names = [module.NAME for module in modules]
    assert len(names) == len(set(names)) == len(COMMANDS)
    assert all(callable(module.run) and callable(module.add_arguments) and module.HELP for module in modules)
    assert "api" in names and "findings" in names and "import" in names


def test_version_prints_the_installed_version(capsys):
    # WHEN `groupaudit --version` runs
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    # THEN it exits 0 printing the distribution's version
    assert done.value.code == 0
    assert capsys.readouterr().out == f"groupaudit {version('groupaudit')}\n"


def test_a_command_help_shows_its_example(capsys):
    with pytest.raises(SystemExit):
        main(["audit-all", "--help"])
    out = capsys.readouterr().out
    assert "example:\n  groupaudit audit-all events/sample-tenant --format json --fail-on violation" in out
    assert "--ndjson" in out and "--fail-on SEVERITY" in out


def test_python_dash_m_runs_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "groupaudit.cli", "--version"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"groupaudit {version('groupaudit')}")

"""docs/CLI.md is generated from the parsers and current."""

from __future__ import annotations

from groupaudit.cli import command_modules
from groupaudit.cli._reference import DOC, render


def test_the_cli_reference_is_current():
    # GIVEN docs/CLI.md and what the parsers say now
    # THEN they are the same (else: python -m groupaudit.cli._reference)
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m groupaudit.cli._reference"


def test_the_reference_names_every_command_option_and_credential_variable():
    text = render()
    for module in command_modules():
        assert f"\n## groupaudit {module.NAME}\n" in text
    for line in (
        "| `--fail-on SEVERITY` |",
        "| `--ndjson` |",
        "| `--key-env VAR` |",
        "| `--endpoint-url URL` |",
    ):
        assert line in text
    assert "| slack | `token` | `SLACK_BOT_TOKEN` |" in text
    assert "| wecom | `corp_id` | `WECOM_CORP_ID` |" in text


def test_the_readme_calls_the_api_with_groupaudit_api_and_no_openssl():
    import shlex

    from groupaudit.cli import parser
    from kit import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # THEN signing needs no openssl or curl, and every `groupaudit api` line parses as given
    assert "openssl" not in readme and "curl " not in readme
    lines = [
        line
        for line in readme.splitlines()
        if line.startswith(".venv/bin/groupaudit api ") and "METHOD PATH" not in line  # the synopsis
    ]
    assert len(lines) == 3
    for line in lines:
        args = parser().parse_args(shlex.split(line, comments=True)[1:])
        assert args.command == "api" and args.path.startswith("/")

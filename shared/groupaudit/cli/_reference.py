"""docs/CLI.md, generated from the parsers: every command, its options and an example.

``python -m groupaudit.cli._reference`` rewrites it; ``tests/cli/test_reference.py`` fails when
it is stale.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from groupaudit.cli import command_modules, parser

DOC = Path(__file__).resolve().parents[3] / "docs" / "CLI.md"

HEADER = """\
# The command line

Generated from the parsers by `python -m groupaudit.cli._reference` (a test fails when this file
is stale): every command of `groupaudit`, each option and an example. `groupaudit COMMAND --help`
prints the same.

`groupaudit --version` prints the version. Exit status: `0` done; `1` a finding at or above
`--fail-on`; `2` invalid input or usage, a missing setting, or the API's 4xx answer; `3` a chat
platform refused or failed a pull, or the API's 5xx answer or none. Every problem is on stderr.

Progress of long work (`pull`, `import`, `audit-all`) goes to stderr when stderr is a terminal:
one line redrawn in place, then what was done and how long it took. A pipe, a file or a CI log
gets none, and stdout never does.

The commands that read or write the store (`groups`, `findings`) take `--profile`, `--region` and
`--endpoint-url`, and need `TABLE_NAME`, the stack's `TableName` output; without it they stop
with one line naming it and where its value is.

`pull` reads the app credentials from `--credentials FILE`, else from the environment:

| platform | credential | environment variable |
|---|---|---|
{credentials}

Commands: {commands}.
"""


def render() -> str:
    from groupaudit.cli._credentials import ENVIRONMENT

    rows = [
        f"| {platform} | `{key}`{'' if required else ' (optional)'} | "
        + " or ".join(f"`{name}`" for name in names)
        + " |"
        for platform, keys in ENVIRONMENT.items()
        for key, (names, required) in keys.items()
    ]
    modules = command_modules()
    out = [
        HEADER.format(
            credentials="\n".join(rows),
            commands=", ".join(f"[`{m.NAME}`](#groupaudit-{m.NAME})" for m in modules),
        )
    ]
    root = parser()
    for module in modules:
        sub = _subparsers(root)[module.NAME]
        out.append(f"## groupaudit {module.NAME}\n\n{module.HELP}.\n")
        if getattr(module, "EXAMPLE", None):
            out.append(f"```sh\n{module.EXAMPLE}\n```\n")
        out += _arguments(sub, f"groupaudit {module.NAME}", level=3)
    return "\n".join(out).rstrip("\n") + "\n"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _arguments(parser: argparse.ArgumentParser, name: str, level: int) -> list[str]:
    out = []
    rows = [_row(action) for action in parser._actions if _documented(action)]
    if rows:
        out.append("| argument | what |\n|---|---|\n" + "\n".join(rows) + "\n")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for sub_name, sub in action.choices.items():
                out.append(f"{'#' * level} {name} {sub_name}\n\n{helps.get(sub_name, '')}.\n")
                out += _arguments(sub, f"{name} {sub_name}", level + 1)
    return out


def _documented(action: argparse.Action) -> bool:
    return not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction))


def _row(action: argparse.Action) -> str:
    if action.option_strings:
        names = ", ".join(action.option_strings)
        if action.nargs != 0:
            names += f" {action.metavar or action.dest.upper()}"
    else:
        names = str(action.metavar or action.dest)
    extra = []
    if action.choices and (not action.option_strings or action.metavar is None):
        extra.append("one of " + ", ".join(f"`{c}`" for c in action.choices))
    if action.required and action.option_strings:
        extra.append("required")
    text = (action.help or "").replace("|", "\\|")
    suffix = f" ({'; '.join(extra)})" if extra else ""
    return f"| `{names}` | {text}{suffix} |"


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")

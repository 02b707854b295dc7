"""``groupaudit``: audit snapshots, check and show policies, print the JSON Schemas.

Exit status: 0 done; 1 a finding at or above ``--fail-on``; 2 invalid input or usage; 3 a
chat platform refused or failed a pull (its code and message on stderr).
Invalid input never prints a traceback or a partial report: every problem is on stderr.

Adding a command is one file and one registry line:

1. ``cli/<command>.py`` (a Python name: ``audit_all.py`` for ``audit-all``) defines
   ``NAME`` (the command as typed), ``HELP`` (one line for ``groupaudit --help``),
   ``EXAMPLE`` (optional: one command line, shown under its ``--help``),
   ``add_arguments(parser)`` (its arguments on the ``argparse`` parser it is given; each with a
   ``help`` that ends in an example, ``(e.g. ...)``, which ``tests/cli/test_help.py`` checks) and
   ``run(args) -> int`` (the exit status). Import what ``run`` needs inside it: the command line
   starts by importing every command module.
2. Its module name goes into :data:`COMMANDS` below, in the order ``--help`` lists it.
3. ``python -m groupaudit.cli._reference`` regenerates docs/CLI.md (a test fails while it is
   stale). Commands that read or write AWS call ``_aws.add_arguments(parser)`` (``--profile``,
   ``--region``, ``--endpoint-url``) and run inside ``with _aws.errors():``.

``run`` raises :class:`~groupaudit.errors.InputError` (or another ``GroupAuditError``) for bad
input; :func:`main` prints it on stderr and exits 2 (3 for a platform's refusal).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from groupaudit.cli._common import EXIT_FINDINGS, EXIT_INVALID, EXIT_OK, EXIT_PLATFORM
from groupaudit.errors import GroupAuditError, InputError

__all__ = ["COMMANDS", "EXIT_FINDINGS", "EXIT_INVALID", "EXIT_OK", "EXIT_PLATFORM", "main", "parser"]

#: The command modules of ``groupaudit.cli``, in the order ``groupaudit --help`` lists them.
COMMANDS = (
    "audit",
    "audit_all",
    "demo",
    "groups",
    "importer",
    "pull",
    "serve_api",
    "policy",
    "calendar",
    "schema",
    "findings",
    "api_request",
    "ledger",
    "appeal",
    "report",
)


def command_modules() -> list[ModuleType]:
    return [importlib.import_module(f"groupaudit.cli.{name}") for name in COMMANDS]


def parser() -> argparse.ArgumentParser:
    """The parser of every command (``docs/CLI.md`` is generated from it)."""
    root = argparse.ArgumentParser(prog="groupaudit", description="Audit work chat groups against policy.")
    root.add_argument(
        "--version",
        action="version",
        version=f"groupaudit {version()}",
        help="print the version and exit (e.g. groupaudit --version)",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in command_modules():
        example = getattr(module, "EXAMPLE", None)
        sub = commands.add_parser(
            module.NAME,
            help=module.HELP,
            description=module.HELP,
            epilog=f"example:\n  {example}" if example else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return root


def version() -> str:
    """The installed distribution's version (the package's own when not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    from groupaudit import __version__

    try:
        return installed("groupaudit")
    except PackageNotFoundError:
        return __version__


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except InputError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_INVALID
    except GroupAuditError as exc:
        from groupaudit.connectors.http import PlatformError

        if isinstance(exc, PlatformError):
            retry = " (temporary: try again later)" if exc.retryable else ""
            print(f"error: {exc}{retry}", file=sys.stderr)
            return EXIT_PLATFORM
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK

"""``groupaudit calendar``: the working calendar the audit uses for a year."""

from __future__ import annotations

import argparse

from groupaudit.cli._common import EXIT_OK, add_policy_arguments, write

NAME = "calendar"
HELP = "print the working days, holidays and make-up workdays the audit uses for a year"
EXAMPLE = "groupaudit calendar 2027 --format json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from groupaudit.workcalendar import _year

    parser.add_argument("year", metavar="YEAR", type=_year, help="the year (e.g. 2027)")
    add_policy_arguments(parser)
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table (default) or json (e.g. --format json)",
    )
    parser.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="zh (default) or en (e.g. --lang en)"
    )


def run(args: argparse.Namespace) -> int:
    from groupaudit.workcalendar import run_command

    write(run_command(args))
    return EXIT_OK

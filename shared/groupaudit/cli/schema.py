"""``groupaudit schema``: print a JSON Schema of a public format."""

from __future__ import annotations

import argparse

from groupaudit.cli._common import EXIT_OK, write

NAME = "schema"
HELP = "print a JSON Schema of a public format"
EXAMPLE = "groupaudit schema findings"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        choices=("snapshot", "directory", "findings", "policy"),
        help="which format (e.g. snapshot)",
    )


def run(args: argparse.Namespace) -> int:
    from groupaudit.schemas import schema_json

    write(schema_json(args.name))
    return EXIT_OK

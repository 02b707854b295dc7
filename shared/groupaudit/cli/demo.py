"""``groupaudit demo``: the local main job on moto's server."""

from __future__ import annotations

import argparse
from pathlib import Path

from groupaudit.cli._common import EXIT_OK

NAME = "demo"
HELP = "the local main job: a scheduled audit of a tenant through the pipeline on moto's server"
EXAMPLE = "groupaudit demo events/sample-tenant"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "folder",
        metavar="TENANT_DIR",
        nargs="?",
        help="the tenant folder (default: events/sample-tenant) (e.g. events/sample-tenant)",
    )


def run(args: argparse.Namespace) -> int:
    from groupaudit.local.demo import SAMPLE, run_demo

    run_demo(Path(args.folder) if args.folder else SAMPLE)
    return EXIT_OK

"""``groupaudit demo``: the local main job on moto's server, then the sample tenant's month."""

from __future__ import annotations

import argparse
from pathlib import Path

from groupaudit.cli._common import EXIT_OK, note

NAME = "demo"
HELP = (
    "the local main job: a scheduled audit of a tenant through the pipeline on moto's server, "
    "then (the sample tenant) its month day by day and the month's report in .demo/reports/"
)
EXAMPLE = "groupaudit demo events/sample-tenant"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "folder",
        metavar="TENANT_DIR",
        nargs="?",
        help="the tenant folder (default: events/sample-tenant) (e.g. events/sample-tenant)",
    )
    parser.add_argument(
        "--no-month",
        action="store_true",
        help="the scheduled audit only, without the sample tenant's month (e.g. --no-month)",
    )


def run(args: argparse.Namespace) -> int:
    from groupaudit.local.demo import SAMPLE, run_demo

    folder = Path(args.folder) if args.folder else SAMPLE
    run_demo(folder)
    if args.no_month:
        return EXIT_OK
    if folder.resolve() != SAMPLE.resolve():
        note(f"the month is the sample tenant's story ({SAMPLE}): not told of {folder}")
        return EXIT_OK
    from groupaudit.local.demo_month import run_month

    run_month(folder)
    return EXIT_OK

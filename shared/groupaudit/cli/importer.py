"""``groupaudit import slack-export``: a platform's export as group snapshots.

(The module is ``importer``: ``import`` is a Python keyword.)
"""

from __future__ import annotations

import argparse
import sys

from groupaudit.cli._common import EXIT_OK, snapshot_line, timestamp, write
from groupaudit.cli._progress import Progress
from groupaudit.contracts import GROUP_KINDS

NAME = "import"
HELP = "convert a platform's export into group snapshots"
EXAMPLE = "groupaudit import slack-export export.zip --out tenant/snapshots --tenant acme"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sources = parser.add_subparsers(dest="import_command", required=True, metavar="SOURCE")
    slack = sources.add_parser(
        "slack-export", help="Slack's workspace export (folder or .zip): one snapshot per channel"
    )
    slack.add_argument(
        "path", metavar="PATH", help="the export: its folder or the .zip Slack gave (e.g. export.zip)"
    )
    slack.add_argument(
        "--channel", metavar="NAME", help="only this channel (name or id) (e.g. --channel general)"
    )
    slack.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="folder for the <channel>.json snapshots (e.g. --out tenant/snapshots)",
    )
    slack.add_argument(
        "--tenant",
        default="default",
        help="tenant_id of the snapshots (default: default) (e.g. --tenant acme)",
    )
    slack.add_argument(
        "--taken-at",
        metavar="ISO8601",
        type=timestamp,
        help="default: the latest message in the export (e.g. --taken-at 2026-11-20T18:00:00+08:00)",
    )
    slack.add_argument(
        "--kind",
        metavar="K",
        choices=GROUP_KINDS,
        help=" | ".join(GROUP_KINDS) + " (default other) (e.g. --kind project)",
    )


def run(args: argparse.Namespace) -> int:
    from groupaudit.connectors.slack_export import import_slack_export, write_snapshots

    with Progress("import") as progress:
        progress.step(f"reading {args.path}")
        result = import_slack_export(
            args.path, channel=args.channel, tenant_id=args.tenant, taken_at=args.taken_at, kind=args.kind
        )
        progress.step(f"writing {len(result.channels)} snapshot(s) to {args.out}")
        written = write_snapshots(result, args.out)
        progress.done(f"{len(written)} snapshot(s) written")
    for channel, path in zip(result.channels, written, strict=True):
        write(snapshot_line(channel.snapshot, path))
    if result.taken_at_from_export:
        print(
            f"note: taken_at {result.taken_at.isoformat()} is the latest message in the export "
            "(set it with --taken-at)",
            file=sys.stderr,
        )
    for channel in result.channels:
        for note in channel.notes:
            print(f"note: {channel.snapshot.group.name}: {note}", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return EXIT_OK

"""``groupaudit audit``: audit one group snapshot."""

from __future__ import annotations

import argparse
import sys

from groupaudit.cli._common import EXIT_FINDINGS, EXIT_OK, fails_on, timestamp, write
from groupaudit.contracts import SEVERITIES

NAME = "audit"
HELP = "audit one group snapshot"
EXAMPLE = (
    "groupaudit audit events/sample-tenant/snapshots/sales.json "
    "--directory events/sample-tenant/directory.json --format json"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "snapshot",
        metavar="SNAPSHOT",
        help="group snapshot (JSON) (e.g. events/sample-tenant/snapshots/sales.json)",
    )
    parser.add_argument(
        "--directory", metavar="FILE", help="company directory (JSON) (e.g. --directory directory.json)"
    )
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="policy file (YAML); built-in defaults without it (e.g. --policy policy.yaml)",
    )
    parser.add_argument(
        "--backups",
        metavar="DIR",
        help="backup store folder (files hashed with SHA-256) (e.g. --backups backups/)",
    )
    parser.add_argument(
        "--now",
        metavar="ISO8601",
        type=timestamp,
        help="audit time (default: taken_at) (e.g. --now 2026-11-20T18:00:00+08:00)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table (default) or json (e.g. --format json)",
    )
    parser.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="zh (default) or en (e.g. --lang en)"
    )
    parser.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        choices=SEVERITIES,
        help=f"exit 1 if a finding is at or above it: {' | '.join(SEVERITIES)} (e.g. --fail-on violation)",
    )
    parser.add_argument(
        "--notice",
        action="store_true",
        help="also print the notice that would be posted, on stderr (e.g. --notice)",
    )


def run(args: argparse.Namespace) -> int:
    from groupaudit.audittime import check_local_audit
    from groupaudit.loading import load_snapshot
    from groupaudit.render import render_json, render_notice, render_table
    from groupaudit.service import audit_snapshot, load_local_inputs

    inputs = load_local_inputs(args.policy, args.directory, args.backups)
    snapshot = load_snapshot(args.snapshot)
    check_local_audit(snapshot, args.now, args.snapshot)  # --now, or a taken_at not in the future
    report = audit_snapshot(
        snapshot,
        policies=inputs.policies,
        directory=inputs.directory,
        backups=inputs.backups,
        now=args.now,
        lang=args.lang,
    )
    if args.format == "json":
        write(render_json(report))
    else:
        write(render_table(report, snapshot.group.name, args.lang))
    if args.notice:
        notice = render_notice(report, snapshot, args.lang)
        print(notice.text if notice else "(no notice: nothing to report)", file=sys.stderr)
    return EXIT_FINDINGS if fails_on(report.findings, args.fail_on) else EXIT_OK

"""``groupaudit audit-all``: audit every snapshot of a tenant folder.

``--format json`` prints one JSON document: an array of the groups' reports, each exactly what
``groupaudit audit --format json`` prints for it, in the order of the snapshot files' names.
``--ndjson`` prints the same reports one per line instead (JSON Lines).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from groupaudit.cli._common import EXIT_FINDINGS, EXIT_OK, fails_on, timestamp, write
from groupaudit.cli._progress import Progress
from groupaudit.contracts import SEVERITIES

NAME = "audit-all"
HELP = "audit every snapshot of a tenant folder and print findings and notices"
EXAMPLE = "groupaudit audit-all events/sample-tenant --format json --fail-on violation"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "folder",
        metavar="TENANT_DIR",
        help="folder with snapshots/*.json and, if any, directory.json, policy.yaml, backups/ "
        "(e.g. events/sample-tenant)",
    )
    parser.add_argument(
        "--now",
        metavar="ISO8601",
        type=timestamp,
        help="audit time (default: each snapshot's taken_at) (e.g. --now 2026-11-20T18:00:00+08:00)",
    )
    parser.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="zh (default) or en (e.g. --lang en)"
    )
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table (default; with the notices) or json: one array of the groups' reports "
        "(e.g. --format json)",
    )
    parser.add_argument(
        "--ndjson",
        action="store_true",
        help="JSON Lines instead: one group's report per line (implies --format json) (e.g. --ndjson)",
    )
    parser.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        choices=SEVERITIES,
        help=f"exit 1 if any group has a finding at or above it: {' | '.join(SEVERITIES)} "
        "(e.g. --fail-on violation)",
    )


def run(args: argparse.Namespace) -> int:
    import msgspec

    from groupaudit.render import render_notice, render_table
    from groupaudit.service import load_local_inputs
    from groupaudit.tenant import audit_tenant_folder
    from groupaudit.tenantwide import with_tenant_rules

    folder = Path(args.folder)
    with Progress("audit-all") as progress:
        count = len(list((folder / "snapshots").glob("*.json")))
        progress.step(f"auditing {count} snapshot(s) of {folder}")
        results = audit_tenant_folder(folder, now=args.now, lang=args.lang)
        # the tenant-wide rules (onboarding_gap) over all of the tenant's groups
        progress.step("tenant-wide rules")
        given = [folder / name for name in ("policy.yaml", "directory.json")]
        policy_path, directory_path = (path if path.exists() else None for path in given)
        inputs = load_local_inputs(policy_path, directory_path)
        results = with_tenant_rules(
            results, policies=inputs.policies, directory=inputs.directory, now=args.now, lang=args.lang
        )
        total = sum(len(report.findings) for _, report in results)
        progress.done(f"{len(results)} group(s) audited, {total} finding(s)")
    reports = [report for _, report in results]
    if args.ndjson:
        write(b"\n".join(msgspec.json.encode(report) for report in reports))
    elif args.format == "json":
        write(msgspec.json.format(msgspec.json.encode(reports), indent=2))
    else:
        for snapshot, report in results:
            write(render_table(report, snapshot.group.name, args.lang))
            notice = render_notice(report, snapshot, args.lang)
            title = "notice" if args.lang == "en" else "群通知"
            if notice is None:
                write(f"   [{title}] —\n")
            else:
                body = "\n".join(f"   | {line}" for line in notice.text.splitlines())
                write(f"   [{title} → {snapshot.group.id}]\n{body}\n")
        write(f"{len(results)} group(s) audited, {total} finding(s).")
    findings = [finding for report in reports for finding in report.findings]
    return EXIT_FINDINGS if fails_on(findings, args.fail_on) else EXIT_OK

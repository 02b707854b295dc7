"""``groupaudit audit-all``: audit every snapshot of a tenant folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from groupaudit.cli._common import EXIT_OK, timestamp, write

NAME = "audit-all"
HELP = "audit every snapshot of a tenant folder and print findings and notices"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", metavar="TENANT_DIR", help="folder with snapshots/, directory.json, ...")
    parser.add_argument("--now", metavar="ISO8601", type=timestamp)
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--format", choices=("table", "json"), default="table")


def run(args: argparse.Namespace) -> int:
    from groupaudit.render import render_json, render_notice, render_table
    from groupaudit.service import load_local_inputs
    from groupaudit.tenant import audit_tenant_folder
    from groupaudit.tenantwide import with_tenant_rules

    folder = Path(args.folder)
    results = audit_tenant_folder(folder, now=args.now, lang=args.lang)
    # the tenant-wide rules (onboarding_gap) over all of the tenant's groups
    given = [folder / name for name in ("policy.yaml", "directory.json")]
    policy_path, directory_path = (path if path.exists() else None for path in given)
    inputs = load_local_inputs(policy_path, directory_path)
    results = with_tenant_rules(
        results, policies=inputs.policies, directory=inputs.directory, now=args.now, lang=args.lang
    )
    for snapshot, report in results:
        if args.format == "json":
            write(render_json(report))
            continue
        write(render_table(report, snapshot.group.name, args.lang))
        notice = render_notice(report, snapshot, args.lang)
        title = "notice" if args.lang == "en" else "群通知"
        if notice is None:
            write(f"   [{title}] —\n")
        else:
            body = "\n".join(f"   | {line}" for line in notice.text.splitlines())
            write(f"   [{title} → {snapshot.group.id}]\n{body}\n")
    if args.format == "table":
        total = sum(len(report.findings) for _, report in results)
        write(f"{len(results)} group(s) audited, {total} finding(s).")
    return EXIT_OK

"""``groupaudit findings``: the stored findings read back (DynamoDB table TABLE_NAME).

Without ``--group`` every group registered for the tenant is read (a removed group's findings
stay in the store until they expire: name it with ``--group`` to read them).
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

import msgspec

from groupaudit.cli import _aws
from groupaudit.cli._common import EXIT_OK, write

NAME = "findings"
HELP = "read stored findings back: a tenant's, one group's, one rule's or one member's"
EXAMPLE = "groupaudit findings acme --group grp-sales --status open --format json"
PAGE = 100

if TYPE_CHECKING:
    from groupaudit.adapters.storage.findings import FindingRecord, Findings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tenant", metavar="TENANT", help="the tenant (e.g. acme)")
    parser.add_argument(
        "--group",
        metavar="GROUP_ID",
        help="only this group's (default: every registered group's) (e.g. --group grp-sales)",
    )
    parser.add_argument("--rule", metavar="RULE", help="only this rule's (e.g. --rule inactive_member)")
    parser.add_argument(
        "--status",
        choices=("open", "resolved"),
        help="only open or only resolved ones (default: both) (e.g. --status open)",
    )
    parser.add_argument(
        "--member",
        metavar="MEMBER_ID",
        help="only those about this member (subject_id) (e.g. --member u-zhang-wei)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table (default) or json: one array of the findings as stored (e.g. --format json)",
    )
    _aws.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    with _aws.errors():
        store = _aws.store(args)
        groups = [args.group] if args.group else [r.group_id for r in store.groups.list_groups(args.tenant)]
        found = [
            {"group_id": group, **msgspec.structs.asdict(record)}
            for group in groups
            for record in _all_findings(store.findings, args.tenant, group, args.status)
            if (args.rule is None or record.rule == args.rule)
            and (args.member is None or record.subject_id == args.member)
        ]
    if args.format == "json":
        write(json.dumps(found, ensure_ascii=False, indent=2))
        return EXIT_OK
    for item in found:
        write("\t".join(_row(item)))
    where = f"{args.tenant}/{args.group}" if args.group else f"{args.tenant} ({len(groups)} group(s))"
    write(f"{len(found)} finding(s) of {where}")
    return EXIT_OK


def _all_findings(findings: Findings, tenant: str, group: str, status: str | None) -> list[FindingRecord]:
    items: list[FindingRecord] = []
    cursor = None
    while True:
        page, cursor = findings.findings_page(tenant, group, status, PAGE, cursor)
        items += page
        if cursor is None:
            return items


def _row(item: dict[str, Any]) -> list[str]:
    finding = item.get("finding") or {}
    return [
        item["group_id"],
        str(item.get("status") or ""),
        str(item.get("severity") or ""),
        str(item.get("rule") or ""),
        str(item.get("subject_id") or ""),
        str(item.get("last_seen") or ""),
        str(finding.get("summary") or ""),
    ]

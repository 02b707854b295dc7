"""``groupaudit appeal file|decide|show|list|overdue``: appeals against findings and ledger
entries (docs/SUPERVISION.md), in the DynamoDB table TABLE_NAME."""

from __future__ import annotations

import argparse

from groupaudit.cli import _aws
from groupaudit.cli._common import EXIT_OK, note, write
from groupaudit.cli.ledger import add_inputs, book, inputs, now, show

NAME = "appeal"
HELP = "appeals: filed by the person or their head, upheld or overturned by the supervision team"
EXAMPLE = "groupaudit appeal file acme --group grp-sales --finding f-123 --appellant u-zhang --reason '...'"


def _tenant(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tenant", metavar="TENANT", help="the tenant (e.g. acme)")


def _appeal_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "appeal", metavar="APPEAL_ID", help="the appeal (e.g. 9a1e0c6d0e3b1f4c55a2a8e1d7c9b04e)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="appeal_command", required=True, metavar="ACTION")
    filed = actions.add_parser("file", help="appeal a ledger entry or a finding")
    _tenant(filed)
    filed.add_argument("--entry", metavar="ENTRY_ID", help="the appealed entry (e.g. --entry 3f0c6d0e...)")
    filed.add_argument(
        "--group", metavar="GROUP_ID", help="with --finding: the finding's group (e.g. --group grp-sales)"
    )
    filed.add_argument("--finding", metavar="FINDING_ID", help="the appealed finding (e.g. --finding f-123)")
    filed.add_argument(
        "--appellant",
        required=True,
        help="the person, or the head of their department (e.g. --appellant u-zhang)",
    )
    filed.add_argument("--reason", required=True, help="why (e.g. --reason 'it was our own product')")
    add_inputs(filed)
    decided = actions.add_parser("decide", help="uphold or overturn a filed appeal")
    _tenant(decided)
    _appeal_id(decided)
    decided.add_argument(
        "--outcome",
        required=True,
        choices=("upheld", "overturned"),
        help="the decision (e.g. --outcome upheld)",
    )
    decided.add_argument("--actor", required=True, help="who decides: a directory id (e.g. --actor u-super)")
    decided.add_argument("--reason", required=True, help="why, kept in the history (e.g. --reason 'checked')")
    add_inputs(decided)
    shown = actions.add_parser("show", help="an appeal and its full history")
    _tenant(shown)
    _appeal_id(shown)
    _aws.add_arguments(shown)
    listing = actions.add_parser("list", help="a month's appeals (by when they were filed)")
    _tenant(listing)
    listing.add_argument("--month", required=True, metavar="YYYY-MM", help="the month (e.g. --month 2026-11)")
    _aws.add_arguments(listing)
    overdue = actions.add_parser(
        "overdue",
        help="flag the appeals unanswered past their deadline and print the supervision contact's message",
    )
    _tenant(overdue)
    add_inputs(overdue)


def run(args: argparse.Namespace) -> int:
    from groupaudit.errors import InputError, Problem
    from groupaudit.supervision import service

    with _aws.errors():
        ledger = book(args)
        if args.appeal_command == "show":
            show(service.get_appeal(ledger, args.tenant, args.appeal))
            return EXIT_OK
        if args.appeal_command == "list":
            show(service.list_appeals(ledger, args.tenant, args.month))
            return EXIT_OK
        directory, policies = inputs(args)
        if args.appeal_command == "file":
            finding = args.group is not None or args.finding is not None
            if (args.entry is not None) == finding or (finding and not (args.group and args.finding)):
                raise InputError("appeal file", [Problem("", "give --entry, or --group and --finding")])
            view, created = service.file_appeal(
                ledger,
                args.tenant,
                appellant=args.appellant,
                reason=args.reason,
                now=now(),
                policies=policies,
                directory=directory,
                entry_id=args.entry,
                group_id=args.group,
                finding_id=args.finding,
            )
            if not created:
                note(f"appeal {view['appeal_id']} was filed already")
            show(view)
        elif args.appeal_command == "decide":
            show(
                service.decide_appeal(
                    ledger, args.tenant, args.appeal, args.outcome, args.actor, args.reason, now(), policies
                )
            )
        else:
            flagged = service.overdue_appeals(
                ledger, args.tenant, now(), policies, lambda _, text: write(text)
            )
            note(f"{len(flagged)} appeal(s) flagged")
    return EXIT_OK

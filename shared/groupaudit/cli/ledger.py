"""``groupaudit ledger list|show|confirm|waive``: the discipline ledger (docs/SUPERVISION.md) in
the DynamoDB table TABLE_NAME. The tenant's policy and directory are read from the snapshot
bucket (``tenants/TENANT/``) as the functions read them, or from ``--policy``/``--directory``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from groupaudit.cli import _aws
from groupaudit.cli._common import EXIT_OK, write

NAME = "ledger"
HELP = "the discipline ledger: entries of sanctioned findings, supervisors' decisions"
EXAMPLE = "groupaudit ledger confirm acme 3f0c6d0e3b1f4c55a2a8e1d7c9b04e21 --actor u-super --reason 'checked'"


def add_inputs(parser: argparse.ArgumentParser) -> None:
    """``--policy`` and ``--directory``, and the AWS flags (shared with ``groupaudit appeal``)."""
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="the tenant's policy file (default: tenants/TENANT/policy.yaml of SNAPSHOT_BUCKET) "
        "(e.g. --policy policy.yaml)",
    )
    parser.add_argument(
        "--directory",
        metavar="FILE",
        help="the tenant's directory (default: tenants/TENANT/directory.json of SNAPSHOT_BUCKET) "
        "(e.g. --directory directory.json)",
    )
    _aws.add_arguments(parser)


def inputs(args: argparse.Namespace) -> tuple[Any, Any]:
    """(directory, policies) as the flags say."""
    from groupaudit.supervision.service import tenant_inputs

    if args.policy and args.directory:
        directory, policies = None, None
    else:
        directory, policies = tenant_inputs(
            _aws.client(args, "s3"), _aws.settings().snapshot_bucket, args.tenant
        )
    if args.policy:
        from groupaudit.policy import load_policy

        policies = load_policy(args.policy)
    if args.directory:
        from pathlib import Path

        from groupaudit.errors import InputError, Problem
        from groupaudit.loading import decode_directory

        try:
            raw = Path(args.directory).read_bytes()
        except OSError as exc:
            raise InputError(args.directory, [Problem("", f"cannot read the directory: {exc}")]) from None
        directory = decode_directory(raw, args.directory)
    return directory, policies


def book(args: argparse.Namespace) -> Any:
    from groupaudit.adapters.ledger_store import LedgerStore

    return LedgerStore.over(_aws.store(args))


def now() -> Any:
    from groupaudit.pipeline import runtime

    return runtime.now()


def show(view: Any) -> None:
    write(json.dumps(view, ensure_ascii=False, indent=2))


def _tenant(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tenant", metavar="TENANT", help="the tenant (e.g. acme)")


def _decision(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("entry", metavar="ENTRY_ID", help="the entry (e.g. 3f0c6d0e3b1f4c55a2a8e1d7c9b04e21)")
    parser.add_argument("--actor", required=True, help="who decides: a directory id (e.g. --actor u-super)")
    parser.add_argument("--reason", required=True, help="why, kept in the history (e.g. --reason 'checked')")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="a month's entries, or a person's")
    _tenant(listing)
    which = listing.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--month", metavar="YYYY-MM", help="when the violations happened (e.g. --month 2026-11)"
    )
    which.add_argument("--person", metavar="ID", help="a person's directory id (e.g. --person u-zhang)")
    listing.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="output (default table) (e.g. --format json)",
    )
    add_inputs(listing)
    shown = actions.add_parser("show", help="an entry, what the ladder recommends now, and its full history")
    _tenant(shown)
    shown.add_argument("entry", metavar="ENTRY_ID", help="the entry (e.g. 3f0c6d0e3b1f4c55a2a8e1d7c9b04e21)")
    add_inputs(shown)
    for action, what in (("confirm", "confirm a proposed entry"), ("waive", "waive a proposed entry")):
        sub = actions.add_parser(action, help=what)
        _tenant(sub)
        _decision(sub)
        add_inputs(sub)


def run(args: argparse.Namespace) -> int:
    from groupaudit.supervision import service

    with _aws.errors():
        ledger = book(args)
        _, policies = inputs(args)
        if args.ledger_command == "list":
            entries = service.list_entries(
                ledger, args.tenant, policies, month=args.month, person=args.person
            )
            if args.format == "json":
                show(entries)
            else:
                for entry in entries:
                    write(
                        f"{entry['entry_id']}\t{entry['occurred_at']}\t{entry['subject_id']}\t"
                        f"{entry['sanction_kind']}\t{entry['status']}\t{entry['recommended']['text']}"
                    )
                write(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
        elif args.ledger_command == "show":
            show(service.get_entry(ledger, args.tenant, args.entry, policies))
        else:
            decision = "confirmed" if args.ledger_command == "confirm" else "waived"
            show(
                service.decide_entry(
                    ledger, args.tenant, args.entry, decision, args.actor, args.reason, now(), policies
                )
            )
    return EXIT_OK

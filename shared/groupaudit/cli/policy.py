"""``groupaudit policy validate|show``: check or show a policy."""

from __future__ import annotations

import argparse
import json
import sys

from groupaudit.cli._common import EXIT_OK, add_policy_arguments, write
from groupaudit.errors import InputError, Problem

NAME = "policy"
HELP = "check or show a policy"
EXAMPLE = "groupaudit policy show --policy events/sample-tenant/policy.yaml --group-kind project"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    validate = actions.add_parser("validate", help="check a policy file")
    validate.add_argument(
        "file", metavar="FILE", help="policy file (YAML) (e.g. events/sample-tenant/policy.yaml)"
    )
    show = actions.add_parser("show", help="print the effective policy")
    add_policy_arguments(show)
    show.add_argument(
        "--format",
        choices=("yaml", "json"),
        default="yaml",
        help="yaml (default) or json (e.g. --format json)",
    )


def run(args: argparse.Namespace) -> int:
    from groupaudit.policy import dump_policy, load_policy

    if args.policy_command == "validate":
        policies = load_policy(args.file)
        kinds = ", ".join(policies.document.profiles) or "none"
        groups = ", ".join(policies.document.groups) or "none"
        for old_key in policies.deprecations:
            print(f"warning: {args.file}: {old_key.path}: {old_key.message}", file=sys.stderr)
        write(f"{args.file}: valid (profiles: {kinds}; group overrides: {groups})")
        return EXIT_OK
    policies = load_policy(args.policy)
    if args.group_id and args.group_id not in policies.document.groups:
        raise InputError(
            args.policy or "built-in defaults",
            [Problem("groups", f"no overrides for group {args.group_id!r}")],
        )
    effective = policies.effective_dict(args.group_kind, args.group_id)
    policies.for_group(args.group_kind, args.group_id)  # validates the merged result
    if args.format == "json":
        write(json.dumps(effective, ensure_ascii=False, indent=2, default=str))  # YAML dates: YYYY-MM-DD
    else:
        write(dump_policy(effective).rstrip("\n"))
    return EXIT_OK

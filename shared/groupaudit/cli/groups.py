"""``groupaudit groups add|list|remove``: the group registry (DynamoDB table TABLE_NAME)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from groupaudit.cli import _aws
from groupaudit.cli._common import EXIT_OK, write
from groupaudit.contracts import GROUP_KINDS
from groupaudit.errors import InputError, Problem

if TYPE_CHECKING:
    from groupaudit.adapters.storage.groups import Groups

NAME = "groups"
HELP = "the group registry (DynamoDB table TABLE_NAME)"
EXAMPLE = "TABLE_NAME=groupaudit-AuditTable-1A2B groupaudit groups list acme --region ap-east-1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group_commands = parser.add_subparsers(dest="groups_command", required=True, metavar="ACTION")
    add = group_commands.add_parser("add", help="register a group, or replace its registration")
    add.add_argument("tenant", metavar="TENANT", help="the tenant (e.g. acme)")
    add.add_argument("group", metavar="GROUP_ID", help="our id of the group (e.g. grp-sales)")
    add.add_argument(
        "--platform",
        required=True,
        choices=("dingtalk", "wecom", "feishu", "slack", "generic"),
        help="the group's chat platform (e.g. --platform feishu)",
    )
    add.add_argument(
        "--kind",
        default="other",
        choices=GROUP_KINDS,
        help="the group's kind: its policy profile (default other) (e.g. --kind department)",
    )
    add.add_argument("--name", help="display name of the group (e.g. --name 销售部群)")
    add.add_argument(
        "--department",
        help="the department the group belongs to (for pulled snapshots) (e.g. --department 销售部)",
    )
    add.add_argument(
        "--exempt",
        metavar="MEMBER_ID",
        action="append",
        default=[],
        help="exempt from inactivity (repeatable) (e.g. --exempt u-ceo)",
    )
    add.add_argument(
        "--allow-external",
        metavar="ID",
        action="append",
        default=[],
        help="approved outside member (repeatable) (e.g. --allow-external ext-lawyer)",
    )
    add.add_argument(
        "--source",
        choices=("s3", "slack", "feishu", "dingtalk", "wecom"),
        default="s3",
        help="where its snapshot comes from: an S3 object (default) or the platform's API "
        "(e.g. --source feishu)",
    )
    add.add_argument(
        "--snapshot-key",
        help="s3: key of its snapshot (default snapshots/TENANT/GROUP.json) "
        "(e.g. --snapshot-key snapshots/acme/sales.json)",
    )
    add.add_argument(
        "--chat-id",
        help="platform source: the platform's id of the chat (default GROUP_ID) "
        "(e.g. --chat-id oc_5ad11d72b830411d72b836c20)",
    )
    add.add_argument(
        "--source-secret",
        metavar="NAME",
        help="platform source: Secrets Manager name of the app credentials "
        "(e.g. --source-secret tenants/acme/feishu)",
    )
    add.add_argument(
        "--variant",
        help="dingtalk: chat | scene; wecom: customer | internal; feishu: user_id | open_id "
        "(e.g. --variant open_id)",
    )
    add.add_argument(
        "--base-url",
        help="platform source: API endpoint (default the platform's public one) "
        "(e.g. --base-url https://open.larksuite.com)",
    )
    add.add_argument(
        "--lookback-days",
        type=int,
        help="platform source: days of messages to pull (default: from the group's policy) "
        "(e.g. --lookback-days 200)",
    )
    add.add_argument(
        "--drop-prefix",
        help="dingtalk/wecom: S3 prefix of dropped records (drops/TENANT/GROUP/) "
        "(e.g. --drop-prefix drops/acme/grp-sales/)",
    )
    add.add_argument(
        "--notice",
        choices=("console", "webhook", "dingtalk", "wecom", "feishu", "slack"),
        default="console",
        help="where its notices go (default console: the log) (e.g. --notice feishu)",
    )
    add.add_argument(
        "--webhook-url",
        help="https URL of the webhook or the robot "
        "(e.g. --webhook-url https://open.feishu.cn/open-apis/bot/v2/hook/…)",
    )
    add.add_argument(
        "--secret-name",
        help="Secrets Manager name of the webhook's HMAC key, under SECRETS_PREFIX "
        "(e.g. --secret-name tenants/acme/robot)",
    )
    add.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="language of its notices (default zh) (e.g. --lang en)",
    )
    add.add_argument(
        "--dry-run", action="store_true", help="render notices without sending them (e.g. --dry-run)"
    )
    add.add_argument(
        "--overrides",
        metavar="FILE",
        help="YAML policy layer for this group (rules: ...) (e.g. --overrides sales-overrides.yaml)",
    )
    add.add_argument("--disabled", action="store_true", help="registered but not audited (e.g. --disabled)")
    _aws.add_arguments(add)
    listing = group_commands.add_parser("list", help="list a tenant's groups")
    listing.add_argument("tenant", metavar="TENANT", help="the tenant (e.g. acme)")
    listing.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table (default) or json (e.g. --format json)",
    )
    _aws.add_arguments(listing)
    remove = group_commands.add_parser("remove", help="unregister a group (its findings are kept)")
    remove.add_argument("tenant", metavar="TENANT", help="the tenant (e.g. acme)")
    remove.add_argument("group", metavar="GROUP_ID", help="our id of the group (e.g. grp-sales)")
    _aws.add_arguments(remove)


def run(args: argparse.Namespace) -> int:
    with _aws.errors():
        return _run(args, _aws.store(args).groups)


def _run(args: argparse.Namespace, registry: Groups) -> int:
    from pydantic import ValidationError

    from groupaudit.netguard import registration_problem
    from groupaudit.pipeline.api import overrides_problems
    from groupaudit.policy import load_policy_layer
    from groupaudit.wire import GroupRegistration

    if args.groups_command == "list":
        from groupaudit.pipeline.api import masked

        # listed as GET /groups lists them: a URL stored with credentials never shows them
        registrations = [masked(r) for r in registry.list_groups(args.tenant)]
        if args.format == "json":
            write(
                json.dumps([r.model_dump(mode="json") for r in registrations], ensure_ascii=False, indent=2)
            )
        else:
            for r in registrations:
                state = "" if r.enabled else " (disabled)"
                write(f"{r.group_id}\t{r.platform}\t{r.kind}\t{r.notice.type}\t{r.name or ''}{state}")
            write(f"{len(registrations)} group(s) registered for {args.tenant}")
        return EXIT_OK
    if args.groups_command == "remove":
        if not registry.delete_group(args.tenant, args.group):
            raise InputError(
                "groups remove", [Problem("", f"group {args.group!r} is not registered for {args.tenant!r}")]
            )
        write(f"removed {args.tenant}/{args.group}")
        return EXIT_OK
    overrides = load_policy_layer(args.overrides) if args.overrides else {}
    notice: dict[str, object] = {"type": args.notice, "lang": args.lang, "dry_run": args.dry_run}
    if args.notice != "console":
        notice.update(url=args.webhook_url, secret_name=args.secret_name)
    try:
        registration = GroupRegistration.model_validate(
            {
                "tenant_id": args.tenant,
                "group_id": args.group,
                "platform": args.platform,
                "kind": args.kind,
                "name": args.name,
                "department": args.department,
                "exempt_member_ids": args.exempt,
                "allowed_external_ids": args.allow_external,
                "source": source_args(args),
                "notice": notice,
                "policy_overrides": overrides,
                "enabled": not args.disabled,
            }
        )
    except ValidationError as exc:
        problems = [Problem(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        raise InputError("groups add", problems) from None
    # the overrides checked as POST /groups checks them: merged over the group's kind
    refused = [
        Problem(".".join(str(part) for part in detail.loc[1:]), detail.msg)
        for detail in overrides_problems(registration)
    ]
    urls = {"notice.url": registration.notice.url, "source.base_url": registration.source.base_url}
    refused += [  # the API's rule, and loopback peers for local runs
        Problem(where, problem)
        for where, url in urls.items()
        if url is not None and (problem := registration_problem(str(url), local_peers=True))
    ]
    if refused:
        raise InputError("groups add", refused)
    registry.put_group(registration)
    write(f"registered {args.tenant}/{args.group} ({args.platform}, {args.kind}, notices: {args.notice})")
    return EXIT_OK


def source_args(args: argparse.Namespace) -> dict[str, object]:
    """The registration's source from ``groups add``'s flags (unset ones left to the model)."""
    given = {
        "type": args.source,
        "key": args.snapshot_key,
        "chat_id": args.chat_id,
        "secret_name": args.source_secret,
        "variant": args.variant,
        "base_url": args.base_url,
        "lookback_days": args.lookback_days,
        "drop_prefix": args.drop_prefix,
    }
    return {name: value for name, value in given.items() if value is not None}

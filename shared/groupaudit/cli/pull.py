"""``groupaudit pull``: one group's snapshot from its chat platform's API."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from groupaudit.cli._common import EXIT_OK, json_file, snapshot_line, timestamp, write
from groupaudit.cli._credentials import from_environment, help_text
from groupaudit.cli._progress import Progress
from groupaudit.contracts import GROUP_KINDS
from groupaudit.errors import InputError, Problem

NAME = "pull"
HELP = "pull one group's snapshot from its chat platform's API (what the worker does)"
EXAMPLE = "SLACK_BOT_TOKEN=xoxb-… groupaudit pull slack C0123ABCD --group grp-sales --out sales.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "platform",
        metavar="PLATFORM",
        choices=("slack", "feishu", "dingtalk", "wecom"),
        help="slack | feishu | dingtalk | wecom (e.g. slack)",
    )
    parser.add_argument("chat_id", metavar="CHAT_ID", help="the platform's id of the chat (e.g. C0123ABCD)")
    parser.add_argument(
        "--credentials",
        metavar="FILE",
        help="JSON file of the app credentials (slack: token; feishu: app_id, app_secret; dingtalk: "
        "app_key, app_secret, optional operator_union_id; wecom: corp_id, secret); without it they "
        f"are read from the environment ({help_text()}) (e.g. --credentials slack.json)",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        required=True,
        help="where to write the snapshot (JSON) (e.g. --out snapshots/sales.json)",
    )
    parser.add_argument(
        "--group", metavar="GROUP_ID", help="our id of the group (default: CHAT_ID) (e.g. --group grp-sales)"
    )
    parser.add_argument(
        "--tenant",
        default="default",
        help="tenant_id of the snapshot (default: default) (e.g. --tenant acme)",
    )
    parser.add_argument(
        "--kind",
        metavar="K",
        choices=GROUP_KINDS,
        help=" | ".join(GROUP_KINDS) + " (e.g. --kind department)",
    )
    parser.add_argument("--name", help="the group's name when the platform gives none (e.g. --name 销售部群)")
    parser.add_argument(
        "--variant",
        help="dingtalk: chat | scene; wecom: customer | internal; feishu: user_id | open_id "
        "(e.g. --variant scene)",
    )
    parser.add_argument(
        "--base-url",
        help="the API endpoint (default: the platform's public one) (e.g. --base-url http://127.0.0.1:9000)",
    )
    parser.add_argument(
        "--lookback-days",
        type=int,
        default=180,
        help="days of messages to pull (default 180: twice the default stale_file_days) "
        "(e.g. --lookback-days 90)",
    )
    parser.add_argument(
        "--drops",
        metavar="DIR",
        help="dingtalk/wecom: folder of the dropped message records (e.g. --drops drops/acme/grp-sales)",
    )
    parser.add_argument(
        "--idmap",
        metavar="FILE",
        help="JSON {platform: {platform id: directory id}} (e.g. --idmap idmap.json)",
    )
    parser.add_argument(
        "--now",
        metavar="ISO8601",
        type=timestamp,
        help="taken_at (default: now) (e.g. --now 2026-11-20T18:00:00+08:00)",
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="slack/feishu: pull state to build on (only what is new is read) and to update; "
        "upload it to pulls/TENANT/GROUP.json to seed the worker's incremental pulls "
        "(e.g. --state state/sales.json)",
    )


def run(args: argparse.Namespace) -> int:
    import msgspec
    from pydantic import ValidationError

    from groupaudit import audittime
    from groupaudit.connectors.base import FolderDrops, IdMap, NoDrops, PullRequest, pull_snapshot
    from groupaudit.wire import SnapshotSource

    received = datetime.now(UTC)
    if args.now is not None:  # the pulled snapshot's taken_at: in the range, and not in the future
        problem = audittime.range_problem(args.now) or audittime.future_problem(args.now, received)
        if problem is not None:
            raise InputError("pull", [Problem("--now", problem)])
    try:
        SnapshotSource(
            type=args.platform,
            chat_id=args.chat_id,
            secret_name="--credentials",
            variant=args.variant,
            base_url=args.base_url,
            lookback_days=args.lookback_days,
        )
    except ValidationError as exc:
        problems = [Problem(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        raise InputError("pull", problems) from None
    if args.credentials:
        credentials = json_file(args.credentials, "credentials")
        if not isinstance(credentials, dict) or not all(isinstance(v, str) for v in credentials.values()):
            raise InputError(args.credentials, [Problem("", "expected a JSON object of strings")])
    else:
        credentials = from_environment(args.platform)
    ids = (
        IdMap.from_document(json_file(args.idmap, "id map"), args.platform, args.idmap)
        if args.idmap
        else IdMap()
    )
    now = args.now or received
    request = PullRequest(
        platform=args.platform,
        tenant_id=args.tenant,
        group_id=args.group or args.chat_id,
        chat_id=args.chat_id,
        taken_at=now,
        since=now - timedelta(days=args.lookback_days),
        credentials=credentials,
        base_url=args.base_url.rstrip("/") if args.base_url else None,
        kind=args.kind,
        name=args.name,
        variant=args.variant,
        ids=ids,
        drops=FolderDrops(Path(args.drops)) if args.drops else NoDrops(),
    )
    with Progress("pull") as progress:
        progress.step(f"{args.platform} {args.chat_id}, {args.lookback_days} days")
        if args.state:
            from groupaudit.connectors import incremental

            state_path = Path(args.state)
            state = incremental.decode_state(state_path.read_bytes()) if state_path.exists() else None
            snapshot, new_state, was_incremental = incremental.pull(request, None, state)
            state_path.write_bytes(incremental.encode_state(new_state))
        else:
            snapshot = pull_snapshot(request)
        progress.done(f"{len(snapshot.members or ())} members, {len(snapshot.messages or ())} messages")
    if args.state:
        print(
            f"pull: {'incremental' if was_incremental else 'full'}; state written to {state_path}",
            file=sys.stderr,
        )
    Path(args.out).write_bytes(msgspec.json.format(msgspec.json.encode(snapshot), indent=2) + b"\n")
    write(snapshot_line(snapshot, args.out))
    return EXIT_OK

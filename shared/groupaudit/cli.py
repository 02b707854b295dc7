"""``groupaudit``: audit snapshots, check and show policies, print the JSON Schemas.

Exit status: 0 done; 1 a finding at or above ``--fail-on``; 2 invalid input or usage; 3 a
chat platform refused or failed a pull (its code and message on stderr).
Invalid input never prints a traceback or a partial report: every problem is on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from groupaudit.contracts import GROUP_KINDS, SEVERITIES
from groupaudit.errors import GroupAuditError, InputError, Problem

EXIT_OK, EXIT_FINDINGS, EXIT_INVALID, EXIT_PLATFORM = 0, 1, 2, 3


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (e.g. 2026-11-20T18:00:00+08:00)")
    return moment


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="groupaudit", description="Audit work chat groups against policy.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    audit = commands.add_parser("audit", help="audit one group snapshot")
    audit.add_argument("snapshot", metavar="SNAPSHOT", help="group snapshot (JSON)")
    audit.add_argument("--directory", metavar="FILE", help="company directory (JSON)")
    audit.add_argument("--policy", metavar="FILE", help="policy file (YAML); built-in defaults without it")
    audit.add_argument("--backups", metavar="DIR", help="backup store folder (files hashed with SHA-256)")
    audit.add_argument("--now", metavar="ISO8601", type=_timestamp, help="audit time (default: taken_at)")
    audit.add_argument("--format", choices=("table", "json"), default="table")
    audit.add_argument("--lang", choices=("zh", "en"), default="zh")
    audit.add_argument("--fail-on", metavar="SEVERITY", choices=SEVERITIES, help=" | ".join(SEVERITIES))
    audit.add_argument("--notice", action="store_true", help="also print the notice that would be posted")

    tenant = commands.add_parser(
        "audit-all", help="audit every snapshot of a tenant folder and print findings and notices"
    )
    tenant.add_argument("folder", metavar="TENANT_DIR", help="folder with snapshots/, directory.json, ...")
    tenant.add_argument("--now", metavar="ISO8601", type=_timestamp)
    tenant.add_argument("--lang", choices=("zh", "en"), default="zh")
    tenant.add_argument("--format", choices=("table", "json"), default="table")

    demo = commands.add_parser(
        "demo", help="the local main job: a scheduled audit of a tenant through the pipeline on moto's server"
    )
    demo.add_argument("folder", metavar="TENANT_DIR", nargs="?", help="default: events/sample-tenant")

    _add_groups_parser(commands)
    _add_import_parser(commands)
    _add_pull_parser(commands)

    serve = commands.add_parser(
        "serve-api", help="serve the HTTP API on 127.0.0.1 over a local stack (Ctrl-C stops)"
    )
    serve.add_argument("folder", metavar="TENANT_DIR", nargs="?", help="default: events/sample-tenant")
    serve.add_argument("--port", type=int, default=8787)

    policy = commands.add_parser("policy", help="check or show a policy")
    policy_commands = policy.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    validate = policy_commands.add_parser("validate", help="check a policy file")
    validate.add_argument("file", metavar="FILE")
    show = policy_commands.add_parser("show", help="print the effective policy")
    show.add_argument("--policy", metavar="FILE", help="policy file (default: built-in defaults)")
    show.add_argument("--group-kind", metavar="K", choices=GROUP_KINDS, help=" | ".join(GROUP_KINDS))
    show.add_argument("--group-id", metavar="ID", help="apply this group's overrides too")
    show.add_argument("--format", choices=("yaml", "json"), default="yaml")

    from groupaudit.workcalendar import add_parser as add_calendar_parser

    add_calendar_parser(commands)

    schema = commands.add_parser("schema", help="print a JSON Schema of a public format")
    schema.add_argument("name", choices=("snapshot", "directory", "findings", "policy"))
    return parser


def _add_groups_parser(commands: argparse._SubParsersAction) -> None:
    groups = commands.add_parser("groups", help="the group registry (DynamoDB table TABLE_NAME)")
    group_commands = groups.add_subparsers(dest="groups_command", required=True, metavar="ACTION")
    add = group_commands.add_parser("add", help="register a group, or replace its registration")
    add.add_argument("tenant", metavar="TENANT")
    add.add_argument("group", metavar="GROUP_ID")
    add.add_argument("--platform", required=True, choices=("dingtalk", "wecom", "feishu", "slack", "generic"))
    add.add_argument("--kind", default="other", choices=GROUP_KINDS)
    add.add_argument("--name", help="display name of the group")
    add.add_argument("--department", help="the department the group belongs to (for pulled snapshots)")
    add.add_argument(
        "--exempt",
        metavar="MEMBER_ID",
        action="append",
        default=[],
        help="exempt from inactivity (repeatable)",
    )
    add.add_argument(
        "--allow-external",
        metavar="ID",
        action="append",
        default=[],
        help="approved outside member (repeatable)",
    )
    add.add_argument(
        "--source",
        choices=("s3", "slack", "feishu", "dingtalk", "wecom"),
        default="s3",
        help="where its snapshot comes from: an S3 object (default) or the platform's API",
    )
    add.add_argument("--snapshot-key", help="s3: key of its snapshot (default snapshots/TENANT/GROUP.json)")
    add.add_argument("--chat-id", help="platform source: the platform's id of the chat (default GROUP_ID)")
    add.add_argument(
        "--source-secret", metavar="NAME", help="platform source: Secrets Manager name of the app credentials"
    )
    add.add_argument(
        "--variant", help="dingtalk: chat | scene; wecom: customer | internal; feishu: user_id | open_id"
    )
    add.add_argument("--base-url", help="platform source: API endpoint (default the platform's public one)")
    add.add_argument(
        "--lookback-days",
        type=int,
        help="platform source: days of messages to pull (default: from the group's policy)",
    )
    add.add_argument(
        "--drop-prefix", help="dingtalk/wecom: S3 prefix of dropped records (drops/TENANT/GROUP/)"
    )
    add.add_argument(
        "--notice", choices=("console", "webhook", "dingtalk", "wecom", "feishu", "slack"), default="console"
    )
    add.add_argument("--webhook-url", help="https URL of the webhook or the robot")
    add.add_argument(
        "--secret-name", help="Secrets Manager name of the webhook's HMAC key, under SECRETS_PREFIX"
    )
    add.add_argument("--lang", choices=("zh", "en"), default="zh")
    add.add_argument("--dry-run", action="store_true", help="render notices without sending them")
    add.add_argument("--overrides", metavar="FILE", help="YAML policy layer for this group (rules: ...)")
    add.add_argument("--disabled", action="store_true", help="registered but not audited")
    listing = group_commands.add_parser("list", help="list a tenant's groups")
    listing.add_argument("tenant", metavar="TENANT")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    remove = group_commands.add_parser("remove", help="unregister a group (its findings are kept)")
    remove.add_argument("tenant", metavar="TENANT")
    remove.add_argument("group", metavar="GROUP_ID")


def _add_import_parser(commands: argparse._SubParsersAction) -> None:
    importer = commands.add_parser("import", help="convert a platform's export into group snapshots")
    sources = importer.add_subparsers(dest="import_command", required=True, metavar="SOURCE")
    slack = sources.add_parser(
        "slack-export", help="Slack's workspace export (folder or .zip): one snapshot per channel"
    )
    slack.add_argument("path", metavar="PATH", help="the export: its folder or the .zip Slack gave")
    slack.add_argument("--channel", metavar="NAME", help="only this channel (name or id)")
    slack.add_argument("--out", metavar="DIR", required=True, help="folder for the <channel>.json snapshots")
    slack.add_argument("--tenant", default="default", help="tenant_id of the snapshots (default: default)")
    slack.add_argument(
        "--taken-at", metavar="ISO8601", type=_timestamp, help="default: the latest message in the export"
    )
    slack.add_argument(
        "--kind", metavar="K", choices=GROUP_KINDS, help=" | ".join(GROUP_KINDS) + " (default other)"
    )


def _add_pull_parser(commands: argparse._SubParsersAction) -> None:
    pull = commands.add_parser(
        "pull", help="pull one group's snapshot from its chat platform's API (what the worker does)"
    )
    pull.add_argument("platform", metavar="PLATFORM", choices=("slack", "feishu", "dingtalk", "wecom"))
    pull.add_argument("chat_id", metavar="CHAT_ID", help="the platform's id of the chat")
    pull.add_argument(
        "--credentials",
        metavar="FILE",
        required=True,
        help="JSON file of the app credentials (slack: token; feishu/dingtalk: app_id|app_key, "
        "app_secret (dingtalk: optional operator_union_id); wecom: corp_id, secret)",
    )
    pull.add_argument("--out", metavar="FILE", required=True, help="where to write the snapshot (JSON)")
    pull.add_argument("--group", metavar="GROUP_ID", help="our id of the group (default: CHAT_ID)")
    pull.add_argument("--tenant", default="default")
    pull.add_argument("--kind", metavar="K", choices=GROUP_KINDS, help=" | ".join(GROUP_KINDS))
    pull.add_argument("--name", help="the group's name when the platform gives none")
    pull.add_argument(
        "--variant", help="dingtalk: chat | scene; wecom: customer | internal; feishu: user_id | open_id"
    )
    pull.add_argument("--base-url", help="the API endpoint (default: the platform's public one)")
    pull.add_argument(
        "--lookback-days",
        type=int,
        default=180,
        help="days of messages to pull (default 180: twice the default stale_file_days)",
    )
    pull.add_argument("--drops", metavar="DIR", help="dingtalk/wecom: folder of the dropped message records")
    pull.add_argument("--idmap", metavar="FILE", help="JSON {platform: {platform id: directory id}}")
    pull.add_argument("--now", metavar="ISO8601", type=_timestamp, help="taken_at (default: now)")
    pull.add_argument(
        "--state",
        metavar="FILE",
        help="slack/feishu: pull state to build on (only what is new is read) and to update; "
        "upload it to pulls/TENANT/GROUP.json to seed the worker's incremental pulls",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "audit":
            return _audit(args)
        if args.command == "audit-all":
            return _audit_all(args)
        if args.command == "policy":
            return _policy(args)
        if args.command == "calendar":
            from groupaudit.workcalendar import run_command

            _write(run_command(args))
            return EXIT_OK
        if args.command == "demo":
            return _demo(args)
        if args.command == "groups":
            return _groups(args)
        if args.command == "serve-api":
            return _serve_api(args)
        if args.command == "import":
            return _import(args)
        if args.command == "pull":
            return _pull(args)
        return _schema(args)
    except InputError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_INVALID
    except GroupAuditError as exc:
        from groupaudit.connectors.http import PlatformError

        if isinstance(exc, PlatformError):
            retry = " (temporary: try again later)" if exc.retryable else ""
            print(f"error: {exc}{retry}", file=sys.stderr)
            return EXIT_PLATFORM
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK


def _write(data: str | bytes) -> None:
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.write(b"\n")
    else:
        sys.stdout.write(data + "\n")
    sys.stdout.flush()


def _audit(args: argparse.Namespace) -> int:
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
        _write(render_json(report))
    else:
        _write(render_table(report, snapshot.group.name, args.lang))
    if args.notice:
        notice = render_notice(report, snapshot, args.lang)
        print(notice.text if notice else "(no notice: nothing to report)", file=sys.stderr)
    if args.fail_on:
        threshold = SEVERITIES.index(args.fail_on)
        if any(SEVERITIES.index(f.severity) >= threshold for f in report.findings):
            return EXIT_FINDINGS
    return EXIT_OK


def _audit_all(args: argparse.Namespace) -> int:
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
            _write(render_json(report))
            continue
        _write(render_table(report, snapshot.group.name, args.lang))
        notice = render_notice(report, snapshot, args.lang)
        title = "notice" if args.lang == "en" else "群通知"
        if notice is None:
            _write(f"   [{title}] —\n")
        else:
            body = "\n".join(f"   | {line}" for line in notice.text.splitlines())
            _write(f"   [{title} → {snapshot.group.id}]\n{body}\n")
    if args.format == "table":
        total = sum(len(report.findings) for _, report in results)
        _write(f"{len(results)} group(s) audited, {total} finding(s).")
    return EXIT_OK


def _groups(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from groupaudit.netguard import registration_problem
    from groupaudit.pipeline import runtime
    from groupaudit.pipeline.models import GroupRegistration
    from groupaudit.policy import load_policy_layer
    from groupaudit.settings import load_settings

    store = runtime.store(load_settings())
    if args.groups_command == "list":
        registrations = store.list_groups(args.tenant)
        if args.format == "json":
            _write(
                json.dumps([r.model_dump(mode="json") for r in registrations], ensure_ascii=False, indent=2)
            )
        else:
            for r in registrations:
                state = "" if r.enabled else " (disabled)"
                _write(f"{r.group_id}\t{r.platform}\t{r.kind}\t{r.notice.type}\t{r.name or ''}{state}")
            _write(f"{len(registrations)} group(s) registered for {args.tenant}")
        return EXIT_OK
    if args.groups_command == "remove":
        if not store.delete_group(args.tenant, args.group):
            raise InputError(
                "groups remove", [Problem("", f"group {args.group!r} is not registered for {args.tenant!r}")]
            )
        _write(f"removed {args.tenant}/{args.group}")
        return EXIT_OK
    overrides = load_policy_layer(args.overrides, args.group) if args.overrides else {}
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
                "source": _source_args(args),
                "notice": notice,
                "policy_overrides": overrides,
                "enabled": not args.disabled,
            }
        )
    except ValidationError as exc:
        problems = [Problem(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        raise InputError("groups add", problems) from None
    urls = {"notice.url": registration.notice.url, "source.base_url": registration.source.base_url}
    refused = [  # the API's rule, and loopback peers for local runs
        Problem(where, problem)
        for where, url in urls.items()
        if url is not None and (problem := registration_problem(str(url), local_peers=True))
    ]
    if refused:
        raise InputError("groups add", refused)
    store.put_group(registration)
    _write(f"registered {args.tenant}/{args.group} ({args.platform}, {args.kind}, notices: {args.notice})")
    return EXIT_OK


def _source_args(args: argparse.Namespace) -> dict[str, object]:
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


def _import(args: argparse.Namespace) -> int:
    from groupaudit.connectors.slack_export import import_slack_export, write_snapshots

    result = import_slack_export(
        args.path, channel=args.channel, tenant_id=args.tenant, taken_at=args.taken_at, kind=args.kind
    )
    written = write_snapshots(result, args.out)
    for channel, path in zip(result.channels, written, strict=True):
        _write(_snapshot_line(channel.snapshot, path))
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


def _pull(args: argparse.Namespace) -> int:
    import msgspec
    from pydantic import ValidationError

    from groupaudit.connectors.base import FolderDrops, IdMap, NoDrops, PullRequest, pull_snapshot
    from groupaudit.pipeline.models import SnapshotSource

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
    credentials = _json_file(args.credentials, "credentials")
    if not isinstance(credentials, dict) or not all(isinstance(v, str) for v in credentials.values()):
        raise InputError(args.credentials, [Problem("", "expected a JSON object of strings")])
    ids = (
        IdMap.from_document(_json_file(args.idmap, "id map"), args.platform, args.idmap)
        if args.idmap
        else IdMap()
    )
    now = args.now or datetime.now(UTC)
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
    if args.state:
        from groupaudit.connectors import incremental

        state_path = Path(args.state)
        state = incremental.decode_state(state_path.read_bytes()) if state_path.exists() else None
        snapshot, new_state, was_incremental = incremental.pull(request, None, state)
        state_path.write_bytes(incremental.encode_state(new_state))
        print(
            f"pull: {'incremental' if was_incremental else 'full'}; state written to {state_path}",
            file=sys.stderr,
        )
    else:
        snapshot = pull_snapshot(request)
    Path(args.out).write_bytes(msgspec.json.format(msgspec.json.encode(snapshot), indent=2) + b"\n")
    _write(_snapshot_line(snapshot, args.out))
    return EXIT_OK


def _snapshot_line(snapshot: Any, path: object) -> str:
    return (
        f"{snapshot.group.name}\t{len(snapshot.members or ())} members\t"
        f"{len(snapshot.messages or ())} messages\t{len(snapshot.files or ())} files\t{path}"
    )


def _json_file(path: str, what: str) -> Any:
    from groupaudit.loading import decode_json

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, [Problem("", f"cannot read the {what} file: {exc.strerror}")]) from None
    return decode_json(data, path, f"the {what} file")


def _serve_api(args: argparse.Namespace) -> int:
    import time

    from groupaudit.local.api_server import served_api
    from groupaudit.local.demo import SAMPLE

    with served_api(Path(args.folder) if args.folder else SAMPLE, port=args.port) as served:
        _write(
            f"groupaudit API on {served.url} (moto on {served.moto_endpoint})\n"
            f"tenant {served.tenant!r}, signing secret {served.secret!r}; see README 'On-demand audits'.\n"
            "Ctrl-C stops."
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            _write("stopping")
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from groupaudit.local.demo import SAMPLE, run_demo

    run_demo(Path(args.folder) if args.folder else SAMPLE)
    return EXIT_OK


def _policy(args: argparse.Namespace) -> int:
    from groupaudit.policy import dump_policy, load_policy

    if args.policy_command == "validate":
        policies = load_policy(args.file)
        kinds = ", ".join(policies.document.profiles) or "none"
        groups = ", ".join(policies.document.groups) or "none"
        for old_key in policies.deprecations:
            print(f"warning: {args.file}: {old_key.path}: {old_key.message}", file=sys.stderr)
        _write(f"{args.file}: valid (profiles: {kinds}; group overrides: {groups})")
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
        _write(json.dumps(effective, ensure_ascii=False, indent=2, default=str))  # YAML dates: YYYY-MM-DD
    else:
        _write(dump_policy(effective).rstrip("\n"))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from groupaudit.schemas import schema_json

    _write(schema_json(args.name))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())

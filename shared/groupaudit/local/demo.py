"""The local main job: a full scheduled audit of the sample tenant through the real handlers.

moto's server on 127.0.0.1 → resources from template.yaml → the sample tenant registered and
its snapshots dropped in the bucket → the scheduler handler with events/scheduled.json → the
audit queue drained through the worker → the notice queue through the notifier, which posts
each group's digest to its platform's robot (DingTalk signed, WeCom, Feishu signed, Slack) on a
loopback peer that checks signatures and rates as the platforms do → what the robots received
and the findings read back from DynamoDB. The tenant's supervision contact of
``supervision.json`` is a robot on the same peer (``[… robot of supervision]``): it receives the
run's new red-line findings, masked.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import IO

from groupaudit.local.invoke import LambdaContext, drain, load_handler
from groupaudit.local.peers.robots import RobotPeer
from groupaudit.local.seed import seed_tenant
from groupaudit.local.stack import ROOT, local_stack
from groupaudit.pipeline import runtime, supervision_contact
from groupaudit.pipeline.supervision_contact import SupervisionContact
from groupaudit.settings import load_settings
from groupaudit.wire import GroupRegistration, NoticeChannel

SAMPLE = ROOT / "events" / "sample-tenant"
SCHEDULED_EVENT = ROOT / "events" / "scheduled.json"
_SUPERVISION_ROBOT = "supervision"  # the name of the supervision contact's robot on the peer


def run_demo(tenant_dir: Path = SAMPLE, out: IO[str] | None = None) -> dict[str, int]:
    out = out or sys.stdout
    with local_stack() as stack, RobotPeer() as robots:
        settings = load_settings()
        store = runtime.store(settings)
        sqs, s3_client = runtime.client("sqs"), runtime.client("s3")
        out.write(f"moto server on {stack.endpoint}\n")
        out.flush()
        groups = seed_tenant(
            tenant_dir,
            s3_client=s3_client,
            store=store,
            snapshot_bucket=settings.snapshot_bucket,
            backup_bucket=settings.backup_bucket,
        )
        channels = [_robot_channel(g, robots) for g in groups]
        store.groups.put_groups(
            [g.model_copy(update={"notice": channel}) for g, channel in zip(groups, channels, strict=True)]
        )
        contact = _supervision_contact(tenant_dir, groups, robots)
        if contact is not None:
            supervision_contact.put_contact(store, contact)
        out.write(
            f"{len(groups)} group(s) registered from {tenant_dir}, notices to robots on {robots.url}\n"
            + (
                f"supervision contact {contact.name or ''}: the {contact.type} robot {_SUPERVISION_ROBOT}\n"
                if contact is not None
                else ""
            )
            + "\n"
        )
        event = json.loads(SCHEDULED_EVENT.read_text(encoding="utf-8"))
        fanned = load_handler("scheduler")(event, LambdaContext("scheduler"))
        out.write(f"scheduler: {fanned['groups']} audit(s) queued\n")
        audits = drain(sqs, settings.audit_queue_url, load_handler("audit_worker"), "audit_worker")
        out.write(f"audit worker: {audits['handled']} handled, {audits['failed']} failed\n\n== notices ==\n")
        out.flush()
        with contextlib.redirect_stdout(out):  # a console channel would post to stdout
            notices = drain(sqs, settings.notice_queue_url, load_handler("notifier"), "notifier")
        for message in robots.delivered:
            mentions = " ".join(f"@{m}" for m in message.mentions)
            out.write(f"[{message.platform} robot of {message.robot}] {mentions}\n{message.text}\n\n")
        for platform, robot, answer in robots.refused:
            out.write(f"[{platform} robot of {robot}] REFUSED: {answer}\n")
        if contact is not None:
            reports = sum(1 for message in robots.delivered if message.robot == _SUPERVISION_ROBOT)
            out.write(f"supervision contact: {reports} red-line report(s)\n")
        out.write(
            f"notifier: {notices['handled']} handled, {notices['failed']} failed; "
            f"the robots received {len(robots.delivered)} message(s), refused {len(robots.refused)}\n"
            "\n== findings ==\n"
        )
        total = 0
        for tenant, audit_id in fanned["audits"].items():
            audit = store.runs.audit(tenant, audit_id)
            for run in sorted(audit.runs if audit else (), key=lambda r: r.group_id):
                findings, _ = store.findings.findings_page(tenant, run.group_id, "open", 200, None)
                total += len(findings)
                out.write(f"-- {tenant}/{run.group_id}: {run.status}, {len(findings)} open finding(s)\n")
                for record in findings:
                    summary = (record.finding or {}).get("summary")
                    out.write(f"   [{record.severity}] {record.rule}/{record.kind} {summary}\n")
        out.write(f"\n{len(groups)} group(s) audited, {total} open finding(s) stored.\n")
        return {
            "groups": len(groups),
            "findings": total,
            "notices": notices["handled"],
            "delivered": len(robots.delivered),
            "refused": len(robots.refused),
        }


def _supervision_contact(
    tenant_dir: Path, groups: list[GroupRegistration], robots: RobotPeer
) -> SupervisionContact | None:
    """The tenant's supervision contact of ``supervision.json`` (``{"type", "robot", "name",
    "lang"}``: a robot of that platform on the peer), or None without the file."""
    path = tenant_dir / "supervision.json"
    if not path.exists() or not groups:
        return None
    spec = json.loads(path.read_text(encoding="utf-8"))
    tenant = groups[0].tenant_id
    channel = _robot(spec["type"], _SUPERVISION_ROBOT, tenant, robots)
    return SupervisionContact(
        tenant_id=tenant,
        type=spec["type"],
        url=channel.url,
        secret_name=channel.secret_name,
        lang=spec.get("lang", "zh"),
        name=spec.get("name"),
    )


def _robot_channel(group: GroupRegistration, robots: RobotPeer) -> NoticeChannel:
    """The group's notices go to a robot of its platform on the peer, named after the group."""
    return _robot(group.platform, group.group_id, group.tenant_id, robots)


def _robot(platform: str, name: str, tenant: str, robots: RobotPeer) -> NoticeChannel:
    """A robot of the platform on the peer, named ``name``; DingTalk and Feishu robots are
    signed, their secrets kept in Secrets Manager."""
    if platform in ("dingtalk", "feishu"):
        secret = f"demo-{platform}-secret-{name}"
        secret_name = f"tenants/{tenant}/{platform}-robot-{name}"
        settings = load_settings()
        runtime.client("secretsmanager").create_secret(
            Name=f"{settings.secrets_prefix}{secret_name}", SecretString=secret
        )
        if platform == "dingtalk":
            robots.dingtalk[name] = secret
            return NoticeChannel(type="dingtalk", url=robots.dingtalk_url(name), secret_name=secret_name)
        robots.feishu[name] = secret
        return NoticeChannel(type="feishu", url=robots.feishu_url(name), secret_name=secret_name)
    if platform == "wecom":
        robots.wecom.add(name)
        return NoticeChannel(type="wecom", url=robots.wecom_url(name))
    if platform == "slack":
        robots.slack.add(name)
        return NoticeChannel(type="slack", url=robots.slack_url(name))
    return NoticeChannel()

"""The tenant's supervision contact: a chat robot (DingTalk, WeCom, Feishu or Slack) that gets
every new red-line finding, once, and whatever else supervision must be told.

The contact is a tenant setting, ``PUT /tenant/supervision`` (docs/API.md), kept in the table
(``TENANT#{t}`` / ``SETTINGS#supervision``). Its URL follows the rule of every tenant URL
(``netguard.registration_problem``: public ``https://host[:443]``, no credentials in it; the
notifier checks the addresses again at every connect), and a signing secret is named, never
given: ``secret_name`` under ``tenants/{tenant}/`` in Secrets Manager, as the groups' robots.

Sending goes through the notice queue and the notifier like a group's digest: a message on
the contact's channel, claimed once by its notice id, paced with the robot's other sends.

- **Red lines** (``report_red_lines``, called by the worker after a group's findings are
  stored): the group's red-line findings not yet reported, in one message per group and audit
  (notice id ``{audit_id}-supervision``): the group, each person and the clause, with the
  finding's masked excerpt only, never the message (``render.render_supervision``). Each
  finding is marked ``supervision_queued_at`` after its message is queued, so a redelivered
  audit queues the same message again at most (the notifier's claim sends it once) and a later
  audit never reports it again.
- **Anything else** (``send_to_supervision``): the public entry for other parts of the
  pipeline (the discipline ledger's announcements): a text to the contact, once per ``key``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from groupaudit import netguard
from groupaudit.adapters.storage.dynamo import Table
from groupaudit.contracts import Finding, Snapshot
from groupaudit.render import render_supervision
from groupaudit.wire import _ID as ID_PATTERN
from groupaudit.wire import NoticeChannel, NoticeMessage, _loopback_or_https

if TYPE_CHECKING:
    from groupaudit.discipline.appeals import Appeal

SETTING_SK = "SETTINGS#supervision"
RED_LINES = "-supervision"  # suffix of the notice id of a group audit's red-line report
TENANT_GROUP = "-tenant-"  # the "group" a tenant-wide message's notice record is kept under


class SupervisionContact(BaseModel):
    """Body of ``PUT /tenant/supervision``, and what ``GET`` answers."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    tenant_id: str = Field(pattern=ID_PATTERN, description="must equal X-GroupAudit-Tenant")
    type: Literal["dingtalk", "wecom", "feishu", "slack"] = Field(description="the robot's platform")
    url: HttpUrl = Field(description="the robot's webhook URL: https on port 443 to a public host")
    secret_name: str | None = Field(
        None,
        description="Secrets Manager name (under SECRETS_PREFIX, starting tenants/{tenant}/) of the "
        "robot's signing secret (DingTalk 加签, Feishu); none for WeCom and Slack",
    )
    lang: Literal["zh", "en"] = "zh"
    name: str | None = Field(None, max_length=128, description="who reads it, e.g. 监察部")

    @field_validator("url")
    @classmethod
    def _https_only_outside_loopback(cls, value: HttpUrl) -> HttpUrl:
        return _loopback_or_https(value, "robot URLs")  # type: ignore[return-value]

    def channel(self) -> NoticeChannel:
        return NoticeChannel(type=self.type, url=self.url, secret_name=self.secret_name, lang=self.lang)


# --- the setting in the table --------------------------------------------------------------------


def _key(tenant: str) -> dict[str, Any]:
    return {"PK": {"S": f"TENANT#{tenant}"}, "SK": {"S": SETTING_SK}}


def get_contact(store: Table, tenant: str) -> SupervisionContact | None:
    item = store.client.get_item(TableName=store.table, Key=_key(tenant), ConsistentRead=True).get("Item")
    if item is None:
        return None
    return SupervisionContact.model_validate_json(item["contact_json"]["S"])


def put_contact(store: Table, contact: SupervisionContact) -> bool:
    """Store the tenant's contact; True when it had none before."""
    answer = store.client.put_item(
        TableName=store.table,
        Item={
            **_key(contact.tenant_id),
            "type": {"S": "supervision_contact"},
            "contact_json": {"S": contact.model_dump_json()},
        },
        ReturnValues="ALL_OLD",
    )
    return "Attributes" not in answer


def delete_contact(store: Table, tenant: str) -> bool:
    answer = store.client.delete_item(TableName=store.table, Key=_key(tenant), ReturnValues="ALL_OLD")
    return "Attributes" in answer


# --- the API's operations (free of HTTP; groupaudit.api.routes_tenant maps them) -----------------


def set_contact(deps: Any, tenant: str, body: bytes) -> tuple[SupervisionContact, bool]:
    """Register or replace the tenant's supervision contact: (the contact, created). The same
    rules as a group's robot: its URL a public https one, its secret the tenant's own."""
    from groupaudit.pipeline import api

    api._shallow(body)
    try:
        contact = SupervisionContact.model_validate_json(body or b"null")
    except ValidationError as exc:
        details = api.validation_details(exc.errors(), ("body",))
        raise api.InvalidRequest("invalid supervision contact", details) from None
    if contact.tenant_id != tenant:
        raise api.InvalidRequest(
            "tenant_id does not match the authenticated tenant",
            [
                api.ErrorDetail(
                    loc=["body", "tenant_id"], msg=f"must equal {api.TENANT_HEADER}", type="value_error"
                )
            ],
        )
    problems = []
    url_problem = netguard.registration_problem(str(contact.url))
    if url_problem is not None:
        problems.append(api.ErrorDetail(loc=["body", "url"], msg=url_problem, type="value_error"))
    secrets = f"tenants/{tenant}/"
    if contact.secret_name is not None and not contact.secret_name.startswith(secrets):
        problems.append(
            api.ErrorDetail(loc=["body", "secret_name"], msg=f"must start with {secrets}", type="value_error")
        )
    if problems:
        raise api.InvalidRequest("invalid supervision contact", problems)
    return contact, put_contact(deps.store, contact)


def contact_of(deps: Any, tenant: str) -> SupervisionContact:
    from groupaudit.pipeline import api

    contact = get_contact(deps.store, tenant)
    if contact is None:
        raise api.NotFound("the tenant has no supervision contact")
    return contact


def remove_contact(deps: Any, tenant: str) -> None:
    from groupaudit.pipeline import api

    if not delete_contact(deps.store, tenant):
        raise api.NotFound("the tenant has no supervision contact")


# --- sending -------------------------------------------------------------------------------------


@dataclass
class SupervisionDeps:
    """What sending to the contact needs: the table, how a notice message is queued, a clock."""

    store: Table
    send: Callable[[NoticeMessage], None]
    clock: Callable[[], datetime]

    @classmethod
    def on_queue(
        cls, store: Table, sqs: Any, queue_url: str, clock: Callable[[], datetime]
    ) -> SupervisionDeps:
        """Sending through the notice queue at ``queue_url`` (the functions' NOTICE_QUEUE_URL)."""

        def send(message: NoticeMessage) -> None:
            sqs.send_message(QueueUrl=queue_url, MessageBody=message.model_dump_json())

        return cls(store=store, send=send, clock=clock)


_KEY = re.compile(r"^[A-Za-z0-9._:@\-]{1,160}$")


def send_to_supervision(
    tenant: str, text: str, deps: SupervisionDeps, *, key: str, group_id: str = TENANT_GROUP
) -> bool:
    """Queue ``text`` to the tenant's supervision contact, delivered once per ``key`` however
    often this is called with it (the notifier's claim on ``NOTICE#{key}`` of ``group_id``;
    default: a partition of the tenant's own). False when the tenant has no contact (nothing
    queued). The text is sent as given: it must not quote what a finding keeps masked."""
    if not _KEY.fullmatch(key):
        raise ValueError("key: 1 to 160 of A-Z a-z 0-9 . _ : @ -")
    contact = get_contact(deps.store, tenant)
    if contact is None:
        return False
    deps.send(_message(tenant, group_id, key, contact, text, deps.clock()))
    return True


def _message(
    tenant: str, group_id: str, notice_id: str, contact: SupervisionContact, text: str, now: datetime
) -> NoticeMessage:
    return NoticeMessage(
        tenant_id=tenant,
        group_id=group_id,
        audit_id=notice_id,
        platform=contact.type,
        channel=contact.channel(),
        text=text,
        mention_ids=[],
        findings=[],  # nothing here marks a finding told in its group (that is the group's digest)
        created_at=now,
    )


def report_red_lines(
    snapshot: Snapshot, audit_id: str, findings: list[Finding], deps: SupervisionDeps
) -> int:
    """Queue the group's red-line findings not yet reported to the tenant's contact, in one
    message (after they are stored); how many. Nothing is read when there is no red line."""
    red = [f for f in findings if f.severity == "red_line"]
    if not red:
        return 0
    tenant, group = snapshot.tenant, snapshot.group.id
    contact = get_contact(deps.store, tenant)
    if contact is None:
        return 0
    due = [f for f in red if not _reported(deps.store, tenant, group, f)]
    names = {m.id: m.display_name for m in snapshot.members or ()}
    when = snapshot.taken_at.strftime("%Y-%m-%d %H:%M")
    text = render_supervision(snapshot.group.name, group, due, names, when, contact.lang)
    if text is None:
        return 0
    now = deps.clock()
    deps.send(_message(tenant, group, f"{audit_id}{RED_LINES}", contact, text, now))
    for finding in due:
        deps.store.client.update_item(
            TableName=deps.store.table,
            Key=_finding_key(tenant, group, finding),
            UpdateExpression="SET supervision_queued_at = :at",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":at": {"S": now.isoformat()}},
        )
    return len(due)


def _finding_key(tenant: str, group: str, finding: Finding) -> dict[str, Any]:
    return {
        "PK": {"S": f"TENANT#{tenant}#GROUP#{group}"},
        "SK": {"S": f"FINDING#{finding.rule}#{finding.id}"},
    }


def _reported(store: Table, tenant: str, group: str, finding: Finding) -> bool:
    item = store.client.get_item(
        TableName=store.table,
        Key=_finding_key(tenant, group, finding),
        ConsistentRead=True,
        ProjectionExpression="supervision_queued_at",
    ).get("Item")
    return bool(item and "supervision_queued_at" in item)


def overdue_appeals_to_contact(
    store: Table,
    sqs: Any,
    notice_queue_url: str,
    s3_client: Any,
    snapshot_bucket: str,
    tenant: str,
    now: datetime,
) -> list[Appeal]:
    """``overdue_appeals`` told to the tenant's supervision contact (``send_to_supervision``,
    through the notice queue, in the contact's language; one message per set of newly overdue
    appeals, however often this runs). What the scheduled run calls per tenant."""
    import hashlib

    from groupaudit.adapters.ledger_store import LedgerStore
    from groupaudit.supervision.service import overdue_appeals, tenant_inputs

    contact = get_contact(store, tenant)
    if contact is None:
        return []
    _, policies = tenant_inputs(s3_client, snapshot_bucket, tenant)
    deps = SupervisionDeps.on_queue(store, sqs, notice_queue_url, lambda: now)

    def send(to: str, text: str) -> bool:
        # the text lists the appeals and their deadlines: the same set is the same message
        key = "appeals-overdue-" + hashlib.sha256(text.encode()).hexdigest()[:24]
        return send_to_supervision(to, text, deps, key=key)

    return overdue_appeals(LedgerStore.over(store), tenant, now, policies, send, contact.lang)

"""The tenant pass of a scheduled run: the tenant-wide rules (``onboarding_gap``) over the
membership index, one group at a time, so that 10,000 groups are never loaded at once.

The membership index: after auditing a group the worker records what a tenant pass needs of it
— the group record (kind, department, owner, admins) and its members' ids — in the tenant's
``TENANT#{t}#MEMBERSHIP`` partition, one item per chunk of ``CHUNK_IDS`` member ids (an item
stays far below DynamoDB's 400 KB even with 10,000 members of long platform ids):

    PK = TENANT#{t}#MEMBERSHIP   SK = GROUP#{g}#{chunk:04d}
    group (JSON), member_ids (list), chunk, chunks, audit_id, taken_at, platform, expires_at

A newer audit overwrites the group's chunks; chunks left over from an older audit with more
members carry another ``audit_id`` and are ignored. Items expire after ``MEMBERSHIP_TTL``, so
an unregistered group drops out of the index. Reading is one paginated Query in key order: a
group's chunks come together, and the pass holds one group (and one page) at a time.

The pass: when a scheduled run's last group is recorded (``groups_done`` reaches ``groups_total`` on the
audit request), the worker that recorded it claims the pass (``TENANTPASS#{audit_id}``, once; a
claim older than ``PASS_LEASE`` that never finished is taken over), runs the tenant-wide rules on
each indexed group and keeps their findings in the group they belong to, as of the group's audit,
opening new ones and resolving those no longer seen; a group audit leaves them alone
(``group_owned``). Each company and department group is judged under its effective policy (the
registration's overrides on top) and in its notice language. The findings due to be told go
into the group's digest of the run while it is unsent, else into a digest of the pass's own
for that group, @-mentioning the group's owner (``pipeline/notice_addenda.py``): one digest per
group, once, however often the pass is retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from groupaudit.adapters.storage import Storage
from groupaudit.adapters.storage.dynamo import RUN_TTL, StaleAudit, Table
from groupaudit.adapters.storage.findings import StoredFinding
from groupaudit.audittime import CLOCK_SKEW
from groupaudit.contracts import Directory, Finding, Group, Snapshot
from groupaudit.errors import InputError
from groupaudit.pipeline import notice_addenda
from groupaudit.policy import PolicySet
from groupaudit.render import render_tenant_notice
from groupaudit.tenantwide import GroupView, TenantResult, run_tenant_rules, tenant_wide_rules
from groupaudit.wire import GroupRegistration, NoticeMessage

CHUNK_IDS = 2000
MEMBERSHIP_TTL = timedelta(days=35)


def _pk(tenant: str) -> str:
    return f"TENANT#{tenant}#MEMBERSHIP"


def record_membership(store: Table, snapshot: Snapshot, audit_id: str) -> int:
    """Write the group's entry of the membership index (after its audit); the items written."""
    view = GroupView.of(snapshot)
    ids = sorted(view.member_ids)
    chunks = [ids[start : start + CHUNK_IDS] for start in range(0, len(ids), CHUNK_IDS)] or [[]]
    group = msgspec.json.encode(view.group).decode()
    expires = int((view.taken_at + MEMBERSHIP_TTL).timestamp())
    items = [
        {
            "PK": {"S": _pk(view.tenant_id)},
            "SK": {"S": f"GROUP#{view.group.id}#{number:04d}"},
            "type": {"S": "membership"},
            "group_id": {"S": view.group.id},
            "group": {"S": group},
            "member_ids": {"L": [{"S": member_id} for member_id in chunk]},
            "chunk": {"N": str(number)},
            "chunks": {"N": str(len(chunks))},
            "audit_id": {"S": audit_id},
            "taken_at": {"S": view.taken_at.isoformat()},
            "platform": {"S": view.platform},
            "expires_at": {"N": str(expires)},
        }
        for number, chunk in enumerate(chunks)
    ]
    return store.put_items(items)


def memberships(store: Table, tenant: str, page_size: int = 100) -> Iterator[GroupView]:
    """The tenant's groups from the membership index, one at a time, in group-id order."""
    pages = store.client.get_paginator("query").paginate(
        TableName=store.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": _pk(tenant)}},
        ConsistentRead=True,
        PaginationConfig={"PageSize": page_size},
    )
    current: list[dict[str, Any]] = []
    for page in pages:
        for item in page.get("Items", []):
            if current and item["group_id"]["S"] != current[0]["group_id"]["S"]:
                view = _view(tenant, current)
                if view is not None:
                    yield view
                current = []
            current.append(item)
    if current:
        view = _view(tenant, current)
        if view is not None:
            yield view


def _view(tenant: str, items: list[dict[str, Any]]) -> GroupView | None:
    """A group's view from its chunks; None when its chunks are incomplete (a write under way)."""
    first = next((item for item in items if item["chunk"]["N"] == "0"), None)
    if first is None:
        return None
    audit_id = first["audit_id"]["S"]
    current = [item for item in items if item["audit_id"]["S"] == audit_id]
    if len(current) != int(first["chunks"]["N"]):
        return None
    member_ids = frozenset(value["S"] for item in current for value in item["member_ids"]["L"])
    return GroupView(
        tenant_id=tenant,
        group=msgspec.json.decode(first["group"]["S"].encode(), type=Group),
        member_ids=member_ids,
        taken_at=datetime.fromisoformat(first["taken_at"]["S"]),
        platform=first["platform"]["S"],
    )


def run_tenant_pass(
    store: Table,
    tenant: str,
    *,
    policies: PolicySet,
    directory: Directory | None,
    now: datetime | None = None,
    lang: str = "zh",
) -> Iterator[TenantResult]:
    """The tenant-wide rules' results for each indexed group of the tenant, one group at a
    time, as of ``now`` (default: each group's latest audit)."""
    for view in memberships(store, tenant):
        yield run_tenant_rules(view, policies=policies, directory=directory, now=now, lang=lang)


# --- the pass after a run's last group ---------------------------------------------------

PASS_LEASE = timedelta(minutes=10)  # a pass that died holding its claim is taken over after it


def tenant_wide_keys() -> tuple[str, ...]:
    """Sort-key prefixes of the tenant-wide rules' findings in a group's partition."""
    return tuple(f"FINDING#{spec.id}#" for spec in tenant_wide_rules())


def group_owned(stored: dict[str, StoredFinding]) -> dict[str, StoredFinding]:
    """A group's stored findings less the tenant pass's: a group audit neither sees nor
    resolves those (the tenant pass does)."""
    prefixes = tenant_wide_keys()
    return {fid: item for fid, item in stored.items() if not item.sk.startswith(prefixes)}


def _run_done(store: Table, tenant: str, audit_id: str) -> bool:
    """Is this a scheduled run whose every group has finished (succeeded, failed or skipped)?
    An on-demand audit of a few groups (API, manual) starts no pass over the whole tenant."""
    item = store.client.get_item(
        TableName=store.table,
        Key={"PK": {"S": f"TENANT#{tenant}"}, "SK": {"S": f"AUDIT#{audit_id}"}},
        ConsistentRead=True,
        ProjectionExpression="#t, groups_total, groups_done",
        ExpressionAttributeNames={"#t": "trigger"},
    ).get("Item")
    if not item or item.get("trigger", {}).get("S") != "schedule":
        return False
    return int(item["groups_done"]["N"]) >= int(item["groups_total"]["N"])


def _claim(store: Table, tenant: str, audit_id: str, now: datetime) -> bool:
    """Take the audit's tenant pass: True for exactly one caller (or one after a dead one)."""
    client = store.client
    try:
        client.put_item(
            TableName=store.table,
            Item={
                "PK": {"S": f"TENANT#{tenant}"},
                "SK": {"S": f"TENANTPASS#{audit_id}"},
                "type": {"S": "tenant_pass"},
                "status": {"S": "running"},
                "claimed_ts": {"N": str(now.timestamp())},
                "expires_at": {"N": str(int((now + timedelta(days=400)).timestamp()))},
            },
            ConditionExpression="attribute_not_exists(PK) OR (#s = :running AND claimed_ts < :stale)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":running": {"S": "running"},
                ":stale": {"N": str((now - PASS_LEASE).timestamp())},
            },
        )
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True


JUDGED_KINDS = ("company", "department")  # the kinds onboarding_gap judges; others need no registration


def _same_id(platform: str, member_id: str) -> str:
    return member_id


@dataclass(frozen=True)
class PassInputs:
    """What the pass needs of the tenant, read once: its directory, each group's effective
    policy (the tenant's policy with the registration's overrides as the group's top layer, as
    the group's own audit has it; ``None``: the tenant's policy alone) and the id a person has
    on a platform (``(platform, directory id) -> platform id``, for @-mentions)."""

    directory: Directory | None
    policies: Callable[[GroupRegistration | None], PolicySet]
    platform_id: Callable[[str, str], str] = _same_id


@dataclass(frozen=True)
class PassNotices:
    """How the pass tells groups of its findings: ``send`` queues a notice message (the
    notifier delivers it), findings told within ``renotify_days`` are not told again, at most
    ``top`` are listed."""

    send: Callable[[NoticeMessage], None]
    renotify_days: float = 7
    top: int = 10


def after_run(
    store: Storage,
    tenant: str,
    audit_id: str,
    inputs: Callable[[], PassInputs],
    now: datetime,
    notices: PassNotices | None = None,
) -> dict[str, int] | None:
    """After a group's run is recorded: when it was the audit's last, run the tenant pass once,
    keep its findings in the groups they belong to and tell each group's owner of those due
    (new, reopened, or not told within ``renotify_days``). Counts, or None when not (yet) due.

    Each company and department group is judged under its own effective policy (its
    registration's overrides: a group may disable ``onboarding_gap`` or change its days) and
    in its notice language; an unregistered or disabled group is left alone, and a group whose
    overrides do not parse is counted ``failed`` and left as it was."""
    if not _run_done(store, tenant, audit_id) or not _claim(store, tenant, audit_id, now):
        return None
    given = inputs()
    names = {person.id: person.name for person in given.directory.people} if given.directory else {}
    counts = dict.fromkeys(
        ("groups", "findings", "new", "resolved", "skipped", "unregistered", "failed", "added", "notices"), 0
    )
    latest_valid = now + CLOCK_SKEW
    prefixes = tenant_wide_keys()
    for view in memberships(store, tenant):
        counts["groups"] += 1
        registration = None
        if view.group.effective_kind in JUDGED_KINDS:
            registration = store.groups.get_group(tenant, view.group.id)
            if registration is None or not registration.enabled:
                counts["unregistered"] += 1
                continue
        try:
            policies = given.policies(registration)
        except InputError:
            counts["failed"] += 1  # the group's own runs record why
            continue
        lang = registration.notice.lang if registration is not None else "zh"
        result = run_tenant_rules(view, policies=policies, directory=given.directory, lang=lang)
        counts["findings"] += len(result.findings)
        stored: dict[str, StoredFinding] = {}
        if result.findings or registration is not None:
            stored = {
                fid: item
                for fid, item in store.findings.stored_findings(tenant, view.group.id).items()
                if item.sk.startswith(prefixes)
            }
        if not result.findings and not any(item.status == "open" for item in stored.values()):
            continue  # nothing to open or resolve
        try:
            sync = store.findings.sync_findings(
                tenant, view.group.id, audit_id, view.taken_at, result.findings, stored, latest_valid
            )
        except StaleAudit:
            counts["skipped"] += 1  # audited again since: its next run's pass decides
            continue
        counts["new"] += len(sync.new) + len(sync.reopened)
        counts["resolved"] += len(sync.resolved)
        if notices is not None and registration is not None:
            due = [f for f in result.findings if _due(f, stored, now, notices.renotify_days)]
            told = _tell(store, audit_id, view, registration, due, given, names, notices, now)
            if told:
                counts[told] += 1
    store.client.update_item(
        TableName=store.table,
        Key={"PK": {"S": f"TENANT#{tenant}"}, "SK": {"S": f"TENANTPASS#{audit_id}"}},
        UpdateExpression="SET #s = :done, counts_json = :counts",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":done": {"S": "done"}, ":counts": {"S": json.dumps(counts)}},
    )
    return counts


def _due(finding: Finding, stored: dict[str, StoredFinding], now: datetime, renotify_days: float) -> bool:
    """New, reopened, never told, or told more than ``renotify_days`` ago (as the worker's)."""
    previous = stored.get(finding.id)
    if previous is None or not previous.notified_at or previous.status == "resolved":
        return True
    return now - datetime.fromisoformat(previous.notified_at) >= timedelta(days=renotify_days)


def _tell(
    store: Storage,
    audit_id: str,
    view: GroupView,
    registration: GroupRegistration,
    due: list[Finding],
    given: PassInputs,
    names: dict[str, str],
    notices: PassNotices,
    now: datetime,
) -> str | None:
    """Tell the group of its due findings: on its digest of the run while that is unsent
    (``added``), else in a digest of its own (``notices``); None when there is nothing to tell
    or it was told by an earlier attempt of this pass."""
    tenant, group = registration.tenant_id, registration.group_id
    see_more = f"GET /groups/{group}/findings?status=open"
    run = store.runs.run(tenant, group, audit_id)
    own_digest = run is not None and (run.notice or "").startswith("queued")
    notice = render_tenant_notice(
        view.group,
        due,
        view.member_ids,
        names=names,
        lang=registration.notice.lang,
        top=notices.top,
        standalone=not own_digest,
        see_more=see_more,
    )
    if notice is None:
        return None
    mention_ids = [given.platform_id(registration.platform, m) for m in notice.mention_ids]
    if own_digest:
        outcome = notice_addenda.add_to_notice(
            store.notices,
            tenant,
            group,
            audit_id,
            text=notice.text,
            mention_ids=mention_ids,
            findings=list(notice.findings),
            expires_at=int((now + RUN_TTL).timestamp()),
        )
        if outcome != "claimed":
            return "added" if outcome == "added" else None
        # the digest went out before the pass: one of the pass's own, as a standalone digest
        notice = render_tenant_notice(
            view.group,
            due,
            view.member_ids,
            names=names,
            lang=registration.notice.lang,
            top=notices.top,
            see_more=see_more,
        )
        assert notice is not None  # the same findings as above
    notices.send(
        NoticeMessage(
            tenant_id=tenant,
            group_id=group,
            audit_id=f"{audit_id}{notice_addenda.TENANT_NOTICE}",
            platform=registration.platform,
            channel=registration.notice,
            text=notice.text,
            mention_ids=mention_ids,
            findings=list(notice.findings),
            created_at=now,
        )
    )
    return "notices"

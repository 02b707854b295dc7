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
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import msgspec

from groupaudit.adapters.store import Store
from groupaudit.contracts import Directory, Group, Snapshot
from groupaudit.policy import PolicySet
from groupaudit.tenantwide import GroupView, TenantResult, run_tenant_rules

CHUNK_IDS = 2000
MEMBERSHIP_TTL = timedelta(days=35)


def _pk(tenant: str) -> str:
    return f"TENANT#{tenant}#MEMBERSHIP"


def record_membership(store: Store, snapshot: Snapshot, audit_id: str) -> int:
    """Write the group's entry of the membership index (after its audit); the items written."""
    view = GroupView.of(snapshot)
    ids = sorted(view.member_ids)
    chunks = [ids[start : start + CHUNK_IDS] for start in range(0, len(ids), CHUNK_IDS)] or [[]]
    group = msgspec.json.encode(view.group).decode()
    expires = int((view.taken_at + MEMBERSHIP_TTL).timestamp())
    requests = [
        {
            "PutRequest": {
                "Item": {
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
            }
        }
        for number, chunk in enumerate(chunks)
    ]
    store._batch_write(requests)
    return len(requests)


def memberships(store: Store, tenant: str, page_size: int = 100) -> Iterator[GroupView]:
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
    store: Store,
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

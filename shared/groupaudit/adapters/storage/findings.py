"""Findings: ``TENANT#t#GROUP#g / FINDING#rule#id``, indexed by member on GSI1
(``TENANT#t#MEMBER#m``, first audit time and id).

Findings are written in batches of conditional updates (TransactWriteItems, 100 items a call):
an update only applies when no newer audit of the group has written the item already, and it
touches only the lifecycle fields, so notification state set by the notifier is never
overwritten by a later audit. Each batch also checks the group's ``STATE`` item (the guard,
:mod:`.guard`): when DynamoDB cancels a batch, only a failed condition on the guard means "a
newer audit came first" (:class:`StaleAudit`); any other cancellation (a conflict with another
transaction, throttling, a failed condition on a finding item) is :class:`StoreConflict`, worth
retrying."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msgspec

from groupaudit.adapters.storage.dynamo import (
    BadCursor,
    StaleAudit,
    StoreConflict,
    StoreError,
    Table,
    cancellation_codes,
    group_pk,
    n,
    plain,
    record,
    s,
)
from groupaudit.adapters.storage.guard import FAR_FUTURE, guard_check
from groupaudit.contracts import Finding

TRANSACTION_ITEMS = 100
RESOLVED_TTL = timedelta(days=730)  # resolved findings stay two years (supervision history)

# A finding seen by this audit: (re)open it; first_seen and the GSI sort key are kept.
_OPEN_FINDING = (
    "SET finding_id = :id, #rule = :rule, kind = :kind, severity = :sev, subject_id = :subj, "
    "#status = :open, last_seen = :at, last_audit_id = :aid, last_audited_ts = :ts, finding = :json, "
    "first_seen = if_not_exists(first_seen, :at), GSI1PK = :g1pk, GSI1SK = if_not_exists(GSI1SK, :g1sk) "
    "REMOVE resolved_at, expires_at"
)
# An open finding this audit no longer sees: resolve it, and let it expire in two years.
_RESOLVE_FINDING = (
    "SET #status = :resolved, resolved_at = :at, last_audit_id = :aid, last_audited_ts = :ts, "
    "expires_at = :exp"
)
# ``:future``: stored audit times after it are corrupt (a snapshot from the future), never newer.
_NEWER_ONLY = "attribute_not_exists(PK) OR last_audited_ts <= :ts OR last_audited_ts > :future"
_STILL_OPEN_AND_NEWER_ONLY = "#status = :open AND (last_audited_ts <= :ts OR last_audited_ts > :future)"


class StoredFinding(msgspec.Struct, frozen=True, kw_only=True):
    """What an audit reads of a stored finding before it writes its own."""

    sk: str = msgspec.field(name="SK")
    finding_id: str
    status: str | None = None  # open | resolved
    notified_at: str | None = None
    first_notified_at: str | None = None
    first_seen: str | None = None
    overturned_at: str | None = None  # an appeal overturned it (supervision/)


class FindingRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A stored finding as the API and the command line show it (every item has its id)."""

    finding_id: str
    rule: str | None = None
    kind: str | None = None
    severity: str | None = None
    subject_id: str | None = None
    status: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    resolved_at: str | None = None
    notified_at: str | None = None
    last_audit_id: str | None = None
    finding: dict[str, Any] | None = None


@dataclass
class SyncResult:
    new: list[str] = field(default_factory=list)
    still_open: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)


_PUBLIC = tuple(name for name in FindingRecord.__struct_fields__ if name != "finding")


def public_finding(item: dict[str, Any]) -> dict[str, Any]:
    """A finding item as the API shows it: its public fields and the finding itself."""
    stored = plain(item)
    out = {key: stored.get(key) for key in _PUBLIC}
    out["finding"] = json.loads(stored["finding"]) if "finding" in stored else None
    return out


def _finding_record(item: dict[str, Any]) -> FindingRecord:
    return record(public_finding(item), FindingRecord, f"finding {item.get('SK', {}).get('S')}")


class Findings(Table):
    def _stored_items(self, tenant: str, group: str) -> Iterable[dict[str, Any]]:
        return self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            ExpressionAttributeValues={":pk": s(group_pk(tenant, group)), ":sk": s("FINDING#")},
            ConsistentRead=True,
            # overturned_at: an appeal overturned it (supervision/), its group is not told again
            ProjectionExpression=(
                "SK, finding_id, #s, notified_at, first_notified_at, first_seen, overturned_at"
            ),
            ExpressionAttributeNames={"#s": "status"},
        )

    def stored_findings(self, tenant: str, group: str) -> dict[str, StoredFinding]:
        """Every stored finding of the group (open and resolved), by finding id."""
        return {
            item["finding_id"]["S"]: record(
                plain(item), StoredFinding, f"finding {item['finding_id']['S']} of group {group}"
            )
            for item in self._stored_items(tenant, group)
        }

    def sync_findings(
        self,
        tenant: str,
        group: str,
        audit_id: str,
        audited_at: datetime,
        findings: Iterable[Finding],
        stored: Mapping[str, StoredFinding],
        latest_valid: datetime | None = None,
    ) -> SyncResult:
        """Open or refresh every current finding; resolve the open ones no longer seen.

        StaleAudit when a newer audit of the group claimed it (``begin_group_audit``) first;
        StoreConflict when DynamoDB cancelled a batch for any other reason (retry the run)."""
        result = SyncResult()
        pk = s(group_pk(tenant, group))
        future = n((latest_valid or FAR_FUTURE).timestamp())
        common = {
            ":at": s(audited_at.isoformat()),
            ":aid": s(audit_id),
            ":ts": n(audited_at.timestamp()),
            ":future": future,
        }
        updates: list[dict[str, Any]] = []
        current: set[str] = set()
        for finding in findings:
            current.add(finding.id)
            previous = stored.get(finding.id)
            if previous is None:
                result.new.append(finding.id)
            elif previous.status == "resolved":
                result.reopened.append(finding.id)
            else:
                result.still_open.append(finding.id)
            values = {
                **common,
                ":id": s(finding.id),
                ":rule": s(finding.rule),
                ":kind": s(finding.kind or "-"),
                ":sev": s(finding.severity),
                ":subj": s(finding.subject_id),
                ":open": s("open"),
                ":json": s(msgspec.json.encode(finding).decode()),
                ":g1pk": s(f"TENANT#{tenant}#MEMBER#{finding.subject_id}"),
                ":g1sk": s(f"{audited_at.isoformat()}#{finding.id}"),
            }
            key = {"PK": pk, "SK": s(f"FINDING#{finding.rule}#{finding.id}")}
            updates.append(self._update(key, _OPEN_FINDING, _NEWER_ONLY, values))
        expiry = n(int((audited_at + RESOLVED_TTL).timestamp()))
        for finding_id, previous in stored.items():
            if finding_id in current or previous.status != "open":
                continue
            result.resolved.append(finding_id)
            values = {**common, ":resolved": s("resolved"), ":open": s("open"), ":exp": expiry}
            key = {"PK": pk, "SK": s(previous.sk)}
            updates.append(self._update(key, _RESOLVE_FINDING, _STILL_OPEN_AND_NEWER_ONLY, values))
        guard = guard_check(self.table, tenant, group, common[":ts"], future)
        batch = TRANSACTION_ITEMS - 1  # and the guard
        for start in range(0, len(updates), batch):
            try:
                self.client.transact_write_items(TransactItems=[guard, *updates[start : start + batch]])
            except self.client.exceptions.TransactionCanceledException as exc:
                raise _cancelled(exc, group) from exc
        return result

    def _update(self, key: dict[str, Any], expression: str, condition: str, values: dict[str, Any]) -> dict:
        return {
            "Update": {
                "TableName": self.table,
                "Key": key,
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {
                    name: name[1:] for name in ("#rule", "#status") if name in expression
                },
                "ExpressionAttributeValues": values,
            }
        }

    def mark_notified(self, tenant: str, group: str, refs: Iterable[tuple[str, str]], at: datetime) -> None:
        """Set notified_at (and first_notified_at once) on findings given as (rule, id)."""
        for rule, finding_id in refs:
            self.client.update_item(
                TableName=self.table,
                Key={"PK": s(group_pk(tenant, group)), "SK": s(f"FINDING#{rule}#{finding_id}")},
                UpdateExpression=(
                    "SET notified_at = :at, first_notified_at = if_not_exists(first_notified_at, :at) "
                    "ADD notify_count :one"
                ),
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues={":at": s(at.isoformat()), ":one": n(1)},
            )

    def findings_page(
        self, tenant: str, group: str, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[FindingRecord], str | None]:
        """One page of the group's findings, in rule order; ``cursor`` continues."""
        items, next_cursor = self._page(tenant, group, status, limit, cursor)
        return [_finding_record(item) for item in items], next_cursor

    def member_findings(self, tenant: str, member: str) -> list[FindingRecord]:
        """Every stored finding about ``member``, in any group of the tenant."""
        return [_finding_record(item) for item in self._member_items(tenant, member)]

    def _member_items(self, tenant: str, member: str) -> Iterable[dict[str, Any]]:
        return self._query(
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues={":pk": s(f"TENANT#{tenant}#MEMBER#{member}")},
        )

    def _page(
        self, tenant: str, group: str, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the group's finding items; the cursor of the next page, if any."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :sk)",
            "ExpressionAttributeValues": {":pk": s(group_pk(tenant, group)), ":sk": s("FINDING#")},
        }
        if status:
            kwargs["FilterExpression"] = "#s = :status"
            kwargs["ExpressionAttributeNames"] = {"#s": "status"}
            kwargs["ExpressionAttributeValues"][":status"] = s(status)
        start = _decode_cursor(cursor, tenant, group) if cursor else None
        page: list[dict[str, Any]] = []
        while True:
            call = dict(kwargs, TableName=self.table, Limit=max(limit - len(page), 1) * 2)
            if start:
                call["ExclusiveStartKey"] = start
            answer = self.client.query(**call)
            items = answer.get("Items", [])
            for position, item in enumerate(items):
                page.append(item)
                if len(page) == limit:
                    more = position + 1 < len(items) or self._any_after(kwargs, item)
                    return page, _encode_cursor(item) if more else None
            start = answer.get("LastEvaluatedKey")
            if not start:
                return page, None

    def _any_after(self, query: dict[str, Any], item: dict[str, Any]) -> bool:
        """Does the listing go on after ``item``? (so the last page carries no cursor)"""
        start: dict[str, Any] | None = {"PK": item["PK"], "SK": item["SK"]}
        while start:
            answer = self.client.query(**query, TableName=self.table, Limit=50, ExclusiveStartKey=start)
            if answer.get("Items"):
                return True
            start = answer.get("LastEvaluatedKey")
        return False


def _cancelled(exc: Any, group: str) -> StoreError:
    """What a cancelled findings transaction means, from DynamoDB's ``CancellationReasons``
    (one per item, in order; the guard is the first)."""
    codes = cancellation_codes(exc)
    if codes and codes[0] == "ConditionalCheckFailed":
        return StaleAudit(f"a newer audit of group {group} was stored first")
    causes = sorted({code for code in codes if code != "None"}) or ["no reason given"]
    return StoreConflict(
        f"DynamoDB cancelled writing the findings of group {group} ({', '.join(causes)}); to be retried"
    )


def _encode_cursor(item: dict[str, Any]) -> str:
    key = {"PK": item["PK"]["S"], "SK": item["SK"]["S"]}
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, tenant: str, group: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        pk, sk = key["PK"], key["SK"]
    except (ValueError, KeyError, TypeError):
        raise BadCursor("invalid cursor") from None
    if pk != group_pk(tenant, group) or not isinstance(sk, str) or not sk.startswith("FINDING#"):
        raise BadCursor("cursor belongs to another listing")
    return {"PK": s(pk), "SK": s(sk)}

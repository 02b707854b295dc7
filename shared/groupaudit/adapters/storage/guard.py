"""The state guard: ``TENANT#t#GROUP#g / STATE`` holds the time of the newest audit stored for
the group. An audit claims the group first (:meth:`Guard.begin_group_audit`), and every batch
of its findings checks the guard again (:func:`guard_check`), so an older audit never
overwrites a newer one.

Audit times stored later than ``latest_valid`` (the caller's clock plus the accepted skew) can
only come from a snapshot "taken" in the future, before such snapshots were refused: they never
block a later audit, which overwrites them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from groupaudit.adapters.storage.dynamo import StaleAudit, Table, group_pk, n, s

# ``:future``: stored audit times after it are corrupt (a snapshot from the future), never newer.
NO_NEWER_AUDIT = (
    "attribute_not_exists(last_audited_ts) OR last_audited_ts <= :ts OR last_audited_ts > :future"
)
FAR_FUTURE = datetime(2999, 12, 31, tzinfo=UTC)


def guard_key(tenant: str, group: str) -> dict[str, Any]:
    return {"PK": s(group_pk(tenant, group)), "SK": s("STATE")}


def guard_check(table: str, tenant: str, group: str, ts: dict[str, str], future: dict[str, str]) -> dict:
    """The transaction item that cancels a batch when a newer audit claimed the group."""
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": guard_key(tenant, group),
            "ConditionExpression": NO_NEWER_AUDIT,
            "ExpressionAttributeValues": {":ts": ts, ":future": future},
        }
    }


class Guard(Table):
    def begin_group_audit(
        self, tenant: str, group: str, audited_at: datetime, latest_valid: datetime | None = None
    ) -> None:
        """Claim the group for an audit as of ``audited_at``; StaleAudit if a newer one ran.
        A stored audit time after ``latest_valid`` is not newer: it is overwritten."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=guard_key(tenant, group),
                UpdateExpression="SET last_audited_ts = :ts, last_audited_at = :at",
                ConditionExpression=NO_NEWER_AUDIT,
                ExpressionAttributeValues={
                    ":ts": n(audited_at.timestamp()),
                    ":at": s(audited_at.isoformat()),
                    ":future": n((latest_valid or FAR_FUTURE).timestamp()),
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise StaleAudit(f"group {group} has a newer audit than {audited_at.isoformat()}") from None

"""Notices: ``TENANT#t#GROUP#g / NOTICE#a`` is the delivery of one run's digest (or of the
tenant pass's notice, ``NOTICE#a-tenant``): a claim with a lease, the parts of a split digest
already sent, and how it ended. The tenant pass may leave an addendum on it before any claim
(``pipeline/notice_addenda.py``)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec

from groupaudit.adapters.storage.dynamo import RUN_TTL, Table, group_pk, n, plain, record, s


class NoticeRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A notice's delivery record; ``status`` is None while only an addendum is there."""

    status: str | None = None  # sending | sent | dry_run | failed
    attempts: int = 0
    parts_sent: int = 0
    lease_until: int | None = None
    finished_at: str | None = None
    detail: str | None = None
    expires_at: int | None = None
    addendum_json: str | None = None  # the tenant pass's lines, merged into the digest


def _notice_key(tenant: str, group: str, audit_id: str) -> dict[str, Any]:
    return {"PK": s(group_pk(tenant, group)), "SK": s(f"NOTICE#{audit_id}")}


class Notices(Table):
    def claim_notice(self, tenant: str, group: str, audit_id: str, now: datetime, lease: timedelta) -> str:
        """'claimed' to send now, 'sent' if this run's notice went out already, 'busy' if
        another delivery holds an unexpired claim. A new claim keeps ``parts_sent`` (how many
        parts of a split digest went out before a failure), so a retry resumes after them.

        Each claim carries its own token: when DynamoDB applied the claim but its answer was lost
        (a 500 or a timeout after the write), the retried call finds its own token and is the
        claim, instead of reading its own lease as another delivery's ("busy" until it expires)."""
        key = _notice_key(tenant, group, audit_id)
        token = uuid.uuid4().hex
        try:
            self.client.update_item(
                TableName=self.table,
                Key=key,
                UpdateExpression=(
                    "SET #t = :type, #s = :sending, lease_until = :lease, claim_token = :token, "
                    "expires_at = if_not_exists(expires_at, :expires) ADD attempts :one"
                ),
                ConditionExpression=(
                    # a record without status holds only the tenant pass's addendum: unclaimed
                    "attribute_not_exists(#s) OR #s = :failed OR (#s = :sending AND lease_until < :now) "
                    "OR (#s = :sending AND claim_token = :token)"
                ),
                ExpressionAttributeNames={"#s": "status", "#t": "type"},
                ExpressionAttributeValues={
                    ":type": s("notice"),
                    ":failed": s("failed"),
                    ":sending": s("sending"),
                    ":lease": n(int((now + lease).timestamp())),
                    ":expires": n(int((now + RUN_TTL).timestamp())),
                    ":one": n(1),
                    ":now": n(int(now.timestamp())),
                    ":token": s(token),
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            status = (self._get(key) or {}).get("status", {}).get("S")
            return "sent" if status in ("sent", "dry_run") else "busy"
        return "claimed"

    def notice_parts_sent(self, tenant: str, group: str, audit_id: str) -> int:
        notice = self.notice(tenant, group, audit_id)
        return notice.parts_sent if notice else 0

    def record_notice_part(self, tenant: str, group: str, audit_id: str, parts_sent: int) -> None:
        """``parts_sent`` parts of the notice's digest were accepted by the platform."""
        self.client.update_item(
            TableName=self.table,
            Key=_notice_key(tenant, group, audit_id),
            UpdateExpression="SET parts_sent = :n",
            ExpressionAttributeValues={":n": n(parts_sent)},
        )

    def finish_notice(
        self, tenant: str, group: str, audit_id: str, status: str, at: datetime, detail: str | None = None
    ) -> None:
        values: dict[str, Any] = {":s": s(status), ":at": s(at.isoformat())}
        expression = "SET #s = :s, finished_at = :at"
        if detail:
            expression += ", detail = :d"
            values[":d"] = s(detail[:1000])
        self.client.update_item(
            TableName=self.table,
            Key=_notice_key(tenant, group, audit_id),
            UpdateExpression=expression,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )

    def notice(self, tenant: str, group: str, audit_id: str) -> NoticeRecord | None:
        found = self._notice_plain(tenant, group, audit_id)
        return (
            record(found, NoticeRecord, f"notice {audit_id} of group {group}") if found is not None else None
        )

    def _notice_plain(self, tenant: str, group: str, audit_id: str) -> dict[str, Any] | None:
        item = self._get(_notice_key(tenant, group, audit_id))
        return plain(item) if item else None

"""Audit requests and their runs: ``TENANT#t / AUDIT#a`` is a request with its counters,
``TENANT#t#GROUP#g / RUN#a`` the run of one group in it. A run is recorded once, and the
request's counters move in the same transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import msgspec

from groupaudit.adapters.storage.dynamo import (
    RUN_TTL,
    StoreConflict,
    Table,
    cancellation_codes,
    group_pk,
    n,
    plain,
    record,
    s,
)


class RunRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One group's run of an audit, as recorded."""

    audit_id: str
    group_id: str
    status: str  # succeeded | failed | skipped
    finished_at: str
    duration_ms: int
    findings: int = 0
    counts: dict[str, Any] = msgspec.field(default_factory=dict)
    error: str | None = None
    snapshot_taken_at: str | None = None
    audited_at: str | None = None
    notice: str | None = None
    pull: str | None = None
    expires_at: int | None = None


class AuditRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An audit request, its counters and the runs recorded so far (in its groups' order)."""

    audit_id: str
    trigger: str
    requested_at: str
    groups: tuple[str, ...]
    groups_total: int
    groups_done: int = 0
    groups_failed: int = 0
    groups_skipped: int = 0
    findings_total: int = 0
    queued: bool = False
    expires_at: int | None = None
    runs: tuple[RunRecord, ...] = ()


def _audit_key(tenant: str, audit_id: str) -> dict[str, Any]:
    return {"PK": s(f"TENANT#{tenant}"), "SK": s(f"AUDIT#{audit_id}")}


def _run_dict(item: dict[str, Any]) -> dict[str, Any]:
    run = plain(item)
    run["counts"] = json.loads(run.pop("counts_json", "{}"))
    return run


class Runs(Table):
    def create_audit(
        self, tenant: str, audit_id: str, group_ids: list[str], trigger: str, requested_at: datetime
    ) -> str:
        """Record an audit request: 'created'; or, for a retried request, 'queued' when its
        messages were all sent already, 'pending' when a previous attempt did not finish."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    **_audit_key(tenant, audit_id),
                    "type": s("audit"),
                    "audit_id": s(audit_id),
                    "trigger": s(trigger),
                    "requested_at": s(requested_at.isoformat()),
                    "groups": {"L": [s(g) for g in group_ids]},
                    "groups_total": n(len(group_ids)),
                    "groups_done": n(0),
                    "groups_failed": n(0),
                    "groups_skipped": n(0),
                    "findings_total": n(0),
                    "expires_at": n(int((requested_at + RUN_TTL).timestamp())),
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            existing = self._get(_audit_key(tenant, audit_id)) or {}
            return "queued" if existing.get("queued", {}).get("BOOL") else "pending"
        return "created"

    def mark_audit_queued(self, tenant: str, audit_id: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=_audit_key(tenant, audit_id),
            UpdateExpression="SET queued = :yes",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    def audit(self, tenant: str, audit_id: str) -> AuditRecord | None:
        """The request and its recorded runs; None when there is no such request."""
        found = self._audit_plain(tenant, audit_id)
        return record(found, AuditRecord, f"audit {audit_id} of tenant {tenant}") if found else None

    def run(self, tenant: str, group: str, audit_id: str) -> RunRecord | None:
        found = self._run_plain(tenant, group, audit_id)
        return record(found, RunRecord, f"run {audit_id} of group {group}") if found else None

    def _audit_plain(self, tenant: str, audit_id: str) -> dict[str, Any] | None:
        item = self._get(_audit_key(tenant, audit_id))
        if not item:
            return None
        audit = plain(item)
        runs = [self._run_plain(tenant, group, audit_id) for group in audit["groups"]]
        audit["runs"] = [run for run in runs if run is not None]
        return audit

    def _run_plain(self, tenant: str, group: str, audit_id: str) -> dict[str, Any] | None:
        item = self._get({"PK": s(group_pk(tenant, group)), "SK": s(f"RUN#{audit_id}")})
        return _run_dict(item) if item else None

    def finish_run(self, tenant: str, group: str, audit_id: str, run: dict[str, Any]) -> bool:
        """Record a finished run (succeeded, failed or skipped) once; False if it was recorded
        already.

        The run's item and the audit request's counters are written in one transaction,
        conditional on the run's item being new: the counters move exactly once per group and
        audit, however often SQS redelivers the message or a write is tried again, and never
        without the run recorded (nor the run without them). A run without a request record (a
        manual run) has nothing to count and is recorded alone.
        """
        audited = datetime.fromisoformat(run["finished_at"])
        item = {
            "PK": s(group_pk(tenant, group)),
            "SK": s(f"RUN#{audit_id}"),
            "type": s("run"),
            "audit_id": s(audit_id),
            "group_id": s(group),
            "status": s(run["status"]),
            "finished_at": s(run["finished_at"]),
            "duration_ms": n(int(run["duration_ms"])),
            "findings": n(int(run.get("findings", 0))),
            "counts_json": s(json.dumps(run.get("counts", {}), ensure_ascii=False, sort_keys=True)),
            "expires_at": n(int((audited + RUN_TTL).timestamp())),
        }
        for key in ("error", "snapshot_taken_at", "audited_at", "notice", "pull"):
            if run.get(key) is not None:
                item[key] = s(str(run[key]))
        fields = [(name, value) for name, value in item.items() if name not in ("PK", "SK")]
        record = {
            "Update": {
                "TableName": self.table,
                "Key": {"PK": item["PK"], "SK": item["SK"]},
                "UpdateExpression": "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields))),
                "ConditionExpression": "attribute_not_exists(PK)",
                "ExpressionAttributeNames": {f"#f{i}": name for i, (name, _) in enumerate(fields)},
                "ExpressionAttributeValues": {f":f{i}": value for i, (_, value) in enumerate(fields)},
            }
        }
        # Every recorded run is done. A skipped run (a newer audit of the group was stored
        # first, so its findings stand) is neither lost nor failed: counted in groups_skipped.
        status = run["status"]
        count = {
            "Update": {
                "TableName": self.table,
                "Key": _audit_key(tenant, audit_id),
                "UpdateExpression": (
                    "ADD groups_done :one, groups_failed :failed, groups_skipped :skipped, findings_total :n"
                ),
                "ConditionExpression": "attribute_exists(PK)",
                "ExpressionAttributeValues": {
                    ":one": n(1),
                    ":failed": n(1 if status == "failed" else 0),
                    ":skipped": n(1 if status == "skipped" else 0),
                    ":n": n(int(run.get("findings", 0))),
                },
            }
        }
        try:
            self.client.transact_write_items(TransactItems=[record, count])
        except self.client.exceptions.TransactionCanceledException as exc:
            codes = cancellation_codes(exc)
            if codes[:1] == ["ConditionalCheckFailed"]:
                return False  # recorded, and counted, by an earlier delivery or attempt
            if codes[1:2] != ["ConditionalCheckFailed"]:
                causes = ", ".join(sorted(set(codes) - {"None"})) or "no reason given"
                raise StoreConflict(
                    f"DynamoDB cancelled recording run {audit_id} of group {group} ({causes})"
                ) from exc
            try:  # no request record to count in
                self.client.put_item(
                    TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(PK)"
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                return False
        return True

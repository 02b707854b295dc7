"""The DynamoDB single table (key design in docs/PIPELINE.md).

Findings are written in batches of conditional updates (TransactWriteItems, 100 items a call):
an update only applies when no newer audit of the group has written the item already, and it
touches only the lifecycle fields, so notification state set by the notifier is never
overwritten by a later audit. Each batch also checks the group's ``STATE`` item (the guard):
when DynamoDB cancels a batch, only a failed condition on the guard means "a newer audit came
first" (:class:`StaleAudit`); any other cancellation (a conflict with another transaction,
throttling, a failed condition on a finding item) is :class:`StoreConflict`, worth retrying.

Audit times stored later than ``latest_valid`` (the caller's clock plus the accepted skew) can
only come from a snapshot "taken" in the future, before such snapshots were refused: they never
block a later audit, which overwrites them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from groupaudit.contracts import Finding
from groupaudit.errors import GroupAuditError
from groupaudit.wire import GroupRegistration

TRANSACTION_ITEMS = 100
BATCH_ITEMS = 25
RESOLVED_TTL = timedelta(days=730)  # resolved findings stay two years (supervision history)
RUN_TTL = timedelta(days=400)
NONCE_TTL = timedelta(minutes=10)


# DynamoDB's transient answers: throttling, an internal error, a conflicting transaction. A
# call answered so (after the SDK's own retries) is tried again with exponential backoff and
# full jitter; a cancelled transaction only when no item's condition failed.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
RETRYABLE_REASONS = frozenset(
    {"None", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "InternalServerError"}
)


@dataclass(frozen=True)
class Backoff:
    """``attempts`` tries in all; before try n+1 a random wait of up to ``base_s * 2**n``
    seconds, never more than ``cap_s``."""

    attempts: int = 8
    base_s: float = 0.05
    cap_s: float = 2.0

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        return min(self.cap_s, self.base_s * 2**attempt) * rng()


RETRY = Backoff()


def transient(exc: BaseException) -> bool:
    """Is this a DynamoDB answer worth trying the same call again for?"""
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "TransactionCanceledException":
        reasons = exc.response.get("CancellationReasons") or []
        codes = {str(reason.get("Code") or "None") for reason in reasons}
        return bool(codes) and codes <= RETRYABLE_REASONS and codes != {"None"}
    return code in RETRYABLE_CODES


class RetryingClient:
    """A DynamoDB client whose calls are tried again (``backoff``) while DynamoDB answers a
    transient error; the last answer is raised as it came. Every write of the store may be
    repeated: each is conditional or sets the same values again."""

    def __init__(
        self, client: Any, backoff: Backoff | None = None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._wrapped = client
        self._given = backoff  # None: the module's RETRY, read at each call
        self._sleep = sleep

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._wrapped, name)
        if name.startswith("_") or not callable(value):
            return value  # exceptions, meta

        def call(*args: Any, **kwargs: Any) -> Any:
            backoff = self._given or RETRY
            for attempt in range(backoff.attempts):
                try:
                    return value(*args, **kwargs)
                except Exception as exc:
                    if attempt + 1 >= backoff.attempts or not transient(exc):
                        raise
                self._sleep(backoff.delay(attempt))
            raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

        return call


class StoreError(GroupAuditError):
    """A store operation failed in a way the caller must handle (not a transient error)."""


class StaleAudit(StoreError):
    """A newer audit of the group has already been stored; this one must not overwrite it."""


class StoreConflict(StoreError):
    """DynamoDB cancelled a write for a reason other than a newer audit (a conflicting
    transaction, throttling): nothing of the batch was written; trying again may succeed."""


class BadCursor(StoreError):
    """A pagination cursor that this store did not issue."""


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
_NO_NEWER_AUDIT = (
    "attribute_not_exists(last_audited_ts) OR last_audited_ts <= :ts OR last_audited_ts > :future"
)
_FAR_FUTURE = datetime(2999, 12, 31, tzinfo=UTC)


def _group_pk(tenant: str, group: str) -> str:
    return f"TENANT#{tenant}#GROUP#{group}"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    return {"N": repr(value) if isinstance(value, float) else str(value)}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as plain Python (S, N, BOOL, NULL, L, M)."""
    return {key: _value(value) for key, value in item.items()}


def _value(value: dict[str, Any]) -> Any:
    ((kind, inner),) = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        number = float(inner)
        return int(number) if number.is_integer() else number
    if kind == "BOOL":
        return inner
    if kind == "NULL":
        return None
    if kind == "L":
        return [_value(v) for v in inner]
    if kind == "M":
        return _plain(inner)
    if kind == "SS":
        return sorted(inner)
    raise StoreError(f"unsupported DynamoDB type {kind}")


@dataclass
class SyncResult:
    new: list[str] = field(default_factory=list)
    still_open: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)


class Store:
    """The table, through a client whose calls are retried on DynamoDB's transient errors
    (:class:`RetryingClient`)."""

    def __init__(
        self, table_name: str, client: Any = None, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.table = table_name
        self._sleep = sleep
        self._client = RetryingClient(client, sleep=sleep) if client is not None else None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = RetryingClient(boto3.client("dynamodb"), sleep=self._sleep)
        return self._client

    # --- low-level helpers -----------------------------------------------------------------

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a query, page by page (each page's call retried on its own)."""
        start: dict[str, Any] | None = None
        while True:
            more = {"ExclusiveStartKey": start} if start else {}
            page = self.client.query(TableName=self.table, **kwargs, **more)
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem, 25 requests a call; what DynamoDB leaves unprocessed is sent again
        after an exponential backoff (``RETRY``), and a StoreError names how many requests were
        still unprocessed after the last attempt."""
        for start in range(0, len(requests), BATCH_ITEMS):
            pending = {self.table: requests[start : start + BATCH_ITEMS]}
            for attempt in range(RETRY.attempts):
                answer = self.client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
                if attempt + 1 < RETRY.attempts:
                    self._sleep(RETRY.delay(attempt))
            else:
                left = sum(len(items) for items in pending.values())
                raise StoreError(
                    f"DynamoDB left {left} of {len(requests[start : start + BATCH_ITEMS])} batch writes "
                    f"unprocessed after {RETRY.attempts} attempts"
                )

    # --- the group registry ------------------------------------------------------------------

    def put_group(self, registration: GroupRegistration) -> None:
        self.put_groups([registration])

    def put_groups(self, registrations: list[GroupRegistration]) -> None:
        """Register (or replace) groups, 25 items a request; each tenant is listed once."""
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "PK": _s(f"TENANT#{r.tenant_id}"),
                        "SK": _s(f"GROUP#{r.group_id}"),
                        "type": _s("group"),
                        "registration": _s(r.model_dump_json()),
                    }
                }
            }
            for r in registrations
        ]
        requests += [
            {"PutRequest": {"Item": {"PK": _s("TENANTS"), "SK": _s(f"TENANT#{t}"), "tenant_id": _s(t)}}}
            for t in sorted({r.tenant_id for r in registrations})
        ]
        self._batch_write(requests)

    def get_group(self, tenant: str, group: str) -> GroupRegistration | None:
        answer = self.client.get_item(
            TableName=self.table,
            Key={"PK": _s(f"TENANT#{tenant}"), "SK": _s(f"GROUP#{group}")},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return GroupRegistration.model_validate_json(item["registration"]["S"]) if item else None

    def list_groups(self, tenant: str) -> list[GroupRegistration]:
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            ExpressionAttributeValues={":pk": _s(f"TENANT#{tenant}"), ":sk": _s("GROUP#")},
        )
        return [GroupRegistration.model_validate_json(item["registration"]["S"]) for item in items]

    def delete_group(self, tenant: str, group: str) -> bool:
        answer = self.client.delete_item(
            TableName=self.table,
            Key={"PK": _s(f"TENANT#{tenant}"), "SK": _s(f"GROUP#{group}")},
            ReturnValues="ALL_OLD",
        )
        return "Attributes" in answer

    def list_tenants(self) -> list[str]:
        items = self._query(
            KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": _s("TENANTS")}
        )
        return [item["tenant_id"]["S"] for item in items]

    # --- audit requests and runs -------------------------------------------------------------

    def create_audit(
        self, tenant: str, audit_id: str, group_ids: list[str], trigger: str, requested_at: datetime
    ) -> str:
        """Record an audit request: 'created'; or, for a retried request, 'queued' when its
        messages were all sent already, 'pending' when a previous attempt did not finish."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "PK": _s(f"TENANT#{tenant}"),
                    "SK": _s(f"AUDIT#{audit_id}"),
                    "type": _s("audit"),
                    "audit_id": _s(audit_id),
                    "trigger": _s(trigger),
                    "requested_at": _s(requested_at.isoformat()),
                    "groups": {"L": [_s(g) for g in group_ids]},
                    "groups_total": _n(len(group_ids)),
                    "groups_done": _n(0),
                    "groups_failed": _n(0),
                    "groups_skipped": _n(0),
                    "findings_total": _n(0),
                    "expires_at": _n(int((requested_at + RUN_TTL).timestamp())),
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            existing = self.client.get_item(
                TableName=self.table,
                Key={"PK": _s(f"TENANT#{tenant}"), "SK": _s(f"AUDIT#{audit_id}")},
                ConsistentRead=True,
            ).get("Item", {})
            return "queued" if existing.get("queued", {}).get("BOOL") else "pending"
        return "created"

    def mark_audit_queued(self, tenant: str, audit_id: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key={"PK": _s(f"TENANT#{tenant}"), "SK": _s(f"AUDIT#{audit_id}")},
            UpdateExpression="SET queued = :yes",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    def get_audit(self, tenant: str, audit_id: str) -> dict[str, Any] | None:
        answer = self.client.get_item(
            TableName=self.table,
            Key={"PK": _s(f"TENANT#{tenant}"), "SK": _s(f"AUDIT#{audit_id}")},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        if not item:
            return None
        audit = _plain(item)
        runs = [self.get_run(tenant, group, audit_id) for group in audit["groups"]]
        audit["runs"] = [run for run in runs if run is not None]
        return audit

    def get_run(self, tenant: str, group: str, audit_id: str) -> dict[str, Any] | None:
        answer = self.client.get_item(
            TableName=self.table,
            Key={"PK": _s(_group_pk(tenant, group)), "SK": _s(f"RUN#{audit_id}")},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        if not item:
            return None
        run = _plain(item)
        run["counts"] = json.loads(run.pop("counts_json", "{}"))
        return run

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
            "PK": _s(_group_pk(tenant, group)),
            "SK": _s(f"RUN#{audit_id}"),
            "type": _s("run"),
            "audit_id": _s(audit_id),
            "group_id": _s(group),
            "status": _s(run["status"]),
            "finished_at": _s(run["finished_at"]),
            "duration_ms": _n(int(run["duration_ms"])),
            "findings": _n(int(run.get("findings", 0))),
            "counts_json": _s(json.dumps(run.get("counts", {}), ensure_ascii=False, sort_keys=True)),
            "expires_at": _n(int((audited + RUN_TTL).timestamp())),
        }
        for key in ("error", "snapshot_taken_at", "audited_at", "notice", "pull"):
            if run.get(key) is not None:
                item[key] = _s(str(run[key]))
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
                "Key": {"PK": _s(f"TENANT#{tenant}"), "SK": _s(f"AUDIT#{audit_id}")},
                "UpdateExpression": (
                    "ADD groups_done :one, groups_failed :failed, groups_skipped :skipped, findings_total :n"
                ),
                "ConditionExpression": "attribute_exists(PK)",
                "ExpressionAttributeValues": {
                    ":one": _n(1),
                    ":failed": _n(1 if status == "failed" else 0),
                    ":skipped": _n(1 if status == "skipped" else 0),
                    ":n": _n(int(run.get("findings", 0))),
                },
            }
        }
        try:
            self.client.transact_write_items(TransactItems=[record, count])
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons") or []
            codes = [str(reason.get("Code") or "None") for reason in reasons]
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

    # --- findings ----------------------------------------------------------------------------

    def begin_group_audit(
        self, tenant: str, group: str, audited_at: datetime, latest_valid: datetime | None = None
    ) -> None:
        """Claim the group for an audit as of ``audited_at``; StaleAudit if a newer one ran.
        A stored audit time after ``latest_valid`` is not newer: it is overwritten."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"PK": _s(_group_pk(tenant, group)), "SK": _s("STATE")},
                UpdateExpression="SET last_audited_ts = :ts, last_audited_at = :at",
                ConditionExpression=_NO_NEWER_AUDIT,
                ExpressionAttributeValues={
                    ":ts": _n(audited_at.timestamp()),
                    ":at": _s(audited_at.isoformat()),
                    ":future": _n((latest_valid or _FAR_FUTURE).timestamp()),
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise StaleAudit(f"group {group} has a newer audit than {audited_at.isoformat()}") from None

    def group_findings(self, tenant: str, group: str) -> dict[str, dict[str, Any]]:
        """Every stored finding of the group (open and resolved), by finding id."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            ExpressionAttributeValues={":pk": _s(_group_pk(tenant, group)), ":sk": _s("FINDING#")},
            ConsistentRead=True,
            # overturned_at: an appeal overturned it (supervision/), its group is not told again
            ProjectionExpression=(
                "SK, finding_id, #s, notified_at, first_notified_at, first_seen, overturned_at"
            ),
            ExpressionAttributeNames={"#s": "status"},
        )
        return {item["finding_id"]["S"]: _plain(item) for item in items}

    def sync_findings(
        self,
        tenant: str,
        group: str,
        audit_id: str,
        audited_at: datetime,
        findings: Iterable[Finding],
        stored: dict[str, dict[str, Any]],
        latest_valid: datetime | None = None,
    ) -> SyncResult:
        """Open or refresh every current finding; resolve the open ones no longer seen.

        StaleAudit when a newer audit of the group claimed it (``begin_group_audit``) first;
        StoreConflict when DynamoDB cancelled a batch for any other reason (retry the run)."""
        result = SyncResult()
        pk = _s(_group_pk(tenant, group))
        future = _n((latest_valid or _FAR_FUTURE).timestamp())
        common = {
            ":at": _s(audited_at.isoformat()),
            ":aid": _s(audit_id),
            ":ts": _n(audited_at.timestamp()),
            ":future": future,
        }
        updates: list[dict[str, Any]] = []
        current: set[str] = set()
        for finding in findings:
            current.add(finding.id)
            previous = stored.get(finding.id)
            if previous is None:
                result.new.append(finding.id)
            elif previous.get("status") == "resolved":
                result.reopened.append(finding.id)
            else:
                result.still_open.append(finding.id)
            values = {
                **common,
                ":id": _s(finding.id),
                ":rule": _s(finding.rule),
                ":kind": _s(finding.kind or "-"),
                ":sev": _s(finding.severity),
                ":subj": _s(finding.subject_id),
                ":open": _s("open"),
                ":json": _s(msgspec.json.encode(finding).decode()),
                ":g1pk": _s(f"TENANT#{tenant}#MEMBER#{finding.subject_id}"),
                ":g1sk": _s(f"{audited_at.isoformat()}#{finding.id}"),
            }
            key = {"PK": pk, "SK": _s(f"FINDING#{finding.rule}#{finding.id}")}
            updates.append(self._update(key, _OPEN_FINDING, _NEWER_ONLY, values))
        expiry = _n(int((audited_at + RESOLVED_TTL).timestamp()))
        for finding_id, previous in stored.items():
            if finding_id in current or previous.get("status") != "open":
                continue
            result.resolved.append(finding_id)
            values = {**common, ":resolved": _s("resolved"), ":open": _s("open"), ":exp": expiry}
            key = {"PK": pk, "SK": _s(previous["SK"])}
            updates.append(self._update(key, _RESOLVE_FINDING, _STILL_OPEN_AND_NEWER_ONLY, values))
        guard = {
            "ConditionCheck": {
                "TableName": self.table,
                "Key": {"PK": pk, "SK": _s("STATE")},
                "ConditionExpression": _NO_NEWER_AUDIT,
                "ExpressionAttributeValues": {":ts": common[":ts"], ":future": future},
            }
        }
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
                Key={"PK": _s(_group_pk(tenant, group)), "SK": _s(f"FINDING#{rule}#{finding_id}")},
                UpdateExpression=(
                    "SET notified_at = :at, first_notified_at = if_not_exists(first_notified_at, :at) "
                    "ADD notify_count :one"
                ),
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues={":at": _s(at.isoformat()), ":one": _n(1)},
            )

    def list_findings(
        self, tenant: str, group: str, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the group's findings, newest rule order; ``cursor`` continues."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :sk)",
            "ExpressionAttributeValues": {":pk": _s(_group_pk(tenant, group)), ":sk": _s("FINDING#")},
        }
        if status:
            kwargs["FilterExpression"] = "#s = :status"
            kwargs["ExpressionAttributeNames"] = {"#s": "status"}
            kwargs["ExpressionAttributeValues"][":status"] = _s(status)
        start = _decode_cursor(cursor, tenant, group) if cursor else None
        page: list[dict[str, Any]] = []
        while True:
            call = dict(kwargs, TableName=self.table, Limit=max(limit - len(page), 1) * 2)
            if start:
                call["ExclusiveStartKey"] = start
            answer = self.client.query(**call)
            items = answer.get("Items", [])
            for position, item in enumerate(items):
                page.append(_public_finding(item))
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

    def member_history(self, tenant: str, member: str) -> list[dict[str, Any]]:
        items = self._query(
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues={":pk": _s(f"TENANT#{tenant}#MEMBER#{member}")},
        )
        return [_public_finding(item) for item in items]

    # --- notices -----------------------------------------------------------------------------

    def claim_notice(self, tenant: str, group: str, audit_id: str, now: datetime, lease: timedelta) -> str:
        """'claimed' to send now, 'sent' if this run's notice went out already, 'busy' if
        another delivery holds an unexpired claim. A new claim keeps ``parts_sent`` (how many
        parts of a split digest went out before a failure), so a retry resumes after them."""
        key = {"PK": _s(_group_pk(tenant, group)), "SK": _s(f"NOTICE#{audit_id}")}
        try:
            self.client.update_item(
                TableName=self.table,
                Key=key,
                UpdateExpression=(
                    "SET #t = :type, #s = :sending, lease_until = :lease, "
                    "expires_at = if_not_exists(expires_at, :expires) ADD attempts :one"
                ),
                ConditionExpression=(
                    # a record without status holds only the tenant pass's addendum: unclaimed
                    "attribute_not_exists(#s) OR #s = :failed OR (#s = :sending AND lease_until < :now)"
                ),
                ExpressionAttributeNames={"#s": "status", "#t": "type"},
                ExpressionAttributeValues={
                    ":type": _s("notice"),
                    ":failed": _s("failed"),
                    ":sending": _s("sending"),
                    ":lease": _n(int((now + lease).timestamp())),
                    ":expires": _n(int((now + RUN_TTL).timestamp())),
                    ":one": _n(1),
                    ":now": _n(int(now.timestamp())),
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            answer = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
            status = answer.get("Item", {}).get("status", {}).get("S")
            return "sent" if status in ("sent", "dry_run") else "busy"
        return "claimed"

    def notice_parts_sent(self, tenant: str, group: str, audit_id: str) -> int:
        notice = self.get_notice(tenant, group, audit_id) or {}
        return int(notice.get("parts_sent", 0))

    def record_notice_part(self, tenant: str, group: str, audit_id: str, parts_sent: int) -> None:
        """``parts_sent`` parts of the notice's digest were accepted by the platform."""
        self.client.update_item(
            TableName=self.table,
            Key={"PK": _s(_group_pk(tenant, group)), "SK": _s(f"NOTICE#{audit_id}")},
            UpdateExpression="SET parts_sent = :n",
            ExpressionAttributeValues={":n": _n(parts_sent)},
        )

    def finish_notice(
        self, tenant: str, group: str, audit_id: str, status: str, at: datetime, detail: str | None = None
    ) -> None:
        values: dict[str, Any] = {":s": _s(status), ":at": _s(at.isoformat())}
        expression = "SET #s = :s, finished_at = :at"
        if detail:
            expression += ", detail = :d"
            values[":d"] = _s(detail[:1000])
        self.client.update_item(
            TableName=self.table,
            Key={"PK": _s(_group_pk(tenant, group)), "SK": _s(f"NOTICE#{audit_id}")},
            UpdateExpression=expression,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )

    def get_notice(self, tenant: str, group: str, audit_id: str) -> dict[str, Any] | None:
        answer = self.client.get_item(
            TableName=self.table,
            Key={"PK": _s(_group_pk(tenant, group)), "SK": _s(f"NOTICE#{audit_id}")},
            ConsistentRead=True,
        )
        return _plain(answer["Item"]) if "Item" in answer else None

    # --- webhook replay protection -----------------------------------------------------------

    def remember_signature(
        self, tenant: str, signature: str, now: datetime, ttl: timedelta = NONCE_TTL
    ) -> bool:
        """True the first time a signature is seen; remembered for ``ttl``, which must cover
        the whole window in which its timestamp is accepted (twice the tolerance)."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "PK": _s(f"NONCE#{tenant}"),
                    "SK": _s(signature),
                    "expires_at": _n(int((now + ttl).timestamp())),
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # --- robot send rates, shared by every concurrent notifier ------------------------------

    def take_send_slot(self, key: str, windows: Iterable[tuple[int, float]], now: float) -> float:
        """Takes a send slot for robot ``key`` if every window ``(limit, seconds)`` allows one
        more send at ``now`` (epoch seconds) and the robot is not blocked: returns 0. Otherwise
        returns how many seconds to wait. The item keeps the last sends (a sliding log, exact
        for "at most N in any W seconds") and a version, and is written conditionally on that
        version: two notifiers never take the same slot."""
        windows = sorted(windows, key=lambda w: w[1])
        longest = max((seconds for _, seconds in windows), default=0.0)
        keep = max((limit for limit, _ in windows), default=1)
        item_key = {"PK": _s(f"RATE#{key}"), "SK": _s("RATE")}
        while True:
            item = self.client.get_item(TableName=self.table, Key=item_key, ConsistentRead=True).get(
                "Item", {}
            )
            version = int(item["version"]["N"]) if "version" in item else 0
            blocked_until = float(item["blocked_until"]["N"]) if "blocked_until" in item else 0.0
            logged = sorted(float(value["N"]) for value in item.get("sent", {}).get("L", []))
            sent = [t for t in logged if t > now - longest]
            wait = max(0.0, blocked_until - now)
            for limit, seconds in windows:
                recent = [t for t in sent if t > now - seconds]
                if len(recent) >= limit:
                    wait = max(wait, recent[-limit] + seconds - now)
            if wait > 0:
                return wait
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item={
                        **item_key,
                        "type": _s("rate"),
                        "sent": {"L": [_n(t) for t in [*sent, now][-keep:]]},
                        "version": _n(version + 1),
                        "blocked_until": _n(blocked_until),
                        "expires_at": _n(int(now + longest + 86_400)),
                    },
                    ConditionExpression="attribute_not_exists(PK) OR version = :v",
                    ExpressionAttributeValues={":v": _n(version)},
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                continue  # another notifier took a slot meanwhile: look again
            return 0.0

    def block_sends(self, key: str, until: float) -> None:
        """The platform throttled robot ``key``: nobody sends through it before ``until``
        (epoch seconds). A later block is never shortened by an earlier one."""
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.update_item(
                TableName=self.table,
                Key={"PK": _s(f"RATE#{key}"), "SK": _s("RATE")},
                UpdateExpression="SET blocked_until = :until, #t = :type ADD version :one",
                ConditionExpression="attribute_not_exists(blocked_until) OR blocked_until < :until",
                ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues={":until": _n(until), ":type": _s("rate"), ":one": _n(1)},
            )


def _cancelled(exc: Any, group: str) -> StoreError:
    """What a cancelled findings transaction means, from DynamoDB's ``CancellationReasons``
    (one per item, in order; the guard is the first)."""
    reasons = exc.response.get("CancellationReasons") or []
    codes = [str(reason.get("Code") or "None") for reason in reasons]
    if codes and codes[0] == "ConditionalCheckFailed":
        return StaleAudit(f"a newer audit of group {group} was stored first")
    causes = sorted({code for code in codes if code != "None"}) or ["no reason given"]
    return StoreConflict(
        f"DynamoDB cancelled writing the findings of group {group} ({', '.join(causes)}); to be retried"
    )


_PUBLIC = (
    "finding_id",
    "rule",
    "kind",
    "severity",
    "subject_id",
    "status",
    "first_seen",
    "last_seen",
    "resolved_at",
    "notified_at",
    "last_audit_id",
)


def _public_finding(item: dict[str, Any]) -> dict[str, Any]:
    plain = _plain(item)
    out = {key: plain.get(key) for key in _PUBLIC}
    out["finding"] = json.loads(plain["finding"]) if "finding" in plain else None
    return out


def _encode_cursor(item: dict[str, Any]) -> str:
    key = {"PK": item["PK"]["S"], "SK": item["SK"]["S"]}
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, tenant: str, group: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        pk, sk = key["PK"], key["SK"]
    except (ValueError, KeyError, TypeError):
        raise BadCursor("invalid cursor") from None
    if pk != _group_pk(tenant, group) or not isinstance(sk, str) or not sk.startswith("FINDING#"):
        raise BadCursor("cursor belongs to another listing")
    return {"PK": _s(pk), "SK": _s(sk)}

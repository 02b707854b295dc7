"""The discipline ledger and appeals in the single table (key shapes in docs/SUPERVISION.md).

Items (``t`` the tenant; times in keys are UTC ISO 8601, so they sort):

| item | PK | SK |
|---|---|---|
| entry (current state) | ``TENANT#t#ENTRY#<entry id>`` | ``HEAD`` |
| entry event | ``TENANT#t#ENTRY#<entry id>`` | ``EVENT#<seq, 6 digits>`` |
| a person's entry (copy) | ``TENANT#t#PERSON#<person id>`` | ``ENTRY#<occurred at>#<entry id>`` |
| a month's entry (copy) | ``TENANT#t#LEDGER#<YYYY-MM>`` | ``<occurred at>#<entry id>`` |
| appeal (current state) | ``TENANT#t#APPEAL#<appeal id>`` | ``HEAD`` |
| appeal event | ``TENANT#t#APPEAL#<appeal id>`` | ``EVENT#<seq, 6 digits>`` |
| a month's appeal (copy) | ``TENANT#t#APPEALS#<YYYY-MM>`` | ``<filed at>#<appeal id>`` |
| open appeal (pointer) | ``TENANT#t#APPEALS#OPEN`` | ``<answer due>#<appeal id>`` |

The month of an entry is the month its violation happened in, of an appeal the month it was
filed in (both in the policy calendar's zone): a month's entries or appeals of a tenant are one
Query of one partition, and a person's history (what the ladder counts) one Query of theirs; no
Scan and no secondary index. The copies are written in the same transaction as the state.
Open appeals sorted by answer deadline make "overdue now" one Query; a decided appeal's pointer
is marked closed and expires a day later (TTL ``expires_at``).

Every change is one transaction of Update items: the new event only if its ``seq`` is free
(events are never overwritten), the state only if still at the version the change was computed
from; a concurrent change cancels the transaction (:class:`ChangedMeanwhile`). Nothing else of
the ledger or of appeals expires: they are the supervision record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

import msgspec

from groupaudit.adapters.storage.dynamo import Table, plain, record, s
from groupaudit.discipline.appeals import Appeal
from groupaudit.discipline.errors import StateConflict
from groupaudit.discipline.ledger import Entry, Event


class ChangedMeanwhile(StateConflict):
    """Another change to the same entry or appeal was stored first: read it again and retry."""


class AppealedFinding(msgspec.Struct, frozen=True, kw_only=True):
    """A stored finding as an appeal reads it: the findings store's item (``SK``, its subject,
    lifecycle and whether an appeal overturned it) with the finding itself decoded."""

    sk: str = msgspec.field(name="SK")
    finding_id: str
    subject_id: str
    status: str | None = None  # open | resolved
    first_notified_at: str | None = None
    overturned_at: str | None = None
    overturned_by_appeal: str | None = None
    finding: dict[str, Any] | None = None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    return value


def _dump(record: Any) -> str:
    return json.dumps(_encode(asdict(record)), ensure_ascii=False, sort_keys=True)


def _times(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for spec in fields(cls):
        timed = spec.name.endswith("_at") or spec.name in ("at", "window_deadline", "answer_due")
        if timed and isinstance(out.get(spec.name), str):
            out[spec.name] = datetime.fromisoformat(out[spec.name])
    return out


def load_entry(text: str) -> Entry:
    return Entry(**_times(Entry, json.loads(text)))


def load_appeal(text: str) -> Appeal:
    return Appeal(**_times(Appeal, json.loads(text)))


def load_event(text: str) -> Event:
    return Event(**_times(Event, json.loads(text)))


def entry_pk(tenant: str, entry_id: str) -> str:
    return f"TENANT#{tenant}#ENTRY#{entry_id}"


def appeal_pk(tenant: str, appeal_id: str) -> str:
    return f"TENANT#{tenant}#APPEAL#{appeal_id}"


def _open_pk(tenant: str) -> str:
    return f"TENANT#{tenant}#APPEALS#OPEN"


class LedgerStore:
    """Entries, appeals and their events in the audit table (:mod:`groupaudit.adapters.storage`)."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table = table_name
        self.client = client

    @classmethod
    def over(cls, store: Table) -> LedgerStore:
        """The ledger in the same table, through the same client, as ``store``."""
        return cls(store.table, store.client)

    # --- reading ---------------------------------------------------------------------------

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("query")
        for page in paginator.paginate(TableName=self.table, **kwargs):
            yield from page.get("Items", [])

    def _head(self, pk: str) -> dict[str, Any] | None:
        answer = self.client.get_item(
            TableName=self.table, Key={"PK": s(pk), "SK": s("HEAD")}, ConsistentRead=True
        )
        return answer.get("Item")

    def get_entry(self, tenant: str, entry_id: str) -> Entry | None:
        item = self._head(entry_pk(tenant, entry_id))
        return load_entry(item["record"]["S"]) if item else None

    def get_entries(self, tenant: str, entry_ids: Iterable[str]) -> dict[str, Entry]:
        """The stored entries among ``entry_ids``, by id (one GetItem each: an audit has few
        findings of sanctioned kinds)."""
        found: dict[str, Entry] = {}
        for entry_id in sorted(set(entry_ids)):
            entry = self.get_entry(tenant, entry_id)
            if entry is not None:
                found[entry_id] = entry
        return found

    def person_entries(self, tenant: str, person: str) -> list[Entry]:
        """Every entry of a person (what the ladder counts from), oldest violation first."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            ExpressionAttributeValues={":pk": s(f"TENANT#{tenant}#PERSON#{person}"), ":sk": s("ENTRY#")},
            ConsistentRead=True,
        )
        return [load_entry(item["record"]["S"]) for item in items]

    def month_entries(self, tenant: str, month: str) -> list[Entry]:
        """The entries whose violation happened in ``month`` (YYYY-MM), in time order."""
        items = self._query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": s(f"TENANT#{tenant}#LEDGER#{month}")},
        )
        return [load_entry(item["record"]["S"]) for item in items]

    def events(self, pk: str) -> list[Event]:
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            ExpressionAttributeValues={":pk": s(pk), ":sk": s("EVENT#")},
            ConsistentRead=True,
        )
        return [load_event(item["event"]["S"]) for item in items]

    def entry_events(self, tenant: str, entry_id: str) -> list[Event]:
        return self.events(entry_pk(tenant, entry_id))

    def appeal_events(self, tenant: str, appeal_id: str) -> list[Event]:
        return self.events(appeal_pk(tenant, appeal_id))

    def get_appeal(self, tenant: str, appeal_id: str) -> Appeal | None:
        item = self._head(appeal_pk(tenant, appeal_id))
        return load_appeal(item["record"]["S"]) if item else None

    def month_appeals(self, tenant: str, month: str) -> list[Appeal]:
        items = self._query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": s(f"TENANT#{tenant}#APPEALS#{month}")},
        )
        return [load_appeal(item["record"]["S"]) for item in items]

    def open_appeals_due_before(self, tenant: str, now: datetime) -> list[Appeal]:
        """Open appeals whose answer deadline is before ``now`` (one query, deadline order)."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND SK < :now",
            ExpressionAttributeValues={":pk": s(_open_pk(tenant)), ":now": s(_utc(now))},
            ConsistentRead=True,
        )
        ids = [item["appeal_id"]["S"] for item in items if item.get("status", {}).get("S") == "filed"]
        appeals = [self.get_appeal(tenant, appeal_id) for appeal_id in ids]
        return [appeal for appeal in appeals if appeal is not None]

    def find_finding(self, tenant: str, group: str, finding_id: str) -> AppealedFinding | None:
        """The stored finding (the findings store's item, its ``finding`` decoded), or None; a
        StoreError when the item does not read as one."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            FilterExpression="finding_id = :id",
            ExpressionAttributeValues={
                ":pk": s(f"TENANT#{tenant}#GROUP#{group}"),
                ":sk": s("FINDING#"),
                ":id": s(finding_id),
            },
            ConsistentRead=True,
        )
        for item in items:
            found = plain(item)
            found["finding"] = json.loads(found["finding"]) if "finding" in found else None
            return record(found, AppealedFinding, f"finding {finding_id} of group {group}")
        return None

    # --- writing ---------------------------------------------------------------------------
    # Transactions hold Update items only (an Update creates a missing item): the functions'
    # grants cover UpdateItem and ConditionCheckItem for transactions, nothing else.

    def _upsert(
        self,
        pk: str,
        sk: str,
        attrs: dict[str, Any],
        condition: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        names = {f"#a{n}": name for n, name in enumerate(attrs)}
        vals = {f":a{n}": value for n, value in enumerate(attrs.values())}
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"PK": s(pk), "SK": s(sk)},
            "UpdateExpression": "SET " + ", ".join(f"#a{n} = :a{n}" for n in range(len(attrs))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {**vals, **(values or {})},
        }
        if condition:
            update["ConditionExpression"] = condition
        return {"Update": update}

    def _versioned(self, pk: str, attrs: dict[str, Any], previous: int | None) -> dict[str, Any]:
        if previous is None:
            return self._upsert(pk, "HEAD", attrs, "attribute_not_exists(PK)")
        return self._upsert(pk, "HEAD", attrs, "version = :prev", {":prev": {"N": str(previous)}})

    def _event(self, pk: str, event: Event) -> dict[str, Any]:
        attrs = {"type": s("supervision_event"), "event": s(_dump(event))}
        return self._upsert(pk, f"EVENT#{event.seq:06d}", attrs, "attribute_not_exists(PK)")

    def _entry_items(self, entry: Entry, event: Event, month: str, previous: int | None) -> list[dict]:
        tenant, pk = entry.tenant_id, entry_pk(entry.tenant_id, entry.entry_id)
        record = s(_dump(entry))
        order = f"{_utc(entry.occurred_at)}#{entry.entry_id}"
        head = {
            "type": s("ledger_entry"),
            "record": record,
            "status": s(entry.status),
            "subject_id": s(entry.subject_id),
            "version": {"N": str(entry.version)},
        }
        copy = {"type": s("ledger_copy"), "record": record, "status": s(entry.status)}
        return [
            self._versioned(pk, head, previous),
            self._event(pk, event),
            self._upsert(f"TENANT#{tenant}#PERSON#{entry.subject_id}", f"ENTRY#{order}", copy),
            self._upsert(f"TENANT#{tenant}#LEDGER#{month}", order, copy),
        ]

    def _transact(self, items: list[dict[str, Any]], what: str) -> None:
        try:
            self.client.transact_write_items(TransactItems=items)
        except self.client.exceptions.TransactionCanceledException as exc:
            raise ChangedMeanwhile(f"{what} was changed meanwhile; read it again and retry") from exc

    def create_entries(self, entries: list[tuple[Entry, Event, str]]) -> list[str]:
        """Store new entries (entry, its ``proposed`` event, its month) unless they exist: the
        ids created. An entry stored meanwhile by another run is left as it is."""
        created = []
        for entry, event, month in entries:
            try:
                self.client.transact_write_items(TransactItems=self._entry_items(entry, event, month, None))
            except self.client.exceptions.TransactionCanceledException:
                continue  # stored already (a redelivered or concurrent audit): one entry per finding
            created.append(entry.entry_id)
        return created

    def entry_items(self, entry: Entry, event: Event, month: str, previous: int) -> list[dict[str, Any]]:
        """The transaction items of an entry's change from version ``previous``."""
        return self._entry_items(entry, event, month, previous)

    def change_entry(self, entry: Entry, event: Event, month: str, previous: int) -> None:
        """Store the entry's new state and its event, if nobody changed it since ``previous``."""
        self._transact(self._entry_items(entry, event, month, previous), f"entry {entry.entry_id}")

    def appeal_items(
        self, appeal: Appeal, event: Event, month: str, previous: int | None
    ) -> list[dict[str, Any]]:
        tenant, pk = appeal.tenant_id, appeal_pk(appeal.tenant_id, appeal.appeal_id)
        record = s(_dump(appeal))
        head = {
            "type": s("appeal"),
            "record": record,
            "status": s(appeal.status),
            "version": {"N": str(appeal.version)},
            "month": s(month),
        }
        copy = {"type": s("appeal_copy"), "record": record, "status": s(appeal.status)}
        items = [
            self._versioned(pk, head, previous),
            self._event(pk, event),
            self._upsert(
                f"TENANT#{tenant}#APPEALS#{month}", f"{_utc(appeal.filed_at)}#{appeal.appeal_id}", copy
            ),
        ]
        if appeal.answer_due is not None:
            pointer = {
                "type": s("open_appeal"),
                "appeal_id": s(appeal.appeal_id),
                "status": s(appeal.status),
            }
            if appeal.status != "filed":  # closed: the pointer expires (TTL) and is filtered out meanwhile
                pointer["expires_at"] = {"N": str(int(event.at.timestamp()) + 86_400)}
            sk = f"{_utc(appeal.answer_due)}#{appeal.appeal_id}"
            items.append(self._upsert(_open_pk(tenant), sk, pointer))
        return items

    def store_appeal(
        self, appeal: Appeal, event: Event, month: str, previous: int | None, extra: list[dict] | None = None
    ) -> None:
        items = self.appeal_items(appeal, event, month, previous) + (extra or [])
        self._transact(items, f"appeal {appeal.appeal_id}")

    def mark_finding_overturned(
        self, tenant: str, group: str, sk: str, appeal_id: str, at: datetime
    ) -> dict[str, Any]:
        """The transaction item that marks a stored finding overturned (kept by later audits,
        which touch only the lifecycle fields)."""
        return self._upsert(
            f"TENANT#{tenant}#GROUP#{group}",
            sk,
            {"overturned_at": s(at.isoformat()), "overturned_by_appeal": s(appeal_id)},
            "attribute_exists(PK)",
        )

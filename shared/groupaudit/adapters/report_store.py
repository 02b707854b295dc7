"""The monthly report's storage in the single table: the audits' rollups and the reports made.

| item | PK | SK |
|---|---|---|
| a group's month (rollup) | ``TENANT#t#ROLLUP#<YYYY-MM>`` | ``GROUP#<group id>`` |
| a report made | ``TENANT#t#REPORTS`` | ``<YYYY-MM>`` |

A rollup item is written by every audit of the group (one ``UpdateItem`` per month the audit
touches) and read by the report with one Query of the month's partition: no Scan, no item per
audit. Every write is idempotent, so a redelivered or retried audit counts once:

- ``A`` (string set): the ids of the audits counted; ``ADD`` of an id already there is nothing.
- ``F`` (string set): the month's distinct findings, ``rule<TAB>severity<TAB>subject<TAB>id``.
- ``dDD`` (map, one per local day ``DD``): the day's last audit: ``a`` its id, ``m`` members,
  ``i`` the inactive members' ids. ``SET``: the same audit sets the same values again.
- ``qDD`` (map, one per local day asked): the settled questions of the day by the person owing
  them, ``[owed, on_time, bucket, count, …]`` (``supervision/report_figures.py``); ``SET`` by
  each audit whose messages cover the day whole, the newest knowledge of the day.
- ``group_name``, ``department``, ``platform``, ``P`` (names of the people the figures name):
  the latest audit's.

A report item keeps the month's summary for the trends of later reports (findings, red lines,
on-time rate, the groups' findings), where its documents are, when it was made and when it was
announced (set once, conditionally: making a month again replaces the documents, announces once).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from groupaudit.adapters.storage.dynamo import Table, n, s
from groupaudit.supervision.report_buckets import AuditFigures, Owed

SEP = "\t"


def rollup_pk(tenant: str, month: str) -> str:
    return f"TENANT#{tenant}#ROLLUP#{month}"


def reports_pk(tenant: str) -> str:
    return f"TENANT#{tenant}#REPORTS"


def finding_token(rule: str, severity: str, subject: str, finding_id: str) -> str:
    for part in (rule, severity, subject, finding_id):
        if SEP in part:
            raise ValueError(f"a tab in a finding's rule, severity, subject or id: {part!r}")
    return SEP.join((rule, severity, subject, finding_id))


@dataclass(frozen=True)
class FindingRef:
    rule: str
    severity: str
    subject_id: str
    finding_id: str


@dataclass
class GroupMonth:
    """One group's rollup of a month, decoded."""

    group_id: str
    name: str = ""
    department: str = ""
    platform: str = ""
    audits: int = 0
    findings: list[FindingRef] = field(default_factory=list)
    last_day: int = 0  # the day of the month of the last audit counted (0: none)
    members: int = 0
    inactive: tuple[str, ...] = ()
    questions: dict[str, Owed] = field(default_factory=dict)  # by person, the month summed
    names: dict[str, str] = field(default_factory=dict)


def _plain(value: dict[str, Any]) -> Any:
    ((kind, inner),) = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        number = float(inner)
        return int(number) if number.is_integer() else number
    if kind in ("SS", "NS"):
        return set(inner)
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind == "NULL":
        return None
    if kind == "BOOL":
        return inner
    raise ValueError(f"unsupported DynamoDB type {kind}")


def _attr(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return s(value)
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return n(value)
    if value is None:
        return {"NULL": True}
    if isinstance(value, list | tuple):
        return {"L": [_attr(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): _attr(v) for k, v in value.items()}}
    raise TypeError(f"cannot store {type(value).__name__}")


def decode_group_month(item: dict[str, Any]) -> GroupMonth:
    """A rollup item as a :class:`GroupMonth`: the month's questions summed per person, the
    last audited day's members."""
    plain = {key: _plain(value) for key, value in item.items()}
    month = GroupMonth(group_id=plain["SK"].removeprefix("GROUP#"))
    month.name = plain.get("group_name", "") or month.group_id
    month.department = plain.get("department", "") or ""
    month.platform = plain.get("platform", "") or ""
    month.audits = len(plain.get("A", ()))
    for token in sorted(plain.get("F", ())):
        rule, severity, subject, finding_id = token.split(SEP)
        month.findings.append(FindingRef(rule, severity, subject, finding_id))
    days = sorted(int(key[1:]) for key in plain if len(key) == 3 and key[0] == "d" and key[1:].isdigit())
    if days:
        last = plain[f"d{days[-1]:02d}"]
        month.last_day = days[-1]
        month.members = int(last.get("m", 0))
        month.inactive = tuple(last.get("i", ()))
    for key, value in plain.items():
        if len(key) == 3 and key[0] == "q" and key[1:].isdigit():
            for person, flat in value.items():
                month.questions.setdefault(person, Owed()).add(Owed.decode(flat))
    month.names = dict(plain.get("P", {}) or {})
    return month


class ReportStore(Table):
    """Reads and writes of the monthly report, through the table's (retrying) client."""

    @classmethod
    def over(cls, store: Table) -> ReportStore:
        """The report's items in the same table, through the same (retrying) client, as ``store``."""
        reports = cls(store.table)
        reports._client = store.client
        return reports

    # --- the worker's write --------------------------------------------------------------

    def add_audit(
        self,
        tenant: str,
        group: str,
        figures: AuditFigures,
        *,
        name: str,
        department: str,
        platform: str,
    ) -> int:
        """Adds one audit's figures to its group's rollups; returns the number of items written
        (the audit's month, and an earlier month whose questions its messages settled)."""
        months: dict[str, dict[int, dict[str, Owed]]] = {}
        for day, people in figures.questions.items():
            months.setdefault(_month(day), {})[day.day] = people
        own = _month(figures.day)
        months.setdefault(own, {})
        for month, question_days in sorted(months.items()):
            names: dict[str, str] = {}
            values: dict[str, Any] = {}
            sets: list[str] = []
            adds: list[str] = []
            attr_names: dict[str, str] = {}
            for number, (day_of_month, people) in enumerate(sorted(question_days.items())):
                attr_names[f"#q{number}"] = f"q{day_of_month:02d}"
                values[f":q{number}"] = _attr({p: o.encode() for p, o in sorted(people.items())})
                sets.append(f"#q{number} = :q{number}")
                names |= {p: figures.names[p] for p in people if p in figures.names}
            sets += ["group_name = :name", "department = :dept", "platform = :platform"]
            values |= {":name": s(name), ":dept": s(department), ":platform": s(platform)}
            if month == own:
                attr_names["#d"] = f"d{figures.day.day:02d}"
                values[":d"] = _attr(
                    {"a": figures.audit_id, "m": figures.members, "i": list(figures.inactive)}
                )
                sets.append("#d = :d")
                values[":audit"] = {"SS": [figures.audit_id]}
                adds.append("A :audit")
                tokens = {finding_token(f.rule, f.severity, f.subject_id, f.id) for f in figures.findings}
                if tokens:
                    values[":findings"] = {"SS": sorted(tokens)}
                    adds.append("F :findings")
                names |= figures.names
            if names:
                values[":people"] = _attr(names)
                sets.append("P = :people")
            expression = "SET " + ", ".join(sets) + (" ADD " + ", ".join(adds) if adds else "")
            self.client.update_item(
                TableName=self.table,
                Key={"PK": s(rollup_pk(tenant, month)), "SK": s(f"GROUP#{group}")},
                UpdateExpression=expression,
                ExpressionAttributeValues=values,
                **({"ExpressionAttributeNames": attr_names} if attr_names else {}),
            )
        return len(months)

    # --- the report's reads --------------------------------------------------------------

    def month_groups(self, tenant: str, month: str) -> Iterator[GroupMonth]:
        """Every group's rollup of the month: one Query of one partition, page by page."""
        for item in self._query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": s(rollup_pk(tenant, month))},
        ):
            yield decode_group_month(item)

    def reports(self, tenant: str, first: str, last: str) -> dict[str, dict[str, Any]]:
        """The reports made for the months ``first`` to ``last`` (YYYY-MM), by month."""
        out: dict[str, dict[str, Any]] = {}
        for item in self._query(
            KeyConditionExpression="PK = :pk AND SK BETWEEN :first AND :last",
            ExpressionAttributeValues={
                ":pk": s(reports_pk(tenant)),
                ":first": s(first),
                ":last": s(last),
            },
        ):
            plain = {key: _plain(value) for key, value in item.items()}
            out[plain["SK"]] = plain
        return out

    # --- the reports made ----------------------------------------------------------------

    def put_report(
        self,
        tenant: str,
        month: str,
        *,
        generated_at: str,
        keys: dict[str, str],
        summary: dict[str, Any],
    ) -> None:
        """Records (or replaces) the month's report: where it is and its summary; the
        announcement already made, if any, is kept."""
        self.client.update_item(
            TableName=self.table,
            Key={"PK": s(reports_pk(tenant)), "SK": s(month)},
            UpdateExpression="SET generated_at = :at, #keys = :keys, summary = :summary",
            ExpressionAttributeNames={"#keys": "keys"},
            ExpressionAttributeValues={
                ":at": s(generated_at),
                ":keys": _attr(keys),
                ":summary": _attr(summary),
            },
        )

    def claim_announcement(self, tenant: str, month: str, at: datetime) -> bool:
        """True once per month: the first caller announces, every later one does not."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"PK": s(reports_pk(tenant)), "SK": s(month)},
                UpdateExpression="SET announced_at = :at",
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(announced_at)",
                ExpressionAttributeValues={":at": s(at.isoformat())},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_announcement(self, tenant: str, month: str) -> None:
        """An announcement that could not be sent: the next making of the month tries again."""
        self.client.update_item(
            TableName=self.table,
            Key={"PK": s(reports_pk(tenant)), "SK": s(month)},
            UpdateExpression="REMOVE announced_at",
        )


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"

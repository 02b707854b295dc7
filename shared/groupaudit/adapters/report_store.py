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
- ``dDD`` (one per local day ``DD``): the day's last audit, a string holding the JSON object
  ``{"a": its id, "m": members, "i": [the inactive members' ids]}``. ``SET``: the same audit
  sets the same value again.
- ``qDD`` (one per local day asked): the settled questions of the day, a string holding the
  JSON object ``{person owing them: [owed, on_time, bucket, count, …]}``
  (``supervision/report_figures.py``); ``SET`` by each audit whose messages cover the day
  whole, the newest knowledge of the day.
- ``group_name``, ``department``, ``platform``, ``P`` (names of the people the figures name):
  the latest audit's.

``dDD`` and ``qDD`` are JSON text rather than DynamoDB maps and lists: a month of a group holds
about a thousand numbers, and reading each as its own typed value cost the report most of its
time (docs/BENCHMARKS.md, "Monthly report"). Rollups written as maps (before 2026-12) read the
same.

A report item keeps the month's summary for the trends of later reports (findings, red lines,
on-time rate, the groups' findings), where its documents are, when it was made and when it was
announced (set once, conditionally: making a month again replaces the documents, announces once).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from groupaudit.adapters.storage.dynamo import StoreError, Table, n, s
from groupaudit.report_rollup import AuditFigures, Owed

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


def day_value(audit_id: str, members: int, inactive: Iterable[str]) -> dict[str, Any]:
    """The ``dDD`` attribute of a day's last audit: its id, members and inactive members."""
    return s(_json({"a": audit_id, "m": members, "i": list(inactive)}))


def questions_value(people: Mapping[str, Owed]) -> dict[str, Any]:
    """The ``qDD`` attribute of a day's settled questions, by the person owing them."""
    return s(_json({person: owed.encode() for person, owed in sorted(people.items())}))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _day_number(key: str, prefix: str) -> int | None:
    """``DD`` of an attribute named ``<prefix>DD``, else None."""
    if len(key) == 3 and key[0] == prefix and key[1:].isdigit():
        return int(key[1:])
    return None


def _read_json(group_id: str, key: str, value: dict[str, Any]) -> Any:
    try:
        return json.loads(value["S"])
    except ValueError as exc:
        raise StoreError(f"the rollup of group {group_id} holds a {key} that is not JSON: {exc}") from None


def _day_or_questions(group_id: str, key: str, value: dict[str, Any]) -> dict[str, Any]:
    """The plain JSON object of a ``dDD`` or ``qDD``, whichever way it was written; a StoreError
    names the group and the attribute when it does not read as one."""
    plain = _read_json(group_id, key, value) if "S" in value else _plain(value)  # maps: before 2026-12
    if not isinstance(plain, dict):
        raise StoreError(f"the rollup of group {group_id} holds a {key} that is not an object: {plain!r}")
    return plain


def decode_group_month(item: dict[str, Any]) -> GroupMonth:
    """A rollup item as a :class:`GroupMonth`: the month's questions summed per person, the
    last audited day's members. Only the last day's ``dDD`` is read; every ``qDD`` is. A rollup
    read without its ``dDD`` and names (``ReportStore.month_findings``) gives 0 members."""
    group_id = item["SK"]["S"].removeprefix("GROUP#")
    month = GroupMonth(group_id=group_id)
    month.name = _text(item, "group_name") or group_id
    month.department = _text(item, "department")
    month.platform = _text(item, "platform")
    month.audits = len(item["A"]["SS"]) if "A" in item else 0
    if "F" in item:
        for token in sorted(item["F"]["SS"]):
            rule, severity, subject, finding_id = token.split(SEP)
            month.findings.append(FindingRef(rule, severity, subject, finding_id))
    last_day = 0
    summed: dict[str, Owed] = {}
    for key, value in item.items():
        number = _day_number(key, "d")
        if number is not None:
            last_day = max(last_day, number)
            continue
        if _day_number(key, "q") is None:
            continue
        for person, flat in _day_or_questions(group_id, key, value).items():
            owed = summed.get(person)
            if owed is None:
                owed = summed[person] = Owed()
            try:
                owed.add_flat(flat)
            except (TypeError, ValueError) as exc:
                raise StoreError(
                    f"the rollup of group {group_id} holds a bad {key} of {person}: {exc}"
                ) from None
    if last_day:
        key = f"d{last_day:02d}"
        last = _day_or_questions(group_id, key, item[key])
        month.last_day = last_day
        month.members = int(last.get("m", 0))
        month.inactive = tuple(last.get("i", ()))
    month.questions = summed
    if "P" in item:
        month.names = {person: value.get("S", "") for person, value in item["P"]["M"].items()}
    return month


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return str(value.get("S", "")) if value else ""


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
                values[f":q{number}"] = questions_value(people)
                sets.append(f"#q{number} = :q{number}")
                names |= {p: figures.names[p] for p in people if p in figures.names}
            sets += ["group_name = :name", "department = :dept", "platform = :platform"]
            values |= {":name": s(name), ":dept": s(department), ":platform": s(platform)}
            if month == own:
                attr_names["#d"] = f"d{figures.day.day:02d}"
                values[":d"] = day_value(figures.audit_id, figures.members, figures.inactive)
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

    def month_findings(self, tenant: str, month: str) -> Iterator[GroupMonth]:
        """Every group's rollup of the month with only what a trend needs (audits, findings,
        questions): the same Query, projected, so the days' members and the names are not
        read. Their :class:`GroupMonth` have no members, names nor department."""
        names = {"#sk": "SK", "#a": "A", "#f": "F"} | {f"#q{day:02d}": f"q{day:02d}" for day in range(1, 32)}
        for item in self._query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": s(rollup_pk(tenant, month))},
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names,
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

"""The rollup items the monthly report reads (adapters/report_store.py): days and questions
stored as JSON text, rollups written before as DynamoDB maps read the same, a corrupt one
refused by name, and the report's reads: each partition queried once, the trend months
projected (docs/SUPERVISION.md "Monthly report")."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from botocore.model import OperationModel

from groupaudit.adapters.report_store import ReportStore, rollup_pk
from groupaudit.adapters.storage import Storage
from groupaudit.adapters.storage.dynamo import StoreError
from groupaudit.report_rollup import Owed
from groupaudit.supervision.report import build_report
from supervision.test_report import (
    NOW,
    SALES,
    TENANT,
    _audit,
    _sales_messages,
    _sources,
    two_months,  # noqa: F401  (a fixture)
)

NOVEMBER = [{"id": "m0", "sender_id": "u2", "sent_at": "2026-11-18T09:00:00+08:00", "text": "早"}]


def _rollup_item(store: Storage, group: str = "g-sales", month: str = "2026-11") -> dict[str, Any]:
    key = {"PK": {"S": rollup_pk(TENANT, month)}, "SK": {"S": f"GROUP#{group}"}}
    return store.client.get_item(TableName=store.table, Key=key, ConsistentRead=True)["Item"]


def _as_maps(value: Any) -> dict[str, Any]:
    """A plain JSON value as DynamoDB's typed maps and lists, as rollups were written before."""
    if isinstance(value, dict):
        return {"M": {k: _as_maps(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"L": [_as_maps(v) for v in value]}
    if isinstance(value, int):
        return {"N": str(value)}
    return {"S": value}


def _put(store: Storage, item: dict[str, Any]) -> None:
    store.client.put_item(TableName=store.table, Item=item)


@pytest.fixture
def audited(store: Storage) -> Storage:
    """One audit of the sales group on 2026-11-19: u1's question answered by the head after 45
    minutes (late), u2's after 5 (in time)."""
    messages = NOVEMBER + _sales_messages("11-19")
    _audit(store, "g-sales", "销售部", SALES, messages, "2026-11-19T18:00:00+08:00", "c" * 32)
    return store


def test_an_audit_stores_its_day_and_its_questions_as_json_text(audited: Storage) -> None:
    # WHEN the audit of 2026-11-19 has been recorded
    item = _rollup_item(audited)
    # THEN its day holds the audit, the 3 members and no inactive one; its questions the head's
    # 2 owed, 1 in time, one answer in the 5-10 minute bucket (3) and one in 45-60 (8)
    assert json.loads(item["d19"]["S"]) == {"a": "c" * 32, "m": 3, "i": []}
    assert json.loads(item["q19"]["S"]) == {"h-sales": [2, 1, 3, 1, 8, 1]}
    assert item["A"] == {"SS": ["c" * 32]}


def test_a_rollup_written_as_maps_reads_as_the_same_month(audited: Storage) -> None:
    # GIVEN the same rollup once more, its days and questions as DynamoDB maps (before 2026-12)
    item = _rollup_item(audited)
    old = dict(item, SK={"S": "GROUP#g-old"})
    for key in ("d19", "q19"):
        old[key] = _as_maps(json.loads(item[key]["S"]))
    _put(audited, old)
    # WHEN the month's rollups are read
    months = {m.group_id: m for m in ReportStore.over(audited).month_groups(TENANT, "2026-11")}
    # THEN both read as the hand-computed month, the same but for the group's id
    new = months["g-sales"]
    assert (new.audits, new.members, new.inactive, new.last_day) == (1, 3, (), 19)
    assert new.questions == {"h-sales": Owed(2, 1, {3: 1, 8: 1})}
    assert replace(months["g-old"], group_id="g-sales") == new


def test_only_the_last_audited_day_gives_the_members(audited: Storage) -> None:
    # GIVEN an earlier day (the 5th) and a later one (the 20th: 5 members, 1 inactive) stored
    # with the 19th's, the 20th neither first nor last
    item = _rollup_item(audited)
    earlier = {"d05": {"S": json.dumps({"a": "b" * 32, "m": 9, "i": []})}}
    later = {"d20": {"S": json.dumps({"a": "e" * 32, "m": 5, "i": ["u2"]})}}
    _put(audited, earlier | later | item)
    # WHEN read
    (month,) = ReportStore.over(audited).month_groups(TENANT, "2026-11")
    # THEN the 20th's members and inactive members are the month's
    assert (month.last_day, month.members, month.inactive) == (20, 5, ("u2",))


@pytest.mark.parametrize(
    ("key", "value", "names"),
    [
        ("q05", {"S": "{not json"}, "holds a q05 that is not JSON"),
        ("q05", {"S": '{"u1": [1]}'}, "holds a bad q05 of u1: a question figure"),
        ("d25", {"S": "[40]"}, "holds a d25 that is not an object"),
    ],
)
def test_a_corrupt_rollup_is_refused_naming_the_group_and_the_attribute(
    audited: Storage, key: str, value: dict[str, str], names: str
) -> None:
    # GIVEN the sales group's rollup with one unreadable question figure or last day
    _put(audited, _rollup_item(audited) | {key: value})
    # WHEN read THEN a StoreError names the group and the attribute
    with pytest.raises(StoreError, match=f"rollup of group g-sales {names}"):
        list(ReportStore.over(audited).month_groups(TENANT, "2026-11"))


def test_the_report_queries_each_partition_once_and_projects_the_trend_months(two_months: Storage) -> None:  # noqa: F811
    # GIVEN the table's client, recording each call's operation, partition and projection
    calls = []

    def record(model: OperationModel, params: dict[str, Any], **_: Any) -> None:
        pk = (params.get("ExpressionAttributeValues") or {}).get(":pk", {}).get("S")
        projected = set((params.get("ExpressionAttributeNames") or {}).values())
        calls.append((model.name, pk, params.get("ProjectionExpression") and frozenset(projected)))

    two_months.client.meta.events.register("provide-client-params.dynamodb", record)
    # WHEN November's report is built
    report = build_report(TENANT, "2026-11", "zh", _sources(two_months), NOW)
    # THEN each partition was queried once: November's and December's appeals, November's
    # ledger and rollups, the stored reports and the 5 months before, read for their trends
    assert report.trends.findings == [2, 1]
    assert {name for name, _, _ in calls} == {"Query"}, calls  # no Scan, no GetItem
    counts = Counter(pk for _, pk, _ in calls)
    assert set(counts.values()) == {1}, counts
    earlier = [f"TENANT#{TENANT}#ROLLUP#2026-{m:02d}" for m in range(6, 11)]
    assert set(counts) == {
        f"TENANT#{TENANT}#APPEALS#2026-11",
        f"TENANT#{TENANT}#APPEALS#2026-12",
        f"TENANT#{TENANT}#LEDGER#2026-11",
        f"TENANT#{TENANT}#ROLLUP#2026-11",
        f"TENANT#{TENANT}#REPORTS",
        *earlier,
    }
    # and the months before read only the audits, findings and questions, not the days nor names
    projections = {pk: projected for _, pk, projected in calls}
    assert projections[f"TENANT#{TENANT}#ROLLUP#2026-11"] is None
    for pk in earlier:
        assert projections[pk] == {"SK", "A", "F"} | {f"q{day:02d}" for day in range(1, 32)}


def test_a_figure_adds_without_being_decoded_first() -> None:
    owed = Owed(1, 1, {3: 1})
    owed.add_flat([3, 2, 1, 2, 3, 1])
    owed.add_flat([1, 0])
    assert owed == Owed(5, 3, {3: 2, 1: 2})
    with pytest.raises(ValueError, match=r"\[owed, on_time, bucket, count, …\], not \[1, 2, 3\]"):
        owed.add_flat([1, 2, 3])

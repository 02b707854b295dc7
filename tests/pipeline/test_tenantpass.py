"""The tenant pass over the membership index: each group's members recorded after its audit,
read back one group at a time, and onboarding_gap found in the groups a new hire is missing from."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from factories import member, policy, snapshot
from groupaudit.loading import decode_directory, decode_snapshot
from groupaudit.pipeline import tenantpass

DIRECTORY = decode_directory(
    json.dumps(
        {
            "schema_version": 1,
            "people": [
                {"id": "u-owner", "name": "刘强", "department": "销售部", "hired_at": "2024-03-01"},
                {"id": "u-new", "name": "林小雨", "department": "销售部", "hired_at": "2026-11-12"},
            ],
        }
    ).encode()
)


def _snapshot(
    group_id: str, kind: str, members: list[str], department: str | None = None, taken_at=None, **fields
):
    extra = {"taken_at": taken_at} if taken_at else {}
    snap = snapshot(
        [member(m, m) for m in members], kind=kind, group_id=group_id, owner_id="u-owner", **extra
    )
    if department:
        snap["group"]["department"] = department
    snap["group"].update(fields)
    return decode_snapshot(json.dumps(snap).encode())


def test_a_group_s_membership_is_recorded_and_read_back(store):
    # GIVEN a department group audited
    snap = _snapshot("grp-sales", "department", ["u-owner", "u-new"], "销售部", admin_ids=["u-owner"])
    # WHEN its membership is recorded and the index read
    written = tenantpass.record_membership(store, snap, "audit-1")
    (view,) = tenantpass.memberships(store, "acme")
    # THEN one item, and the view holds the group record and the member ids
    assert written == 1
    assert (view.tenant_id, view.group.id, view.group.kind, view.group.department) == (
        "acme",
        "grp-sales",
        "department",
        "销售部",
    )
    assert view.group.owner_id == "u-owner" and view.group.admin_ids == ["u-owner"]
    assert view.member_ids == frozenset({"u-owner", "u-new"})
    assert view.taken_at == snap.taken_at


def test_a_large_group_is_chunked_and_a_smaller_later_audit_hides_the_old_chunks(store, monkeypatch):
    # GIVEN chunks of 3 ids, and a group of 7 members recorded, then the same group with 2
    monkeypatch.setattr(tenantpass, "CHUNK_IDS", 3)
    big = _snapshot("grp-all", "company", [f"u-{i}" for i in range(7)])
    small = _snapshot("grp-all", "company", ["u-0", "u-1"])
    # WHEN recorded one after the other
    first = tenantpass.record_membership(store, big, "audit-1")
    (view_big,) = tenantpass.memberships(store, "acme")
    second = tenantpass.record_membership(store, small, "audit-2")
    (view_small,) = tenantpass.memberships(store, "acme")
    # THEN 3 chunks, then 1: the two left from the first audit are ignored
    assert (first, second) == (3, 1)
    assert len(view_big.member_ids) == 7
    assert view_small.member_ids == frozenset({"u-0", "u-1"})


def test_many_groups_are_read_one_at_a_time_across_pages(store):
    # GIVEN 25 groups recorded
    for number in range(25):
        tenantpass.record_membership(store, _snapshot(f"grp-{number:02d}", "project", ["u-owner"]), "a")
    # WHEN the index is read in pages of 4 items
    views = tenantpass.memberships(store, "acme", page_size=4)
    first = next(views)
    # THEN it is a generator (one group at a time), in group-id order, and holds every group
    assert first.group.id == "grp-00"
    assert [first.group.id, *(v.group.id for v in views)] == [f"grp-{n:02d}" for n in range(25)]
    assert list(tenantpass.memberships(store, "other-tenant")) == []


def test_the_tenant_pass_finds_the_new_hire_in_the_groups_missing_her(store):
    # GIVEN the company group without the new hire, the sales group with her, and a project group
    groups = [
        _snapshot("grp-all", "company", ["u-owner"]),
        _snapshot("grp-sales", "department", ["u-owner", "u-new"], "销售部"),
        _snapshot("grp-proj", "project", ["u-owner"]),
    ]
    for snap in groups:
        tenantpass.record_membership(store, snap, "audit-1")
    # WHEN the tenant pass runs over the index
    results = list(tenantpass.run_tenant_pass(store, "acme", policies=policy(), directory=DIRECTORY))
    # THEN every group was passed over, and only the company group holds a finding, for u-new
    assert [r.group_id for r in results] == ["grp-all", "grp-proj", "grp-sales"]
    assert [r.rules_run for r in results] == [["onboarding_gap"]] * 3
    found = [(r.group_id, f.rule, f.kind, f.subject_id) for r in results for f in r.findings]
    assert found == [("grp-all", "onboarding_gap", "company_group", "u-new")]
    assert results[0].findings[0].evidence["owner_id"] == "u-owner"


def test_without_a_directory_the_pass_says_why(store):
    tenantpass.record_membership(store, _snapshot("grp-all", "company", ["u-owner"]), "audit-1")
    (result,) = tenantpass.run_tenant_pass(store, "acme", policies=policy(), directory=None)
    assert [(s.rule, s.reason) for s in result.rules_skipped] == [("onboarding_gap", "no directory")]


NOW = datetime(2026, 11, 20, 10, 5, tzinfo=UTC)


def _scheduled_run(store, audit_id: str, groups: list, trigger: str = "schedule") -> None:
    """A run of these group snapshots as the worker records it: the request, each group's
    audit claimed, its membership indexed and its run finished."""
    store.create_audit("acme", audit_id, [g.group.id for g in groups], trigger, NOW)
    for snap in groups:
        store.begin_group_audit("acme", snap.group.id, snap.taken_at)
        tenantpass.record_membership(store, snap, audit_id)
        store.finish_run("acme", snap.group.id, audit_id, _succeeded())


def _succeeded() -> dict:
    return {"status": "succeeded", "finished_at": NOW.isoformat(), "duration_ms": 1.0}


def _inputs():
    return DIRECTORY, policy()


def _open(store, group: str) -> list[tuple[str, str]]:
    items, _ = store.list_findings("acme", group, "open", 50, None)
    return [(item["rule"], item["subject_id"]) for item in items]


def test_after_a_scheduled_run_s_last_group_the_pass_runs_once_and_stores_its_findings(store):
    # GIVEN a scheduled run of the company group (without the new hire) and the sales group (with her)
    groups = [
        _snapshot("grp-all", "company", ["u-owner"]),
        _snapshot("grp-sales", "department", ["u-owner", "u-new"], "销售部"),
    ]
    _scheduled_run(store, "run-1", groups)
    # WHEN the last group's worker calls the pass, and another worker calls it again
    counts = tenantpass.after_run(store, "acme", "run-1", _inputs, NOW)
    again = tenantpass.after_run(store, "acme", "run-1", _inputs, NOW)
    # THEN it ran once, over both groups, and the finding is stored in the company group
    assert counts == {"groups": 2, "findings": 1, "new": 1, "resolved": 0, "skipped": 0}
    assert again is None
    assert _open(store, "grp-all") == [("onboarding_gap", "u-new")]
    assert _open(store, "grp-sales") == []


def test_no_pass_before_the_last_group_nor_after_an_on_demand_audit(store):
    # GIVEN a scheduled run of two groups with one finished, and an API audit of one group
    snap = _snapshot("grp-all", "company", ["u-owner"])
    store.create_audit("acme", "run-1", ["grp-all", "grp-sales"], "schedule", NOW)
    tenantpass.record_membership(store, snap, "run-1")
    store.finish_run("acme", "grp-all", "run-1", _succeeded())
    _scheduled_run(store, "api-1", [snap], trigger="api")
    # WHEN the pass is asked for after each
    # THEN neither runs it
    assert tenantpass.after_run(store, "acme", "run-1", _inputs, NOW) is None
    assert tenantpass.after_run(store, "acme", "api-1", _inputs, NOW) is None
    assert _open(store, "grp-all") == []


def test_a_group_audit_leaves_the_pass_s_findings_and_the_next_pass_resolves_them(store):
    # GIVEN the pass found u-new missing from the company group
    _scheduled_run(store, "run-1", [_snapshot("grp-all", "company", ["u-owner"])])
    tenantpass.after_run(store, "acme", "run-1", _inputs, NOW)
    # WHEN the group's next audit (which has no onboarding_gap finding of its own) syncs its findings
    later = _snapshot("grp-all", "company", ["u-owner", "u-new"], taken_at="2026-11-21T18:00:00+08:00")
    stored = store.group_findings("acme", "grp-all")
    store.begin_group_audit("acme", "grp-all", later.taken_at)
    store.sync_findings("acme", "grp-all", "run-2", later.taken_at, [], tenantpass.group_owned(stored))
    # THEN the pass's finding is still open
    assert _open(store, "grp-all") == [("onboarding_gap", "u-new")]
    # AND after the next scheduled run, in which u-new is a member, the pass resolves it
    store.create_audit("acme", "run-2", ["grp-all"], "schedule", NOW)
    tenantpass.record_membership(store, later, "run-2")
    store.finish_run("acme", "grp-all", "run-2", _succeeded())
    counts = tenantpass.after_run(store, "acme", "run-2", _inputs, NOW)
    assert counts == {"groups": 1, "findings": 0, "new": 0, "resolved": 1, "skipped": 0}
    assert _open(store, "grp-all") == []

"""The tenant pass over the membership index: each group's members recorded after its audit,
read back one group at a time, and onboarding_gap found in the groups a new hire is missing from."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from factories import member, policy, snapshot
from groupaudit.loading import decode_directory, decode_snapshot
from groupaudit.pipeline import tenantpass
from groupaudit.wire import GroupRegistration, NoticeMessage

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


def _register(store, snap, **fields) -> None:
    store.groups.put_group(
        GroupRegistration(
            tenant_id="acme", group_id=snap.group.id, platform="generic", kind=snap.group.kind, **fields
        )
    )


def _scheduled_run(store, audit_id: str, groups: list, trigger: str = "schedule", notice="none") -> None:
    """A run of these group snapshots as the worker records it: each group registered, the
    request, each group's audit claimed, its membership indexed and its run finished (its own
    digest queued or not: ``notice``)."""
    store.runs.create_audit("acme", audit_id, [g.group.id for g in groups], trigger, NOW)
    for snap in groups:
        if store.groups.get_group("acme", snap.group.id) is None:
            _register(store, snap)
        store.guard.begin_group_audit("acme", snap.group.id, snap.taken_at)
        tenantpass.record_membership(store, snap, audit_id)
        store.runs.finish_run("acme", snap.group.id, audit_id, _succeeded(notice))


def _succeeded(notice: str = "none") -> dict:
    return {"status": "succeeded", "finished_at": NOW.isoformat(), "duration_ms": 1.0, "notice": notice}


def _inputs():
    """The pass's inputs: the directory, the tenant policy with each group's overrides on top."""

    def policies(registration):
        if registration is None or not registration.policy_overrides:
            return policy()
        return policy(groups={registration.group_id: registration.policy_overrides})

    return lambda: tenantpass.PassInputs(directory=DIRECTORY, policies=policies)


def _counts(**given) -> dict:
    names = ("groups", "findings", "new", "resolved", "skipped", "unregistered", "failed", "added", "notices")
    return {name: given.get(name, 0) for name in names}


def _open(store, group: str) -> list[tuple[str, str]]:
    items, _ = store.findings.findings_page("acme", group, "open", 50, None)
    return [(item.rule, item.subject_id) for item in items]


def test_after_a_scheduled_run_s_last_group_the_pass_runs_once_and_stores_its_findings(store):
    # GIVEN a scheduled run of the company group (without the new hire) and the sales group (with her)
    groups = [
        _snapshot("grp-all", "company", ["u-owner"]),
        _snapshot("grp-sales", "department", ["u-owner", "u-new"], "销售部"),
    ]
    _scheduled_run(store, "run-1", groups)
    # WHEN the last group's worker calls the pass, and another worker calls it again
    counts = tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW)
    again = tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW)
    # THEN it ran once, over both groups, and the finding is stored in the company group
    assert counts == _counts(groups=2, findings=1, new=1)
    assert again is None
    assert _open(store, "grp-all") == [("onboarding_gap", "u-new")]
    assert _open(store, "grp-sales") == []


def test_no_pass_before_the_last_group_nor_after_an_on_demand_audit(store):
    # GIVEN a scheduled run of two groups with one finished, and an API audit of one group
    snap = _snapshot("grp-all", "company", ["u-owner"])
    store.runs.create_audit("acme", "run-1", ["grp-all", "grp-sales"], "schedule", NOW)
    tenantpass.record_membership(store, snap, "run-1")
    store.runs.finish_run("acme", "grp-all", "run-1", _succeeded())
    _scheduled_run(store, "api-1", [snap], trigger="api")
    # WHEN the pass is asked for after each
    # THEN neither runs it
    assert tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW) is None
    assert tenantpass.after_run(store, "acme", "api-1", _inputs(), NOW) is None
    assert _open(store, "grp-all") == []


def test_a_group_audit_leaves_the_pass_s_findings_and_the_next_pass_resolves_them(store):
    # GIVEN the pass found u-new missing from the company group
    _scheduled_run(store, "run-1", [_snapshot("grp-all", "company", ["u-owner"])])
    tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW)
    # WHEN the group's next audit (which has no onboarding_gap finding of its own) syncs its findings
    later = _snapshot("grp-all", "company", ["u-owner", "u-new"], taken_at="2026-11-21T18:00:00+08:00")
    stored = store.findings.stored_findings("acme", "grp-all")
    store.guard.begin_group_audit("acme", "grp-all", later.taken_at)
    store.findings.sync_findings(
        "acme", "grp-all", "run-2", later.taken_at, [], tenantpass.group_owned(stored)
    )
    # THEN the pass's finding is still open
    assert _open(store, "grp-all") == [("onboarding_gap", "u-new")]
    # AND after the next scheduled run, in which u-new is a member, the pass resolves it
    store.runs.create_audit("acme", "run-2", ["grp-all"], "schedule", NOW)
    tenantpass.record_membership(store, later, "run-2")
    store.runs.finish_run("acme", "grp-all", "run-2", _succeeded())
    counts = tenantpass.after_run(store, "acme", "run-2", _inputs(), NOW)
    assert counts == _counts(groups=1, resolved=1)
    assert _open(store, "grp-all") == []


# --- telling the groups ---------------------------------------------------------------------


def _notices(sent: list[NoticeMessage]) -> tenantpass.PassNotices:
    return tenantpass.PassNotices(send=sent.append, renotify_days=7, top=10)


def _expire_claim(store, audit_id: str) -> None:
    """The pass's claim as a pass that died holding it leaves it: running, long ago."""
    store.client.update_item(
        TableName=store.table,
        Key={"PK": {"S": "TENANT#acme"}, "SK": {"S": f"TENANTPASS#{audit_id}"}},
        UpdateExpression="SET #s = :running, claimed_ts = :old",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":running": {"S": "running"}, ":old": {"N": "0"}},
    )


COMPANY_LINES = [
    "全公司检查另发现 1 项：新员工未按时入群 1",
    "1. 新员工 林小雨（销售部，2026-11-12 入职，今天第 9 天）尚未加入公司总群，请群主将其拉入",
    "请以下成员及时处理：@刘强",
]


def test_the_pass_adds_its_lines_to_the_group_s_unsent_digest_once(store):
    # GIVEN a scheduled run in which the company group (without the new hire) queued its own digest
    _scheduled_run(store, "run-1", [_snapshot("grp-all", "company", ["u-owner"])], notice="queued (2)")
    sent: list[NoticeMessage] = []
    # WHEN the pass runs, dies before it is recorded done, and is taken over
    first = tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW, _notices(sent))
    _expire_claim(store, "run-1")
    again = tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW, _notices(sent))
    # THEN its lines ride on the group's notice record, @-mentioning the owner by name, and no
    # digest of its own is queued, neither the first time nor the second
    assert first == _counts(groups=1, findings=1, new=1, added=1)
    assert again == _counts(groups=1, findings=1)
    assert sent == []
    record = store.notices.notice("acme", "grp-all", "run-1")
    addendum = json.loads(record.addendum_json)
    assert addendum["text"].splitlines() == COMPANY_LINES
    assert addendum["mention_ids"] == ["u-owner"]
    (finding,) = store.findings.stored_findings("acme", "grp-all").values()
    assert addendum["findings"] == [["onboarding_gap", finding.finding_id]]
    assert record.status is None  # still unclaimed: the notifier sends the digest with it


def test_a_group_whose_digest_went_out_gets_one_of_the_pass_s_own(store):
    # GIVEN the company group's own digest of the run already claimed by the notifier
    _scheduled_run(store, "run-1", [_snapshot("grp-all", "company", ["u-owner"])], notice="queued (2)")
    assert store.notices.claim_notice("acme", "grp-all", "run-1", NOW, timedelta(minutes=5)) == "claimed"
    sent: list[NoticeMessage] = []
    # WHEN the pass runs
    counts = tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW, _notices(sent))
    # THEN it queues a digest of its own for that group, under its own notice id, to the owner
    assert counts == _counts(groups=1, findings=1, new=1, notices=1)
    (message,) = sent
    assert (message.group_id, message.audit_id) == ("grp-all", "run-1-tenant")
    assert message.mention_ids == ["u-owner"]
    assert message.text.splitlines() == [
        "【群规审计】测试群 · 全公司检查",
        "共发现 1 项：新员工未按时入群 1",
        COMPANY_LINES[1],
        COMPANY_LINES[2],
    ]
    assert [rule for rule, _ in message.findings] == ["onboarding_gap"]


def test_a_group_with_no_digest_of_the_run_gets_the_pass_s_own_and_a_told_finding_is_not_told_again(store):
    # GIVEN a run in which the company group queued no digest (nothing of its own to tell)
    _scheduled_run(store, "run-1", [_snapshot("grp-all", "company", ["u-owner"])])
    sent: list[NoticeMessage] = []
    tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW, _notices(sent))
    # WHEN its finding is told (the notifier marks it) and the next day's run finds it again
    (message,) = sent
    store.findings.mark_notified("acme", "grp-all", message.findings, NOW)
    later = _snapshot("grp-all", "company", ["u-owner"], taken_at="2026-11-21T18:00:00+08:00")
    _scheduled_run(store, "run-2", [later])
    counts = tenantpass.after_run(store, "acme", "run-2", _inputs(), NOW + timedelta(days=1), _notices(sent))
    # THEN the first run told it in a digest of the pass's own, and the second tells nothing
    assert message.audit_id == "run-1-tenant"
    assert counts == _counts(groups=1, findings=1)
    assert len(sent) == 1


def test_a_group_s_override_is_honoured_by_the_pass(store):
    # GIVEN two company groups without the new hire: one whose registration disables onboarding_gap,
    # one whose registration gives new hires 10 days (the hire is on day 9)
    off = _snapshot("grp-off", "company", ["u-owner"])
    slow = _snapshot("grp-slow", "company", ["u-owner"])
    plain = _snapshot("grp-plain", "company", ["u-owner"])
    _register(store, off, policy_overrides={"rules": {"onboarding_gap": {"enabled": False}}})
    _register(store, slow, policy_overrides={"rules": {"onboarding_gap": {"onboarding_days": 10}}})
    _scheduled_run(store, "run-1", [off, slow, plain])
    # WHEN the pass runs
    counts = tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW, _notices([]))
    # THEN the pass ran (it was due), and only the group without an override holds the finding
    assert counts is not None and counts["findings"] == 1
    assert (_open(store, "grp-off"), _open(store, "grp-slow")) == ([], [])
    assert _open(store, "grp-plain") == [("onboarding_gap", "u-new")]


def test_the_pass_speaks_the_group_s_notice_language(store):
    # GIVEN the company group registered with English notices and no digest of its own this run
    snap = _snapshot("grp-all", "company", ["u-owner"])
    _register(store, snap, notice={"lang": "en"})
    _scheduled_run(store, "run-1", [snap])
    sent: list[NoticeMessage] = []
    # WHEN the pass runs
    tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW, _notices(sent))
    # THEN the stored finding and the digest are in English
    (item,) = store.findings.findings_page("acme", "grp-all", "open", 50, None)[0]
    expected = (
        "New hire 林小雨 (销售部, hired 2026-11-12, day 9) is not in the company group yet; "
        "owner, please add them"
    )
    assert item.finding["summary"] == expected
    assert sent[0].text.splitlines() == [
        "[Group audit] 测试群 · tenant-wide check",
        "Found 1: New hires missing from their groups 1",
        f"1. {expected}",
        "Please follow up: @刘强",
    ]


def test_an_unregistered_group_is_left_alone(store):
    # GIVEN a company group in the index whose registration was removed after its audit
    snap = _snapshot("grp-all", "company", ["u-owner"])
    _scheduled_run(store, "run-1", [snap])
    store.groups.delete_group("acme", "grp-all")
    sent: list[NoticeMessage] = []
    # WHEN the pass runs
    counts = tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW, _notices(sent))
    # THEN it opens nothing there and tells no one
    assert counts == _counts(groups=1, unregistered=1)
    assert (_open(store, "grp-all"), sent) == ([], [])


def test_a_group_whose_overrides_do_not_parse_is_left_as_it_was_and_the_others_are_judged(store):
    # GIVEN a company group whose registration gives onboarding_gap an impossible 0 days, and another
    broken = _snapshot("grp-broken", "company", ["u-owner"])
    plain = _snapshot("grp-plain", "company", ["u-owner"])
    _register(store, broken, policy_overrides={"rules": {"onboarding_gap": {"onboarding_days": 0}}})
    _scheduled_run(store, "run-1", [broken, plain])
    # WHEN the pass runs
    counts = tenantpass.after_run(store, "acme", "run-1", _inputs(), NOW, _notices([]))
    # THEN the broken group is counted failed and holds nothing, the other holds the finding
    assert counts == _counts(groups=2, findings=1, new=1, failed=1, notices=1)
    assert _open(store, "grp-broken") == []
    assert _open(store, "grp-plain") == [("onboarding_gap", "u-new")]

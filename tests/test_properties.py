"""Property-based: any valid snapshot is audited without error, and message order is irrelevant."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import audit, directory, policy

PEOPLE = ["u1", "u2", "u3", "h1", "h2", "adm", "ceo", "bot", "ext"]
TEXTS = [
    "请问报价单在哪里？",
    "好的",
    "收到",
    "合同寄出了吗",
    "麻烦确认一下",
    "客户投诉的问题尽快处理",
    "会议室怎么预订？",
    "下周班车几点",
    "ok?",
    "",
    "👍",
    "是否今天上线",
    "请尽快回复",
]
NAMES = [
    "方案v1.docx",
    "方案v2.docx",
    "合同.pdf",
    "纪要 副本.docx",
    "周报 2026-11-13.docx",
    "报价单(1).xlsx",
    "图.png",
]
OFFSETS = [timezone(timedelta(hours=h)) for h in (8, 0, -5, 9)]
BASE = datetime(2026, 9, 1, tzinfo=UTC)
SPAN = int(timedelta(days=90).total_seconds())

DIRECTORY = directory(
    [("u1", "A"), ("u2", "A"), ("u3", "B"), ("h1", "A"), ("h2", "B"), ("adm", "行政中心"), ("ceo", "总经办")],
    {"A": "h1", "B": "h2", "行政中心": "adm", "总经办": "ceo"},
    leaders=("ceo",),
)


def _stamp(seconds: int, offset: int) -> str:
    return (BASE + timedelta(seconds=seconds)).astimezone(OFFSETS[offset]).isoformat()


@st.composite
def snapshots(draw):
    n_messages = draw(st.integers(0, 25))
    ids = [f"m{i}" for i in range(n_messages)]
    messages = []
    for index, mid in enumerate(ids):
        # a reply points at an earlier message or at one the snapshot does not hold: a reply
        # cycle (a self-reply included) is an input error, tests/probes name it
        earlier = [*ids[:index], "m-gone"]
        messages.append(
            {
                "id": mid,
                "sender_id": draw(st.sampled_from(PEOPLE)),
                "sent_at": _stamp(draw(st.integers(0, SPAN)), draw(st.integers(0, 3))),
                "type": draw(st.sampled_from(["text", "text", "text", "system", "file", None])),
                "text": draw(st.sampled_from([*TEXTS, None])),
                "reply_to_id": draw(st.one_of(st.none(), st.sampled_from(earlier))),
                "thread_id": draw(st.one_of(st.none(), st.sampled_from(ids))),
                "mentions": draw(st.one_of(st.none(), st.lists(st.sampled_from(PEOPLE), max_size=3))),
                "mention_all": draw(st.one_of(st.none(), st.booleans())),
            }
        )
    members = [
        {
            "id": pid,
            "display_name": pid,
            "is_bot": pid == "bot" or None,
            "joined_at": draw(st.one_of(st.none(), st.integers(0, SPAN).map(lambda s: _stamp(s, 0)))),
        }
        for pid in draw(st.lists(st.sampled_from(PEOPLE), unique=True, max_size=len(PEOPLE)))
    ]
    files = [
        {
            "id": f"f{i}",
            "name": draw(st.sampled_from(NAMES)),
            "uploaded_at": _stamp(draw(st.integers(0, SPAN)), draw(st.integers(0, 3))),
            "updated_at": draw(st.one_of(st.none(), st.integers(0, SPAN).map(lambda s: _stamp(s, 1)))),
            "expires_at": draw(st.one_of(st.none(), st.integers(0, SPAN).map(lambda s: _stamp(s, 2)))),
            "sha256": draw(st.one_of(st.none(), st.sampled_from(["a" * 64, "b" * 64]))),
            "size_bytes": draw(st.one_of(st.none(), st.integers(0, 10 * 1024 * 1024))),
            "important": draw(st.one_of(st.none(), st.booleans())),
        }
        for i in range(draw(st.integers(0, 6)))
    ]
    return {
        "schema_version": 1,
        "platform": "generic",
        "taken_at": _stamp(SPAN, 0),
        "group": {
            "id": "g",
            "name": "g",
            "kind": draw(st.sampled_from(["department", "project", "company", None])),
        },
        "members": members,
        "messages": messages,
        "files": files,
    }


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
POLICIES = st.sampled_from(
    [
        policy(),
        policy({"overdue_reply": {"reply_match": "strict"}}),
        policy({"overdue_reply": {"sla_clock": "wall"}}),
    ]
)


def _facts(report) -> list:
    return sorted(json.loads(msgspec.json.encode(report.findings)), key=lambda f: f["id"])


@SETTINGS
@given(snap=snapshots(), with_directory=st.booleans(), policies=POLICIES)
def test_valid_snapshots_never_crash_the_engine(snap, with_directory, policies):
    # GIVEN any valid snapshot, with or without a directory
    # WHEN audited
    report = audit(
        snap, directory_doc=DIRECTORY if with_directory else None, policies=policies, backups={"a" * 64}
    )
    # THEN the report is complete and every finding is well-formed
    assert sorted(report.rules_run) == sorted(set(report.rules_run))
    for finding in report.findings:
        assert finding.summary and finding.policy_ref and len(finding.id) == 32
        if finding.rule == "overdue_reply":
            assert finding.evidence["overdue_minutes"] >= 1
    assert json.loads(msgspec.json.encode(report))["group_id"] == "g"


@SETTINGS
@given(snap=snapshots(), seed=st.randoms(use_true_random=False), policies=POLICIES)
def test_findings_do_not_depend_on_message_order(snap, seed, policies):
    # GIVEN a snapshot and the same snapshot with messages, members and files shuffled
    shuffled = json.loads(json.dumps(snap))
    for key in ("messages", "members", "files"):
        seed.shuffle(shuffled[key])
    # WHEN both are audited
    first = audit(snap, directory_doc=DIRECTORY, policies=policies, backups={"a" * 64})
    second = audit(shuffled, directory_doc=DIRECTORY, policies=policies, backups={"a" * 64})
    # THEN the findings are identical, ids and evidence included
    assert _facts(first) == _facts(second)

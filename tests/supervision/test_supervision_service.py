"""The ledger and appeals over the table (moto): entries from findings, decisions, appeals and
their full histories, overdue appeals, and the worker's step that makes the entries."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from groupaudit.adapters.ledger_store import LedgerStore
from groupaudit.adapters.storage import Storage
from groupaudit.adapters.storage.dynamo import StoreError
from groupaudit.contracts import Department, Directory, Finding, Person
from groupaudit.discipline import ledger
from groupaudit.discipline.errors import AppealRefused, NotAllowed, StateConflict, UnknownItem
from groupaudit.local.invoke import sqs_event
from groupaudit.policy import parse_policy
from groupaudit.settings import Settings
from groupaudit.supervision import service
from groupaudit.wire import GroupRegistration
from kit import invoke, receive_all, schedule

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

CST = ZoneInfo("Asia/Shanghai")
TENANT, GROUP = "acme", "grp-sales"
POLICIES = parse_policy(
    {"defaults": {"sanctions": {"supervisor_ids": ["u-super"], "supervision_contact": "u-super"}}}, "test"
)
DIRECTORY = Directory(
    schema_version=1,
    people=[
        Person(id="u-zhang", name="张三", department="销售部"),
        Person(id="u-head", name="王五", department="销售部"),
        Person(id="u-super", name="监督", department="总经办"),
    ],
    departments=[Department(name="销售部", head_id="u-head")],
)


def cst(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


def advert(number: int, sent: datetime, subject: str = "u-zhang") -> Finding:
    return Finding(
        id=f"f{number}",
        rule="prohibited_content",
        kind="advertising",
        severity="violation",
        subject_id=subject,
        message_id=f"m{number}",
        file_id=None,
        detected_at=sent + timedelta(hours=1),
        policy_ref="003 第四章 2.3",
        summary=f"advert {number}",
        evidence={"sent_at": sent.isoformat()},
    )


@pytest.fixture
def book(store: Storage) -> LedgerStore:
    return LedgerStore.over(store)


def stored(store: Storage, findings: list[Finding], audited_at: datetime) -> None:
    """The findings as the worker stores them (sync_findings), and their ledger step."""
    existing = store.findings.stored_findings(TENANT, GROUP)
    sync = store.findings.sync_findings(TENANT, GROUP, "audit-1", audited_at, findings, existing)
    service.record_findings(store, TENANT, GROUP, findings, sync.resolved, POLICIES, DIRECTORY, audited_at)


def confirm(book: LedgerStore, finding_id: str, at: datetime) -> dict[str, Any]:
    entry_id = ledger.entry_id(TENANT, GROUP, finding_id)
    return service.decide_entry(book, TENANT, entry_id, "confirmed", "u-super", "checked", at, POLICIES)


def types(view: dict[str, Any]) -> list[str]:
    return [event["type"] for event in view["history"]]


# --- entries from findings -----------------------------------------------------------------------


def test_a_finding_audited_again_never_makes_a_second_entry(store: Storage, book: LedgerStore) -> None:
    # GIVEN an advert found by an audit
    stored(store, [advert(1, cst(11, 2))], cst(11, 2, 18))
    # WHEN the next audits find it again
    stored(store, [advert(1, cst(11, 2))], cst(11, 3, 18))
    again = service.record_findings(
        store, TENANT, GROUP, [advert(1, cst(11, 2))], [], POLICIES, DIRECTORY, cst(11, 4)
    )
    # THEN the month holds one proposed entry, with one event
    (entry,) = service.list_entries(book, TENANT, POLICIES, month="2026-11")
    assert again.created == []
    assert (entry["status"], entry["finding_id"], entry["proposed_at"]) == (
        "proposed",
        "f1",
        "2026-11-02T18:00:00+08:00",
    )
    assert entry["recommended"]["action"] == "public_criticism"
    assert types(service.get_entry(book, TENANT, entry["entry_id"], POLICIES)) == ["proposed"]


def test_a_finding_resolved_before_a_decision_lapses_and_comes_back_proposed(
    store: Storage, book: LedgerStore
) -> None:
    stored(store, [advert(1, cst(11, 2))], cst(11, 2, 18))
    # WHEN the next audit no longer sees it
    stored(store, [], cst(11, 3, 18))
    entry_id = ledger.entry_id(TENANT, GROUP, "f1")
    assert service.get_entry(book, TENANT, entry_id, POLICIES)["status"] == "lapsed"
    # AND a lapsed entry cannot be confirmed
    with pytest.raises(StateConflict, match="lapsed: only a proposed entry"):
        confirm(book, "f1", cst(11, 4))
    # WHEN it is found again, it is proposed again; its history says all of it
    stored(store, [advert(1, cst(11, 2))], cst(11, 5, 18))
    view = service.get_entry(book, TENANT, entry_id, POLICIES)
    assert (view["status"], types(view)) == ("proposed", ["proposed", "lapsed", "reopened"])


def test_the_ladder_counts_confirmed_entries_in_the_month(store: Storage, book: LedgerStore) -> None:
    # GIVEN three adverts by one person in November
    stored(store, [advert(n, cst(11, n + 1)) for n in (1, 2, 3)], cst(11, 5, 18))
    # WHEN the first two are confirmed
    first = confirm(book, "f1", cst(11, 6))
    second = confirm(book, "f2", cst(11, 6, 11))
    # THEN the first was public criticism, the second 50 yuan, the third recommends 50 yuan too
    third = service.get_entry(book, TENANT, ledger.entry_id(TENANT, GROUP, "f3"), POLICIES)
    assert first["confirmed_sanction"]["action"] == "public_criticism"
    assert (second["confirmed_sanction"]["action"], second["confirmed_sanction"]["yuan"]) == (
        "pay_deduction",
        50,
    )
    assert (third["recommended"]["time"], third["recommended"]["yuan"]) == (3, 50)
    assert first["history"][-1] | {"at": None} == {
        "seq": 2,
        "type": "confirmed",
        "actor": "u-super",
        "at": None,
        "reason": "checked",
        "data": {"sanction": first["confirmed_sanction"]},
    }


def test_a_waived_entry_is_recorded_and_does_not_count(store: Storage, book: LedgerStore) -> None:
    stored(store, [advert(1, cst(11, 2)), advert(2, cst(11, 3))], cst(11, 3, 18))
    entry_id = ledger.entry_id(TENANT, GROUP, "f1")
    waived = service.decide_entry(
        book, TENANT, entry_id, "waived", "u-super", "first week", cst(11, 4), POLICIES
    )
    later = service.get_entry(book, TENANT, ledger.entry_id(TENANT, GROUP, "f2"), POLICIES)
    assert (waived["status"], waived["decided_by"], waived["decision_reason"]) == (
        "waived",
        "u-super",
        "first week",
    )
    assert later["recommended"]["time"] == 1


def test_only_the_supervision_team_decides_and_never_on_their_own_entry(
    store: Storage, book: LedgerStore
) -> None:
    stored(store, [advert(1, cst(11, 2)), advert(2, cst(11, 2), subject="u-super")], cst(11, 2, 18))
    with pytest.raises(NotAllowed, match="not in the supervision team"):
        service.decide_entry(
            book,
            TENANT,
            ledger.entry_id(TENANT, GROUP, "f1"),
            "confirmed",
            "u-head",
            "x",
            cst(11, 3),
            POLICIES,
        )
    with pytest.raises(NotAllowed, match="their own case"):
        service.decide_entry(
            book,
            TENANT,
            ledger.entry_id(TENANT, GROUP, "f2"),
            "confirmed",
            "u-super",
            "x",
            cst(11, 3),
            POLICIES,
        )
    with pytest.raises(StateConflict, match="a reason is required"):
        service.decide_entry(
            book,
            TENANT,
            ledger.entry_id(TENANT, GROUP, "f1"),
            "confirmed",
            "u-super",
            " ",
            cst(11, 3),
            POLICIES,
        )


# --- appeals -------------------------------------------------------------------------------------


def test_an_overturned_appeal_marks_the_finding_and_the_later_entries_count_again(
    store: Storage, book: LedgerStore
) -> None:
    # GIVEN two confirmed adverts of Nov 2 and Nov 3 (the second cost 50 yuan)
    stored(store, [advert(1, cst(11, 2)), advert(2, cst(11, 3))], cst(11, 3, 18))
    confirm(book, "f1", cst(11, 4, 9))
    confirm(book, "f2", cst(11, 4, 10))
    # WHEN the person's head appeals the first entry (Wednesday) and the team overturns it
    entry_id = ledger.entry_id(TENANT, GROUP, "f1")
    appeal, created = service.file_appeal(
        book,
        TENANT,
        appellant="u-head",
        reason="it was our own product",
        now=cst(11, 5),
        policies=POLICIES,
        directory=DIRECTORY,
        entry_id=entry_id,
    )
    assert (created, appeal["status"], appeal["appellant_role"]) == (True, "filed", "head")
    assert (appeal["window_deadline"], appeal["answer_due"]) == (
        "2026-11-09T18:00:00+08:00",
        "2026-11-10T18:00:00+08:00",
    )
    decided = service.decide_appeal(
        book,
        TENANT,
        appeal["appeal_id"],
        "overturned",
        "u-super",
        "an internal product",
        cst(11, 6),
        POLICIES,
    )
    # THEN the appeal, the entry and the finding say so
    assert [e["type"] for e in decided["history"]] == ["filed", "overturned"]
    first = service.get_entry(book, TENANT, entry_id, POLICIES)
    assert (first["status"], types(first)) == (
        "overturned",
        ["proposed", "confirmed", "appeal_filed", "overturned"],
    )
    item = book.find_finding(TENANT, GROUP, "f1")
    assert item is not None
    assert (item.overturned_by_appeal, item.status) == (appeal["appeal_id"], "open")
    # AND the second entry is now the first time: the ladder recommends criticism, not 50 yuan
    second = service.get_entry(book, TENANT, ledger.entry_id(TENANT, GROUP, "f2"), POLICIES)
    assert (second["recommended"]["time"], second["recommended"]["action"]) == (1, "public_criticism")
    assert second["confirmed_sanction"]["action"] == "pay_deduction"
    assert second["needs_review"] is True
    # AND a later audit keeps the overturned mark, and makes no new entry
    stored(store, [advert(1, cst(11, 2)), advert(2, cst(11, 3))], cst(11, 7, 18))
    kept = book.find_finding(TENANT, GROUP, "f1")
    assert kept is not None and kept.overturned_by_appeal == appeal["appeal_id"]
    assert service.get_entry(book, TENANT, entry_id, POLICIES)["status"] == "overturned"


def test_a_stored_finding_reads_as_a_typed_record_with_its_finding_decoded(
    store: Storage, book: LedgerStore
) -> None:
    # GIVEN a finding the worker stored and told the group of
    stored(store, [advert(1, cst(11, 2))], cst(11, 2, 18))
    store.findings.mark_notified(TENANT, GROUP, [("prohibited_content", "f1")], cst(11, 2, 19))
    # WHEN the ledger looks it up, and one that was never stored
    item = book.find_finding(TENANT, GROUP, "f1")
    missing = book.find_finding(TENANT, GROUP, "f9")
    # THEN it has its key, subject, lifecycle and the finding itself; the other is None
    assert item is not None and missing is None
    assert (item.sk, item.finding_id, item.subject_id, item.status) == (
        "FINDING#prohibited_content#f1",
        "f1",
        "u-zhang",
        "open",
    )
    assert (item.first_notified_at, item.overturned_at, item.overturned_by_appeal) == (
        cst(11, 2, 19).isoformat(),
        None,
        None,
    )
    assert item.finding is not None
    assert (item.finding["id"], item.finding["summary"]) == ("f1", "advert 1")


def test_a_stored_finding_without_its_subject_is_a_store_error_naming_it(
    store: Storage, book: LedgerStore
) -> None:
    # GIVEN a stored finding item that lost its subject (corrupt or foreign)
    stored(store, [advert(1, cst(11, 2))], cst(11, 2, 18))
    store.client.update_item(
        TableName=store.table,
        Key={"PK": {"S": f"TENANT#{TENANT}#GROUP#{GROUP}"}, "SK": {"S": "FINDING#prohibited_content#f1"}},
        UpdateExpression="REMOVE subject_id",
    )
    # WHEN the ledger looks it up
    # THEN a StoreError names the finding, its group and the missing field, not a half-read one
    with pytest.raises(StoreError, match=r"finding f1 of group grp-sales .*subject_id"):
        book.find_finding(TENANT, GROUP, "f1")


def test_an_upheld_appeal_leaves_the_entry_confirmed(store: Storage, book: LedgerStore) -> None:
    stored(store, [advert(1, cst(11, 2))], cst(11, 2, 18))
    confirm(book, "f1", cst(11, 3))
    appeal, _ = service.file_appeal(
        book,
        TENANT,
        appellant="u-zhang",
        reason="no",
        now=cst(11, 4),
        policies=POLICIES,
        directory=DIRECTORY,
        entry_id=ledger.entry_id(TENANT, GROUP, "f1"),
    )
    service.decide_appeal(
        book, TENANT, appeal["appeal_id"], "upheld", "u-super", "it is an advert", cst(11, 5), POLICIES
    )
    entry = service.get_entry(book, TENANT, ledger.entry_id(TENANT, GROUP, "f1"), POLICIES)
    assert (entry["status"], types(entry)) == (
        "confirmed",
        ["proposed", "confirmed", "appeal_filed", "appeal_upheld"],
    )
    with pytest.raises(StateConflict, match="only a filed appeal is decided"):
        service.decide_appeal(
            book, TENANT, appeal["appeal_id"], "overturned", "u-super", "x", cst(11, 6), POLICIES
        )


def test_a_late_appeal_is_refused_with_its_deadline_and_kept_on_record(
    store: Storage, book: LedgerStore
) -> None:
    # GIVEN an entry confirmed on Thursday Nov 19 (its window: Fri, Mon, Tue until 18:00)
    stored(store, [advert(1, cst(11, 18))], cst(11, 18, 18))
    confirm(book, "f1", cst(11, 19, 15))
    entry_id = ledger.entry_id(TENANT, GROUP, "f1")

    def appeal_at(moment: datetime) -> tuple[dict[str, Any], bool]:
        return service.file_appeal(
            book,
            TENANT,
            appellant="u-zhang",
            reason="late",
            now=moment,
            policies=POLICIES,
            directory=DIRECTORY,
            entry_id=entry_id,
        )

    # WHEN the person appeals a minute after the window closed
    with pytest.raises(AppealRefused, match="which closed at 2026-11-24T18:00:00") as refused:
        appeal_at(cst(11, 24, 18, 1))
    # THEN the refusal names the deadline, is kept in the month's appeals and in the entry's history
    assert refused.value.deadline == cst(11, 24, 18)
    (kept,) = service.list_appeals(book, TENANT, "2026-11")
    assert (kept["status"], kept["answer_due"]) == ("refused", None)
    assert types(service.get_entry(book, TENANT, entry_id, POLICIES))[-1] == "appeal_refused"
    # AND filing again is refused again
    with pytest.raises(AppealRefused):
        appeal_at(cst(11, 24, 18, 2))


def test_an_appeal_of_a_finding_counts_from_its_first_notice_and_only_the_person_or_head_may_file(
    store: Storage, book: LedgerStore
) -> None:
    stored(store, [advert(1, cst(11, 18))], cst(11, 18, 18))
    store.findings.mark_notified(TENANT, GROUP, [("prohibited_content", "f1")], cst(11, 19, 15))
    with pytest.raises(NotAllowed, match="only the person or the head"):
        service.file_appeal(
            book,
            TENANT,
            appellant="u-super",
            reason="x",
            now=cst(11, 20),
            policies=POLICIES,
            directory=DIRECTORY,
            group_id=GROUP,
            finding_id="f1",
        )
    appeal, created = service.file_appeal(
        book,
        TENANT,
        appellant="u-zhang",
        reason="x",
        now=cst(11, 24, 18),
        policies=POLICIES,
        directory=DIRECTORY,
        group_id=GROUP,
        finding_id="f1",
    )
    assert (created, appeal["target"], appeal["window_deadline"]) == (
        True,
        "finding",
        "2026-11-24T18:00:00+08:00",
    )
    # AND filing it again returns the same appeal
    again, created = service.file_appeal(
        book,
        TENANT,
        appellant="u-zhang",
        reason="x",
        now=cst(11, 25),
        policies=POLICIES,
        directory=DIRECTORY,
        group_id=GROUP,
        finding_id="f1",
    )
    assert (created, again["appeal_id"]) == (False, appeal["appeal_id"])
    with pytest.raises(UnknownItem):
        service.file_appeal(
            book,
            TENANT,
            appellant="u-zhang",
            reason="x",
            now=cst(11, 25),
            policies=POLICIES,
            directory=DIRECTORY,
            group_id=GROUP,
            finding_id="nope",
        )


def test_unanswered_appeals_past_their_deadline_are_flagged_once_to_the_supervision_contact(
    store: Storage, book: LedgerStore
) -> None:
    stored(store, [advert(1, cst(9, 17)), advert(2, cst(9, 17))], cst(9, 17, 18))
    for finding_id in ("f1", "f2"):
        service.file_appeal(
            book,
            TENANT,
            appellant="u-zhang",
            reason="x",
            now=cst(9, 18, 16),
            policies=POLICIES,
            directory=DIRECTORY,
            group_id=GROUP,
            finding_id=finding_id,
        )
    answered = service.list_appeals(book, TENANT, "2026-09")[1]["appeal_id"]
    service.decide_appeal(book, TENANT, answered, "upheld", "u-super", "ok", cst(9, 21), POLICIES)
    sent: list[tuple[str, str]] = []

    def send(tenant: str, text: str) -> None:
        sent.append((tenant, text))

    # WHEN the scheduler asks at the deadline (Tue Sep 22 18:00, after the make-up Sunday) nothing is due
    assert service.overdue_appeals(book, TENANT, cst(9, 22, 18), POLICIES, send) == []
    # AND a minute later the unanswered one is flagged, once
    (flagged,) = service.overdue_appeals(book, TENANT, cst(9, 22, 18, 1), POLICIES, send)
    assert service.overdue_appeals(book, TENANT, cst(9, 23), POLICIES, send) == []
    assert flagged.appeal_id != answered and flagged.flagged_at == cst(9, 22, 18, 1)
    assert len(sent) == 1 and sent[0][0] == TENANT
    assert f"申诉 {flagged.appeal_id}" in sent[0][1] and "2026-09-22T18:00:00+08:00" in sent[0][1]
    history = service.get_appeal(book, TENANT, flagged.appeal_id)["history"]
    assert [(e["type"], e["data"]) for e in history][-1] == ("flagged", {"contact": "u-super"})


def test_another_tenant_sees_nothing(store: Storage, book: LedgerStore) -> None:
    stored(store, [advert(1, cst(11, 2))], cst(11, 2, 18))
    entry_id = ledger.entry_id(TENANT, GROUP, "f1")
    with pytest.raises(UnknownItem):
        service.get_entry(book, "globex", entry_id, POLICIES)
    assert service.list_entries(book, "globex", POLICIES, month="2026-11") == []


def test_a_change_computed_from_an_old_version_is_refused(store: Storage, book: LedgerStore) -> None:
    stored(store, [advert(1, cst(11, 2))], cst(11, 2, 18))
    entry = book.get_entry(TENANT, ledger.entry_id(TENANT, GROUP, "f1"))
    assert entry is not None, "the audit stored f1's entry"
    lapsing = ledger.lapse(entry, cst(11, 3))
    assert lapsing is not None, "the stored entry is proposed, so it lapses"
    lapsed, event = lapsing
    book.change_entry(lapsed, event, "2026-11", entry.version)
    # WHEN a second change is computed from the same (old) version
    other_lapsing = ledger.lapse(replace(entry), cst(11, 3, 1))
    assert other_lapsing is not None
    other, other_event = other_lapsing
    with pytest.raises(StateConflict, match="changed meanwhile"):
        book.change_entry(other, other_event, "2026-11", entry.version)
    assert [e.type for e in book.entry_events(TENANT, entry.entry_id)] == ["proposed", "lapsed"]


# --- the worker ----------------------------------------------------------------------------------


def test_the_worker_makes_one_entry_per_sanctioned_finding_of_the_sample_tenant(
    seeded: list[GroupRegistration], sqs: SQSClient, settings: Settings, store: Storage, book: LedgerStore
) -> None:
    # GIVEN the sample tenant's scheduled audit
    schedule()
    messages = receive_all(sqs, settings.audit_queue_url)
    arn = sqs.get_queue_attributes(QueueUrl=settings.audit_queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    # WHEN the worker handles every group, and SQS delivers the whole batch again
    assert invoke("audit_worker", sqs_event(messages, arn)) == {"batchItemFailures": []}
    invoke("audit_worker", sqs_event(messages, arn))
    # THEN November's ledger holds one proposed entry per sanctioned finding of an employee: a
    # personal-data post, three managers' missed deadlines, a red-line insult; the customer's
    # advert has none
    entries = [
        (e.group_id, e.rule, e.subject_id, e.sanction_kind, e.status)
        for e in book.month_entries("acme", "2026-11")
    ]
    assert sorted(entries) == [
        ("grp-company", "overdue_reply", "u-admin-head", "manager_reply", "proposed"),
        ("grp-mgmt", "overdue_reply", "u-head-rd", "manager_reply", "proposed"),
        ("grp-proj-xinghe", "pii_exposure", "u-li", "content_violation", "proposed"),
        ("grp-sales", "overdue_reply", "u-head-sales", "manager_reply", "proposed"),
        ("grp-sales", "prohibited_content", "u-li", "red_line", "proposed"),
    ]
    assert json.dumps(entries, ensure_ascii=False).count("ext-cust") == 0


def test_overdue_appeals_go_to_the_tenants_supervision_contact_through_the_notice_queue(
    store: Storage, sqs: SQSClient, settings: Settings, book: LedgerStore
) -> None:
    from groupaudit.pipeline import runtime, supervision_contact

    # GIVEN an appeal filed Friday Sep 18 and never answered, and no supervision contact yet
    stored(store, [advert(1, cst(9, 17))], cst(9, 17, 18))
    service.file_appeal(
        book,
        TENANT,
        appellant="u-zhang",
        reason="x",
        now=cst(9, 18, 16),
        policies=POLICIES,
        directory=DIRECTORY,
        group_id=GROUP,
        finding_id="f1",
    )
    s3 = runtime.client("s3")

    def run(now: datetime) -> list:
        return supervision_contact.overdue_appeals_to_contact(
            store, sqs, settings.notice_queue_url, s3, settings.snapshot_bucket, TENANT, now
        )

    # WHEN it is overdue with nobody to tell, nothing is flagged
    assert run(cst(9, 23)) == []
    # WHEN the tenant sets its contact, the next run tells it once, in its language
    contact = supervision_contact.SupervisionContact(
        tenant_id=TENANT,
        type="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        lang="en",
    )
    supervision_contact.put_contact(store, contact)
    (flagged,) = run(cst(9, 24))
    assert run(cst(9, 25)) == []
    (message,) = [json.loads(m["Body"]) for m in receive_all(sqs, settings.notice_queue_url)]
    assert (message["tenant_id"], message["platform"]) == (TENANT, "wecom")
    assert message["text"].startswith("1 appeal(s) unanswered past their deadline:")
    assert flagged.appeal_id in message["text"] and "due 2026-09-22T18:00:00+08:00" in message["text"]


def test_the_scheduled_run_flags_an_appeal_unanswered_past_its_deadline_once(
    store: Storage, sqs: SQSClient, settings: Settings, book: LedgerStore
) -> None:
    from groupaudit.pipeline import supervision_contact

    # GIVEN acme's supervision contact, and an appeal of an entry filed Friday Sep 18 16:00: its
    # 3 working days to answer skip the weekend, so it is due Tuesday Sep 22 18:00
    contact = supervision_contact.SupervisionContact(
        tenant_id=TENANT,
        type="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        lang="en",
    )
    supervision_contact.put_contact(store, contact)
    stored(store, [advert(1, cst(9, 17))], cst(9, 17, 18))
    entry_id = ledger.entry_id(TENANT, GROUP, "f1")
    appeal, _ = service.file_appeal(
        book, TENANT, appellant="u-zhang", reason="not mine", now=cst(9, 18, 16),
        policies=POLICIES, directory=DIRECTORY, entry_id=entry_id,
    )  # fmt: skip

    def scheduled(when: str) -> list[str]:
        event = {"source": "schedule", "tenant_id": TENANT, "workdays_only": True, "scheduled_time": when}
        result = invoke("scheduler", event)
        texts = [json.loads(m["Body"])["text"] for m in receive_all(sqs, settings.notice_queue_url)]
        assert result["appeals_flagged"] == len(texts)
        return texts

    # WHEN the scheduled run comes an hour before the deadline, nothing is told
    assert scheduled("2026-09-22T09:00:00Z") == []
    # WHEN it comes the next working day, past the deadline: one message to the contact
    (text,) = scheduled("2026-09-23T10:00:00Z")
    assert text.startswith("1 appeal(s) unanswered past their deadline:")
    assert f"appeal {appeal['appeal_id']}" in text
    assert f"entry {entry_id}" in text
    assert "due 2026-09-22T18:00:00+08:00" in text
    flagged = book.get_appeal(TENANT, appeal["appeal_id"])
    assert flagged is not None and flagged.flagged_at is not None
    # AND the run of the day after tells nothing again
    assert scheduled("2026-09-24T10:00:00Z") == []


def test_an_overturned_finding_is_no_longer_in_its_groups_digest(
    seeded: list[GroupRegistration], sqs: SQSClient, settings: Settings, store: Storage, book: LedgerStore
) -> None:
    from groupaudit.pipeline import runtime

    # GIVEN the sample tenant audited: the sales head's missed reply is in the sales digest
    def audit(when: str) -> dict:
        schedule(when)
        messages = [m for m in receive_all(sqs, settings.audit_queue_url) if GROUP in m["Body"]]
        arn = sqs.get_queue_attributes(QueueUrl=settings.audit_queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        invoke("audit_worker", sqs_event(messages, arn))
        (notice,) = [json.loads(m["Body"]) for m in receive_all(sqs, settings.notice_queue_url)]
        return notice

    first = audit("2026-11-20T10:00:00Z")
    (entry,) = [
        e for e in book.month_entries(TENANT, "2026-11") if e.group_id == GROUP and e.rule == "overdue_reply"
    ]
    assert ["overdue_reply", entry.finding_id] in first["findings"]
    # WHEN the head's appeal is overturned by the supervision team
    directory, policies = service.tenant_inputs(runtime.client("s3"), settings.snapshot_bucket, TENANT)
    appeal, _ = service.file_appeal(
        book,
        TENANT,
        appellant=entry.subject_id,
        reason="I answered by phone",
        now=cst(11, 23),
        policies=policies,
        directory=directory,
        entry_id=entry.entry_id,
    )
    service.decide_appeal(
        book, TENANT, appeal["appeal_id"], "overturned", "u-super", "phone call", cst(11, 24), policies
    )
    # THEN the next audit still stores the finding, but its group is not told of it again
    second = audit("2026-11-25T10:00:00Z")
    assert ["overdue_reply", entry.finding_id] not in second["findings"]
    assert len(second["findings"]) == len(first["findings"]) - 1
    still = book.find_finding(TENANT, GROUP, entry.finding_id)
    assert still is not None and still.status == "open"

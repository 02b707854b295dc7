"""Store details: pagination's last page, run counters, the replay window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import msgspec
import pytest
from botocore.stub import ANY, Stubber

from groupaudit.adapters.storage import Storage
from groupaudit.adapters.storage.dynamo import RETRY, StaleAudit, StoreConflict
from groupaudit.contracts import Finding

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _finding(index: int) -> Finding:
    return Finding(
        id=f"{index:032x}",
        rule="stale_file",
        kind="inactive",
        severity="info",
        subject_id=f"f-{index}",
        message_id=None,
        file_id=f"f-{index}",
        detected_at=AT,
        policy_ref="000 五(三)1",
        summary="s",
        evidence={},
    )


def test_a_full_last_page_carries_no_cursor(store):
    # GIVEN exactly 100 open findings
    store.findings.sync_findings("acme", "g", "a" * 32, AT, [_finding(i) for i in range(100)], {})
    # WHEN paged by 50
    first, cursor = store.findings.findings_page("acme", "g", "open", 50, None)
    second, end = store.findings.findings_page("acme", "g", "open", 50, cursor)
    # THEN two pages, and no cursor leading to an empty third
    assert (len(first), len(second), end) == (50, 50, None)
    assert {f.finding_id for f in first}.isdisjoint(f.finding_id for f in second)


def test_a_skipped_run_counts_as_done_not_failed(store):
    # GIVEN an audit of two groups
    store.runs.create_audit("acme", "b" * 32, ["g1", "g2"], "api", AT)
    run = {"finished_at": AT.isoformat(), "duration_ms": 5}
    # WHEN one run is skipped (a newer audit existed) and one failed
    store.runs.finish_run("acme", "g1", "b" * 32, {**run, "status": "skipped"})
    store.runs.finish_run("acme", "g2", "b" * 32, {**run, "status": "failed", "error": "x"})
    # THEN both are done and only one failed; recording again changes nothing
    assert store.runs.finish_run("acme", "g2", "b" * 32, {**run, "status": "failed"}) is False
    audit = store.runs.audit("acme", "b" * 32)
    assert (audit.groups_done, audit.groups_failed, audit.groups_skipped) == (2, 1, 1)


def test_a_signature_is_remembered_for_the_window_asked(store, aws):
    # GIVEN a signature remembered for 20 minutes
    assert store.limits.remember_signature("acme", "sha256=ab", AT, timedelta(minutes=20)) is True
    # WHEN it is seen again
    # THEN it is refused, and its expiry is 20 minutes out
    assert store.limits.remember_signature("acme", "sha256=ab", AT, timedelta(minutes=20)) is False
    item = store.client.get_item(
        TableName=store.table, Key={"PK": {"S": "NONCE#acme"}, "SK": {"S": "sha256=ab"}}
    )
    assert int(item["Item"]["expires_at"]["N"]) == int((AT + timedelta(minutes=20)).timestamp())


def test_stored_finding_round_trips_the_contract(store):
    # GIVEN a finding synced
    finding = _finding(7)
    store.findings.sync_findings("acme", "g", "c" * 32, AT, [finding], {})
    # WHEN read back through the listing
    (item,), _ = store.findings.findings_page("acme", "g", None, 10, None)
    # THEN the stored finding equals the engine's, field for field
    assert item.finding == msgspec.to_builtins(finding)
    assert (item.status, item.first_seen) == ("open", AT.isoformat())


# --- a cancelled findings transaction: only the guard's condition means "a newer audit" -------


def _cancelling(reasons: list[dict] | None) -> Storage:
    """A store whose TransactWriteItems are all cancelled with ``reasons`` (None: without any),
    as often as the store tries (it tries a transient cancellation again, without waiting here)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    stubber = Stubber(client)
    fields = {} if reasons is None else {"CancellationReasons": reasons}
    for _ in range(RETRY.attempts):
        stubber.add_client_error(
            "transact_write_items",
            service_error_code="TransactionCanceledException",
            service_message="Transaction cancelled, please refer cancellation reasons for specific reasons",
            http_status_code=400,
            modeled_fields=fields,
            expected_params={"TransactItems": ANY},
        )
    stubber.activate()
    return Storage("AuditTable", client, sleep=lambda _: None)


@pytest.mark.parametrize(
    ("reasons", "cause"),
    [
        ([{"Code": "None"}, {"Code": "TransactionConflict", "Message": "conflict"}], "TransactionConflict"),
        ([{"Code": "ThrottlingError"}, {"Code": "ThrottlingError"}], "ThrottlingError"),
        ([{"Code": "None"}, {"Code": "ProvisionedThroughputExceeded"}], "ProvisionedThroughputExceeded"),
        ([{"Code": "None"}, {"Code": "ConditionalCheckFailed"}], "ConditionalCheckFailed"),  # a finding's
        (None, "no reason given"),
    ],
)
def test_a_transaction_cancelled_for_another_reason_than_a_newer_audit_is_retryable(reasons, cause):
    # GIVEN DynamoDB cancelling the findings' transaction for a conflict, throttling, a finding
    # item's own condition, or without saying why (the guard's condition held)
    store = _cancelling(reasons)
    # WHEN an audit's findings are written
    with pytest.raises(StoreConflict) as raised:
        store.findings.sync_findings("acme", "g", "a" * 32, AT, [_finding(1)], {})
    # THEN it is a conflict to retry, naming the cause, not a stale audit
    assert not isinstance(raised.value, StaleAudit)
    assert str(raised.value) == f"DynamoDB cancelled writing the findings of group g ({cause}); to be retried"


def test_only_the_guards_failed_condition_means_a_newer_audit_came_first():
    # GIVEN DynamoDB cancelling the transaction because the group's STATE guard failed
    store = _cancelling([{"Code": "ConditionalCheckFailed"}, {"Code": "None"}])
    # WHEN an audit's findings are written
    # THEN the audit is stale
    with pytest.raises(StaleAudit, match="a newer audit of group g was stored first"):
        store.findings.sync_findings("acme", "g", "a" * 32, AT, [_finding(1)], {})


def test_a_newer_audit_claiming_the_group_after_this_one_began_stops_its_writes(store):
    # GIVEN an audit as of AT that claimed the group, then a newer one (a day later) claiming it too
    store.guard.begin_group_audit("acme", "g", AT)
    store.guard.begin_group_audit("acme", "g", AT + timedelta(days=1))
    # WHEN the first audit writes its findings
    # THEN the guard stops it: stale, and nothing of it is stored
    with pytest.raises(StaleAudit):
        store.findings.sync_findings("acme", "g", "a" * 32, AT, [_finding(1)], {})
    assert store.findings.findings_page("acme", "g", None, 10, None) == ([], None)


def test_every_transaction_carries_the_guard_and_at_most_100_items(store, monkeypatch):
    # GIVEN 250 findings, and the transactions sent recorded
    sent: list[list[dict]] = []
    original = store.client.transact_write_items

    def recording(TransactItems):
        sent.append(TransactItems)
        return original(TransactItems=TransactItems)

    monkeypatch.setattr(store.client, "transact_write_items", recording)
    # WHEN they are written
    store.findings.sync_findings("acme", "g", "a" * 32, AT, [_finding(i) for i in range(250)], {})
    # THEN three transactions of at most 100 items, each starting with the STATE guard
    assert [len(items) for items in sent] == [100, 100, 53]
    assert all(items[0]["ConditionCheck"]["Key"]["SK"] == {"S": "STATE"} for items in sent)
    assert len(store.findings.findings_page("acme", "g", None, 200, None)[0]) == 200


def test_an_audit_time_stored_from_the_future_never_blocks_a_later_audit(store):
    # GIVEN a group whose STATE and finding say year 2999 (a snapshot from the future, stored
    # before such snapshots were refused), which makes any audit without a bound stale
    future = datetime(2999, 1, 1, tzinfo=UTC)
    store.guard.begin_group_audit("acme", "g", future)
    store.findings.sync_findings("acme", "g", "f" * 32, future, [_finding(1)], {})
    with pytest.raises(StaleAudit):
        store.guard.begin_group_audit("acme", "g", AT)
    # WHEN a real audit, received before AT plus the accepted clock skew, claims the group and writes
    bound = AT + timedelta(minutes=5)
    store.guard.begin_group_audit("acme", "g", AT, bound)
    stored = store.findings.stored_findings("acme", "g")
    store.findings.sync_findings("acme", "g", "a" * 32, AT, [_finding(1)], stored, bound)
    # THEN it was not stale: the finding now says AT, and so does the group's state
    (item,), _ = store.findings.findings_page("acme", "g", None, 10, None)
    assert (item.last_seen, item.last_audit_id) == (AT.isoformat(), "a" * 32)
    with pytest.raises(StaleAudit):
        store.guard.begin_group_audit("acme", "g", AT - timedelta(days=1))


def test_put_items_writes_every_item_over_several_requests_replacing_those_of_the_same_key(store):
    # GIVEN an item already stored under the first key
    def item(number: int, value: str) -> dict[str, dict[str, str]]:
        return {"PK": {"S": "TEST#put"}, "SK": {"S": f"ITEM#{number:02d}"}, "value": {"S": value}}

    store.put_items([item(0, "old")])
    # WHEN 30 items are put: more than the 25 of one request, the first of the same key
    written = store.put_items([item(number, f"v{number}") for number in range(30)])
    # THEN all 30 are stored, each as given, the old one replaced
    items = store.client.query(
        TableName=store.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "TEST#put"}},
        ConsistentRead=True,
    )["Items"]
    assert written == 30
    assert [(i["SK"]["S"], i["value"]["S"]) for i in items] == [(f"ITEM#{n:02d}", f"v{n}") for n in range(30)]

"""DynamoDB failing as it does: transient errors are tried again with backoff, what cannot
succeed fails loudly, and a run is counted once however often its write is tried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import ANY

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.stub import Stubber

from groupaudit.adapters.storage import Storage
from groupaudit.adapters.storage.dynamo import RETRY, StoreError, transient
from groupaudit.local.chaos import Faults, Scenario
from groupaudit.pipeline import runtime

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
KEY = {"PK": {"S": "TENANT#acme"}, "SK": {"S": "GROUP#g"}}


def _stubbed() -> tuple[Storage, Stubber, list[float]]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    stubber = Stubber(client)
    waits: list[float] = []
    return Storage("AuditTable", client, sleep=waits.append), stubber, waits


def _throttled(
    stubber: Stubber, operation: str, code: str = "ProvisionedThroughputExceededException"
) -> None:
    stubber.add_client_error(
        operation, service_error_code=code, service_message="slow down", http_status_code=400
    )


def test_a_throttled_call_is_tried_again_with_growing_waits_until_it_succeeds():
    # GIVEN DynamoDB throttling a read twice, then answering
    store, stubber, waits = _stubbed()
    _throttled(stubber, "get_item")
    _throttled(stubber, "get_item", "ThrottlingException")
    stubber.add_response("get_item", {})
    stubber.activate()
    # WHEN the store reads the group
    found = store.groups.get_group("acme", "g")
    # THEN it got the answer on the third try, after two waits within the growing bounds
    assert found is None
    stubber.assert_no_pending_responses()
    assert len(waits) == 2
    assert 0 <= waits[0] <= RETRY.base_s and 0 <= waits[1] <= 2 * RETRY.base_s


def test_a_call_throttled_on_every_try_raises_the_last_error_after_all_attempts():
    # GIVEN DynamoDB answering 500 on every try
    store, stubber, waits = _stubbed()
    for _ in range(RETRY.attempts):
        stubber.add_client_error(
            "get_item", service_error_code="InternalServerError", service_message="boom", http_status_code=500
        )
    stubber.activate()
    # WHEN the store reads
    with pytest.raises(ClientError) as raised:
        store.groups.get_group("acme", "g")
    # THEN the error is DynamoDB's own, after every attempt and one wait less
    assert raised.value.response["Error"]["Code"] == "InternalServerError"
    stubber.assert_no_pending_responses()
    assert len(waits) == RETRY.attempts - 1
    assert max(waits) <= RETRY.cap_s


def test_a_failed_condition_is_an_answer_not_tried_again():
    # GIVEN a signature seen before (the conditional put fails)
    store, stubber, waits = _stubbed()
    stubber.add_client_error(
        "put_item", service_error_code="ConditionalCheckFailedException", http_status_code=400
    )
    stubber.activate()
    # WHEN it is remembered again
    # THEN the answer is "seen", after one call and no wait
    assert store.limits.remember_signature("acme", "sig", AT) is False
    assert waits == []


@pytest.mark.parametrize(
    ("reasons", "worth_again"),
    [
        ([{"Code": "None"}, {"Code": "TransactionConflict"}], True),
        ([{"Code": "ThrottlingError"}, {"Code": "None"}], True),
        ([{"Code": "None"}, {"Code": "ConditionalCheckFailed"}], False),
        ([{"Code": "ConditionalCheckFailed"}, {"Code": "TransactionConflict"}], False),
        ([], False),
    ],
)
def test_a_cancelled_transaction_is_tried_again_only_when_no_condition_failed(reasons, worth_again):
    # GIVEN DynamoDB's cancellation with these reasons
    error = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": reasons,
        },
        "TransactWriteItems",
    )
    # THEN only a conflict or throttling, no failed condition, is worth the same call again
    assert transient(error) is worth_again


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url="http://dynamodb"),
        ConnectTimeoutError(endpoint_url="http://dynamodb"),
        ConnectionClosedError(endpoint_url="http://dynamodb"),
        EndpointConnectionError(endpoint_url="http://dynamodb"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_call_that_timed_out_or_lost_its_connection_is_tried_again(error):
    # GIVEN a write whose answer never came: DynamoDB may or may not have applied it
    # THEN it is worth the same call again (every write of the store may be repeated)
    assert transient(error) is True


def test_an_error_of_our_own_making_is_not_tried_again():
    assert transient(ValueError("bad item")) is False


def _put(n: int) -> dict:
    return {"PutRequest": {"Item": {"PK": {"S": f"P{n}"}, "SK": {"S": "S"}}}}


def test_unprocessed_batch_writes_are_sent_again_after_a_backoff():
    # GIVEN DynamoDB leaving one of two puts unprocessed, twice
    store, stubber, waits = _stubbed()
    left = {"AuditTable": [_put(2)]}
    stubber.add_response(
        "batch_write_item", {"UnprocessedItems": left}, {"RequestItems": {"AuditTable": [_put(1), _put(2)]}}
    )
    stubber.add_response("batch_write_item", {"UnprocessedItems": left}, {"RequestItems": left})
    stubber.add_response("batch_write_item", {"UnprocessedItems": {}}, {"RequestItems": left})
    stubber.activate()
    # WHEN the store writes both
    store._batch_write([_put(1), _put(2)])
    # THEN only the unprocessed put was sent again, after a wait each time
    stubber.assert_no_pending_responses()
    assert len(waits) == 2 and waits[1] <= 2 * RETRY.base_s


def test_batch_writes_still_unprocessed_after_every_attempt_fail_loudly():
    # GIVEN DynamoDB never processing one of the puts
    store, stubber, waits = _stubbed()
    for _ in range(RETRY.attempts):
        stubber.add_response(
            "batch_write_item", {"UnprocessedItems": {"AuditTable": [_put(2)]}}, {"RequestItems": ANY}
        )
    stubber.activate()
    # WHEN the store writes
    # THEN it says how many were left, after how many attempts
    with pytest.raises(
        StoreError, match=rf"DynamoDB left 1 of 2 batch writes unprocessed after {RETRY.attempts} attempts"
    ):
        store._batch_write([_put(1), _put(2)])
    assert len(waits) == RETRY.attempts - 1


def _run(status: str = "succeeded", findings: int = 3) -> dict:
    return {"status": status, "finished_at": AT.isoformat(), "duration_ms": 12.0, "findings": findings}


def test_a_run_recorded_again_moves_the_audit_counters_once(settings):
    # GIVEN an audit request of two groups
    store = runtime.store(settings)
    store.runs.create_audit("acme", "a" * 32, ["g1", "g2"], "schedule", AT)
    # WHEN one group's run is recorded, then recorded again (a redelivery, a retried write)
    first = store.runs.finish_run("acme", "g1", "a" * 32, _run())
    again = store.runs.finish_run("acme", "g1", "a" * 32, _run(findings=9))
    # THEN the second is refused and the counters moved once, with the first run's findings
    audit = store.runs.audit("acme", "a" * 32)
    assert audit is not None
    assert (first, again) == (True, False)
    assert (audit.groups_done, audit.groups_failed, audit.findings_total) == (1, 0, 3)
    assert [run.findings for run in audit.runs] == [3]


def test_a_run_is_counted_after_its_cancelled_write_is_tried_again(settings, monkeypatch):
    # GIVEN an audit request, and DynamoDB cancelling the first write of the run for a conflict
    store = runtime.store(settings)
    store.runs.create_audit("acme", "a" * 32, ["g1"], "schedule", AT)
    faults = Faults(Scenario("t", "t", dynamodb_errors=True), 1, rate=1.0)
    monkeypatch.setattr(
        faults,
        "choice",
        lambda options: options[-1] if options[-1][1] == "TransactionCanceledException" else options[0],
    )
    calls: list[str] = []

    def once(model, params, **kwargs):
        if model.name != "TransactWriteItems" or calls:
            return None
        calls.append(model.name)
        faults.active = True
        try:
            return faults.before_dynamodb_call(model, params)
        finally:
            faults.active = False

    runtime.client("dynamodb").meta.events.register("before-call.dynamodb", once)
    # WHEN the run is recorded
    recorded = store.runs.finish_run("acme", "g1", "a" * 32, _run("failed", 0))
    # THEN it was tried again and counted exactly once, as failed
    audit = store.runs.audit("acme", "a" * 32)
    assert audit is not None
    assert recorded is True and calls == ["TransactWriteItems"]
    assert faults.injected == {"TransactionCanceledException": 1}
    assert (audit.groups_done, audit.groups_failed) == (1, 1)


def test_a_manual_run_without_a_request_is_recorded_alone(settings):
    # GIVEN no audit request for this audit id
    store = runtime.store(settings)
    # WHEN a run is recorded, and again
    # THEN it is stored once, and nothing is counted anywhere
    assert store.runs.finish_run("acme", "g1", "b" * 32, _run()) is True
    assert store.runs.finish_run("acme", "g1", "b" * 32, _run()) is False
    run = store.runs.run("acme", "g1", "b" * 32)
    assert run is not None and run.status == "succeeded"
    assert store.runs.audit("acme", "b" * 32) is None


def test_injected_errors_are_the_exceptions_dynamodb_raises(settings):
    # GIVEN every call of the functions' client failing as DynamoDB fails
    client = runtime.client("dynamodb")
    faults = Faults(Scenario("t", "t", dynamodb_errors=True), 7, rate=1.0)
    faults.active = True
    client.meta.events.register("before-call.dynamodb", faults.before_dynamodb_call)
    items = [
        {
            "ConditionCheck": {
                "TableName": settings.table_name,
                "Key": KEY,
                "ConditionExpression": "attribute_exists(PK)",
            }
        },
        {
            "ConditionCheck": {
                "TableName": settings.table_name,
                "Key": KEY,
                "ConditionExpression": "attribute_exists(PK)",
            }
        },
    ]
    seen = {}
    # WHEN transactions are written until each kind of error came once
    for _ in range(60):
        with pytest.raises(ClientError) as raised:
            client.transact_write_items(TransactItems=items)
        seen[raised.value.response["Error"]["Code"]] = raised.value
    # THEN each is the modelled exception of its code, with DynamoDB's status; a cancelled
    # transaction gives one reason per item, one of them a conflict or throttling
    assert set(seen) == {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "InternalServerError",
        "TransactionCanceledException",
    }
    assert isinstance(seen["TransactionCanceledException"], client.exceptions.TransactionCanceledException)
    assert isinstance(seen["ThrottlingException"], client.exceptions.ThrottlingException)
    assert seen["InternalServerError"].response["ResponseMetadata"]["HTTPStatusCode"] == 500
    reasons = [r["Code"] for r in seen["TransactionCanceledException"].response["CancellationReasons"]]
    assert len(reasons) == 2 and reasons.count("None") == 1
    assert set(reasons) - {"None"} <= {"TransactionConflict", "ThrottlingError"}


def test_a_notice_claim_applied_and_then_answered_500_is_still_the_claim():
    # GIVEN a table whose first UpdateItem is applied and then answered 500 (the answer lost)
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="AuditTable",
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        lost: list[str] = []

        def answer_lost(http_response, parsed, model, **_):
            if model.name == "UpdateItem" and not lost:
                lost.append(model.name)
                http_response.status_code = 500
                parsed.clear()
                parsed.update(
                    {
                        "Error": {"Code": "InternalServerError", "Message": "lost"},
                        "ResponseMetadata": {"HTTPStatusCode": 500},
                    }
                )

        client.meta.events.register("after-call.dynamodb.UpdateItem", answer_lost)
        store = Storage("AuditTable", client, sleep=lambda _s: None)
        # WHEN the notifier claims the notice (the store tries the call again after the 500)
        answer = store.notices.claim_notice("acme", "g", "a1", AT, timedelta(minutes=15))
        # THEN the claim is this delivery's, not "busy" behind its own lease
        assert lost == ["UpdateItem"]
        assert answer == "claimed"
        # AND another delivery, with the lease unexpired, is busy
        assert store.notices.claim_notice("acme", "g", "a1", AT, timedelta(minutes=15)) == "busy"

"""Powertools conventions of the four functions: each record's log keys on its own lines only,
the cold-start metric, Powertools' SQS record model loaded on the first batch (not at import),
and the tests' functions running with the template's environment and log level."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest

from groupaudit.local.invoke import LambdaContext, load_handler, sqs_event
from groupaudit.local.resources import load_template
from groupaudit.local.stack import TEMPLATE
from groupaudit.pipeline import batch
from groupaudit.pipeline.notify import LEASE
from groupaudit.pipeline.telemetry import logger
from groupaudit.wire import NoticeChannel, NoticeMessage
from kit import ROOT, function_environment
from pipeline.conftest import aws, settings, store  # noqa: F401

QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:groupaudit-notices"


def _notice(tenant: str, group: str) -> NoticeMessage:
    return NoticeMessage(
        tenant_id=tenant,
        group_id=group,
        audit_id=uuid.uuid4().hex,
        platform="dingtalk",
        channel=NoticeChannel(type="console"),
        text="## 群规检查",
        mention_ids=[],
        findings=[],
        created_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
    )


@pytest.fixture
def log_lines(aws, monkeypatch):  # noqa: F811
    """What the functions' log handler writes (Powertools' JSON lines, as in CloudWatch), parsed."""
    buffer = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", buffer)
    return lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]


# --- per-record log keys -----------------------------------------------------------------------


def test_each_record_of_a_batch_logs_with_its_own_keys_and_none_of_another(log_lines, store):  # noqa: F811
    # GIVEN a batch of three notice records: one delivered, one whose notice another delivery
    # holds (it fails, and Powertools logs the failure), and one that is not a notice at all
    sent, busy = _notice("acme", "grp-sales"), _notice("globex", "grp-ops")
    store.notices.claim_notice(busy.tenant_id, busy.group_id, busy.audit_id, datetime.now(UTC), LEASE)
    messages = [
        {"MessageId": "m-sent", "ReceiptHandle": "r1", "Body": sent.model_dump_json()},
        {"MessageId": "m-busy", "ReceiptHandle": "r2", "Body": busy.model_dump_json()},
        {"MessageId": "m-bad", "ReceiptHandle": "r3", "Body": "not a notice"},
    ]
    # WHEN the notifier function handles the batch
    response = load_handler("notifier")(sqs_event(messages, QUEUE_ARN), LambdaContext("notifier"))
    lines = log_lines()
    # THEN the busy and the bad record are reported back
    assert {f["itemIdentifier"] for f in response["batchItemFailures"]} == {"m-busy", "m-bad"}
    # AND every line of a record carries that record's keys, and only its
    expected = {
        "m-sent": {"tenant_id": "acme", "group_id": "grp-sales", "audit_id": sent.audit_id},
        "m-busy": {"tenant_id": "globex", "group_id": "grp-ops", "audit_id": busy.audit_id},
        "m-bad": {},
    }
    by_record: dict[str, list[str]] = {}
    for line in lines:
        record = line.get("message_id")
        if record is None:
            assert not {"tenant_id", "group_id", "audit_id"} & set(line), line
            continue
        by_record.setdefault(record, []).append(line["message"])
        assert {key: line[key] for key in ("tenant_id", "group_id", "audit_id") if key in line} == expected[
            record
        ], line
    assert by_record["m-sent"] == ["notice handled"]
    assert by_record["m-busy"] == ["Record processing exception; skipping this record"]
    assert by_record["m-bad"] == ["Record processing exception; skipping this record"]
    # AND none of the keys outlives the batch
    assert not set(batch.RECORD_KEYS) & set(logger.get_current_keys())


def test_the_delivered_record_is_logged_at_info_with_its_outcome(log_lines):
    # GIVEN one console notice
    notice = _notice("acme", "grp-rd")
    message = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": notice.model_dump_json()}
    # WHEN the notifier handles it
    load_handler("notifier")(sqs_event([message], QUEUE_ARN), LambdaContext("notifier"))
    # THEN its line names the outcome beside the record's keys and the invocation's context
    (line,) = [line for line in log_lines() if line["message"] == "notice handled"]
    assert line["level"] == "INFO"
    assert (line["status"], line["channel"], line["mentions"]) == ("sent", "console", 0)
    assert (line["tenant_id"], line["group_id"], line["audit_id"]) == ("acme", "grp-rd", notice.audit_id)
    assert line["function_name"] == "notifier"


# --- cold start --------------------------------------------------------------------------------

COLD_START = r"""
import io, json, sys
from contextlib import redirect_stdout
import boto3
from moto import mock_aws
from groupaudit.local.invoke import LambdaContext, load_handler, sqs_event
from groupaudit.local.resources import create_resources
from groupaudit.local.stack import TEMPLATE
import os
name, event = sys.argv[1], json.loads(sys.argv[2])
with mock_aws():
    os.environ.update(create_resources(boto3.Session(region_name="us-east-1"), TEMPLATE))
    handler = load_handler(name)
    outputs = []
    for _ in range(2):
        out = io.StringIO()
        with redirect_stdout(out):
            handler(event, LambdaContext(name))
        outputs.append(out.getvalue())
print(json.dumps(outputs))
"""

BAD_RECORD = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": "not a message"}
UNSIGNED = {
    **json.loads((ROOT / "events" / "api_post_audits.json").read_text(encoding="utf-8")),
    "headers": {"content-type": "application/json"},
}
COLD_EVENTS = {
    "scheduler": {"source": "schedule", "tenant_id": "acme", "scheduled_time": "2026-11-20T02:00:00Z"},
    "audit_worker": sqs_event([BAD_RECORD], QUEUE_ARN),
    "notifier": sqs_event([BAD_RECORD], QUEUE_ARN),
    "api": UNSIGNED,
}


def _cold_start_metrics(output: str) -> list[dict]:
    blobs = [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]
    return [blob for blob in blobs if "ColdStart" in blob]


@pytest.mark.parametrize("name", sorted(COLD_EVENTS))
def test_each_function_counts_its_cold_start_once(name):
    # GIVEN a fresh process with the function's environment, metrics on
    environment = {**function_environment(), "POWERTOOLS_METRICS_DISABLED": "false"}
    # WHEN the function is invoked twice (the first is the container's cold start)
    result = subprocess.run(
        [sys.executable, "-c", COLD_START, name, json.dumps(COLD_EVENTS[name])],
        env={**environment, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout.strip().splitlines()[-1])
    # THEN the first invocation emits one ColdStart metric of the function, the second none
    (metric,) = _cold_start_metrics(first)
    assert metric["ColdStart"] == [1.0] or metric["ColdStart"] == 1.0
    assert (metric["function_name"], metric["service"]) == (name, "groupaudit")
    (directive,) = metric["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "GroupAudit"
    assert {"Name": "ColdStart", "Unit": "Count"} in directive["Metrics"]
    assert _cold_start_metrics(second) == []


# --- Powertools' SQS record model, loaded on the first batch -----------------------------------

LAZY = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import handler
lazy = ("pydantic", "aws_lambda_powertools.utilities.parser.models", "groupaudit.wire")
at_import = {name: name in sys.modules for name in lazy}
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from groupaudit.pipeline import batch
model = batch.processor(sys.argv[2]).model  # what the first batch builds
print(json.dumps({
    "at_import": at_import,
    "powertools_model": issubclass(model, SqsRecordModel),
    "body": repr(model.model_fields["body"].annotation),
}))
"""

QUEUES = [("audit_worker", "audit", "AuditMessage"), ("notifier", "notice", "NoticeMessage")]


@pytest.mark.parametrize(("name", "queue", "message"), QUEUES)
def test_the_queue_functions_load_the_record_models_on_the_first_batch_not_at_import(name, queue, message):
    # GIVEN a fresh process
    # WHEN the queue function's handler module is imported, then its first batch's processor built
    result = subprocess.run(
        [sys.executable, "-c", LAZY, str(ROOT / "functions" / name), queue],
        env={**function_environment(), "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # THEN the import loaded neither pydantic, nor Powertools' parser models, nor the messages
    assert report["at_import"] == {
        "pydantic": False,
        "aws_lambda_powertools.utilities.parser.models": False,
        "groupaudit.wire": False,
    }
    # AND the batch's records are Powertools' SqsRecordModel with the queue's message as the body
    assert report["powertools_model"] is True
    assert message in report["body"]


def test_a_real_sqs_record_parses_into_its_message_with_the_receive_count():
    # GIVEN an SQS event-source record of a notice, received a third time
    notice = _notice("acme", "grp-sales")
    received = {"ApproximateReceiveCount": "3"}
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r1",
        "Body": notice.model_dump_json(),
        "Attributes": received,
    }
    event = sqs_event([message], QUEUE_ARN)
    # WHEN the notice queue's record model parses it
    record = batch.record_model(NoticeMessage).model_validate(event["Records"][0])
    # THEN the body is the notice and Powertools' attributes are typed
    assert record.body == notice
    assert (record.messageId, record.receiptHandle, record.attributes.ApproximateReceiveCount) == (
        "m1",
        "r1",
        "3",
    )


# --- the template's environment and log level -------------------------------------------------


def test_the_functions_tests_run_with_the_templates_environment_and_log_level(aws):  # noqa: F811
    # GIVEN the template's Globals environment
    variables = load_template(TEMPLATE)["Globals"]["Function"]["Environment"]["Variables"]
    literal = {key: str(value) for key, value in variables.items() if not isinstance(value, dict)}
    # WHEN a test of the functions runs (the ``aws`` fixture)
    # THEN it has every literal variable of the template, the log level through its parameter
    assert {key: os.environ.get(key) for key in literal} == literal
    assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert os.environ["POWERTOOLS_LOG_LEVEL"] == "INFO"
    # AND the functions' logger emits at that level
    assert logging.getLogger("groupaudit").getEffectiveLevel() == logging.INFO
    # AND every resource variable names a created resource
    assert all(os.environ[key] for key, value in variables.items() if isinstance(value, dict))


def test_the_functions_log_through_the_templates_service_however_they_were_imported():
    # GIVEN the template's service and namespace
    variables = load_template(TEMPLATE)["Globals"]["Function"]["Environment"]["Variables"]
    # WHEN the functions' telemetry is imported without them in the environment (tests, tools)
    probe = (
        "from groupaudit.pipeline.telemetry import logger, metrics;"
        "print(logger.service, logger.name, metrics.namespace)"
    )
    environment = {"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, timeout=60, check=True
    )
    # THEN the Logger and Metrics are the template's all the same: one ``groupaudit`` logger
    service, name, namespace = result.stdout.split()
    assert service == name == variables["POWERTOOLS_SERVICE_NAME"] == "groupaudit"
    assert namespace == variables["POWERTOOLS_METRICS_NAMESPACE"]

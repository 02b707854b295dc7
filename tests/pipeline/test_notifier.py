"""The notifier: one notice per group per run, renotify window, dry run, the signed webhook."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from groupaudit.local.invoke import drain, load_handler, sqs_event
from groupaudit.pipeline import runtime
from groupaudit.signing import sign_webhook
from groupaudit.wire import NoticeChannel, NoticeMessage
from kit import LogTap, invoke, receive_all, schedule

SALES = "grp-sales"
SECRET = b"webhook-secret-for-tests"


def _audit(sqs, settings, scheduled="2026-11-20T10:00:00Z", group=SALES) -> str:
    audit_id = schedule(scheduled)["audits"]["acme"]
    messages = [
        m for m in receive_all(sqs, settings.audit_queue_url) if json.loads(m["Body"])["group_id"] == group
    ]
    arn = sqs.get_queue_attributes(QueueUrl=settings.audit_queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    invoke("audit_worker", sqs_event(messages, arn))
    return audit_id


def _notify(sqs, settings, messages: list[dict]) -> dict:
    arn = sqs.get_queue_attributes(QueueUrl=settings.notice_queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    return invoke("notifier", sqs_event(messages, arn))


def _register(store, registration, **channel):
    store.groups.put_group(registration.model_copy(update={"notice": NoticeChannel(**channel)}))


def test_notice_redelivered_is_posted_once(seeded, sqs, settings, store, capsys):
    # GIVEN the sales group's notice on the queue
    audit_id = _audit(sqs, settings)
    notices = receive_all(sqs, settings.notice_queue_url)
    capsys.readouterr()
    # WHEN SQS delivers it three times
    for _ in range(3):
        assert _notify(sqs, settings, notices) == {"batchItemFailures": []}
    # THEN it was posted once, recorded as sent, and its findings are marked notified, but the
    # info-only file_naming ones that stay in the report
    out = capsys.readouterr().out
    assert out.count("[notice → acme/grp-sales]") == 1
    assert "@销售部+刘强" in out
    assert store.notices.notice("acme", SALES, audit_id).status == "sent"
    findings, _ = store.findings.findings_page("acme", SALES, "open", 50, None)
    assert [f.rule for f in findings if not f.notified_at] == ["file_naming", "file_naming"]


def test_open_findings_are_not_renotified_within_renotify_days(seeded, sqs, settings, store, monkeypatch):
    # GIVEN the sales group audited and notified
    _audit(sqs, settings, "2026-11-20T10:00:00Z")
    _notify(sqs, settings, receive_all(sqs, settings.notice_queue_url))
    # WHEN it is audited again the next day with nothing new
    _audit(sqs, settings, "2026-11-21T10:00:00Z")
    # THEN no notice is queued: quiet when nothing new is wrong
    assert receive_all(sqs, settings.notice_queue_url) == []
    # AND once renotify_days have passed the open findings are told again
    later = datetime.now(UTC) + timedelta(days=7, minutes=1)
    monkeypatch.setattr(runtime, "now", lambda: later)
    _audit(sqs, settings, "2026-11-28T10:00:00Z")
    (again,) = receive_all(sqs, settings.notice_queue_url)
    assert len(json.loads(again["Body"])["findings"]) == 7  # the red line among them


def test_dry_run_renders_without_sending(seeded, sqs, settings, store, capsys):
    # GIVEN the sales group set to dry run
    _register(
        store,
        seeded[-1] if seeded[-1].group_id == SALES else next(r for r in seeded if r.group_id == SALES),
        dry_run=True,
    )
    audit_id = _audit(sqs, settings)
    capsys.readouterr()
    # WHEN its notice is handled
    _notify(sqs, settings, receive_all(sqs, settings.notice_queue_url))
    # THEN nothing is posted, the rendered text is recorded, and findings are not marked notified
    assert "[notice →" not in capsys.readouterr().out
    notice = store.notices.notice("acme", SALES, audit_id)
    assert notice.status == "dry_run"
    assert notice.detail.startswith("【群规审计】销售部工作群")
    findings, _ = store.findings.findings_page("acme", SALES, "open", 50, None)
    assert not any(f.notified_at for f in findings)


class _Peer(BaseHTTPRequestHandler):
    """A loopback webhook receiver that checks our signature like a customer would."""

    answers: ClassVar[list[int]] = []
    received: ClassVar[list[dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        timestamp = self.headers["X-GroupAudit-Timestamp"]
        valid = self.headers["X-GroupAudit-Signature"] == sign_webhook(SECRET, timestamp, body)
        self.received.append(
            {"valid": valid, "body": json.loads(body), "key": self.headers["Idempotency-Key"]}
        )
        status = self.answers.pop(0) if self.answers else 200
        self.send_response(status if valid else 401)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def peer():
    server = HTTPServer(("127.0.0.1", 0), _Peer)
    _Peer.answers, _Peer.received = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/groupaudit"
    server.shutdown()
    thread.join()


def _webhook_group(seeded, store, url):
    sales = next(r for r in seeded if r.group_id == SALES)
    runtime.client("secretsmanager").create_secret(
        Name="groupaudit/acme/sales-webhook", SecretString=SECRET.decode()
    )
    _register(store, sales, type="webhook", url=url, secret_name="acme/sales-webhook")


def test_webhook_notice_is_signed_and_recorded(seeded, sqs, settings, store, peer):
    # GIVEN the sales group notified through a webhook whose secret is in Secrets Manager
    _webhook_group(seeded, store, peer)
    audit_id = _audit(sqs, settings)
    # WHEN the notice is delivered
    _notify(sqs, settings, receive_all(sqs, settings.notice_queue_url))
    # THEN the peer verified our HMAC and got the digest, and the delivery is recorded
    (request,) = _Peer.received
    assert request["valid"] is True
    assert request["body"]["group_id"] == SALES and request["body"]["audit_id"] == audit_id
    assert request["body"]["mention_ids"] == ["u-li", "u-head-sales", "u-wang", "u-zhang"]
    assert request["key"] == f"{audit_id}:{SALES}"
    assert store.notices.notice("acme", SALES, audit_id).status == "sent"


def test_webhook_server_error_is_retried_and_then_delivered(seeded, sqs, settings, store, peer):
    # GIVEN a webhook that fails with 503 once
    _webhook_group(seeded, store, peer)
    _Peer.answers = [503]
    audit_id = _audit(sqs, settings)
    # WHEN the notice queue is drained as the event source would
    result = drain(sqs, settings.notice_queue_url, load_handler("notifier"), "notifier")
    # THEN the first attempt is reported as a batch failure and the retry delivers it
    assert result == {"handled": 1, "failed": 1}
    assert len(_Peer.received) == 2
    assert store.notices.notice("acme", SALES, audit_id).status == "sent"


def test_webhook_client_error_is_a_permanent_failure(seeded, sqs, settings, store, peer):
    # GIVEN a webhook that refuses the notice with 400
    _webhook_group(seeded, store, peer)
    _Peer.answers = [400]
    audit_id = _audit(sqs, settings)
    # WHEN the notice queue is drained
    result = drain(sqs, settings.notice_queue_url, load_handler("notifier"), "notifier")
    # THEN it is not retried and the failure is recorded with the reason
    assert result == {"handled": 1, "failed": 0}
    notice = store.notices.notice("acme", SALES, audit_id)
    assert (notice.status, notice.detail) == ("failed", "webhook answered HTTP 400")


def test_poison_message_reaches_the_dlq_with_its_reason_logged(aws, sqs, settings):
    # GIVEN a message that is not a notice at all, and the function's log (Powertools logs
    # through the standard logger named after the service)
    sqs.send_message(QueueUrl=settings.notice_queue_url, MessageBody="not json")
    records: list[logging.LogRecord] = []
    tap = LogTap(records)
    logging.getLogger("groupaudit").addHandler(tap)
    # WHEN the queue is drained (each attempt fails)
    try:
        result = drain(sqs, settings.notice_queue_url, load_handler("notifier"), "notifier")
    finally:
        logging.getLogger("groupaudit").removeHandler(tap)
    # THEN after three receives SQS moves it to the DLQ
    dlq_url = sqs.get_queue_url(QueueName="NoticeDLQ")["QueueUrl"]
    dead = receive_all(sqs, dlq_url)
    assert result["failed"] == 3
    assert [m["Body"] for m in dead] == ["not json"]
    # AND each failure was logged with why (the body is not valid JSON)
    failures = [r for r in records if r.getMessage() == "Record processing exception; skipping this record"]
    assert len(failures) == 3
    assert all(
        r.levelname == "WARNING" and r.exc_info is not None and "Invalid JSON" in str(r.exc_info[1])
        for r in failures
    )


@pytest.mark.parametrize(
    ("kind", "robot"),
    [
        ("dingtalk", "DingTalkRobot"),
        ("wecom", "WeComRobot"),
        ("feishu", "FeishuBot"),
        ("slack", "SlackWebhook"),
    ],
)
def test_a_group_notified_through_a_chat_robot_gets_that_robot(aws, settings, kind, robot):
    # GIVEN a notice for a group registered with a chat robot (DingTalk and Feishu signed)
    secret_name = "acme/robot" if kind in ("dingtalk", "feishu") else None
    if secret_name:
        runtime.client("secretsmanager").create_secret(
            Name=f"groupaudit/{secret_name}", SecretString="s3cr3t"
        )
    channel = NoticeChannel(
        type=kind, url="https://robot.example.com/send?access_token=t", secret_name=secret_name
    )
    message = NoticeMessage(
        tenant_id="acme",
        group_id="g",
        audit_id="a" * 32,
        platform=kind,
        channel=channel,
        text="t",
        mention_ids=[],
        findings=[],
        created_at=datetime.now(UTC),
    )
    # WHEN the notifier picks its channel
    chosen = runtime.channel_for(message, settings)
    # THEN it is that platform's robot, with the secret from Secrets Manager where it signs
    assert type(chosen).__name__ == robot
    if secret_name:
        assert chosen._secret in ("s3cr3t", b"s3cr3t")


def test_a_robot_channel_without_a_url_is_refused():
    # GIVEN a DingTalk channel with no URL
    # WHEN it is validated
    # THEN it is refused with the reason
    with pytest.raises(ValueError, match="a dingtalk robot needs its webhook url"):
        NoticeChannel(type="dingtalk")


def test_a_notice_the_robot_refuses_is_recorded_and_counted_for_the_alarm(
    seeded, sqs, settings, store, capsys, monkeypatch
):
    # GIVEN the sales group's DingTalk robot, whose platform no longer knows its token, and the
    # metrics on (local runs turn them off)
    from groupaudit.local.peers.robots import RobotPeer

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")

    with RobotPeer(dingtalk={"live-token": ""}) as robots:
        sales = next(r for r in seeded if r.group_id == SALES)
        _register(store, sales, type="dingtalk", url=robots.dingtalk_url("revoked-token"))
        audit_id = _audit(sqs, settings)
        capsys.readouterr()
        # WHEN the notifier delivers the notice
        result = drain(sqs, settings.notice_queue_url, load_handler("notifier"), "notifier")
    # THEN it is not retried, the platform's message is recorded...
    assert result == {"handled": 1, "failed": 0}
    notice = store.notices.notice("acme", SALES, audit_id)
    assert (notice.status, notice.detail) == ("failed", "dingtalk errcode 300001: token is not exist")
    # ... and the Notice_failed metric the NoticeFailedAlarm watches was emitted (EMF)
    out = capsys.readouterr().out
    metrics = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    (emitted,) = [m for m in metrics if "Notice_failed" in m]
    assert emitted["Notice_failed"] == [1.0]
    (directive,) = emitted["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "GroupAudit" and directive["Dimensions"] == [["service"]]
    assert emitted["service"] == "groupaudit"


@pytest.mark.parametrize("kind", ["robot", "webhook"])
def test_the_deployed_notifier_never_posts_to_loopback(
    seeded, sqs, settings, store, peer, deployed_network, kind
):
    # GIVEN the sales group's notices going to a loopback address (registered from the command
    # line, or before the rule), and the notifier as deployed
    if kind == "webhook":
        _webhook_group(seeded, store, peer)
    else:
        sales = next(r for r in seeded if r.group_id == SALES)
        _register(store, sales, type="slack", url=peer)
    audit_id = _audit(sqs, settings)
    # WHEN the notifier delivers the notice
    result = drain(sqs, settings.notice_queue_url, load_handler("notifier"), "notifier")
    # THEN it is refused for good (not retried), saying why, and the peer received nothing
    assert result == {"handled": 1, "failed": 0}
    notice = store.notices.notice("acme", SALES, audit_id)
    assert notice.status == "failed"
    assert notice.detail.endswith("refused: http:// is not called (public network: https:// only)")
    assert _Peer.received == []

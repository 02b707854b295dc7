"""Tokens, app secrets and robot secrets never reach the logs, the run records or the notice
records, even when a platform echoes them back in its error message."""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from groupaudit.loading import load_snapshot
from groupaudit.local.invoke import load_handler, sqs_event
from groupaudit.local.peers.base import json_answer
from groupaudit.local.peers.feishu import FeishuPeer, feishu_error
from groupaudit.local.peers.robots import RobotPeer
from groupaudit.pipeline import runtime
from groupaudit.wire import GroupRegistration, NoticeChannel, NoticeMessage
from kit import TENANT, LogTap, invoke

APP_SECRET = "feishu-app-secret-0123456789"
ROBOT_TOKEN = "9f2c1e7a5b3d4c6e8f0a1b2c3d4e5f60"


@pytest.fixture
def log_records():
    """Everything the functions log, down to INFO (Powertools logs through the standard logger
    named after the service; local runs keep it at WARNING)."""
    for function in ("audit_worker", "notifier"):
        load_handler(function)  # their Logger sets the level when first imported
    records: list[logging.LogRecord] = []
    tap = LogTap(records)
    logger = logging.getLogger("groupaudit")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(tap)
    yield records
    logger.removeHandler(tap)
    logger.setLevel(level)


def _everything_logged(records: list[logging.LogRecord], capsys) -> str:
    return json.dumps([vars(r) for r in records], default=str, ensure_ascii=False) + capsys.readouterr().out


def test_an_app_secret_echoed_by_the_platform_is_not_logged_nor_recorded(
    seeded, store, sqs, settings, log_records, capsys
):
    # GIVEN grp-rd pulled from Feishu, whose token endpoint echoes the secret it refuses
    with FeishuPeer.from_snapshot(load_snapshot(TENANT / "snapshots" / "rd.json")) as peer:
        peer.script(
            "/open-apis/auth/v3/tenant_access_token/internal",
            feishu_error(10014, f"app secret invalid: {APP_SECRET}", status=200),
        )
        runtime.client("secretsmanager").create_secret(
            Name="groupaudit/tenants/acme/feishu-app",
            SecretString=json.dumps({"app_id": peer.app_id, "app_secret": APP_SECRET}),
        )
        registration = next(r for r in seeded if r.group_id == "grp-rd")
        source = {"type": "feishu", "secret_name": "tenants/acme/feishu-app", "base_url": peer.url}
        store.groups.put_group(
            GroupRegistration.model_validate(
                {**registration.model_dump(exclude={"source"}), "source": source}
            )
        )
        audit_id = uuid.uuid4().hex
        body = {
            "tenant_id": "acme",
            "group_id": "grp-rd",
            "audit_id": audit_id,
            "trigger": "manual",
            "requested_at": "2026-11-20T10:00:00Z",
        }
        sqs.send_message(QueueUrl=settings.audit_queue_url, MessageBody=json.dumps(body))
        messages = sqs.receive_message(QueueUrl=settings.audit_queue_url, AttributeNames=["All"])["Messages"]
        # WHEN the worker function handles it
        assert invoke(
            "audit_worker", sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:AuditQueue")
        ) == {"batchItemFailures": []}
    # THEN the run failed with Feishu's words, the secret masked...
    run = store.runs.run("acme", "grp-rd", audit_id)
    assert run.status == "failed"
    assert run.error == "feishu: " + run.error.removeprefix("feishu: ")
    assert "***" in run.error and APP_SECRET not in run.error
    # ... and the secret is nowhere in what the function logged
    logged = _everything_logged(log_records, capsys)
    assert "audit finished" in logged
    assert APP_SECRET not in logged


def test_a_robot_token_echoed_by_the_platform_is_not_logged_nor_recorded(
    store, settings, log_records, capsys
):
    # GIVEN a DingTalk robot that refuses, echoing the token of the URL it was called with
    with RobotPeer(dingtalk={"other": ""}) as robots:
        robots.script(
            "/robot/send", json_answer({"errcode": 300001, "errmsg": f"token {ROBOT_TOKEN} is not exist"})
        )
        notice = NoticeMessage(
            tenant_id="acme",
            group_id="grp-sales",
            audit_id=uuid.uuid4().hex,
            platform="dingtalk",
            channel=NoticeChannel(type="dingtalk", url=robots.dingtalk_url(ROBOT_TOKEN)),
            text="## 群规检查",
            mention_ids=[],
            findings=[],
            created_at="2026-11-20T10:00:00Z",
        )
        message = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": notice.model_dump_json()}
        # WHEN the notifier function handles it
        event = sqs_event([message], "arn:aws:sqs:us-east-1:000000000000:notices")
        assert invoke("notifier", event) == {"batchItemFailures": []}
    # THEN the failure is recorded with the token masked, and no log holds it
    detail = store.notices.notice("acme", "grp-sales", notice.audit_id).detail
    assert detail == "dingtalk errcode 300001: token *** is not exist"
    logged = _everything_logged(log_records, capsys)
    assert "notice handled" in logged
    assert ROBOT_TOKEN not in logged

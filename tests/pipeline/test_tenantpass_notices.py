"""The tenant pass's findings told through the real functions to the groups' robots (the local
robot peer): on the group's digest of the run, or in a digest of the pass's own when that
went out first; never twice, however often the pass is retried."""

from __future__ import annotations

import json

import pytest

from groupaudit.local.invoke import drain, load_handler, sqs_event
from groupaudit.local.peers.robots import RobotPeer
from groupaudit.wire import NoticeChannel
from kit import invoke, receive_all, schedule

COMPANY_ADDENDUM = [
    "全公司检查另发现 1 项：新员工未按时入群 1",
    "1. 新员工 林小雨（销售部，2026-11-12 入职，今天第 9 天）尚未加入公司总群，请群主将其拉入",
    "请以下成员及时处理：@陈建国",
]
SALES_ADDENDUM = [
    "全公司检查另发现 1 项：新员工未按时入群 1",
    "1. 新员工 林小雨（销售部，2026-11-12 入职，今天第 9 天）尚未加入本部门群，请群主将其拉入",
    "请以下成员及时处理：@刘强",
]


@pytest.fixture
def robots(seeded, store):
    """Every sample group's notices to a WeCom robot of its own on the peer, named after it."""
    with RobotPeer() as peer:
        for registration in seeded:
            peer.wecom.add(registration.group_id)
            channel = NoticeChannel(type="wecom", url=peer.wecom_url(registration.group_id))
            store.groups.put_group(registration.model_copy(update={"notice": channel}))
        yield peer


def _audit_queue(sqs, settings) -> tuple[list[dict], str]:
    """The scheduled run's audit messages, the clean weekly group's last (so the pass runs after
    it), and the queue's ARN."""
    schedule()
    messages = sorted(
        receive_all(sqs, settings.audit_queue_url),
        key=lambda m: json.loads(m["Body"])["group_id"] == "grp-weekly",
    )
    arn = sqs.get_queue_attributes(QueueUrl=settings.audit_queue_url, AttributeNames=["QueueArn"])
    return messages, arn["Attributes"]["QueueArn"]


def _deliver_notices(sqs, settings) -> None:
    drain(sqs, settings.notice_queue_url, load_handler("notifier"), "notifier")


def _received(robots: RobotPeer, group: str) -> list[list[str]]:
    """The lines of each message the group's robot received, without WeCom's mention line."""
    return [message.text.splitlines()[1:] for message in robots.delivered if message.robot == group]


def _retry_pass(store, sqs, audit_id: str, last: dict, arn: str) -> None:
    """The pass died before recording it was done; the last group's message comes again."""
    store.client.update_item(
        TableName=store.table,
        Key={"PK": {"S": "TENANT#acme"}, "SK": {"S": f"TENANTPASS#{audit_id}"}},
        UpdateExpression="SET #s = :running, claimed_ts = :old",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":running": {"S": "running"}, ":old": {"N": "0"}},
    )
    assert invoke("audit_worker", sqs_event([last], arn)) == {"batchItemFailures": []}


def test_the_new_hire_s_gaps_ride_on_each_group_s_one_digest_and_a_retried_pass_adds_nothing(
    robots, store, sqs, settings
):
    # GIVEN the sample tenant's scheduled run audited, its digests not yet delivered
    messages, arn = _audit_queue(sqs, settings)
    invoke("audit_worker", sqs_event(messages, arn))
    # WHEN the notifier delivers them, then the pass is retried and the notifier runs again
    _deliver_notices(sqs, settings)
    audit_id = json.loads(messages[-1]["Body"])["audit_id"]
    _retry_pass(store, sqs, audit_id, messages[-1], arn)
    _deliver_notices(sqs, settings)
    # THEN the company and sales groups each got one digest, ending with the pass's lines that
    # @-mention the group's owner, and nothing came twice
    (company,) = _received(robots, "grp-company")
    (sales,) = _received(robots, "grp-sales")
    assert company[0] == "【群规审计】星辰科技全员群 · 2026-11-20 18:00"
    assert company[-4:] == ["", *COMPANY_ADDENDUM]
    assert sales[-4:] == ["", *SALES_ADDENDUM]
    mentions = {message.robot: message.mentions for message in robots.delivered}
    assert mentions["grp-company"][-1] == "u-ceo" and "u-ceo" in mentions["grp-company"]
    assert mentions["grp-sales"].count("u-head-sales") == 1
    assert len(robots.delivered) == 6
    # AND the findings are marked told, so the next run does not tell them again
    findings, _ = store.findings.findings_page("acme", "grp-company", "open", 50, None)
    gap = next(item for item in findings if item.rule == "onboarding_gap")
    assert gap.notified_at is not None


def test_a_group_whose_digest_went_out_before_the_pass_gets_one_digest_of_the_pass_s_own(
    robots, store, sqs, settings
):
    # GIVEN every group but the last audited and its digests delivered before the last is audited
    messages, arn = _audit_queue(sqs, settings)
    invoke("audit_worker", sqs_event(messages[:-1], arn))
    _deliver_notices(sqs, settings)
    # WHEN the last group is audited (the pass runs), the notices delivered, the pass retried
    invoke("audit_worker", sqs_event(messages[-1:], arn))
    _deliver_notices(sqs, settings)
    audit_id = json.loads(messages[-1]["Body"])["audit_id"]
    _retry_pass(store, sqs, audit_id, messages[-1], arn)
    _deliver_notices(sqs, settings)
    # THEN the company group got its own digest unchanged and then exactly one of the pass's
    own, of_pass = _received(robots, "grp-company")
    assert "全公司检查" not in "\n".join(own)
    assert of_pass == [
        "【群规审计】星辰科技全员群 · 全公司检查",
        "共发现 1 项：新员工未按时入群 1",
        COMPANY_ADDENDUM[1],
        COMPANY_ADDENDUM[2],
    ]
    assert [m.mentions for m in robots.delivered if m.robot == "grp-company"][1] == ("u-ceo",)
    assert len(_received(robots, "grp-sales")) == 2
    assert len(robots.delivered) == 8
    assert store.notices.notice("acme", "grp-company", f"{audit_id}-tenant").status == "sent"

"""The tenant's supervision contact: set through the signed API (its URL under the rule of every
tenant URL), and sent each new red-line finding once, masked, through the real functions to a
robot on the local peer; nothing when there is no red line. The sample tenant's sales group holds
one red line: 李四's insult of a customer (grp-sales-m012)."""

from __future__ import annotations

import copy
import io
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from groupaudit import signing
from groupaudit.local.demo import run_demo
from groupaudit.local.invoke import drain, load_handler, sqs_event
from groupaudit.local.peers.robots import RobotPeer
from groupaudit.pipeline import api, runtime, supervision_contact
from groupaudit.wire import NoticeChannel
from kit import ROOT, TENANT, invoke, receive_all, schedule

SAMPLE = json.loads((ROOT / "events" / "api_post_audits.json").read_text(encoding="utf-8"))
SECRETS = {"acme": b"acme-api-secret", "globex": b"globex-api-secret"}
SAMPLE_INSULT = "真是个脑残"  # in the sample's grp-sales-m012 of 2026-11-19 14:30
SAMPLE_REPORT = [
    "【红线上报】销售部工作群（grp-sales）· 2026-11-20 18:00",
    "新发现 1 项触及高压红线的消息（原文不予转述）：",
    "1. 销售部+李四（u-li）于 2026-11-19 14:30，003 第四章 2.5；摘录：…压回来了，真是个**，懒得再跟他谈。",
]
INSULT = "这个客户就是个脑残"
RED_LINE = {
    "id": "grp-sales-m900",
    "sender_id": "u-li",
    "sent_at": "2026-11-20T11:00:00+08:00",
    "type": "text",
    "text": f"客户又改需求，{INSULT}，烦死了",
}


def call(method: str, path: str, body: dict | None = None, tenant: str = "acme") -> tuple[int, Any]:
    """The API function's answer (status, its JSON body as decoded, or None when it has none) to
    a request signed now by ``tenant`` (a fresh timestamp each call, so a repeated request is no
    replay)."""
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode() if body is not None else b""
    call.stamp = max(getattr(call, "stamp", 0) + 1, int(time.time()))  # type: ignore[attr-defined]
    stamp = str(call.stamp)  # type: ignore[attr-defined]
    event = copy.deepcopy(SAMPLE)
    headers = {k: v for k, v in event["headers"].items() if not k.startswith("x-groupaudit-")}
    headers.update(
        {
            "x-groupaudit-tenant": tenant,
            "x-groupaudit-timestamp": stamp,
            "x-groupaudit-signature": signing.sign_request(SECRETS[tenant], stamp, method, path, raw),
            "content-length": str(len(raw)),
        }
    )
    event.update(
        routeKey=f"{method} {path}", rawPath=path, rawQueryString="", headers=headers, body=raw.decode()
    )
    event["requestContext"].update(routeKey=f"{method} {path}")
    event["requestContext"]["http"].update(method=method, path=path)
    answer = invoke("api", event)
    return answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None


@pytest.fixture
def tenants(aws, settings):
    secrets = runtime.client("secretsmanager")
    for tenant, secret in SECRETS.items():
        secrets.create_secret(Name=api.tenant_secret_name(settings, tenant), SecretString=secret.decode())


CONTACT = {
    "tenant_id": "acme",
    "type": "dingtalk",
    "url": "https://oapi.dingtalk.com/robot/send?access_token=supervision",
    "secret_name": "tenants/acme/supervision-robot",
    "name": "监察部",
}


# --- the setting through the API --------------------------------------------------------------


def test_the_supervision_contact_is_set_read_replaced_and_removed_by_its_own_tenant_only(tenants):
    # GIVEN no contact
    assert call("GET", "/tenant/supervision")[0] == 404
    # WHEN acme sets one, reads it, replaces it with a WeCom robot, and globex reads its own
    created = call("PUT", "/tenant/supervision", CONTACT)
    read = call("GET", "/tenant/supervision")
    wecom = {
        "tenant_id": "acme",
        "type": "wecom",
        "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
    }
    replaced = call("PUT", "/tenant/supervision", wecom)
    other = call("GET", "/tenant/supervision", tenant="globex")
    # THEN 201, the stored contact, 200, and globex sees none
    assert created == (201, {**CONTACT, "lang": "zh"})
    assert read == (200, {**CONTACT, "lang": "zh"})
    assert replaced == (200, {**wecom, "secret_name": None, "lang": "zh", "name": None})
    assert other[0] == 404
    # AND removing it leaves none
    assert call("DELETE", "/tenant/supervision") == (204, None)
    assert call("GET", "/tenant/supervision")[0] == 404
    assert call("DELETE", "/tenant/supervision")[0] == 404


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://10.0.0.8/robot/send", "must not point at a private address"),
        ("https://169.254.169.254/latest/meta-data", "must not point at"),
        ("https://oapi.dingtalk.com:8443/robot/send", "must use the https port 443"),
        ("https://bot:pw@oapi.dingtalk.com/robot/send", "must not carry user:password@"),
        ("https://metadata.internal/robot/send", "must name a public host"),
        ("https://127.0.0.1/robot/send", "must not point at"),
    ],
)
def test_a_bad_supervision_url_is_refused_naming_the_field_and_the_rule(tenants, url, message):
    # GIVEN a contact whose robot URL breaks the tenant URL rule
    # WHEN it is set
    status, body = call("PUT", "/tenant/supervision", {**CONTACT, "url": url})
    # THEN 422 naming body.url and the rule, never echoing the URL, and nothing is stored
    assert status == 422
    assert body["error"] == "invalid supervision contact"
    (detail,) = body["details"]
    assert detail["loc"] == ["body", "url"] and detail["msg"].startswith(message)
    assert url not in json.dumps(body)
    assert call("GET", "/tenant/supervision")[0] == 404


def test_a_contact_that_is_no_robot_or_names_another_tenant_s_secret_is_refused(tenants):
    # WHEN the contact is a plain webhook, over http, or names another tenant's secret or tenant
    webhook = call("PUT", "/tenant/supervision", {**CONTACT, "type": "webhook"})
    plain = call("PUT", "/tenant/supervision", {**CONTACT, "url": "http://oapi.dingtalk.com/robot/send"})
    secret = call("PUT", "/tenant/supervision", {**CONTACT, "secret_name": "tenants/globex/robot"})
    tenant = call("PUT", "/tenant/supervision", {**CONTACT, "tenant_id": "globex"})
    # THEN each is 422 naming the field
    assert webhook[0] == 422 and webhook[1]["details"][0]["loc"][-1] == "type"
    assert plain[0] == 422 and plain[1]["details"][0]["loc"][-1] == "url"
    assert secret == (
        422,
        {
            "error": "invalid supervision contact",
            "details": [
                {
                    "loc": ["body", "secret_name"],
                    "msg": "must start with tenants/acme/",
                    "type": "value_error",
                }
            ],
        },
    )
    assert tenant[0] == 422 and tenant[1]["details"][0]["loc"] == ["body", "tenant_id"]


# --- red lines to the contact -------------------------------------------------------------------


@pytest.fixture
def robots(seeded, store):
    """The sample groups' digests and the tenant's supervision contact: WeCom robots on the peer."""
    with RobotPeer() as peer:
        for registration in seeded:
            peer.wecom.add(registration.group_id)
            channel = NoticeChannel(type="wecom", url=peer.wecom_url(registration.group_id))
            store.groups.put_group(registration.model_copy(update={"notice": channel}))
        peer.wecom.add("supervision")
        contact = supervision_contact.SupervisionContact(
            tenant_id="acme", type="wecom", url=peer.wecom_url("supervision"), name="监察部"
        )
        supervision_contact.put_contact(store, contact)
        yield peer


def _with_red_line(s3, settings) -> None:
    """The sales group's snapshot with one more message: 李四 insulting a customer again."""
    snapshot = json.loads((TENANT / "snapshots" / "sales.json").read_text(encoding="utf-8"))
    snapshot["messages"].append(RED_LINE)
    _put_sales(s3, settings, snapshot)


def _without_red_line(s3, settings) -> None:
    """The sales group's snapshot without the sample's red-line message."""
    snapshot = json.loads((TENANT / "snapshots" / "sales.json").read_text(encoding="utf-8"))
    kept = [m for m in snapshot["messages"] if m["id"] != "grp-sales-m012"]
    assert len(kept) == len(snapshot["messages"]) - 1
    snapshot["messages"] = kept
    _put_sales(s3, settings, snapshot)


def _put_sales(s3, settings, snapshot: dict) -> None:
    s3.put_object(
        Bucket=settings.snapshot_bucket,
        Key="snapshots/acme/grp-sales.json",
        Body=json.dumps(snapshot, ensure_ascii=False).encode(),
    )


def _run(sqs, settings, scheduled: str = "2026-11-20T10:00:00Z", again: bool = False) -> None:
    """A scheduled run audited (each message delivered twice when ``again``) and its notices sent."""
    schedule(scheduled)
    messages = receive_all(sqs, settings.audit_queue_url)
    arn = sqs.get_queue_attributes(QueueUrl=settings.audit_queue_url, AttributeNames=["QueueArn"])
    for _ in range(2 if again else 1):
        invoke("audit_worker", sqs_event(messages, arn["Attributes"]["QueueArn"]))
    drain(sqs, settings.notice_queue_url, load_handler("notifier"), "notifier")


def _supervision(robots: RobotPeer) -> list[str]:
    return [m.text for m in robots.delivered if m.robot == "supervision"]


def test_a_new_red_line_goes_to_the_supervision_contact_once_masked(robots, s3, sqs, settings, store):
    # GIVEN the sample tenant, whose sales group holds one red-line message
    # WHEN the scheduled run is audited, its records delivered twice, and the notices sent
    _run(sqs, settings, again=True)
    # THEN the contact got exactly one message: the group, the person, the clause and the masked
    # excerpt, never the words
    (text,) = _supervision(robots)
    assert text.splitlines() == SAMPLE_REPORT
    assert "脑残" not in text
    # AND the group's own digest does not repeat the words either
    (sales,) = [m.text for m in robots.delivered if m.robot == "grp-sales"]
    assert "触及群规高压红线" in sales and "脑残" not in sales
    # AND the next day's run, which finds the same red line again and one more, reports the new one only
    _with_red_line(s3, settings)
    _run(sqs, settings, "2026-11-23T10:00:00Z")
    assert [text.splitlines() for text in _supervision(robots)] == [
        SAMPLE_REPORT,
        [
            "【红线上报】销售部工作群（grp-sales）· 2026-11-20 18:00",
            "新发现 1 项触及高压红线的消息（原文不予转述）：",
            "1. 销售部+李四（u-li）于 2026-11-20 11:00，003 第四章 2.5；摘录：…，这个客户就是个**，烦死了",
        ],
    ]


def test_without_a_red_line_the_supervision_contact_gets_nothing(robots, s3, sqs, settings):
    # GIVEN the sample tenant without its one red-line message
    _without_red_line(s3, settings)
    # WHEN its scheduled run is audited and notified
    _run(sqs, settings)
    # THEN the groups got their digests and the contact nothing
    assert len(robots.delivered) == 6
    assert _supervision(robots) == []


def test_send_to_supervision_delivers_once_per_key_and_says_when_there_is_no_contact(
    robots, sqs, settings, store
):
    # GIVEN the tenant's contact, and a tenant without one
    deps = supervision_contact.SupervisionDeps.on_queue(
        store, sqs, settings.notice_queue_url, lambda: datetime(2026, 11, 20, 10, tzinfo=UTC)
    )
    # WHEN a text is sent twice with the same key, and once to the tenant without a contact
    first = supervision_contact.send_to_supervision(
        "acme", "【处分公告】2026-11 违规处理结果", deps, key="ledger-2026-11"
    )
    second = supervision_contact.send_to_supervision(
        "acme", "【处分公告】2026-11 违规处理结果", deps, key="ledger-2026-11"
    )
    none = supervision_contact.send_to_supervision("globex", "x", deps, key="ledger-2026-11")
    drain(sqs, settings.notice_queue_url, load_handler("notifier"), "notifier")
    # THEN both were queued for acme, and the contact received the text once; globex queued nothing
    assert (first, second, none) == (True, True, False)
    assert _supervision(robots) == ["【处分公告】2026-11 违规处理结果"]
    with pytest.raises(ValueError, match="key"):
        supervision_contact.send_to_supervision("acme", "x", deps, key="no spaces allowed")


def test_the_demo_shows_the_red_line_report_its_supervision_contact_received():
    # GIVEN the sample tenant, whose sales group holds a red-line message
    out = io.StringIO()
    # WHEN the demo runs on it (what `make demo` runs)
    run_demo(TENANT, out=out)
    # THEN it names the contact of supervision.json and prints the one report its signed
    # DingTalk robot received, masked
    text = out.getvalue()
    assert "supervision contact 监察部: the dingtalk robot supervision" in text
    report = text.split("[dingtalk robot of supervision] \n", 1)[1].split("\n\n", 1)[0]
    assert report.splitlines() == SAMPLE_REPORT
    assert "supervision contact: 1 red-line report(s)" in text
    assert SAMPLE_INSULT not in text

"""The chat platforms' robots against loopback peers that behave as each platform documents:
they verify the signature with the documented algorithm, answer HTTP 200 with the platform's
own error codes on failure, and Slack answers 429 with Retry-After."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from groupaudit.local.peers.robots import dingtalk_throttled
from groupaudit.notifiers.channels import DeliveryError
from groupaudit.notifiers.robots import (
    DingTalkRobot,
    FeishuBot,
    RobotRateLimited,
    SlackWebhook,
    WeComRobot,
    dingtalk_sign,
    feishu_sign,
    robot_for,
    split_lines,
)
from groupaudit.ratelimits import FEISHU_RATE_LIMITED
from groupaudit.wire import NoticeChannel, NoticeMessage

DING_SECRET = "SECtest-secret"
FEISHU_SECRET = "feishu-secret"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

Answer = tuple[int, dict[str, str], bytes]


def _json(payload: dict[str, Any], status: int = 200) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


@dataclass
class Peer:
    """A loopback platform: ``behave(query, body)`` answers as the platform would; answers put
    in ``scripted`` are given first, one per request."""

    behave: Callable[[dict[str, list[str]], Any], Answer]
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    scripted: list[Answer] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        peer: Peer = self.server.peer  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        body = json.loads(raw)
        peer.received.append({"query": query, "body": body, "bytes": len(raw)})
        status, headers, payload = peer.scripted.pop(0) if peer.scripted else peer.behave(query, body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def serve():
    servers = []

    def start(behave: Callable[[dict[str, list[str]], Any], Answer], path: str) -> Peer:
        server = HTTPServer(("127.0.0.1", 0), _Handler)
        peer = Peer(behave, url=f"http://127.0.0.1:{server.server_port}{path}")
        server.peer = peer  # type: ignore[attr-defined]
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        servers.append((server, thread))
        return peer

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join()


def _dingtalk(query: dict[str, list[str]], body: Any) -> Answer:
    # as documented: recompute from the query's timestamp, compare to the URL-decoded sign
    timestamp = query.get("timestamp", [""])[0]
    expected = base64.b64encode(
        hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    if query.get("sign", [""])[0] != expected:
        return _json({"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com]"})
    if abs(time.time() * 1000 - int(timestamp)) > 3_600_000:
        return _json({"errcode": 310000, "errmsg": "invalid timestamp"})
    return _json({"errcode": 0, "errmsg": "ok"})


def _wecom(query: dict[str, list[str]], body: Any) -> Answer:
    if query.get("key") != [WECOM_KEY]:
        return _json({"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000000]"})
    if len(body["markdown"]["content"].encode()) > 4096:
        return _json({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096."})
    return _json({"errcode": 0, "errmsg": "ok"})


def _feishu(query: dict[str, list[str]], body: Any) -> Answer:
    # as documented: HmacSHA256 keyed by timestamp + "\n" + secret over an empty message
    timestamp = body.get("timestamp", "0")
    key = f"{timestamp}\n{FEISHU_SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    if body.get("sign") != expected or abs(time.time() - int(timestamp)) > 3600:
        return _json(
            {
                "code": 19021,
                "data": {},
                "msg": "sign match fail or timestamp is not within one hour from current time",
            }
        )
    return _json({"code": 0, "msg": "success", "data": {}})


def _slack(query: dict[str, list[str]], body: Any) -> Answer:
    return 200, {"Content-Type": "text/html"}, b"ok"


def _notice(
    text: str = "## 群规检查\n- 张三 发了外链\n- 李四 未改群昵称", mentions=("u1", "u2")
) -> NoticeMessage:
    return NoticeMessage(
        tenant_id="acme",
        group_id="sales",
        audit_id="0" * 32,
        platform="dingtalk",
        channel=NoticeChannel(),
        text=text,
        mention_ids=list(mentions),
        findings=[("external-link", "f1")],
        created_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )


def _long_digest(total_bytes: int) -> str:
    lines, size, n = [], 0, 0
    while size < total_bytes:
        line = f"{n:04d} 成员 张三 在群里发了未经允许的外部链接 https://example.com/{n}"
        lines.append(line)
        size += len(line.encode()) + 1
        n += 1
    return "\n".join(lines)


# --- signatures -------------------------------------------------------------------------


def test_dingtalk_sign_matches_fixed_vector():
    # GIVEN a fixed secret and millisecond timestamp, and the value openssl gives for them
    # (printf '1700000000000\nSECtest-secret' | openssl dgst -sha256 -hmac SECtest-secret -binary | base64)
    by_openssl = "LC7hxZ4wslL+P7j7gu1hoQ+wzByekL+yWgiUMekZs0g="
    by_hmac = base64.b64encode(
        hmac.new(b"SECtest-secret", b"1700000000000\nSECtest-secret", hashlib.sha256).digest()
    ).decode()
    # WHEN signing
    sign = dingtalk_sign("SECtest-secret", 1700000000000)
    # THEN it is that value, URL-encoded ('+' and '=' escaped)
    assert by_hmac == by_openssl
    assert sign == "LC7hxZ4wslL%2BP7j7gu1hoQ%2BwzByekL%2ByWgiUMekZs0g%3D"
    assert urllib.parse.unquote_plus(sign) == by_hmac


def test_feishu_sign_matches_fixed_vector():
    # GIVEN a fixed secret and second timestamp, and the value openssl gives for them
    # (printf '' | openssl dgst -sha256 -hmac "$(printf '1700000000\nfeishu-secret')" -binary | base64)
    by_openssl = "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU="
    by_hmac = base64.b64encode(hmac.new(b"1700000000\nfeishu-secret", b"", hashlib.sha256).digest()).decode()
    # WHEN signing
    sign = feishu_sign("feishu-secret", 1700000000)
    # THEN it is that value, plain base64 (it travels in the JSON body)
    assert by_hmac == by_openssl
    assert sign == by_openssl


# --- DingTalk ---------------------------------------------------------------------------


def test_dingtalk_posts_signed_markdown_mentioning_offenders(serve):
    # GIVEN a DingTalk peer that verifies the signature
    peer = serve(_dingtalk, "/robot/send?access_token=tok")
    # WHEN a digest is sent
    result = DingTalkRobot(peer.url, DING_SECRET).send(_notice())
    # THEN one signed markdown message arrived, @-mentioning the offenders
    assert result == "dingtalk: 1 message delivered"
    (request,) = peer.received
    assert request["query"]["access_token"] == ["tok"]
    body = request["body"]
    assert body["msgtype"] == "markdown"
    assert body["at"] == {"atUserIds": ["u1", "u2"], "isAtAll": False}
    assert body["markdown"]["text"].startswith("@u1 @u2\n")
    assert "- 张三 发了外链" in body["markdown"]["text"]
    assert body["markdown"]["title"] == "群规检查"


def test_dingtalk_wrong_secret_is_final_and_carries_the_platform_message(serve):
    # GIVEN a robot configured with the wrong secret
    peer = serve(_dingtalk, "/robot/send?access_token=tok")
    # WHEN it sends
    with pytest.raises(DeliveryError) as caught:
        DingTalkRobot(peer.url, "SECwrong-secret").send(_notice())
    # THEN the platform's answer is a final failure, without our secret in the text
    assert caught.value.retryable is False
    assert "errcode 310000" in str(caught.value) and "sign not match" in str(caught.value)
    assert "SECwrong-secret" not in str(caught.value)


def test_dingtalk_http_200_with_an_errcode_is_a_failure(serve):
    # GIVEN a robot whose keyword security setting rejects the message (HTTP 200, errcode ≠ 0)
    peer = serve(_dingtalk, "/robot/send?access_token=tok")
    peer.scripted.append(_json({"errcode": 310000, "errmsg": "keywords not in content"}))
    # WHEN it sends
    with pytest.raises(DeliveryError) as caught:
        DingTalkRobot(peer.url, DING_SECRET).send(_notice())
    # THEN it failed for good with DingTalk's reason
    assert caught.value.retryable is False
    assert str(caught.value) == "dingtalk errcode 310000: keywords not in content"


def test_dingtalk_send_too_fast_is_retryable(serve):
    # GIVEN a robot over its 20 messages a minute
    peer = serve(_dingtalk, "/robot/send?access_token=tok")
    peer.scripted.append(_json({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}))
    # WHEN it sends
    with pytest.raises(RobotRateLimited) as caught:
        DingTalkRobot(peer.url, DING_SECRET).send(_notice())
    # THEN trying again later may help (DingTalk throttles for 10 minutes)
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 600
    assert "130101" in str(caught.value)


def test_dingtalk_throttle_body_without_errcode_is_a_rate_limit_with_its_wait(serve):
    # GIVEN DingTalk's gateway throttle: HTTP 200, no errcode, {"status": 1111, "wait": 5, …}
    peer = serve(_dingtalk, "/robot/send?access_token=tok")
    status, headers, body = dingtalk_throttled(wait=5)
    peer.scripted.append((status, headers, body))
    # WHEN it sends
    with pytest.raises(RobotRateLimited) as caught:
        DingTalkRobot(peer.url, DING_SECRET).send(_notice())
    # THEN nothing counts as delivered: it is a rate limit, for the 5 minutes DingTalk names
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 300
    assert str(caught.value) == "dingtalk throttled (status 1111, wait 5)"


def test_dingtalk_throttle_body_with_errcode_130101_keeps_the_robots_10_minutes(serve):
    # GIVEN the throttle body as DingTalk also sends it, beside errcode 130101
    peer = serve(_dingtalk, "/robot/send?access_token=tok")
    throttle = {"status": 1111, "wait": 5, "source": "x5", "punish": "deny", "uuid": "9ff0e7e2"}
    peer.scripted.append(
        _json({**throttle, "errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
    )
    # WHEN it sends
    with pytest.raises(RobotRateLimited) as caught:
        DingTalkRobot(peer.url, DING_SECRET).send(_notice())
    # THEN the errcode decides: the robot is stopped for 10 minutes
    assert caught.value.retry_after_s == 600 and "130101" in str(caught.value)


def test_dingtalk_server_error_is_retryable(serve):
    # GIVEN a platform answering 502
    peer = serve(_dingtalk, "/robot/send?access_token=tok")
    peer.scripted.append((502, {}, b"bad gateway"))
    # WHEN it sends
    with pytest.raises(DeliveryError) as caught:
        DingTalkRobot(peer.url, DING_SECRET).send(_notice())
    # THEN it may be retried
    assert caught.value.retryable is True
    assert str(caught.value) == "dingtalk answered HTTP 502"


# --- WeCom ------------------------------------------------------------------------------


def test_wecom_posts_markdown_mentioning_offenders(serve):
    # GIVEN a WeCom peer that knows the robot's key
    peer = serve(_wecom, f"/cgi-bin/webhook/send?key={WECOM_KEY}")
    # WHEN a digest is sent
    result = WeComRobot(peer.url).send(_notice())
    # THEN one markdown message arrived with <@userid> mentions and the digest
    assert result == "wecom: 1 message delivered"
    (request,) = peer.received
    assert request["body"]["msgtype"] == "markdown"
    content = request["body"]["markdown"]["content"]
    assert content.startswith("<@u1> <@u2>\n## 群规检查")


def test_wecom_long_digest_arrives_as_several_ordered_messages_within_4096_bytes(serve):
    # GIVEN a 10 KB digest (mostly Chinese, 3 bytes a character in UTF-8)
    peer = serve(_wecom, f"/cgi-bin/webhook/send?key={WECOM_KEY}")
    digest = _long_digest(10 * 1024)
    # WHEN it is sent
    result = WeComRobot(peer.url).send(_notice(digest))
    # THEN it arrived as ≥3 messages, each within WeCom's 4096 bytes, in order, cut on lines,
    # the mentions on the first only
    contents = [r["body"]["markdown"]["content"] for r in peer.received]
    assert len(contents) >= 3
    assert result == f"wecom: {len(contents)} messages delivered"
    assert all(len(c.encode()) <= 4096 for c in contents)
    assert contents[0].startswith("<@u1> <@u2>\n0000 ")
    assert all("<@" not in c for c in contents[1:])
    assert "\n".join(contents) == f"<@u1> <@u2>\n{digest}"


def test_wecom_rate_limit_is_retryable(serve):
    # GIVEN a robot over its frequency limit
    peer = serve(_wecom, f"/cgi-bin/webhook/send?key={WECOM_KEY}")
    peer.scripted.append(_json({"errcode": 45009, "errmsg": "api freq out of limit"}))
    # WHEN it sends
    with pytest.raises(RobotRateLimited) as caught:
        WeComRobot(peer.url).send(_notice())
    # THEN it may be retried
    assert caught.value.retryable is True
    assert str(caught.value) == "wecom errcode 45009: api freq out of limit"


def test_wecom_unknown_key_is_final_and_hides_the_url(serve):
    # GIVEN a robot URL with a key the platform does not know
    peer = serve(_wecom, f"/cgi-bin/webhook/send?key={WECOM_KEY}")
    url = peer.url.replace(WECOM_KEY, "stale-key")
    # WHEN it sends
    with pytest.raises(DeliveryError) as caught:
        WeComRobot(url).send(_notice())
    # THEN it failed for good with WeCom's message, and the key is not in the error
    assert caught.value.retryable is False
    assert str(caught.value).startswith("wecom errcode 93000: invalid webhook url")
    assert "stale-key" not in str(caught.value)


# --- Feishu -----------------------------------------------------------------------------


def test_feishu_posts_signed_rich_text_with_at_elements(serve):
    # GIVEN a Feishu peer that verifies the signature in the body
    peer = serve(_feishu, "/open-apis/bot/v2/hook/abc")
    # WHEN a digest is sent
    result = FeishuBot(peer.url, FEISHU_SECRET).send(_notice())
    # THEN one signed post arrived: the @-mentions first, then one paragraph per line
    assert result == "feishu: 1 message delivered"
    (request,) = peer.received
    body = request["body"]
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == "群规检查"
    assert post["content"][0] == [{"tag": "at", "user_id": "u1"}, {"tag": "at", "user_id": "u2"}]
    assert post["content"][2] == [{"tag": "text", "text": "- 张三 发了外链"}]


def test_feishu_wrong_secret_is_final_and_carries_the_platform_message(serve):
    # GIVEN a bot configured with the wrong secret
    peer = serve(_feishu, "/open-apis/bot/v2/hook/abc")
    # WHEN it sends
    with pytest.raises(DeliveryError) as caught:
        FeishuBot(peer.url, "not-the-secret").send(_notice())
    # THEN Feishu's 19021 (at HTTP 200) is a final failure, without our secret in the text
    assert caught.value.retryable is False
    assert str(caught.value) == (
        "feishu code 19021: sign match fail or timestamp is not within one hour from current time"
    )
    assert "not-the-secret" not in str(caught.value)


def test_feishu_rate_limit_is_retryable(serve):
    # GIVEN a bot over 100 messages a minute
    peer = serve(_feishu, "/open-apis/bot/v2/hook/abc")
    peer.scripted.append(
        _json({"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"})
    )
    # WHEN it sends
    with pytest.raises(RobotRateLimited) as caught:
        FeishuBot(peer.url, FEISHU_SECRET).send(_notice())
    # THEN it may be retried
    assert caught.value.retryable is True
    assert "11232" in str(caught.value)


@pytest.mark.parametrize("code", sorted(FEISHU_RATE_LIMITED))
def test_every_feishu_rate_limit_code_of_the_shared_table_is_retryable(serve, code):
    # GIVEN the bot answered with one of Feishu's rate-limit codes (the table the source uses)
    peer = serve(_feishu, "/open-apis/bot/v2/hook/abc")
    peer.scripted.append(_json({"code": code, "msg": "rate limited"}))
    # WHEN it sends
    with pytest.raises(RobotRateLimited) as caught:
        FeishuBot(peer.url, FEISHU_SECRET).send(_notice())
    # THEN it may be retried
    assert caught.value.retryable is True
    assert str(caught.value) == f"feishu code {code}: rate limited"


def test_feishu_long_digest_keeps_each_body_within_20_kb(serve):
    # GIVEN a 50 KB digest
    peer = serve(_feishu, "/open-apis/bot/v2/hook/abc")
    digest = _long_digest(50 * 1024)
    # WHEN it is sent
    FeishuBot(peer.url, FEISHU_SECRET).send(_notice(digest))
    # THEN every request body is within 20 KB and the lines arrive in order
    assert len(peer.received) >= 3
    assert all(r["bytes"] <= 20 * 1024 for r in peer.received)
    lines = [
        element["text"]
        for r in peer.received
        for paragraph in r["body"]["content"]["post"]["zh_cn"]["content"]
        for element in paragraph
        if element["tag"] == "text"
    ]
    assert lines == digest.split("\n")


# --- Slack ------------------------------------------------------------------------------


def test_slack_posts_text_with_mentions_and_escapes_the_digest(serve):
    # GIVEN a Slack peer
    peer = serve(_slack, "/services/T0/B0/xyz")
    # WHEN a digest with characters Slack treats as markup is sent
    result = SlackWebhook(peer.url).send(_notice("Rule <external-link> & more", mentions=["U01", "U02"]))
    # THEN the text mentions the offenders and the digest's <, > and & are escaped
    assert result == "slack: 1 message delivered"
    (request,) = peer.received
    assert request["body"] == {"text": "<@U01> <@U02>\nRule &lt;external-link&gt; &amp; more"}


def test_slack_429_is_retryable_with_retry_after(serve):
    # GIVEN a Slack webhook rate-limiting us
    peer = serve(_slack, "/services/T0/B0/xyz")
    peer.scripted.append((429, {"Retry-After": "30"}, b"rate_limited"))
    # WHEN it sends
    with pytest.raises(RobotRateLimited) as caught:
        SlackWebhook(peer.url).send(_notice())
    # THEN it may be retried after the time Slack asked for
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 30.0


def test_slack_invalid_token_is_final_with_slacks_reason(serve):
    # GIVEN a revoked webhook
    peer = serve(_slack, "/services/T0/B0/xyz")
    peer.scripted.append((403, {}, b"invalid_token"))
    # WHEN it sends
    with pytest.raises(DeliveryError) as caught:
        SlackWebhook(peer.url).send(_notice())
    # THEN it failed for good with Slack's reason and without the URL
    assert caught.value.retryable is False
    assert str(caught.value) == "slack answered HTTP 403: invalid_token"


# --- common -----------------------------------------------------------------------------


def test_unreachable_platform_is_retryable():
    # GIVEN a loopback port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # WHEN a robot sends there
    with pytest.raises(DeliveryError) as caught:
        WeComRobot(f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=k").send(_notice())
    # THEN it may be retried
    assert caught.value.retryable is True
    assert str(caught.value).startswith("wecom unreachable")


def test_an_answer_larger_than_a_robot_gives_counts_as_sent_without_a_verdict(serve):
    # GIVEN a robot URL whose host answers 2 MiB (no robot's answer is that long)
    huge: Answer = (200, {}, b"x" * (2 * 1024 * 1024))
    peer = serve(lambda query, body: huge, f"/cgi-bin/webhook/send?key={WECOM_KEY}")
    # WHEN a notice is sent
    result = WeComRobot(peer.url).send(_notice())
    # THEN it went out once and is never posted again: the platform may have shown it
    assert result == "wecom: 1 message delivered, 1 without an answer (not posted again)"
    assert len(peer.received) == 1


def test_a_failed_later_part_names_its_position(serve):
    # GIVEN a long digest whose second message is rate-limited
    peer = serve(_wecom, f"/cgi-bin/webhook/send?key={WECOM_KEY}")
    peer.scripted += [
        _json({"errcode": 0, "errmsg": "ok"}),
        _json({"errcode": 45009, "errmsg": "api freq out of limit"}),
    ]
    # WHEN it is sent
    with pytest.raises(RobotRateLimited) as caught:
        WeComRobot(peer.url).send(_notice(_long_digest(10 * 1024)))
    # THEN the error says which part failed, and sending stopped there
    assert str(caught.value).endswith("(part 2/3)")
    assert len(peer.received) == 2


def test_split_lines_cuts_an_overlong_line_between_characters():
    # GIVEN a line longer than the limit between two short ones
    text = "ab\n" + "字" * 5 + "\ncd"
    # WHEN split at 6 bytes
    parts = split_lines(text, 6, lambda s: len(s.encode()))
    # THEN every part fits and nothing is lost or reordered
    assert parts == ["ab", "字字", "字字", "字\ncd"]


@pytest.mark.parametrize(
    ("channel_type", "expected"),
    [("dingtalk", DingTalkRobot), ("wecom", WeComRobot), ("feishu", FeishuBot), ("slack", SlackWebhook)],
)
def test_robot_for_picks_the_platforms_robot(channel_type, expected):
    # GIVEN a channel type WHEN asking for its robot THEN it is the platform's class
    assert type(robot_for(channel_type, "https://example.com/hook", "s")) is expected


def test_robot_for_rejects_an_unknown_type():
    # GIVEN an unknown channel type WHEN asking for its robot THEN it says which types exist
    with pytest.raises(ValueError, match="dingtalk, wecom, feishu, slack"):
        robot_for("teams", "https://example.com/hook")

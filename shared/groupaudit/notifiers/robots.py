"""The chat platforms' group robots as notice channels (``send(notice) -> str``).

What each platform documents, and what this module does about it:

- DingTalk custom robot: optional signing, ``timestamp`` (ms) and ``sign`` =
  urlEncode(base64(HmacSHA256(key=secret, msg=timestamp + "\\n" + secret))) as query
  parameters; ``markdown`` message, mentions in ``at.atUserIds`` and as ``@id`` in the text;
  HTTP 200 with ``errcode`` 0 on success; 130101 = sending too fast (20/minute, then throttled
  for 10 minutes); a body without ``errcode`` but ``{"status": 1111, "wait": N, …}`` is the
  gateway's throttle (retried after N minutes, never a success); 310000 = a security setting
  failed (keyword, sign, IP).
- WeCom group robot: unsigned (the ``key`` in the URL is the secret); ``markdown`` message,
  content at most 4096 bytes UTF-8, mentions as ``<@userid>`` in the content; ``errcode`` 0 on
  success, 45009 = frequency limit (20/minute).
- Feishu custom bot: optional signing in the JSON body, ``timestamp`` (s) and ``sign`` =
  base64(HmacSHA256(key=timestamp + "\\n" + secret, msg=b"")); ``post`` rich text with
  ``{"tag": "at", "user_id": ...}``; request body at most 20 KB; ``code`` 0 on success, the
  rate-limit codes of :data:`~groupaudit.ratelimits.FEISHU_RATE_LIMITED` (11232 = the
  bot's frequency limit) are a retry, 19021 = signature or timestamp rejected.
- Slack incoming webhook: unsigned; ``{"text": ...}`` with ``<@U…>`` mentions (``&``, ``<``
  and ``>`` escaped in the text); HTTP 200 ``ok``, 429 with ``Retry-After``; text over 40,000
  characters is truncated by Slack.

A digest longer than the platform's limit goes out as several messages, split on line
boundaries and sent in order; the @-mentions ride on the first one only. Error texts carry
the platform's own message, never the secret nor the webhook URL (which holds a token).

A post the platform refused (HTTP 429, 500, 502, 503, DingTalk/WeCom "system busy", a rate-limit
code) or that never left (connection refused, unresolvable, connect timeout) is tried again in
place, up to ``attempts`` times (the notifier's robots: ``POST_ATTEMPTS``) with backoff (a
429's ``Retry-After`` through the pacer), before the notice goes back to SQS. A post that
went out and got no verdict (HTTP 504, a timeout or a dropped connection while waiting for
the answer) may have been shown in the group: it is never posted again
(:class:`DeliveryUncertain`); the part counts as sent and the delivery's detail says so. So is
an answer larger than any robot gives (``MAX_ANSWER_BYTES``). Posts go through the process's
connection pool (:mod:`groupaudit.outbound`): the next post to the same host reuses the
connection; one the platform closed while idle is replaced, and a post that met such a close
before any answer byte is sent once more on a new connection (the platform had not read it).
Posting it again would repeat a notice the group most likely has; the price is a notice lost
in the rare case the platform had not taken it (its findings stay stored, listed by the API,
and are told again once due again, after RENOTIFY_DAYS).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import random
import time
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from groupaudit import netguard, outbound
from groupaudit.notifiers.channels import MAX_ANSWER_BYTES, TIMEOUT_S, DeliveryError
from groupaudit.notifiers.pacing import Pacer, PacingWait
from groupaudit.ratelimits import FEISHU_RATE_LIMITED, dingtalk_throttle_wait
from groupaudit.wire import NoticeMessage

DINGTALK_MAX_BYTES = 20_000
WECOM_MARKDOWN_MAX_BYTES = 4_096
FEISHU_MAX_BODY_BYTES = 20 * 1024
SLACK_MAX_CHARS = 40_000

DINGTALK_RATE_LIMITED = 130101
WECOM_RATE_LIMITED = 45009
SYSTEM_BUSY = -1  # DingTalk and WeCom: "system busy, retry later"
POST_ATTEMPTS = 4  # tries of one part within a delivery, for refusals worth trying again
POST_BACKOFF_S = 0.5  # before try n+1 a random wait of up to POST_BACKOFF_S * 2**n seconds


class RobotRateLimited(DeliveryError):
    """The platform refused because we sent too fast; ``retry_after_s`` when it says how long."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message, retryable=True)
        self.retry_after_s = retry_after_s


class DeliveryUncertain(DeliveryError):
    """The post went out and no verdict came back (HTTP 504, a timeout or a dropped connection
    while waiting): the platform may have shown it. Never posted again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def _key(secret: str | bytes) -> bytes:
    return secret if isinstance(secret, bytes) else secret.encode()


def dingtalk_sign(secret: str | bytes, timestamp_ms: int) -> str:
    """DingTalk's ``sign``: URL-encoded base64 of HmacSHA256 keyed by the secret over
    ``timestamp_ms + "\\n" + secret``."""
    key = _key(secret)
    digest = hmac.new(key, f"{timestamp_ms}\n".encode() + key, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str | bytes, timestamp_s: int) -> str:
    """Feishu's ``sign``: base64 of HmacSHA256 keyed by ``timestamp_s + "\\n" + secret`` over an
    empty message."""
    digest = hmac.new(f"{timestamp_s}\n".encode() + _key(secret), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def split_lines(text: str, limit: int, size: Callable[[str], int]) -> list[str]:
    """Cuts ``text`` into parts of at most ``limit`` (as measured by ``size``), on line
    boundaries; a single line longer than the limit is cut between characters."""
    parts: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        if current and size("\n".join([*current, line])) <= limit:
            current.append(line)
            continue
        if current:
            parts.append("\n".join(current))
        current = [line]
        while size(current[0]) > limit:
            head = _longest_prefix(current[0], limit, size)
            parts.append(head)
            current = [current[0][len(head) :]]
    if current and (current != [""] or not parts):
        parts.append("\n".join(current))
    return parts


def _longest_prefix(line: str, limit: int, size: Callable[[str], int]) -> str:
    low, high = 1, len(line)
    while low < high:
        middle = (low + high + 1) // 2
        if size(line[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return line[:low]


def _utf8_len(text: str) -> int:
    return len(text.encode())


def _title(notice: NoticeMessage) -> str:
    first = next((line.strip("# ").strip() for line in notice.text.split("\n") if line.strip()), "")
    return first[:64] or "GroupAudit"


def _post(
    url: str, payload: dict[str, Any], platform: str, network: netguard.Network = netguard.LOCAL_PEERS
) -> tuple[int, dict[str, str], bytes]:
    """POSTs JSON; returns (status, headers, body) for any HTTP answer, raises
    DeliveryError(retryable) when the platform cannot be reached. The post goes through the
    process's connection pool (groupaudit.outbound): the robot's host must resolve only to
    addresses ``network`` allows (checked for every new connection, see groupaudit.netguard), and
    a redirect is never followed: it is a final refusal."""
    try:
        reply = outbound.request(
            "POST",
            url,
            network=network,
            timeout=TIMEOUT_S,
            body=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            max_body=MAX_ANSWER_BYTES,
        )
    except netguard.AddressRefused as exc:
        raise DeliveryError(f"{platform} robot refused: {exc}", retryable=False) from None
    except outbound.NotSent as exc:  # nothing reached the platform
        raise DeliveryError(f"{platform} unreachable: {exc.reason}", retryable=True) from None
    except outbound.BodyTooLarge as exc:  # it answered, but not as a robot does
        raise DeliveryUncertain(
            f"{platform} answered HTTP {exc.status} with more than {exc.limit} bytes; "
            "the post may have been shown"
        ) from None
    except (TimeoutError, OSError, http.client.HTTPException) as exc:  # sent; the answer never came
        raise DeliveryUncertain(
            f"{platform} gave no answer ({exc!r}); the post may have been shown"
        ) from None
    if 300 <= reply.status < 400:
        raise DeliveryError(
            f"{platform} answered HTTP {reply.status} (a redirect: robots are never redirected)",
            retryable=False,
        )
    if reply.status == 504:  # the gateway gave up waiting for the platform, which may have posted
        raise DeliveryUncertain(f"{platform} answered HTTP 504 (the post may have been shown)")
    return reply.status, dict(reply.headers), reply.body


def _json_answer(
    platform: str, status: int, body: bytes, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    if status == 429:
        retry_after = _retry_after(headers or {})
        raise RobotRateLimited(
            f"{platform} answered HTTP 429 (Retry-After {retry_after})", retry_after_s=retry_after
        )
    if status >= 500:
        raise DeliveryError(f"{platform} answered HTTP {status}", retryable=True)
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise DeliveryError(f"{platform} answered HTTP {status} without a JSON body", retryable=False)
    return answer


def _send_parts(
    parts: list[str],
    send_one: Callable[[int, str], None],
    platform: str,
    pacer: Pacer | None,
    resume_from: int,
    on_part: Callable[[int], None] | None,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 1,
) -> str:
    """Sends ``parts[resume_from:]`` in order: each after the pacer gives a slot, each
    reported to ``on_part`` (the count sent so far) so a failed digest resumes after the
    parts the platform accepted, never repeating them. A part without a verdict
    (:class:`DeliveryUncertain`) counts as sent; a retryable refusal is tried again in place."""
    unconfirmed = 0
    for index in range(resume_from, len(parts)):
        try:
            _post_part(index, parts[index], send_one, pacer, sleep, attempts)
        except DeliveryUncertain:
            unconfirmed += 1
        except DeliveryError as exc:
            if len(parts) > 1:
                exc.args = (f"{exc.args[0]} (part {index + 1}/{len(parts)})",)
            raise
        if on_part is not None:
            on_part(index + 1)
    sent = len(parts) - resume_from
    resumed = f" (resumed after {resume_from} sent before)" if resume_from else ""
    unsure = f", {unconfirmed} without an answer (not posted again)" if unconfirmed else ""
    return f"{platform}: {sent} message{'s' if sent != 1 else ''} delivered{resumed}{unsure}"


def _post_part(
    index: int,
    part: str,
    send_one: Callable[[int, str], None],
    pacer: Pacer | None,
    sleep: Callable[[float], None],
    attempts: int,
) -> None:
    """One part, tried up to ``attempts`` times while the platform refuses it in a way worth
    trying again (never after it may have taken it)."""
    for attempt in range(attempts):
        try:
            if pacer is not None:
                pacer()
            send_one(index, part)
            return
        except DeliveryUncertain:
            raise
        except DeliveryError as exc:
            rate_limited = isinstance(exc, RobotRateLimited)
            if rate_limited and pacer is not None:
                pacer.throttled(exc.retry_after_s)  # type: ignore[attr-defined]
            if not exc.retryable or attempt + 1 >= attempts or isinstance(exc, PacingWait):
                raise
            if not (rate_limited and pacer is not None):  # the pacer waits out a rate limit
                sleep(POST_BACKOFF_S * 2**attempt * random.random())


class _Robot(ABC):
    """What every robot shares: its URL, its pacer, and ``send`` over its parts."""

    platform = ""

    def __init__(
        self,
        url: str,
        secret: str | bytes | None = None,
        *,
        pacer: Pacer | None = None,
        network: netguard.Network = netguard.LOCAL_PEERS,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 1,
    ) -> None:
        self.url = url
        self._secret = secret
        self.pacer = pacer
        self.network = network  # the deployed notifier passes netguard.PUBLIC
        self.sleep = sleep  # between tries of a refused part
        self.attempts = attempts  # tries of a part the platform refused in a way worth trying again

    def send(
        self, notice: NoticeMessage, *, resume_from: int = 0, on_part: Callable[[int], None] | None = None
    ) -> str:
        parts, send_one = self._plan(notice)
        try:
            return _send_parts(
                parts,
                send_one,
                self.platform,
                self.pacer,
                min(resume_from, len(parts)),
                on_part,
                self.sleep,
                self.attempts,
            )
        except DeliveryError as exc:
            exc.args = (self._redact(str(exc)),)  # a platform may echo the token it refused
            raise

    def _redact(self, text: str) -> str:
        """Hides the robot's secret and the tokens its URL carries (query values, the hook path)."""
        split = urllib.parse.urlsplit(self.url)
        tokens = [value for values in urllib.parse.parse_qs(split.query).values() for value in values]
        tokens += [segment for segment in split.path.split("/") if len(segment) >= 16]
        if self._secret:
            tokens.append(self._secret.decode() if isinstance(self._secret, bytes) else self._secret)
        for token in sorted((t for t in tokens if len(t) >= 6), key=len, reverse=True):
            text = text.replace(token, "***")
        return text

    @abstractmethod
    def _plan(self, notice: NoticeMessage) -> tuple[list[str], Callable[[int, str], None]]:
        """The digest's parts, and how to post part ``index``."""


class DingTalkRobot(_Robot):
    """A DingTalk group's custom robot (``https://oapi.dingtalk.com/robot/send?access_token=…``),
    signed when the robot's security setting is "加签" (``secret`` starting ``SEC``)."""

    platform = "dingtalk"

    def _plan(self, notice: NoticeMessage) -> tuple[list[str], Callable[[int, str], None]]:
        head = " ".join(f"@{user_id}" for user_id in notice.mention_ids)
        text = f"{head}\n\n{notice.text}" if head else notice.text
        parts = split_lines(text, DINGTALK_MAX_BYTES, _utf8_len)
        title = _title(notice)

        def send_one(index: int, part: str) -> None:
            payload = {
                "msgtype": "markdown",
                "markdown": {"title": title, "text": part},
                "at": {"atUserIds": notice.mention_ids if index == 0 else [], "isAtAll": False},
            }
            status, headers, body = _post(self._signed_url(), payload, "dingtalk", self.network)
            _check_errcode(
                "dingtalk", _json_answer("dingtalk", status, body, headers), DINGTALK_RATE_LIMITED, 600
            )

        return parts, send_one

    def _signed_url(self) -> str:
        if not self._secret:
            return self.url
        timestamp_ms = int(time.time() * 1000)
        separator = "&" if "?" in self.url else "?"
        return (
            f"{self.url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(self._secret, timestamp_ms)}"
        )


def _check_errcode(platform: str, answer: dict[str, Any], rate_limited: int, retry_after_s: int) -> None:
    """DingTalk and WeCom answer HTTP 200 either way: ``errcode`` 0 is success, their rate-limit
    code is worth a retry after ``retry_after_s``, -1 (system busy) too, the rest is final.
    DingTalk's throttle body has no errcode (``{"status": 1111, "wait": 5, …}``): a rate limit
    for ``wait`` minutes, never a success."""
    code = answer.get("errcode")
    if code is None and (wait := dingtalk_throttle_wait(answer)) is not None:
        raise RobotRateLimited(
            f"{platform} throttled (status {answer.get('status')}, wait {answer.get('wait')})",
            retry_after_s=wait,
        )
    if code == 0:
        return
    message = f"{platform} errcode {code}: {answer.get('errmsg', '')}"
    if code == rate_limited:
        raise RobotRateLimited(message, retry_after_s=retry_after_s)
    raise DeliveryError(message, retryable=code == SYSTEM_BUSY)


class WeComRobot(_Robot):
    """A WeCom group robot (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``)."""

    platform = "wecom"

    def _plan(self, notice: NoticeMessage) -> tuple[list[str], Callable[[int, str], None]]:
        head = " ".join(f"<@{user_id}>" for user_id in notice.mention_ids)
        text = f"{head}\n{notice.text}" if head else notice.text
        parts = split_lines(text, WECOM_MARKDOWN_MAX_BYTES, _utf8_len)

        def send_one(_: int, part: str) -> None:
            payload = {"msgtype": "markdown", "markdown": {"content": part}}
            status, headers, body = _post(self.url, payload, "wecom", self.network)
            _check_errcode("wecom", _json_answer("wecom", status, body, headers), WECOM_RATE_LIMITED, 60)

        return parts, send_one


class FeishuBot(_Robot):
    """A Feishu custom bot (``https://open.feishu.cn/open-apis/bot/v2/hook/…``), signed when
    the bot's security setting is "签名校验"."""

    platform = "feishu"

    def _plan(self, notice: NoticeMessage) -> tuple[list[str], Callable[[int, str], None]]:
        mentions = [{"tag": "at", "user_id": user_id} for user_id in notice.mention_ids]
        title = _title(notice)
        # the envelope (msg_type, timestamp, sign, title, mentions) must fit beside the lines
        reserve = 1024 + _utf8_len(json.dumps(mentions, ensure_ascii=False)) + _utf8_len(title)
        parts = split_lines(notice.text, FEISHU_MAX_BODY_BYTES - reserve, _feishu_paragraphs_size)
        language = "en_us" if notice.channel.lang == "en" else "zh_cn"

        def send_one(index: int, part: str) -> None:
            paragraphs: list[list[dict[str, str]]] = [mentions] if index == 0 and mentions else []
            paragraphs += _feishu_paragraphs(part)
            payload: dict[str, Any] = {
                "msg_type": "post",
                "content": {"post": {language: {"title": title, "content": paragraphs}}},
            }
            if self._secret:
                timestamp_s = int(time.time())
                payload["timestamp"] = str(timestamp_s)
                payload["sign"] = feishu_sign(self._secret, timestamp_s)
            status, headers, body = _post(self.url, payload, "feishu", self.network)
            answer = _json_answer("feishu", status, body, headers)
            code = answer.get("code", answer.get("StatusCode"))
            if code == 0:
                return
            message = f"feishu code {code}: {answer.get('msg', '')}"
            if code in FEISHU_RATE_LIMITED:
                raise RobotRateLimited(message)
            raise DeliveryError(message, retryable=False)

        return parts, send_one


def _feishu_paragraphs(text: str) -> list[list[dict[str, str]]]:
    return [[{"tag": "text", "text": line}] for line in text.split("\n")]


def _feishu_paragraphs_size(text: str) -> int:
    return _utf8_len(json.dumps(_feishu_paragraphs(text), ensure_ascii=False))


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackWebhook(_Robot):
    """A Slack incoming webhook (``https://hooks.slack.com/services/…``)."""

    platform = "slack"

    def _plan(self, notice: NoticeMessage) -> tuple[list[str], Callable[[int, str], None]]:
        head = " ".join(f"<@{user_id}>" for user_id in notice.mention_ids)
        body = _slack_escape(notice.text)
        text = f"{head}\n{body}" if head else body
        parts = split_lines(text, SLACK_MAX_CHARS, len)

        def send_one(_: int, part: str) -> None:
            status, headers, answer = _post(self.url, {"text": part}, "slack", self.network)
            reply = answer.decode(errors="replace").strip()
            if status == 200 and reply == "ok":
                return
            if status == 429:
                retry_after = _retry_after(headers)
                raise RobotRateLimited(
                    f"slack answered HTTP 429 (Retry-After {retry_after})", retry_after_s=retry_after
                )
            if status >= 500:
                raise DeliveryError(f"slack answered HTTP {status}: {reply[:200]}", retryable=True)
            raise DeliveryError(f"slack answered HTTP {status}: {reply[:200]}", retryable=False)

        return parts, send_one


def _retry_after(headers: dict[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


Robot = DingTalkRobot | WeComRobot | FeishuBot | SlackWebhook
ROBOTS: dict[str, type[_Robot]] = {
    "dingtalk": DingTalkRobot,
    "wecom": WeComRobot,
    "feishu": FeishuBot,
    "slack": SlackWebhook,
}


def robot_for(
    channel_type: str,
    url: str,
    secret: str | bytes | None = None,
    *,
    pacer: Pacer | None = None,
    network: netguard.Network = netguard.LOCAL_PEERS,
    attempts: int = 1,
) -> _Robot:
    """The robot of a notice channel type (``dingtalk``, ``wecom``, ``feishu``, ``slack``);
    WeCom and Slack webhooks are unsigned (the URL is the secret), so they ignore ``secret``."""
    if channel_type not in ROBOTS:
        raise ValueError(f"no robot for channel type {channel_type!r}; one of dingtalk, wecom, feishu, slack")
    signing = secret if channel_type in ("dingtalk", "feishu") else None
    return ROBOTS[channel_type](url, signing, pacer=pacer, network=network, attempts=attempts)

"""The four platforms' group robots on one loopback port, as each documents them.

- DingTalk ``POST /robot/send?access_token=T[&timestamp=&sign=]``: the signature is recomputed
  from the robot's secret (HmacSHA256 keyed by the secret over ``timestamp + "\\n" + secret``,
  base64, URL-encoded) and the timestamp must be within an hour; errors are HTTP 200 with
  ``errcode`` (300001 unknown token, 310000 sign/keyword/IP, 130101 too fast: more than 20 a
  minute, after which the robot is stopped for ``penalty_s``). DingTalk's gateway throttle,
  HTTP 200 with no errcode (``{"status": 1111, "wait": 5, …}``), is scripted with
  ``peer.script("/robot/send", dingtalk_throttled())``.
- WeCom ``POST /cgi-bin/webhook/send?key=K``: markdown content at most 4096 bytes (40058),
  93000 unknown key, 45009 more than 20 a minute.
- Feishu ``POST /open-apis/bot/v2/hook/T``: signature in the body (HmacSHA256 keyed by
  ``timestamp + "\\n" + secret`` over an empty message), 19021 when it does not match, body at
  most 20 KB (9499), 11232 more than 5 a second or 100 a minute.
- Slack ``POST /services/T/B/X``: ``ok`` as text/html; 404 ``no_service`` for an unknown hook;
  HTTP 429 with ``Retry-After`` above one message a second.

Every accepted message is kept in :attr:`RobotPeer.delivered` (what the group would show);
refusals are kept in :attr:`RobotPeer.refused` with the platform's answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from groupaudit.local.peers.base import Answer, Peer, Request, json_answer

LIMITS: dict[str, tuple[tuple[int, float], ...]] = {
    "dingtalk": ((20, 60.0),),
    "wecom": ((20, 60.0),),
    "feishu": ((5, 1.0), (100, 60.0)),
    "slack": ((1, 1.0),),
}


def dingtalk_throttled(wait: int = 5) -> Answer:
    """DingTalk's gateway throttle: HTTP 200, no ``errcode``, refused for ``wait`` minutes."""
    return json_answer({"status": 1111, "wait": wait, "source": "x5", "punish": "deny", "uuid": "9ff0e7e2"})


@dataclass(frozen=True)
class Delivered:
    platform: str
    robot: str
    text: str
    mentions: tuple[str, ...]
    at: float


@dataclass
class RobotPeer(Peer):
    name: str = "robots"
    # robot token/key/hook -> secret ("" = unsigned robot)
    dingtalk: dict[str, str] = field(default_factory=dict)
    wecom: set[str] = field(default_factory=set)
    feishu: dict[str, str] = field(default_factory=dict)
    slack: set[str] = field(default_factory=set)
    # limits scaled for tests (1.0 = the platforms' own)
    time_scale: float = 1.0
    penalty_s: float = 600.0
    delivered: list[Delivered] = field(default_factory=list)
    refused: list[tuple[str, str, str]] = field(default_factory=list)
    _sends: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    _blocked_until: dict[str, float] = field(default_factory=dict)

    # --- the URLs a registration would hold --------------------------------------------

    def dingtalk_url(self, token: str) -> str:
        return f"{self.url}/robot/send?access_token={token}"

    def wecom_url(self, key: str) -> str:
        return f"{self.url}/cgi-bin/webhook/send?key={key}"

    def feishu_url(self, token: str) -> str:
        return f"{self.url}/open-apis/bot/v2/hook/{token}"

    def slack_url(self, hook: str) -> str:
        return f"{self.url}/services/{hook}"

    # --- answering ---------------------------------------------------------------------

    def route(self, request: Request) -> Answer:
        path = request.path
        if path == "/robot/send":
            return self._dingtalk(request)
        if path == "/cgi-bin/webhook/send":
            return self._wecom(request)
        if path.startswith("/open-apis/bot/v2/hook/"):
            return self._feishu(request, path.rsplit("/", 1)[1])
        if path.startswith("/services/"):
            return self._slack(request, path.removeprefix("/services/"))
        return json_answer({"error": "not found"}, 404)

    def _too_fast(self, platform: str, robot: str) -> bool:
        """Counts the send; True when it breaks the platform's documented rate."""
        with self._lock:
            return self._count_send(f"{platform}#{robot}", platform)

    def _count_send(self, key: str, platform: str) -> bool:
        now = time.monotonic()
        if self._blocked_until.get(key, 0.0) > now:
            return True
        sends = self._sends[key]
        sends.append(now)
        for limit, seconds in LIMITS[platform]:
            window = seconds * self.time_scale
            if len([t for t in sends if t > now - window]) > limit:
                if platform == "dingtalk":
                    self._blocked_until[key] = now + self.penalty_s * self.time_scale
                return True
        return False

    def _refuse(self, platform: str, robot: str, answer: Answer) -> Answer:
        self.refused.append((platform, robot, answer[2].decode()))
        return answer

    def _dingtalk(self, request: Request) -> Answer:
        token = request.arg("access_token") or ""
        if token not in self.dingtalk:
            return self._refuse(
                "dingtalk", token, json_answer({"errcode": 300001, "errmsg": "token is not exist"})
            )
        secret = self.dingtalk[token]
        if secret:
            timestamp = request.arg("timestamp") or "0"
            expected = base64.b64encode(
                hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
            ).decode()
            # parse_qs has already URL-decoded the sign once, as DingTalk does
            if request.arg("sign") != expected:
                return self._refuse(
                    "dingtalk", token, json_answer({"errcode": 310000, "errmsg": "sign not match"})
                )
            if abs(time.time() * 1000 - int(timestamp)) > 3_600_000:
                return self._refuse(
                    "dingtalk", token, json_answer({"errcode": 310000, "errmsg": "invalid timestamp"})
                )
        if self._too_fast("dingtalk", token):
            return self._refuse(
                "dingtalk",
                token,
                json_answer({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
            )
        body = request.json()
        markdown = body.get("markdown") or {}
        at = body.get("at") or {}
        self._deliver("dingtalk", token, markdown.get("text", ""), at.get("atUserIds") or ())
        return json_answer({"errcode": 0, "errmsg": "ok"})

    def _wecom(self, request: Request) -> Answer:
        key = request.arg("key") or ""
        if key not in self.wecom:
            return self._refuse(
                "wecom", key, json_answer({"errcode": 93000, "errmsg": "invalid webhook url, hint: [1]"})
            )
        content = ((request.json() or {}).get("markdown") or {}).get("content", "")
        if len(content.encode()) > 4096:
            return self._refuse(
                "wecom",
                key,
                json_answer({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}),
            )
        if self._too_fast("wecom", key):
            return self._refuse(
                "wecom", key, json_answer({"errcode": 45009, "errmsg": "api freq out of limit"})
            )
        mentions = tuple(m for m in _between(content, "<@", ">"))
        self._deliver("wecom", key, content, mentions)
        return json_answer({"errcode": 0, "errmsg": "ok"})

    def _feishu(self, request: Request, token: str) -> Answer:
        if token not in self.feishu:
            return self._refuse(
                "feishu",
                token,
                json_answer(
                    {"code": 19001, "msg": "param invalid: incoming webhook access token invalid", "data": {}}
                ),
            )
        if len(request.body) > 20 * 1024:
            return self._refuse(
                "feishu", token, json_answer({"code": 9499, "msg": "request body too large", "data": {}})
            )
        body = request.json() or {}
        secret = self.feishu[token]
        if secret:
            timestamp = str(body.get("timestamp", "0"))
            key = f"{timestamp}\n{secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if body.get("sign") != expected or abs(time.time() - int(timestamp or 0)) > 3600:
                return self._refuse(
                    "feishu",
                    token,
                    json_answer(
                        {
                            "code": 19021,
                            "msg": "sign match fail or timestamp is not within one hour from current time",
                            "data": {},
                        }
                    ),
                )
        if self._too_fast("feishu", token):
            return self._refuse(
                "feishu", token, json_answer({"code": 11232, "msg": "frequency limited psm", "data": {}})
            )
        post: dict[str, Any] = next(iter(((body.get("content") or {}).get("post") or {}).values()), {})
        lines, mentions = [], []
        for paragraph in post.get("content", []):
            text = ""
            for element in paragraph:
                if element.get("tag") == "at":
                    mentions.append(element.get("user_id", ""))
                    text += f"@{element.get('user_id', '')} "
                else:
                    text += element.get("text", "")
            lines.append(text.rstrip())
        self._deliver("feishu", token, "\n".join(lines), tuple(mentions))
        return json_answer({"code": 0, "msg": "success", "data": {}})

    def _slack(self, request: Request, hook: str) -> Answer:
        if hook not in self.slack:
            return self._refuse("slack", hook, (404, {"Content-Type": "text/html"}, b"no_service"))
        if self._too_fast("slack", hook):
            return self._refuse(
                "slack", hook, (429, {"Content-Type": "text/html", "Retry-After": "1"}, b"rate_limited")
            )
        text = (request.json() or {}).get("text", "")
        self._deliver("slack", hook, text, tuple(_between(text, "<@", ">")))
        return 200, {"Content-Type": "text/html"}, b"ok"

    def _deliver(self, platform: str, robot: str, text: str, mentions: Any) -> None:
        with self._lock:
            self.delivered.append(Delivered(platform, robot, text, tuple(mentions), time.monotonic()))


def _between(text: str, start: str, end: str) -> list[str]:
    found = []
    for piece in text.split(start)[1:]:
        if end in piece:
            found.append(piece.split(end, 1)[0])
    return found


def describe(delivered: Delivered) -> str:
    """One line per delivered message, for the demo's printout."""
    mentions = f" @{', @'.join(delivered.mentions)}" if delivered.mentions else ""
    first = next((line for line in delivered.text.splitlines() if line.strip()), "")
    return f"{delivered.platform} robot {urllib.parse.unquote(delivered.robot)[:12]}…{mentions}: {first[:60]}"

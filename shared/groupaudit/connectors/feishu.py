"""Feishu (飞书 / Lark) -> one group snapshot, read through the Open Platform API as the app's bot.

The app is a custom app (企业自建应用) with the bot ability, and its bot is a member of the
group. Every call carries ``Authorization: Bearer <tenant_access_token>``; the token comes from
``POST /open-apis/auth/v3/tenant_access_token/internal`` with the credentials' ``app_id`` and
``app_secret`` and is fetched again once when a call answers that it is no longer valid (the
official SDKs do the same on 99991663/99991664/99991671). What is read, in this order, before
anything is built:

1. ``GET /open-apis/im/v1/chats/{chat_id}?user_id_type=…``: name, ``owner_id``,
   ``user_manager_id_list`` (group admins), ``bot_manager_id_list`` (bots that are admins).
2. ``GET /open-apis/im/v1/chats/{chat_id}/members`` (``member_id_type``, ``page_size`` ≤ 100,
   ``page_token``/``has_more``): the human members. Bots are never listed there.
3. ``GET /open-apis/im/v1/messages`` with ``container_id_type=chat``, ``start_time``/``end_time``
   in epoch seconds, ``sort_type=ByCreateTimeAsc``, ``page_size`` ≤ 50: the messages. In an
   ordinary group a thread (话题) shows only its root there, so every thread seen is then read
   with ``container_id_type=thread`` (that container takes no time range; replies outside the
   window are dropped here).
4. ``GET /open-apis/im/v1/messages/{message_id}/resources/{file_key}?type=file`` for each file
   message: a ``Range: bytes=0-131071`` probe gives the size in ``Content-Range`` (as the
   official ``lark-cli`` does); files up to ``max_download_bytes`` are then read in 8 MiB ranges
   and hashed. Only the API host is ever called; no URL from a payload is fetched or stored.

Any failed call raises :class:`~groupaudit.connectors.http.PlatformError` and nothing is returned.
Failures are judged by the body's ``code`` (Feishu answers HTTP 200 or 4xx with
``{"code", "msg"}``): the rate-limit codes of
:data:`~groupaudit.ratelimits.FEISHU_RATE_LIMITED` (99991400 from the gateway, 232019 from
the chat APIs, 230020 from the message APIs; waited out, ``x-ogw-ratelimit-reset`` says how
long) are retried, token codes refresh the token, everything else is final and names the code and
Feishu's message (99991672 names the missing scope).

Ids. Message senders and mentions come only as ``open_id`` (per app) and bots as ``app_id``;
chat info and the member list can answer in ``user_id`` (the tenant's employee id, the id a
company directory knows; it needs the field scope ``contact:user.employee_id:readonly``). So,
by default (variant ``user_id``), the member list is read twice, with ``member_id_type=open_id``
and ``=user_id``, and the two are paired (same order and names, else by names unique to one
member) into an ``open_id -> user_id`` map applied to senders, mentions and admins. Variant
``open_id`` skips that and keeps open_ids (map them in ``idmap.json`` then). Every id then goes
through ``request.ids`` (``idmap.json``). A sender or mention who has left the group is not in
the member list, so it stays an open_id unless ``idmap.json`` maps it.

The mapping (documented for users in ``docs/platforms/feishu.md``):

- group: id = ``request.group_id``, name = chat ``name`` (else ``request.name``), kind =
  ``request.kind``, owner_id = ``owner_id``, admin_ids = owner + user managers + bot managers.
  Feishu gives no creation time or creator (``chat/get`` documents none). messages_since =
  ``request.since``: the window's messages are listed whole.
- members: the member list (role owner/admin/member from the chat info) plus every bot that
  posted or is a bot manager (``is_bot``, named by its app_id: messages carry no bot name).
  ``joined_at``: the latest "{from_user} invited {to_chatters}…"-style system message in the
  window that names the member (by display name, only when that name is unique in the group).
- messages: id = ``message_id``, sent_at = ``create_time`` (epoch ms, UTC); recalled ones
  (``deleted: true``) are left out, edited ones (``updated: true``) already carry their latest
  content; ``system`` and ``video_chat`` -> ``system``; ``file``/``folder`` -> ``file``;
  ``image``/``sticker`` -> ``image``; ``audio`` -> ``voice``; ``media`` -> ``video``;
  ``share_chat``/``share_user`` -> ``link``; the rest (text, post, cards, votes…) -> ``text``.
  Text: ``@_user_N`` placeholders become ``@name`` (from ``mentions``), ``@_all`` ``@所有人``;
  ``post`` rich text is flattened to plain lines. Replies: ``reply_to_id`` = ``parent_id``
  (else ``root_id``); ``thread_id`` = ``root_id`` only for messages inside a Feishu thread
  (they carry ``thread_id``), a quoted reply in the main timeline is not a thread.
- files: one per file message in the window: id = ``file_key``, name = ``file_name``,
  uploaded_at/uploader = the message's, size and sha256 from the download (absent when the file
  is larger than ``max_download_bytes``, of unknown size, or no longer downloadable: recalled,
  restricted mode, over Feishu's 100 MB limit). No ``download_url`` (the resource URL needs the
  bearer token).

References: open.larksuite.com/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/ ``message/list``,
``chat/get``, ``chat-members/get``, ``message-resource/get``, ``im-v1/message/events/
message_content`` (received content), server-docs/api-call-guide/frequency-control;
larksuite/cli ``shortcuts/im/im_messages_resources_download.go`` (range download).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from groupaudit.connectors.base import PullRequest, epoch_ms
from groupaudit.connectors.http import Answer, Http, Judge, PlatformError
from groupaudit.connectors.skeleton import (
    Gone,
    TokenSession,
    Verdicts,
    fetch_token,
    follow,
    json_object,
    judge,
)
from groupaudit.contracts import (
    SCHEMA_VERSION,
    File,
    Group,
    Member,
    MemberRole,
    Message,
    MessageType,
    Snapshot,
)
from groupaudit.ratelimits import FEISHU_RATE_LIMITED

PATH_TOKEN = "/open-apis/auth/v3/tenant_access_token/internal"
PATH_CHAT = "/open-apis/im/v1/chats/{chat_id}"
PATH_MEMBERS = "/open-apis/im/v1/chats/{chat_id}/members"
PATH_MESSAGES = "/open-apis/im/v1/messages"
PATH_RESOURCE = "/open-apis/im/v1/messages/{message_id}/resources/{file_key}"

MEMBER_PAGE_SIZE = 100  # the documented maximum
MESSAGE_PAGE_SIZE = 50  # the documented maximum
PROBE_BYTES = 128 * 1024
CHUNK_BYTES = 8 * 1024 * 1024
VARIANTS = ("user_id", "open_id")

RATE_LIMITED = FEISHU_RATE_LIMITED  # 99991400, 232019 (chats), 230020 (messages), 11232 (bots)
# Tenant/app access token missing, invalid or expired: fetch a new one and try again.
TOKEN_REJECTED = frozenset({99991661, 99991663, 99991664, 99991668, 99991671})
RETRYABLE = frozenset({234019})  # "scope CheckAppTenant fail. Please retry."
# The resource cannot be downloaded, the rest of the group can: the file just gets no hash.
RESOURCE_UNAVAILABLE = frozenset({230110, 234003, 234037, 234038, 234040, 234043})
BOT_NOT_IN_GROUP = "add the app's bot to the group (group settings > bots)"
HINTS: dict[int, str] = {
    10003: "check app_id in the credentials secret",
    10014: "check app_secret in the credentials secret",
    99991672: "grant the scope named above in the developer console and publish a new app version",
    230002: BOT_NOT_IN_GROUP,
    232011: BOT_NOT_IN_GROUP,
    234004: BOT_NOT_IN_GROUP,
    230006: "enable the bot ability of the app and publish a new version",
    232025: "enable the bot ability of the app and publish a new version",
    230027: "grant im:message.group_msg (获取群组中所有消息) and publish a new app version",
    232006: "check the chat_id registered for the group",
    232009: "the group was dissolved",
}

MESSAGE_TYPES: dict[str, MessageType] = {
    "text": "text",
    "post": "text",
    "image": "image",
    "sticker": "image",
    "file": "file",
    "folder": "file",
    "audio": "voice",
    "media": "video",
    "share_chat": "link",
    "share_user": "link",
    "system": "system",
    "video_chat": "system",
}
FILE_TYPES = frozenset({"file", "folder"})
JOIN_MARKERS = ("invited", "joined", "邀请", "加入")
ALL_KEY = "@_all"
_PLACEHOLDER = re.compile(r"@_user_\d+|@_all")
_CONTENT_RANGE = re.compile(r"^bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)$")


def _reset_after(answer: Answer) -> float | None:
    for name in ("x-ogw-ratelimit-reset", "Retry-After"):
        try:
            value = float(answer.header(name) or "")
        except ValueError:
            continue
        if math.isfinite(value):
            return max(value, 0.0)
    return None


FEISHU = Verdicts(
    code_field="code",
    message_fields=("msg",),
    label="HTTP {status}, code {code}",
    rate_limited=RATE_LIMITED,
    wait_s=_reset_after,
    token_expired=TOKEN_REJECTED,
    retryable=RETRYABLE,
    hints=HINTS,
)


# --- the API -----------------------------------------------------------------------------------


@dataclass
class _Api:
    http: Http
    app_id: str
    app_secret: str = field(repr=False)
    session: TokenSession = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.session = TokenSession(
            self.http, self._authenticate, header="Authorization", header_value="Bearer {token}"
        )

    def _authenticate(self) -> tuple[str, float | None]:
        body = {"app_id": self.app_id, "app_secret": self.app_secret}
        return fetch_token(self.http, FEISHU, "POST", PATH_TOKEN, "tenant_access_token", "expire", body=body)

    def call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        """The call's ``data`` (or, with ``raw``, the :class:`Answer` of a download); a rejected
        token is replaced once."""
        return self.session.request(
            method,
            path,
            lambda where, answer: self._judge(where, raw=raw)(answer),
            query=query,
            headers=headers,
        )

    def pages(self, path: str, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every item of a paginated list (``page_token`` until ``has_more`` is false)."""
        items: list[dict[str, Any]] = []
        for data in follow(
            self.http,
            f"GET {path}",
            lambda page_token: self.call("GET", path, query={**query, "page_token": page_token}),
            lambda data: data.get("page_token"),
            has_more=lambda data: bool(data.get("has_more")),
        ):
            page = data.get("items") or []
            if not isinstance(page, list) or not all(isinstance(item, dict) for item in page):
                raise self.http.fail(f"GET {path}: items is not a list of objects")
            items.extend(page)
        return items

    def _judge(self, where: str, *, raw: bool = False) -> Judge:
        def judge_(answer: Answer) -> Any:
            body = _json_object(answer)
            if raw and answer.status in (200, 206, 416) and not _is_error(body):
                return answer
            if body is None:
                raise self.http.fail(f"{where}: HTTP {answer.status} without a Feishu JSON answer")
            payload = judge(FEISHU, self.http, where, answer, gone=RESOURCE_UNAVAILABLE if raw else ())
            data = payload.get("data") or {}
            if not isinstance(data, dict):
                raise self.http.fail(f"{where}: data is not an object")
            return data

        return judge_


def _json_object(answer: Answer) -> dict[str, Any] | None:
    if "json" not in (answer.header("Content-Type") or "").lower() and answer.body[:1] != b"{":
        return None
    return json_object(answer)


def _is_error(body: dict[str, Any] | None) -> bool:
    """A Feishu error envelope (as opposed to a downloaded JSON file)."""
    return (
        body is not None
        and isinstance(body.get("code"), int)
        and body["code"] != 0
        and isinstance(body.get("msg"), str)
    )


# --- downloads ---------------------------------------------------------------------------------


def _content_range(answer: Answer) -> tuple[int | None, int | None]:
    """(first byte, total size) from ``Content-Range: bytes 0-131071/523001``."""
    match = _CONTENT_RANGE.match((answer.header("Content-Range") or "").strip())
    if match is None:
        return None, None
    first = int(match.group(1)) if match.group(1) is not None else None
    total = int(match.group(3)) if match.group(3) != "*" else None
    return first, total


def _download(api: _Api, message_id: str, file_key: str, limit: int) -> tuple[int | None, str | None]:
    """(size, sha256) of a message's file; the hash only when the size is known and <= limit."""
    if limit <= 0:
        return None, None
    path = PATH_RESOURCE.format(message_id=quote(message_id, safe=""), file_key=quote(file_key, safe=""))
    where = f"GET {path}"

    def fetch(first: int, last: int) -> Answer:
        return api.call(
            "GET", path, query={"type": "file"}, headers={"Range": f"bytes={first}-{last}"}, raw=True
        )

    try:
        answer = fetch(0, min(PROBE_BYTES, limit) - 1)
        if answer.status == 200:  # the whole file, the Range ignored
            declared = answer.header("Content-Length")
            size = int(declared) if declared and declared.isdigit() else len(answer.body)
            complete = size == len(answer.body) and size <= limit
            return size, hashlib.sha256(answer.body).hexdigest() if complete else None
        start, total = _content_range(answer)
        if answer.status == 416:  # an empty file has no byte 0
            return (0, hashlib.sha256(b"").hexdigest()) if total == 0 else (total, None)
        if total is None or start != 0:
            return total, None
        if total > limit:
            return total, None
        digest, offset = hashlib.sha256(answer.body), len(answer.body)
        while offset < total:
            part = fetch(offset, min(offset + CHUNK_BYTES, total) - 1)
            if part.status != 206 or _content_range(part)[0] != offset or not part.body:
                raise api.http.fail(f"{where}: bytes from {offset} did not come as asked")
            digest.update(part.body)
            offset += len(part.body)
        if offset != total:
            raise api.http.fail(f"{where}: got {offset} bytes of {total}")
        return total, digest.hexdigest()
    except Gone:
        return None, None


# --- message content ---------------------------------------------------------------------------


def _content(raw: Mapping[str, Any]) -> dict[str, Any]:
    body = raw.get("body")
    text = body.get("content") if isinstance(body, dict) else None
    try:
        content = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}
    return content if isinstance(content, dict) else {}


def _names(mentions: list[dict[str, Any]]) -> dict[str, str]:
    """Mention key (``@_user_1``) -> the mentioned name."""
    return {
        m["key"]: str(m.get("name") or "")
        for m in mentions
        if isinstance(m.get("key"), str) and m.get("name")
    }


def _fill(text: str, names: Mapping[str, str]) -> str:
    def name(match: re.Match[str]) -> str:
        key = match.group(0)
        if key == ALL_KEY:
            return "@所有人"
        return f"@{names[key]}" if key in names else key

    return _PLACEHOLDER.sub(name, text)


def _post_text(content: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Rich text (``{"title", "content": [[element…]…]}``, maybe under a locale) as plain lines."""
    if not isinstance(content.get("content"), list):
        content = next(
            (v for v in content.values() if isinstance(v, dict) and isinstance(v.get("content"), list)), {}
        )
    lines = [str(content["title"])] if content.get("title") else []
    for row in content.get("content") or ():
        parts = []
        for element in row if isinstance(row, list) else ():
            if not isinstance(element, dict):
                continue
            tag = element.get("tag")
            if tag in ("text", "a", "code_block") and isinstance(element.get("text"), str):
                parts.append(element["text"])
            elif tag == "at":
                key = str(element.get("user_id") or "")
                if key in (ALL_KEY, "all"):
                    parts.append("@所有人")
                else:
                    parts.append(f"@{names.get(key) or element.get('user_name') or key}")
        lines.append("".join(parts))
    return "\n".join(lines).strip()


def _system_text(content: Mapping[str, Any]) -> str:
    text = str(content.get("template") or "")
    for key in ("from_user", "to_chatters"):
        value = content.get(key)
        people = [str(v) for v in value if v] if isinstance(value, list) else []
        text = text.replace("{" + key + "}", "、".join(people))
    divider = content.get("divider_text")
    divider_text = divider.get("text") if isinstance(divider, dict) else ""
    return text.replace("{divider_text}", str(divider_text or "")).strip()


def _card_text(value: Any) -> list[str]:
    """The visible strings of a card (``interactive``) or a todo's summary."""
    if isinstance(value, dict):
        own = [value[k] for k in ("title", "text", "content") if isinstance(value.get(k), str)]
        nested = [s for k, v in value.items() if k not in ("title", "text", "content") for s in _card_text(v)]
        return own + nested
    if isinstance(value, list):
        return [s for item in value for s in _card_text(item)]
    return []


def _text(msg_type: str, content: Mapping[str, Any], names: Mapping[str, str]) -> str | None:
    if msg_type == "text":
        text = _fill(str(content.get("text") or ""), names)
    elif msg_type == "post":
        text = _post_text(content, names)
    elif msg_type == "system":
        text = _system_text(content)
    elif msg_type in ("interactive", "todo"):
        text = " ".join(s.strip() for s in _card_text(content) if s.strip())
    elif msg_type == "vote":
        options = content.get("options")
        text = " / ".join(
            [str(content.get("topic") or ""), *map(str, options if isinstance(options, list) else ())]
        )
    else:
        text = next(
            (
                str(content[k])
                for k in ("text", "topic", "summary", "file_name", "name", "content")
                if isinstance(content.get(k), str)
            ),
            "",
        )
    return text.strip() or None


def _mentions_all(content: Mapping[str, Any], mentions: Iterable[dict[str, Any]]) -> bool:
    if any(m.get("key") == ALL_KEY or _mention_id(m) == "all" for m in mentions):
        return True
    return ALL_KEY in str(content.get("text") or "")


def _mention_id(mention: Mapping[str, Any]) -> str | None:
    value = mention.get("id")
    if isinstance(value, dict):  # the event shape {"open_id": …}
        value = value.get("open_id") or value.get("user_id")
    return value if isinstance(value, str) and value else None


# --- ids -----------------------------------------------------------------------------------------


def _unique(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        member_id = item.get("member_id")
        if isinstance(member_id, str) and member_id:
            out.setdefault(member_id, item)
    return list(out.values())


def _open_to_user(http: Http, by_open: list[dict[str, Any]], by_user: list[dict[str, Any]]) -> dict[str, str]:
    """Pair the member list read as open_ids with the one read as user_ids."""
    opens = [(m["member_id"], str(m.get("name") or "")) for m in by_open]
    users = [(m["member_id"], str(m.get("name") or "")) for m in by_user]
    if Counter(name for _, name in opens) != Counter(name for _, name in users):
        raise http.fail(
            "the member list changed while it was read (open_id vs user_id); try again", retryable=True
        )
    if [name for _, name in opens] == [name for _, name in users]:
        return {open_id: user_id for (open_id, _), (user_id, _) in zip(opens, users, strict=True)}
    counts = Counter(name for _, name in opens)
    ambiguous = sorted({name for _, name in opens if counts[name] > 1})
    if ambiguous:
        raise http.fail(
            "cannot pair open_ids with user_ids: the two member lists differ in order and "
            f"{len(ambiguous)} name(s) are shared by several members; try again, or use variant open_id",
            retryable=True,
        )
    by_name = {name: user_id for user_id, name in users}
    return {open_id: by_name[name] for open_id, name in opens}


# --- the pull ------------------------------------------------------------------------------------


@dataclass
class _Read:
    """Everything read from Feishu, before anything is built."""

    chat: dict[str, Any]
    members: list[dict[str, Any]]  # by open_id
    open_to_user: dict[str, str]
    messages: list[dict[str, Any]]  # in the window, not recalled, ordered
    files: dict[str, tuple[int | None, str | None]]  # file_key -> (size, sha256)


def _read(request: PullRequest, http: Http, id_type: str) -> _Read:
    api = _Api(http, request.credential("app_id"), request.credential("app_secret"))
    chat_path = PATH_CHAT.format(chat_id=quote(request.chat_id, safe=""))
    members_path = PATH_MEMBERS.format(chat_id=quote(request.chat_id, safe=""))
    chat = api.call("GET", chat_path, query={"user_id_type": id_type})
    members = _unique(api.pages(members_path, {"member_id_type": "open_id", "page_size": MEMBER_PAGE_SIZE}))
    open_to_user: dict[str, str] = {}
    if id_type == "user_id":
        by_user = _unique(
            api.pages(members_path, {"member_id_type": "user_id", "page_size": MEMBER_PAGE_SIZE})
        )
        open_to_user = _open_to_user(http, members, by_user)
    window = {
        "start_time": str(math.floor(request.since.timestamp())),
        "end_time": str(math.ceil(request.taken_at.timestamp())),
    }
    listed = api.pages(
        PATH_MESSAGES,
        {
            "container_id_type": "chat",
            "container_id": request.chat_id,
            **window,
            "sort_type": "ByCreateTimeAsc",
            "page_size": MESSAGE_PAGE_SIZE,
        },
    )
    threads = dict.fromkeys(
        m["thread_id"] for m in listed if isinstance(m.get("thread_id"), str) and m["thread_id"]
    )
    for thread_id in threads:
        listed += api.pages(
            PATH_MESSAGES,
            {
                "container_id_type": "thread",
                "container_id": thread_id,
                "sort_type": "ByCreateTimeAsc",
                "page_size": MESSAGE_PAGE_SIZE,
            },
        )
    messages = _kept(http, listed, request)
    files: dict[str, tuple[int | None, str | None]] = {}
    for raw in messages:
        key = _content(raw).get("file_key")
        if raw.get("msg_type") in FILE_TYPES and isinstance(key, str) and key and key not in files:
            if key in request.known_files:  # a file_key names one content: hashed by an earlier pull
                files[key] = request.known_files[key]
                continue
            files[key] = (
                _download(api, raw["message_id"], key, request.max_download_bytes)
                if raw.get("msg_type") == "file"
                else (None, None)
            )
    return _Read(chat, members, open_to_user, messages, files)


def _kept(http: Http, listed: list[dict[str, Any]], request: PullRequest) -> list[dict[str, Any]]:
    """Messages once each, in the window, not recalled, not inside a merged forward, by time."""
    out: dict[str, tuple[datetime, dict[str, Any]]] = {}
    for raw in listed:
        message_id, created = raw.get("message_id"), raw.get("create_time")
        if not isinstance(message_id, str) or not message_id:
            raise http.fail("GET /open-apis/im/v1/messages: a message without message_id")
        try:
            sent_at = epoch_ms(created)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise http.fail(
                f"message {message_id}: create_time {created!r} is not epoch milliseconds"
            ) from None
        if raw.get("deleted") is True or raw.get("upper_message_id") or message_id in out:
            continue
        if request.since <= sent_at <= request.taken_at:
            out[message_id] = (sent_at, raw)
    return [raw for _, raw in sorted(out.values(), key=lambda pair: (pair[0], pair[1]["message_id"]))]


@dataclass
class _Builder:
    request: PullRequest
    read: _Read
    bots: dict[str, MemberRole] = field(default_factory=dict)  # app_id -> role

    def person(self, platform_id: str) -> str:
        """A user's open_id or user_id -> the directory id."""
        return self.request.ids.directory_id(self.read.open_to_user.get(platform_id, platform_id))

    def sender(self, raw: Mapping[str, Any]) -> str:
        sender: Mapping[str, Any] = raw["sender"] if isinstance(raw.get("sender"), dict) else {}
        sender_id = sender.get("id") if isinstance(sender.get("id"), str) else ""
        if sender.get("sender_type") == "app" or sender.get("id_type") == "app_id":
            app_id = sender_id or "app"
            self.bots.setdefault(app_id, "member")
            return self.request.ids.directory_id(app_id)
        if sender_id:
            return self.person(sender_id)
        return "anonymous" if sender.get("sender_type") == "anonymous" else "system"

    def message(self, raw: Mapping[str, Any]) -> Message:
        msg_type = str(raw.get("msg_type") or "text")
        content = _content(raw)
        mentions = [m for m in raw.get("mentions") or () if isinstance(m, dict)]
        sender = self.sender(raw)
        mentioned = [
            self.person(mention_id)
            for m in mentions
            if (mention_id := _mention_id(m)) and m.get("key") != ALL_KEY and mention_id != "all"
        ]
        root, parent = raw.get("root_id") or None, raw.get("parent_id") or None
        is_reply = isinstance(root, str) and root != raw["message_id"]
        file_key = content.get("file_key") if msg_type in FILE_TYPES else None
        return Message(
            id=raw["message_id"],
            sender_id=sender,
            sent_at=epoch_ms(raw["create_time"]),
            type=MESSAGE_TYPES.get(msg_type, "text"),
            text=_text(msg_type, content, _names(mentions)),
            reply_to_id=(parent or root) if is_reply else None,
            thread_id=root if is_reply and raw.get("thread_id") else None,
            mentions=tuple(dict.fromkeys(m for m in mentioned if m != sender)) or None,
            mention_all=True if _mentions_all(content, mentions) else None,
            file_id=file_key if isinstance(file_key, str) and file_key else None,
        )

    def joined(self, messages: list[Message]) -> dict[str, datetime]:
        """Display name -> the time of the latest invite/join system message naming it."""
        out: dict[str, datetime] = {}
        for raw, message in zip(self.read.messages, messages, strict=True):
            if message.type != "system":
                continue
            content = _content(raw)
            template = str(content.get("template") or "")
            if not any(marker in template for marker in JOIN_MARKERS):
                continue
            key = "to_chatters" if "{to_chatters}" in template else "from_user"
            names: list[Any] = content[key] if isinstance(content.get(key), list) else []
            for name in names:
                out[str(name)] = max(out.get(str(name), message.sent_at), message.sent_at)
        return out

    def members(self, joined: Mapping[str, datetime], owner: str | None, admins: set[str]) -> list[Member]:
        names = Counter(str(m.get("name") or "") for m in self.read.members)
        out: dict[str, Member] = {}
        for item in self.read.members:
            member_id = self.person(item["member_id"])
            name = str(item.get("name") or "")
            role: MemberRole = "owner" if member_id == owner else "admin" if member_id in admins else "member"
            out.setdefault(
                member_id,
                Member(
                    id=member_id,
                    display_name=name or member_id,
                    role=role,
                    joined_at=joined.get(name) if name and names[name] == 1 else None,
                    is_bot=False,
                ),
            )
        for app_id, role in self.bots.items():
            bot_id = self.request.ids.directory_id(app_id)
            out.setdefault(bot_id, Member(id=bot_id, display_name=app_id, role=role, is_bot=True))
        return list(out.values())

    def snapshot(self) -> Snapshot:
        chat, request = self.read.chat, self.request
        owner_raw = chat.get("owner_id")
        owner = self.person(owner_raw) if isinstance(owner_raw, str) and owner_raw else None
        managers = [self.person(u) for u in _strings(chat.get("user_manager_id_list"))]
        for app_id in _strings(chat.get("bot_manager_id_list")):
            self.bots[app_id] = "admin"
        bot_admins = [request.ids.directory_id(a) for a in _strings(chat.get("bot_manager_id_list"))]
        messages = [self.message(raw) for raw in self.read.messages]
        admin_ids = list(dict.fromkeys([*([owner] if owner else []), *managers, *bot_admins]))
        files: dict[str, File] = {}
        for raw, message in zip(self.read.messages, messages, strict=True):
            if message.file_id and message.file_id in self.read.files and message.file_id not in files:
                size, sha256 = self.read.files[message.file_id]
                files[message.file_id] = File(
                    id=message.file_id,
                    name=str(_content(raw).get("file_name") or message.file_id),
                    uploaded_at=message.sent_at,
                    uploader_id=message.sender_id,
                    size_bytes=size,
                    sha256=sha256,
                )
        return Snapshot(
            schema_version=SCHEMA_VERSION,
            platform="feishu",
            tenant_id=request.tenant_id,
            taken_at=request.taken_at,
            messages_since=request.since,  # every message from the window's start is listed
            group=Group(
                id=request.group_id,
                name=str(chat.get("name") or request.name or request.chat_id),
                kind=request.kind,  # type: ignore[arg-type]
                owner_id=owner,
                admin_ids=admin_ids or None,
            ),
            members=self.members(self.joined(messages), owner, {*managers, *bot_admins}),
            messages=messages,
            files=list(files.values()),
        )


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def pull(request: PullRequest, http: Http | None = None) -> Snapshot:
    """Reads the group's chat info, members, messages and files from Feishu, then builds the
    snapshot; raises PlatformError on any failed call."""
    id_type = request.variant or "user_id"
    if id_type not in VARIANTS:
        raise PlatformError(
            "feishu", f"unknown variant {request.variant!r}; one of {', '.join(VARIANTS)}", retryable=False
        )
    http = http or request.http()
    http.add_secret(request.credentials.get("app_secret"))
    return _Builder(request, _read(request, http, id_type)).snapshot()

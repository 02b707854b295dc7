"""A loopback Feishu Open Platform (飞书开放平台) holding one group, as the app's bot sees it.

It serves what :mod:`groupaudit.connectors.feishu` reads, with the documented behaviour:

- ``POST /open-apis/auth/v3/tenant_access_token/internal``: checks ``app_id``/``app_secret``
  (10003 / 10014 otherwise), hands out ``t-…`` tokens that expire after ``token_ttl_s`` seconds
  or, to play an expiry in the middle of a pull, after ``token_uses`` calls
  (:meth:`FeishuPeer.expire_tokens` ends them all at once). A missing token answers 99991661, an
  unknown or expired one 99991663.
- ``GET /open-apis/im/v1/chats/{chat_id}`` and ``…/members`` (``user_id_type`` /
  ``member_id_type``; ``user_id`` needs the scope ``contact:user.employee_id:readonly``; members
  page by ``member_page_size`` and never list bots), ``GET /open-apis/im/v1/messages`` (``chat``
  container with ``start_time``/``end_time`` in seconds, thread replies only through the
  ``thread`` container; pages of ``message_page_size``), and
  ``GET /open-apis/im/v1/messages/{message_id}/resources/{file_key}`` (honours ``Range``).
- The documented refusals: bot not in the group (232011 / 230002 / 234004), missing scopes
  (99991672 naming them; 230027 without ``im:message.group_msg``), bad parameters, resources
  not in the message (234003). Rate limits and other failures are scripted with
  :meth:`Peer.script` (the next requests) or :meth:`FeishuPeer.fail_on` (a later one, e.g.
  page 2) and :func:`rate_limited` (the gateway's 99991400), :func:`chat_rate_limited`
  (232019), :func:`message_rate_limited` (230020) / :func:`feishu_error`.

State is seeded with :meth:`FeishuPeer.add_user`, :meth:`FeishuPeer.post`,
:meth:`FeishuPeer.add_file`, or from a contract snapshot with :meth:`FeishuPeer.from_snapshot`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from groupaudit.contracts import Message, Snapshot
from groupaudit.local.peers.base import Answer, Peer, Request, json_answer

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ALL_SCOPES = frozenset(
    {
        "im:chat:readonly",
        "im:message:readonly",
        "im:message.group_msg",
        "contact:user.employee_id:readonly",
    }
)
CHAT_SCOPES = ("im:chat", "im:chat:read", "im:chat:readonly")
MEMBER_SCOPES = ("im:chat", "im:chat.group_info:readonly", "im:chat.members:read", "im:chat:readonly")
MESSAGE_SCOPES = ("im:message", "im:message:readonly", "im:message.history:readonly")
EMPLOYEE_ID_SCOPE = "contact:user.employee_id:readonly"
GROUP_MESSAGES_SCOPE = "im:message.group_msg"
INVITE_TEMPLATE = "{from_user} invited {to_chatters} to this chat."

_CHAT = re.compile(r"^/open-apis/im/v1/chats/([^/]+)$")
_MEMBERS = re.compile(r"^/open-apis/im/v1/chats/([^/]+)/members$")
_RESOURCE = re.compile(r"^/open-apis/im/v1/messages/([^/]+)/resources/([^/]+)$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def feishu_error(code: int, msg: str, status: int = 400, headers: dict[str, str] | None = None) -> Answer:
    """Feishu's error body: ``{"code", "msg"}`` (HTTP 400 for most refusals)."""
    return json_answer({"code": code, "msg": msg}, status, headers)


def rate_limited(status: int = 429, reset_s: float = 1) -> Answer:
    """The frequency-control answer: code 99991400 with ``x-ogw-ratelimit-reset`` (seconds)."""
    headers = {"x-ogw-ratelimit-limit": "50", "x-ogw-ratelimit-reset": f"{reset_s:g}"}
    return feishu_error(99991400, "request trigger frequency limit", status, headers)


def chat_rate_limited() -> Answer:
    """The chat APIs' own rate limit (chat/get, chat-members/get): 232019, HTTP 400, no header."""
    return feishu_error(232019, "The request has been rate limited.")


def message_rate_limited() -> Answer:
    """The message APIs' own rate limit: 230020, HTTP 400, no header."""
    return feishu_error(230020, "This operation triggers the frequency limit.")


def ok(data: Any) -> Answer:
    return json_answer({"code": 0, "msg": "success", "data": data})


def epoch_ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def open_id_of(user_id: str) -> str:
    """A stable open_id for a user (per app in Feishu; any opaque ``ou_`` id will do here)."""
    return "ou_" + hashlib.sha256(user_id.encode()).hexdigest()[:32]


@dataclass
class FeishuUser:
    user_id: str  # the tenant's employee id
    open_id: str
    name: str
    tenant_key: str = "tenant-acme"

    def member(self, id_type: str) -> dict[str, Any]:
        member_id = self.user_id if id_type == "user_id" else self.open_id
        return {
            "member_id_type": id_type,
            "member_id": member_id,
            "name": self.name,
            "tenant_key": self.tenant_key,
        }


Sender = FeishuUser | str | None  # a user, a bot's app_id, or nobody (system messages)


@dataclass
class FeishuPeer(Peer):
    name: str = "feishu"
    app_id: str = "cli_a1b2c3d4e5f6"
    app_secret: str = field(default="feishu-app-secret-0123456789", repr=False)
    chat_id: str = "oc_5ad11d72b830411d72b836c20"
    chat_name: str = "研发部工作群"
    owner: str | None = None  # user_id of the group owner
    managers: list[str] = field(default_factory=list)  # user_ids of the group admins
    bot_managers: list[str] = field(default_factory=list)  # app_ids of bots that are admins
    users: list[FeishuUser] = field(default_factory=list)  # the human members, in join order
    others: list[FeishuUser] = field(default_factory=list)  # people who left (senders only)
    messages: list[dict[str, Any]] = field(default_factory=list)
    resources: dict[str, bytes] = field(default_factory=dict)  # file_key -> content
    scopes: set[str] = field(default_factory=lambda: set(ALL_SCOPES))
    bot_in_chat: bool = True
    member_page_size: int = 100
    message_page_size: int = 50
    token_ttl_s: int = 7200
    token_uses: int | None = None  # a token stops working after this many calls
    honour_range: bool = True
    tokens_issued: list[str] = field(default_factory=list)
    _tokens: dict[str, tuple[float, int]] = field(default_factory=dict, repr=False)
    _failures: dict[str, tuple[int, Answer]] = field(default_factory=dict, repr=False)
    _served: dict[str, int] = field(default_factory=dict, repr=False)

    # --- seeding ---------------------------------------------------------------------------

    def add_user(
        self, user_id: str, name: str, *, open_id: str | None = None, member: bool = True
    ) -> FeishuUser:
        user = FeishuUser(user_id=user_id, open_id=open_id or open_id_of(user_id), name=name)
        (self.users if member else self.others).append(user)
        return user

    def post(
        self,
        sender: Sender,
        msg_type: str,
        content: Mapping[str, Any],
        *,
        at: datetime,
        message_id: str | None = None,
        mentions: Iterable[FeishuUser | str] = (),
        root_id: str | None = None,
        parent_id: str | None = None,
        thread_id: str | None = None,
        deleted: bool = False,
        updated_at: datetime | None = None,
    ) -> dict[str, Any]:
        """A message as ``GET /open-apis/im/v1/messages`` lists it; ``mentions`` are users or
        ``"all"``, numbered ``@_user_1``… in order (write those keys into text content)."""
        keyed = []
        for index, who in enumerate(mentions, start=1):
            if who == "all":
                keyed.append({"key": "@_all", "id": "all", "id_type": "open_id", "name": "所有人"})
            elif isinstance(who, FeishuUser):
                keyed.append(
                    {"key": f"@_user_{index}", "id": who.open_id, "id_type": "open_id", "name": who.name}
                )
        raw: dict[str, Any] = {
            "message_id": message_id or f"om_{secrets.token_hex(16)}",
            "root_id": root_id or "",
            "parent_id": parent_id or "",
            "msg_type": msg_type,
            "create_time": str(epoch_ms(at)),
            "update_time": str(epoch_ms(updated_at or at)),
            "deleted": deleted,
            "updated": updated_at is not None,
            "chat_id": self.chat_id,
            "sender": _sender(sender),
            "body": {"content": json.dumps(content, ensure_ascii=False)},
            "mentions": keyed,
        }
        if thread_id:
            raw["thread_id"] = thread_id
        self.messages.append(raw)
        return raw

    def add_file(
        self, sender: Sender, name: str, data: bytes, *, at: datetime, file_key: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        """A file message and its content (downloadable through the resource API)."""
        key = file_key or f"file_v3_{secrets.token_hex(12)}"
        self.resources[key] = data
        return self.post(sender, "file", {"file_key": key, "file_name": name}, at=at, **kw)

    def expire_tokens(self) -> None:
        self._tokens.clear()

    def fail_on(self, path: str, answer: Answer, *, after: int = 1) -> None:
        """Give ``answer`` to the request on ``path`` that follows ``after`` served ones (a
        failure half-way through a listing; :meth:`Peer.script` answers the very next ones)."""
        self._failures[path] = (after, answer)

    @classmethod
    def from_snapshot(
        cls,
        snapshot: Snapshot,
        *,
        contents: Mapping[str, bytes] | None = None,
        join_messages: bool = True,
        **kw: Any,
    ) -> FeishuPeer:
        """The group of a contract snapshot, as Feishu would hold it. Ids stay the snapshot's:
        people's ids become their ``user_id`` (open_ids are derived), bots' their ``app_id``.
        File bytes come from ``contents`` (by file id), else are filler of ``size_bytes``.
        With ``join_messages``, each ``joined_at`` becomes an "invited" system message."""
        peer = cls(**{"chat_id": snapshot.group.id, "chat_name": snapshot.group.name, **kw})
        members = snapshot.members or []
        bots = {m.id for m in members if m.is_bot}
        for member in members:
            if not member.is_bot:
                peer.add_user(member.id, member.display_name)
        group = snapshot.group
        peer.owner = group.owner_id if group.owner_id and group.owner_id not in bots else None
        admins = [a for a in group.admin_ids or () if a != peer.owner]
        peer.managers = [a for a in admins if a not in bots]
        peer.bot_managers = [a for a in admins if a in bots]
        _Seeder(peer, snapshot, bots, dict(contents or {})).seed(join_messages)
        return peer

    # --- serving -----------------------------------------------------------------------------

    def route(self, request: Request) -> Answer:
        if request.path == "/open-apis/auth/v3/tenant_access_token/internal" and request.method == "POST":
            return self._token(request)
        refused = self._authorize(request)
        if refused is not None:
            return refused
        served = self._served.get(request.path, 0)
        self._served[request.path] = served + 1
        failure = self._failures.get(request.path)
        if failure is not None and failure[0] == served:
            return failure[1]
        if request.method != "GET":
            return feishu_error(404, "not found", 404)
        if match := _CHAT.match(request.path):
            return self._chat(request, unquote(match.group(1)))
        if match := _MEMBERS.match(request.path):
            return self._members(request, unquote(match.group(1)))
        if request.path == "/open-apis/im/v1/messages":
            return self._messages(request)
        if match := _RESOURCE.match(request.path):
            return self._resource(request, unquote(match.group(1)), unquote(match.group(2)))
        return feishu_error(404, "not found", 404)

    def _token(self, request: Request) -> Answer:
        try:
            body = request.json() or {}
        except ValueError:
            body = {}
        if not isinstance(body, dict) or body.get("app_id") != self.app_id:
            return feishu_error(10003, "invalid param")
        if body.get("app_secret") != self.app_secret:
            return feishu_error(10014, "app secret invalid")
        token = f"t-{secrets.token_hex(20)}"
        self._tokens[token] = (time.monotonic() + self.token_ttl_s, 0)
        self.tokens_issued.append(token)
        return json_answer({"code": 0, "msg": "ok", "tenant_access_token": token, "expire": self.token_ttl_s})

    def _authorize(self, request: Request) -> Answer | None:
        header = request.header("Authorization") or ""
        if not header.startswith("Bearer ") or not header[7:].strip():
            return feishu_error(
                99991661, "Missing access token for authorization. Please make a request with token attached."
            )
        token = header[7:].strip()
        expires, uses = self._tokens.get(token, (0.0, 0))
        if time.monotonic() >= expires or (self.token_uses is not None and uses >= self.token_uses):
            self._tokens.pop(token, None)
            return feishu_error(
                99991663, "Invalid access token for authorization. Please make a request with token attached."
            )
        self._tokens[token] = (expires, uses + 1)
        return None

    def _missing(self, any_of: Iterable[str]) -> Answer | None:
        scopes = list(any_of)
        if self.scopes.intersection(scopes):
            return None
        return feishu_error(
            99991672,
            f"Access denied. One of the following scopes is required: [{', '.join(scopes)}]."
            f"应用尚未开通所需的应用身份权限：[{', '.join(scopes)}]",
        )

    def _user_ids(self, request: Request, parameter: str) -> tuple[str | None, Answer | None]:
        id_type = request.arg(parameter, "open_id")
        if id_type not in ("open_id", "user_id", "union_id"):
            return None, feishu_error(232001, "Your request contains an invalid request parameter.")
        if id_type == "user_id" and (refused := self._missing([EMPLOYEE_ID_SCOPE])):
            return None, refused
        return id_type, None

    def _person(self, user_id: str, id_type: str) -> str:
        user = next((u for u in [*self.users, *self.others] if u.user_id == user_id), None)
        return user.open_id if user is not None and id_type != "user_id" else user_id

    def _chat(self, request: Request, chat_id: str) -> Answer:
        if refused := self._missing(CHAT_SCOPES):
            return refused
        id_type, refused = self._user_ids(request, "user_id_type")
        if refused is not None or id_type is None:
            return refused or feishu_error(232001, "invalid parameter")
        if chat_id != self.chat_id:
            return feishu_error(232006, "Your request specifies a chat_id which is invalid.")
        if not self.bot_in_chat:
            return feishu_error(232011, "Operator can NOT be out of the chat.")
        data: dict[str, Any] = {
            "name": self.chat_name,
            "user_manager_id_list": [self._person(u, id_type) for u in self.managers],
            "bot_manager_id_list": list(self.bot_managers),
            "chat_mode": "group",
            "chat_type": "private",
            "group_message_type": "chat",
            "external": False,
            "tenant_key": "tenant-acme",
            "user_count": str(len(self.users)),
            "bot_count": str(1 + len(self.bot_managers)),
            "chat_status": "normal",
        }
        if self.owner:
            data |= {"owner_id_type": id_type, "owner_id": self._person(self.owner, id_type)}
        return ok(data)

    def _page(
        self, request: Request, items: list[Any], size: int, code: int
    ) -> tuple[dict[str, Any] | None, Answer | None]:
        token = request.arg("page_token")
        start = 0
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))
            except ValueError:
                return None, feishu_error(code, "Your request contains an invalid request parameter.")
        end = start + size
        page: dict[str, Any] = {"items": items[start:end], "has_more": end < len(items)}
        if end < len(items):
            page["page_token"] = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode()
        return page, None

    def _members(self, request: Request, chat_id: str) -> Answer:
        if refused := self._missing(MEMBER_SCOPES):
            return refused
        id_type, refused = self._user_ids(request, "member_id_type")
        if refused is not None or id_type is None:
            return refused or feishu_error(232001, "invalid parameter")
        size = int(request.arg("page_size", "20") or 20)
        if chat_id != self.chat_id or not 1 <= size <= 100:
            return feishu_error(232001 if chat_id == self.chat_id else 232006, "invalid request parameter")
        if not self.bot_in_chat:
            return feishu_error(232011, "Operator can NOT be out of the chat.")
        members = [user.member(id_type) for user in self.users]
        page, refused = self._page(request, members, min(size, self.member_page_size), 232001)
        if page is None:
            return refused or feishu_error(232001, "invalid parameter")
        return ok({**page, "member_total": len(members)})

    def _messages(self, request: Request) -> Answer:
        if refused := self._missing(MESSAGE_SCOPES):
            return refused
        if GROUP_MESSAGES_SCOPE not in self.scopes:
            return feishu_error(230027, "Lack of necessary permissions.")
        kind, container = request.arg("container_id_type"), request.arg("container_id") or ""
        size = int(request.arg("page_size", "20") or 20)
        start, end = request.arg("start_time"), request.arg("end_time")
        invalid = feishu_error(230001, "Your request contains an invalid request parameter.")
        if kind not in ("chat", "thread") or not 1 <= size <= 50:
            return invalid
        if kind == "chat" and container != self.chat_id:
            return invalid
        if not self.bot_in_chat:
            return feishu_error(230002, "The bot can not be outside the group.")
        if kind == "thread":
            if start or end:  # "the thread container type does not support a time range"
                return invalid
            listed = [m for m in self.messages if m.get("thread_id") == container]
        else:
            first, last = int(start or 0), int(end or 2**40)
            listed = [
                m
                for m in self.messages
                if not (m.get("thread_id") and m["root_id"])  # thread replies: thread container only
                and first <= int(m["create_time"]) // 1000 <= last
            ]
        listed.sort(
            key=lambda m: int(m["create_time"]), reverse=request.arg("sort_type") == "ByCreateTimeDesc"
        )
        page, refused = self._page(request, listed, min(size, self.message_page_size), 230001)
        return ok(page) if page is not None else refused or invalid

    def _resource(self, request: Request, message_id: str, file_key: str) -> Answer:
        if refused := self._missing(MESSAGE_SCOPES):
            return refused
        message = next((m for m in self.messages if m["message_id"] == message_id), None)
        if request.arg("type") not in ("file", "image") or message is None:
            return feishu_error(234001, "Invalid request param.")
        if not self.bot_in_chat:
            return feishu_error(234004, "App not in chat.")
        if message.get("deleted"):
            return feishu_error(230110, "Action unavailable as the message has been deleted.")
        content = json.loads(message["body"]["content"])
        if (
            file_key not in (content.get("file_key"), content.get("image_key"))
            or file_key not in self.resources
        ):
            return feishu_error(234003, "File not in message.")
        data = self.resources[file_key]
        file_name = quote(str(content.get("file_name") or file_key))
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename*=UTF-8''{file_name}",
        }
        wanted = _RANGE.match(request.header("Range") or "") if self.honour_range else None
        if wanted is None:
            return 200, headers, data
        first = int(wanted.group(1))
        last = min(int(wanted.group(2)) if wanted.group(2) else len(data) - 1, len(data) - 1)
        if first >= len(data):
            return 416, {**headers, "Content-Range": f"bytes */{len(data)}"}, b""
        return 206, {**headers, "Content-Range": f"bytes {first}-{last}/{len(data)}"}, data[first : last + 1]


def _sender(sender: Sender) -> dict[str, str]:
    if isinstance(sender, FeishuUser):
        return {
            "id": sender.open_id,
            "id_type": "open_id",
            "sender_type": "user",
            "tenant_key": sender.tenant_key,
        }
    if isinstance(sender, str):
        return {"id": sender, "id_type": "app_id", "sender_type": "app", "tenant_key": "tenant-acme"}
    return {"id": "", "id_type": "", "sender_type": ""}


# --- from a contract snapshot ----------------------------------------------------------------------

CONTENT_TYPES = {
    "text": "text",
    "notice": "text",
    "image": "image",
    "file": "file",
    "voice": "audio",
    "video": "media",
    "link": "share_chat",
    "system": "system",
}


@dataclass
class _Seeder:
    peer: FeishuPeer
    snapshot: Snapshot
    bots: set[str]
    contents: dict[str, bytes]

    def person(self, person_id: str | None, *, system: bool = False) -> Sender:
        if person_id in self.bots:
            return person_id
        user = next((u for u in [*self.peer.users, *self.peer.others] if u.user_id == person_id), None)
        if user is None and person_id and not system:
            user = self.peer.add_user(person_id, person_id, member=False)
        return user

    def seed(self, join_messages: bool) -> None:
        snapshot, peer = self.snapshot, self.peer
        if join_messages:
            owner = next((u.name for u in peer.users if u.user_id == peer.owner), "")
            for member in snapshot.members or ():
                if member.joined_at is not None and not member.is_bot:
                    content = {
                        "template": INVITE_TEMPLATE,
                        "from_user": [owner],
                        "to_chatters": [member.display_name],
                    }
                    peer.post(None, "system", content, at=member.joined_at, message_id=f"om_join_{member.id}")
        messages = {m.id: m for m in snapshot.messages or ()}
        files = {f.id: f for f in snapshot.files or ()}
        carried = {m.file_id for m in messages.values() if m.file_id}
        threads = {m.thread_id for m in messages.values() if m.thread_id}
        for message in messages.values():
            self.message(message, messages, files, threads)
        for file in files.values():
            peer.resources[file.id] = (
                self.contents[file.id] if file.id in self.contents else _filler(file.id, file.size_bytes)
            )
            if file.id not in carried:
                sender = self.person(file.uploader_id or peer.owner)
                content = {"file_key": file.id, "file_name": file.name}
                peer.post(sender, "file", content, at=file.uploaded_at, message_id=f"om_file_{file.id}")

    def message(
        self,
        message: Message,
        messages: Mapping[str, Message],
        files: Mapping[str, Any],
        threads: set[str],
    ) -> None:
        kind = message.type or "text"
        msg_type = "file" if message.file_id else CONTENT_TYPES[kind]
        text = message.text or ""
        if msg_type == "file":
            file = files.get(message.file_id or "")
            content: dict[str, Any] = {
                "file_key": message.file_id,
                "file_name": file.name if file else message.file_id,
            }
        elif msg_type in ("audio", "media"):
            content = {"file_key": f"file_{message.id}", "duration": 0}
        elif msg_type == "image":
            content = {"image_key": f"img_{message.id}"}
        elif msg_type == "share_chat":
            content = {"chat_id": "oc_shared"}
        elif msg_type == "system":
            content = {"template": text, "from_user": [], "to_chatters": []}
        else:
            content = {"text": text}
        mentions: list[FeishuUser | str] = [
            user for m in message.mentions or () if isinstance(user := self.person(m), FeishuUser)
        ]
        if message.mention_all:
            mentions.append("all")
        root, parent, thread = self.lineage(message, messages, threads)
        self.peer.post(
            self.person(message.sender_id, system=kind == "system"),
            msg_type,
            content,
            at=message.sent_at,
            message_id=message.id,
            mentions=mentions,
            root_id=root,
            parent_id=parent,
            thread_id=thread,
        )

    @staticmethod
    def lineage(
        message: Message, messages: Mapping[str, Message], threads: set[str]
    ) -> tuple[str | None, str | None, str | None]:
        """(root_id, parent_id, thread_id) in Feishu's terms."""
        if message.thread_id:
            return message.thread_id, message.reply_to_id or message.thread_id, f"omt_{message.thread_id}"
        if message.id in threads:
            return None, None, f"omt_{message.id}"
        if message.reply_to_id:
            root, seen = message.reply_to_id, set()
            while (parent := messages.get(root)) is not None and parent.reply_to_id and root not in seen:
                seen.add(root)
                root = parent.thread_id or parent.reply_to_id
            return root, message.reply_to_id, None
        return None, None, None


def _filler(file_id: str, size: int | None) -> bytes:
    """Stand-in content of ``size`` bytes, different per file."""
    seed = hashlib.sha256(file_id.encode()).digest()
    length = size if size is not None else 64
    return (seed * (length // len(seed) + 1))[:length]

"""Slack's Web API on 127.0.0.1, as far as the ``slack`` source reads it.

Methods under ``/api/<method>`` (so a pull's ``base_url`` is ``peer.url + "/api"``), each
checking what Slack checks, in Slack's order, with Slack's bodies (HTTP 200, ``"ok": false``):

- the bearer token (``Authorization: Bearer xoxb-…``): none -> ``not_authed``, another ->
  ``invalid_auth``;
- the scope the method needs for the kind of conversation (public ``channels:*``, private
  ``groups:*``): missing -> ``missing_scope`` with ``needed`` and ``provided``;
- the conversation: unknown -> ``channel_not_found``; history and replies of a channel the
  app's bot user is not in -> ``not_in_channel``; an unknown thread -> ``thread_not_found``;
- cursors (``response_metadata.next_cursor``, ``limit``) on conversations.members,
  conversations.history, conversations.replies and users.list; ``paging`` (``count``,
  ``page``, ``pages``) on files.list; a page never holds more than ``page_size`` items;
- conversations.history returns the top-level messages (and thread broadcasts) newest first
  between ``oldest`` and ``latest`` (bounds excluded unless ``inclusive``), thread roots
  carrying ``reply_count``, ``reply_users`` and ``latest_reply``; conversations.replies the
  root first, then its replies oldest first;
- file objects carry ``url_private`` and ``url_private_download`` on the peer's own host;
  ``/files-pri/…`` serves the bytes to the bearer token and a sign-in page (HTTP 200,
  text/html) to anyone else, as Slack does.

Failures are played with :meth:`SlackPeer.refuse` (a method answers an error from its n-th
call on) and :meth:`SlackPeer.rate_limit` (HTTP 429 ``ratelimited`` with ``Retry-After``).
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from groupaudit.connectors.base import IdMap
from groupaudit.contracts import Snapshot
from groupaudit.local.peers.base import Answer, Peer, Request, json_answer

TEAM_ID = "T0PEER001"
TOKEN = "xoxb-peer-test-token-not-a-real-one"
BOT_USER_ID = "U0AUDITBOT"
BOT_ID = "B0AUDITBOT"
# The scopes the auditing app asks for (docs/platforms/slack.md).
SCOPES = frozenset(
    {
        "channels:read",
        "groups:read",
        "mpim:read",
        "channels:history",
        "groups:history",
        "mpim:history",
        "users:read",
        "files:read",
    }
)
# Method -> the scope it needs; "{kind}" is channels, groups or mpim after the conversation.
METHOD_SCOPES = {
    "conversations.info": "{kind}:read",
    "conversations.members": "{kind}:read",
    "conversations.history": "{kind}:history",
    "conversations.replies": "{kind}:history",
    "users.list": "users:read",
    "users.info": "users:read",
    "files.list": "files:read",
}
# A snapshot's system message comes back as this event (any of the export's system subtypes
# maps to "system"; this one changes no membership).
SYSTEM_SUBTYPE = "channel_topic"
SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SlackError(Exception):
    """A method's refusal: ``{"ok": false, "error": code, **extra}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def slack_error(code: str, **extra: Any) -> Answer:
    return json_answer({"ok": False, "error": code, **extra})


def rate_limited(retry_after_s: int = 1) -> Answer:
    return json_answer({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(retry_after_s)})


def ts_of(moment: datetime) -> str:
    """An aware datetime as Slack's ``ts`` (epoch seconds, six decimals), exactly."""
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return f"{micros // 10**6}.{micros % 10**6:06d}"


def _ts(value: Any, error: str = "invalid_ts_oldest") -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise SlackError(error) from None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class SlackPeer(Peer):
    """Seed it with :meth:`add_user`, :meth:`add_channel`, :meth:`post` and :meth:`add_file`
    (or :meth:`from_snapshot`), start it, pull with ``base_url=peer.api_url``."""

    name: str = "slack"
    token: str = TOKEN
    page_size: int = 100
    scopes: frozenset[str] = SCOPES
    bot_user_id: str = BOT_USER_ID
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> messages
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> file object, no URLs
    contents: dict[str, bytes] = field(default_factory=dict)  # file id -> its bytes
    _refusals: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _calls: Counter[str] = field(default_factory=Counter)

    # --- seeding ----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        display_name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        bot_id: str | None = None,
    ) -> dict[str, Any]:
        profile: dict[str, Any] = {"real_name": name, "display_name": display_name or ""}
        if bot_id:
            profile["bot_id"] = bot_id
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "deleted": deleted,
            "is_bot": is_bot,
            "profile": profile,
        }
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        members: Iterable[str] = (),
        creator: str | None = None,
        created: int = 1_700_000_000,
        is_private: bool = False,
        with_bot: bool = True,
    ) -> dict[str, Any]:
        """``with_bot``: the auditing app's bot user is in the channel (else history answers
        ``not_in_channel``)."""
        channel = {
            "id": channel_id,
            "name": name,
            "is_channel": not is_private,
            "is_group": is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": is_private,
            "is_archived": False,
            "created": created,
            "creator": creator or "",
            "members": [*dict.fromkeys([*members, *([self.bot_user_id] if with_bot else [])])],
        }
        self.channels[channel_id] = channel
        self.messages.setdefault(channel_id, [])
        return channel

    def post(self, channel_id: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Store a message object as Slack holds it (``ts`` required). Embedded file objects
        (``files`` or the 2016 ``file``) are kept in :attr:`files` and served back expanded,
        with the peer's URLs."""
        stored = dict(message)
        stored.setdefault("type", "message")
        embedded = [*(stored.pop("files", None) or []), *([stored.pop("file")] if "file" in stored else [])]
        ids = []
        for item in embedded:
            if isinstance(item, dict):
                kept = {k: v for k, v in item.items() if not k.startswith(("url_", "permalink"))}
                kept.setdefault("channels", [channel_id])
                self.files.setdefault(kept["id"], kept)
                ids.append(kept["id"])
            else:
                ids.append(item)
        if ids:
            stored["files"] = ids
        self.messages.setdefault(channel_id, []).append(stored)
        return stored

    def add_file(
        self,
        file_id: str,
        name: str,
        *,
        user: str,
        created: int,
        channels: Iterable[str] = (),
        content: bytes | None = None,
        size: int | None = None,
        pinned_to: Iterable[str] = (),
        external_url: str | None = None,
    ) -> dict[str, Any]:
        """``external_url``: a file kept elsewhere (Google Drive…); its URLs point there."""
        item: dict[str, Any] = {
            "id": file_id,
            "created": created,
            "timestamp": created,
            "name": name,
            "title": name,
            "mimetype": "application/octet-stream",
            "user": user,
            "size": len(content) if content is not None else size,
            "mode": "external" if external_url else "hosted",
            "is_external": bool(external_url),
            "channels": list(channels),
        }
        if external_url:
            item["external_url"] = external_url
        if pinned_to:
            item["pinned_to"] = list(pinned_to)
        self.files[file_id] = item
        if content is not None:
            self.contents[file_id] = content
        return item

    def refuse(self, method: str, error: str, *, after: int = 0, **extra: Any) -> None:
        """``method`` answers normally ``after`` times, then ``{"ok": false, "error": error}``."""
        self._refusals[method] = (after, {"error": error, **extra})

    def rate_limit(self, method: str, *, times: int = 1, retry_after_s: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer HTTP 429 ``ratelimited``."""
        self.script(f"/api/{method}", *[rate_limited(retry_after_s)] * times)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, *, ids: IdMap | None = None, **kw: Any) -> SlackPeer:
        """The Slack state a pull of ``snapshot`` reads back: channel ``group.id``, users from the
        members (and posters), messages at ``ts`` = sent_at (a repeated time is moved on by a
        microsecond), threads and replies as ``thread_ts``, mentions as ``<@U…>`` and
        ``<!channel>`` put before the text, files shared in the channel. ``ids`` turns the
        snapshot's (directory) ids into platform ids; ``contents`` (file id -> bytes, in
        ``kw``) gives files their bytes, and their size."""
        contents: Mapping[str, bytes] = kw.pop("contents", {})
        peer = cls(**kw)
        ids = ids or IdMap()
        pid = ids.platform_id
        group = snapshot.group
        channel_id = group.id
        members = snapshot.members or []
        bots = {m.id for m in members if m.is_bot}
        for member in members:
            peer.add_user(
                pid(member.id),
                member.display_name,
                display_name=member.display_name,
                is_bot=bool(member.is_bot),
                bot_id=f"B{pid(member.id)}" if member.is_bot else None,
            )
        for message in snapshot.messages or []:
            if pid(message.sender_id) not in peer.users:
                peer.add_user(pid(message.sender_id), message.sender_id)
        peer.add_channel(
            channel_id,
            group.name,
            members=[pid(m.id) for m in members],
            creator=pid(group.owner_id or group.created_by or "") or None,
            created=int(group.created_at.timestamp()) if group.created_at else 1_700_000_000,
        )
        for file in snapshot.files or []:
            peer.add_file(
                file.id,
                file.name,
                user=pid(file.uploader_id or ""),
                created=int(file.uploaded_at.timestamp()),
                channels=[channel_id],
                content=contents.get(file.id),
                size=file.size_bytes,
                pinned_to=[channel_id] if file.important else (),
            )
        ts_by_id: dict[str, str] = {}
        used: set[str] = set()
        for message in sorted(snapshot.messages or [], key=lambda m: m.sent_at):
            moment = message.sent_at
            while ts_of(moment) in used:
                moment += timedelta(microseconds=1)
            ts_by_id[message.id] = ts_of(moment)
            used.add(ts_by_id[message.id])
        for message in snapshot.messages or []:
            sender = pid(message.sender_id)
            markup = [f"<@{pid(m)}>" for m in message.mentions or ()]
            if message.mention_all:
                markup.insert(0, "<!channel>")
            text = " ".join([*markup, _escape(message.text or "")]).strip()
            raw: dict[str, Any] = {"ts": ts_by_id[message.id], "user": sender, "text": text}
            parent = message.thread_id or message.reply_to_id
            if parent in ts_by_id:
                raw["thread_ts"] = ts_by_id[parent]
            if message.type == "system":
                raw["subtype"] = SYSTEM_SUBTYPE
            elif message.sender_id in bots:
                raw["bot_id"] = f"B{sender}"
            if message.file_id and message.file_id in peer.files:
                raw["files"] = [message.file_id]
            peer.post(channel_id, raw)
        return peer

    # --- serving ----------------------------------------------------------------------------

    def route(self, request: Request) -> Answer:
        if request.path.startswith("/files-pri/"):
            return self._file_content(request)
        if not request.path.startswith("/api/"):
            return json_answer({"ok": False, "error": "unknown_method"}, 404)
        method = request.path.removeprefix("/api/")
        params = self._params(request)
        self._calls[method] += 1
        try:
            self._authenticate(request)
            refusal = self._refusals.get(method)
            if refusal is not None and self._calls[method] > refusal[0]:
                extra = dict(refusal[1])
                raise SlackError(extra.pop("error"), **extra)
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                raise SlackError("unknown_method")
            return json_answer({"ok": True, **handler(params)})
        except SlackError as exc:
            return slack_error(exc.code, **exc.extra)

    def _params(self, request: Request) -> dict[str, str]:
        params = {k: v[0] for k, v in request.query.items() if v}
        if request.body and "x-www-form-urlencoded" in (request.header("Content-Type") or ""):
            params.update(urllib.parse.parse_qsl(request.body.decode()))
        return params

    def _authenticate(self, request: Request) -> None:
        header = request.header("Authorization") or ""
        if not header.startswith("Bearer "):
            raise SlackError("not_authed")
        if header.removeprefix("Bearer ") != self.token:
            raise SlackError("invalid_auth")

    def _need(self, method: str, channel: Mapping[str, Any] | None = None) -> None:
        scope = METHOD_SCOPES[method]
        if channel is not None:
            kind = "mpim" if channel.get("is_mpim") else "groups" if channel.get("is_private") else "channels"
            scope = scope.format(kind=kind)
        if scope not in self.scopes:
            raise SlackError("missing_scope", needed=scope, provided=",".join(sorted(self.scopes)))

    def _channel(self, params: Mapping[str, str], method: str, *, member: bool = False) -> dict[str, Any]:
        channel = self.channels.get(params.get("channel", ""))
        if channel is None:
            raise SlackError("channel_not_found")
        self._need(method, channel)
        if member and self.bot_user_id not in channel["members"]:
            raise SlackError("not_in_channel")
        return channel

    def _page(self, items: list[Any], params: Mapping[str, str]) -> tuple[list[Any], str]:
        """Slack's cursor: an opaque base64 string; here it holds the next offset."""
        offset = 0
        if params.get("cursor"):
            try:
                offset = int(base64.b64decode(params["cursor"]).decode().removeprefix("next:"))
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise SlackError("invalid_cursor") from None
        try:
            limit = int(params.get("limit") or 100)
        except ValueError:
            raise SlackError("invalid_limit") from None
        size = max(1, min(limit, self.page_size))
        end = offset + size
        cursor = base64.b64encode(f"next:{end}".encode()).decode() if end < len(items) else ""
        return items[offset:end], cursor

    def _message(self, raw: Mapping[str, Any], channel_id: str) -> dict[str, Any]:
        """A stored message as the API returns it: files expanded, thread fields computed."""
        out = dict(raw)
        if raw.get("files"):
            out["files"] = [
                self._file_object(self.files[f]) if isinstance(f, str) else f for f in raw["files"]
            ]
        ts = raw["ts"]
        replies = [m for m in self.messages[channel_id] if m.get("thread_ts") == ts and m["ts"] != ts]
        if replies:
            out["thread_ts"] = ts
            out["reply_count"] = len(replies)
            out["reply_users"] = list(dict.fromkeys(m.get("user") for m in replies if m.get("user")))
            out["reply_users_count"] = len(out["reply_users"])
            out["latest_reply"] = max((m["ts"] for m in replies), key=_ts)
        elif raw.get("thread_ts") and raw["thread_ts"] != ts:
            root = next((m for m in self.messages[channel_id] if m["ts"] == raw["thread_ts"]), None)
            if root is not None and root.get("user"):
                out["parent_user_id"] = root["user"]
        return out

    def _file_object(self, item: Mapping[str, Any]) -> dict[str, Any]:
        quoted = urllib.parse.quote(str(item.get("name") or item["id"]))
        base = f"{self.url}/files-pri/{TEAM_ID}-{item['id']}"
        if item.get("external_url"):
            return {**item, "url_private": item["external_url"], "url_private_download": item["external_url"]}
        return {
            **item,
            "url_private": f"{base}/{quoted}",
            "url_private_download": f"{base}/download/{quoted}",
            "permalink": f"{self.url}/files/{item.get('user', '')}/{item['id']}/{quoted}",
        }

    # --- the methods ------------------------------------------------------------------------

    def _auth_test(self, params: Mapping[str, str]) -> dict[str, Any]:
        return {
            "url": f"{self.url}/",
            "team": "Peer Workspace",
            "user": "groupaudit",
            "team_id": TEAM_ID,
            "user_id": self.bot_user_id,
            "bot_id": BOT_ID,
        }

    def _conversations_info(self, params: Mapping[str, str]) -> dict[str, Any]:
        channel = self._channel(params, "conversations.info")
        return {"channel": {k: v for k, v in channel.items() if k != "members"}}

    def _conversations_members(self, params: Mapping[str, str]) -> dict[str, Any]:
        channel = self._channel(params, "conversations.members")
        page, cursor = self._page(channel["members"], params)
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_history(self, params: Mapping[str, str]) -> dict[str, Any]:
        channel = self._channel(params, "conversations.history", member=True)
        inclusive = params.get("inclusive") in ("true", "1")
        oldest = _ts(params.get("oldest") or "0")
        latest = _ts(params["latest"], "invalid_ts_latest") if params.get("latest") else None

        def within(ts: Decimal) -> bool:
            after = ts >= oldest if inclusive else ts > oldest
            before = latest is None or (ts <= latest if inclusive else ts < latest)
            return after and before

        top_level = [
            m
            for m in self.messages[channel["id"]]
            if (m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast")
            and within(_ts(m["ts"]))
        ]
        top_level.sort(key=lambda m: _ts(m["ts"]), reverse=True)
        page, cursor = self._page(top_level, params)
        return {
            "messages": [self._message(m, channel["id"]) for m in page],
            "has_more": bool(cursor),
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_replies(self, params: Mapping[str, str]) -> dict[str, Any]:
        channel = self._channel(params, "conversations.replies", member=True)
        stored = self.messages[channel["id"]]
        root = next((m for m in stored if m["ts"] == params.get("ts")), None)
        if root is None:
            raise SlackError("thread_not_found")
        replies = sorted(
            (m for m in stored if m.get("thread_ts") == root["ts"] and m["ts"] != root["ts"]),
            key=lambda m: _ts(m["ts"]),
        )
        page, cursor = self._page([root, *replies], params)
        return {
            "messages": [self._message(m, channel["id"]) for m in page],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    def _users_list(self, params: Mapping[str, str]) -> dict[str, Any]:
        self._need("users.list")
        page, cursor = self._page(list(self.users.values()), params)
        return {"members": page, "cache_ts": 0, "response_metadata": {"next_cursor": cursor}}

    def _users_info(self, params: Mapping[str, str]) -> dict[str, Any]:
        self._need("users.info")
        user = self.users.get(params.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _files_list(self, params: Mapping[str, str]) -> dict[str, Any]:
        self._need("files.list")
        channel_id = params.get("channel")
        ts_from = int(params.get("ts_from") or 0)
        ts_to = int(params["ts_to"]) if params.get("ts_to") else None
        listed = [
            f
            for f in self.files.values()
            if (channel_id is None or channel_id in f.get("channels", ()))
            and ts_from <= f["created"]
            and (ts_to is None or f["created"] <= ts_to)
        ]
        listed.sort(key=lambda f: f["created"], reverse=True)
        count = max(1, min(int(params.get("count") or 100), self.page_size))
        pages = max(1, -(-len(listed) // count))
        page = int(params.get("page") or 1)
        chunk = listed[(page - 1) * count : page * count]
        return {
            "files": [self._file_object(f) for f in chunk],
            "paging": {"count": count, "total": len(listed), "page": page, "pages": pages},
        }

    def _file_content(self, request: Request) -> Answer:
        """``/files-pri/<team>-<file id>/[download/]<name>``: the bytes for the bearer token."""
        if request.header("Authorization") != f"Bearer {self.token}":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, SIGN_IN_PAGE
        key = request.path.removeprefix("/files-pri/").split("/", 1)[0]
        file_id = key.removeprefix(f"{TEAM_ID}-")
        content = self.contents.get(file_id)
        if content is None:
            return 404, {"Content-Type": "text/plain"}, b"file not found"
        return 200, {"Content-Type": "application/octet-stream"}, content

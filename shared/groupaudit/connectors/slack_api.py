"""Slack's Web API -> a group snapshot (the ``slack`` source).

A bot token (``xoxb-…``, credentials ``{"token": "xoxb-…"}``) is sent as
``Authorization: Bearer`` on every call, never in a URL. One pull reads, in this order and
all pages of each, then builds the snapshot:

1. ``auth.test`` — the app's own bot user (left out of the members: the auditor is not part
   of the group it audits; it comes back only if it posted in the window);
2. ``conversations.info`` — name, ``creator``, ``created``; a 1:1 DM is refused (not a group);
3. ``conversations.members`` — the member ids (cursor pages);
4. ``conversations.history`` — top-level messages from ``since`` minus
   :data:`THREAD_LOOKBACK` to ``taken_at`` (``oldest``/``latest`` as ``ts``, ``inclusive``,
   cursor pages). The messages before ``since`` are read only to find threads still active in
   the window: Slack lists a reply only under its root, so a reply in the window to an older
   root would otherwise be missed;
5. ``conversations.replies`` — every thread whose root has ``reply_count`` and a
   ``latest_reply`` at or after ``since`` (cursor pages; the root, returned first, is not
   taken twice);
6. ``files.list`` — the channel's files created up to ``taken_at`` (``channel``, ``ts_to``;
   no ``ts_from``, so long-idle files are seen by ``stale_file``; ``paging.page/pages``);
7. the users needed (members and posters): ``users.info`` one by one up to
   :data:`USERS_INFO_MAX` of them (Tier 4), else the whole ``users.list`` (Tier 2, cursor
   pages): a 50-person channel costs 50 light calls, a bigger one the workspace's list, 200 a page;
8. the files' bytes, to hash them (below).

Slack answers HTTP 200 with ``{"ok": false, "error": …}`` on failure: judged by ``ok``.
``ratelimited`` (also sent as HTTP 429 with ``Retry-After`` in seconds, which
:class:`~groupaudit.connectors.http.Http` waits out) and Slack's transient
``internal_error``/``fatal_error``/``service_unavailable``/``request_timeout`` are retried;
any other error (``not_in_channel``, ``invalid_auth``, ``missing_scope`` with its
``needed`` scope, ``channel_not_found``…) ends the pull with a non-retryable PlatformError
naming the method and Slack's code. ``user_not_found`` from users.info only leaves that user
unnamed.

The mapping is the Slack export's (:class:`groupaudit.connectors.slack_export.ChannelMapping`,
documented in ``docs/platforms/slack.md``) — the API returns the same message, user and file
objects — with these differences:

- group: id = the registry's ``group_id``, name = the channel's name (else the registry's),
  kind = the registry's; owner_id = created_by = ``creator``, created_at = ``created``.
- members: ``conversations.members`` (current membership), plus posters and bots as in the
  export; joined_at only from a ``channel_join`` in the window.
- messages: only ``since <= ts <= taken_at`` (messages_since = ``since``); id = ``ts``; a
  deleted message is not returned by Slack at all, a deleted thread root comes back as a
  ``tombstone`` and is left out (its replies stay); an edited one carries its latest text and
  ``edited``, sent_at stays its ``ts``. Thread replies: thread_id = reply_to_id =
  ``thread_ts`` (Slack has no finer parent).
- files: those of ``files.list`` and of the window's messages; sha256 of the bytes of
  ``url_private_download`` (else ``url_private``), fetched with the bearer token only from
  ``files.slack.com`` or the API's own host, only when ``size`` is known and at most
  ``max_download_bytes``; an answer whose length is not ``size`` (Slack's sign-in page when
  the token may not read the file) or a refusal (4xx) leaves sha256 absent (the audit then
  says "cannot verify"). download_url = ``url_private`` without a query string.
- ids: every user id (members, senders, mentions, uploaders, owner) through the tenant's
  IdMap.

What this relies on (checked against Slack's documentation): docs.slack.dev/reference/methods/
auth.test, conversations.info, conversations.members, conversations.history,
conversations.replies, users.info, users.list, files.list; docs.slack.dev/apis/web-api/
pagination and /rate-limits (429 + Retry-After; internal customer-built apps keep Tier 3 for
history and replies, commercially distributed non-Marketplace apps get 1 request per minute
and 15 messages per page since 2025-05-29); the file object's ``url_private`` needing
``Authorization: Bearer`` with ``files:read``; the ``tombstone`` root of a deleted thread
(``user: USLACKBOT``, ``hidden: true``, ``reply_count``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

import msgspec

from groupaudit.connectors.base import IdMap, PullRequest, aware
from groupaudit.connectors.http import MAX_BODY_BYTES, Answer, Http
from groupaudit.connectors.skeleton import Verdicts, epoch, follow, judge
from groupaudit.connectors.slack_export import (
    ChannelMapping,
    Conversation,
    MappingLog,
    Record,
    SlackUser,
    TsKey,
    apply_events,
    index_users,
    ts_key,
)
from groupaudit.contracts import GroupKind, Snapshot
from groupaudit.errors import Problem

PAGE_LIMIT = 200  # Slack: "no more than 200 results at a time" on cursor-paginated methods
FILES_PER_PAGE = 100
USERS_INFO_MAX = 100  # more users than this: one users.list instead of a users.info each
THREAD_LOOKBACK = timedelta(days=14)
FILE_HOSTS = frozenset({"files.slack.com"})
RETRY_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
HINTS = {
    "not_in_channel": "invite the app to the channel (/invite @app)",
    "channel_not_found": "check the chat id; a private channel needs the app invited",
    "invalid_auth": "the token is wrong or revoked",
    "not_authed": "no token was sent",
    "token_revoked": "reinstall the app and update the secret",
    "account_inactive": "the app was uninstalled or its user deactivated",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _needed(payload: Mapping[str, Any]) -> str:
    if not payload.get("needed"):
        return ""
    return f" (needed: {payload['needed']}; provided: {payload.get('provided') or 'none'})"


SLACK = Verdicts(
    code_field="error",
    message_fields=(),
    label="{code}",
    ok_field="ok",
    missing_code="HTTP {status}",
    rate_limited=RETRY_ERRORS,
    hints=HINTS,
    detail=_needed,
)


def pull(request: PullRequest, http: Http | None = None) -> Snapshot:
    http = http or request.http()
    token = request.credential("token")
    http.add_secret(token)
    slack = _Slack(http, token, request)
    since, taken_at = aware(request.since), aware(request.taken_at)
    window = (_key(since), _key(taken_at))

    me = slack.call("auth.test", http_method="POST")
    own_user = me.get("user_id") if me.get("bot_id") else None  # a bot token's own bot user
    channel = slack.channel_info()
    chat = request.chat_id
    member_ids = [m for m in slack.pages("conversations.members", "members", channel=chat) if m != own_user]
    oldest = max(since - THREAD_LOOKBACK, _EPOCH)
    history = list(
        slack.pages(
            "conversations.history",
            "messages",
            channel=chat,
            oldest=_ts(oldest),
            latest=_ts(taken_at),
            inclusive="true",
        )
    )
    replies = [
        reply
        for root in history
        if _active_thread(root, window[0])
        for reply in slack.pages("conversations.replies", "messages", channel=chat, ts=root["ts"])
        if reply.get("ts") != root["ts"]
    ]
    listed_files = slack.files(taken_at)
    records = [r for r in _current(http, [*history, *replies]) if window[0] <= r.key <= window[1]]
    users, bot_users = slack.users([*member_ids, *_posters(records)])

    conversation = Conversation(
        id=request.chat_id,
        name=_text(channel.get("name")) or request.name or request.chat_id,
        source="conversations.info",
        creator=_text(channel.get("creator")),
        created=_epoch_s(channel.get("created")),
        members=tuple(dict.fromkeys(member_ids)),
        folder=None,
    )
    mapping = ChannelMapping(conversation, users, bot_users, MappingLog())
    raw_files: dict[str, Mapping[str, Any]] = {}
    for item in listed_files:
        created = _epoch_s(item.get("created"))
        if created is not None and created > taken_at:
            continue
        file_id = mapping.add_file(item, _text(item.get("user")), created or taken_at)
        if file_id is not None:
            raw_files.setdefault(file_id, item)
    for record in records:
        for item in record.raw.get("files") or ():
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                raw_files.setdefault(item["id"], item)
    snapshot = mapping.snapshot(
        records,
        tenant_id=request.tenant_id,
        taken_at=taken_at,
        # a registration's kind (validated against GROUP_KINDS) or the command line's --kind (choices)
        kind=cast("GroupKind", request.kind or "other"),
        messages_since=since,  # history and the active threads are read whole from here
    )
    hashes = {
        file.id: digest
        for file in snapshot.files or ()
        if (digest := slack.sha256(raw_files.get(file.id, {}))) is not None
    }
    return _finish(snapshot, request, hashes)


class _Slack:
    """One pull's calls: the bearer token on each, Slack's ``ok`` judged, pages followed."""

    def __init__(self, http: Http, token: str, request: PullRequest) -> None:
        self.http = http
        self.token = token
        self.request = request
        self._downloads: dict[str, Http] = {}

    def call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        tolerate: frozenset[str] = frozenset(),
        http_method: str = "GET",
    ) -> dict[str, Any]:
        """The method's payload; ``{}`` for an error in ``tolerate``."""
        return self.http.request(
            http_method,
            f"/{method}",
            query=params,
            headers={"Authorization": f"Bearer {self.token}"},
            judge=lambda answer: self._judge(method, answer, tolerate),
        )

    def _judge(self, method: str, answer: Answer, tolerate: frozenset[str]) -> dict[str, Any]:
        payload = judge(SLACK, self.http, method, answer, tolerate=tolerate)
        return payload if payload.get("ok") is True else {}

    def pages(self, method: str, key: str, **params: Any) -> Iterator[Any]:
        """Every item of a cursor-paginated method (``response_metadata.next_cursor``): objects,
        or strings (``conversations.members``)."""
        for payload in follow(
            self.http,
            method,
            lambda cursor: self.call(method, {**params, "limit": PAGE_LIMIT, "cursor": cursor}),
            _next_cursor,
            loop_retryable=True,
        ):
            items = payload.get(key)
            yield from items if isinstance(items, list) else ()

    def channel_info(self) -> dict[str, Any]:
        channel = self.call("conversations.info", {"channel": self.request.chat_id}).get("channel")
        if not isinstance(channel, dict):
            raise self.http.fail("conversations.info: no channel in the answer")
        if channel.get("is_im") is True:
            raise self.http.fail(f"{self.request.chat_id} is a 1:1 direct message, not a group")
        return channel

    def files(self, taken_at: datetime) -> list[dict[str, Any]]:
        """files.list of the channel up to ``taken_at``, all pages (``paging.page/pages``)."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            payload = self.call(
                "files.list",
                {
                    "channel": self.request.chat_id,
                    "ts_to": int(taken_at.timestamp()),
                    "count": FILES_PER_PAGE,
                    "page": page,
                },
            )
            files = payload.get("files")
            out.extend(f for f in (files if isinstance(files, list) else ()) if isinstance(f, dict))
            paging = payload.get("paging")
            pages = paging.get("pages") if isinstance(paging, dict) else None
            if not isinstance(pages, int) or page >= pages:
                return out
            page += 1

    def users(self, needed: Iterable[str]) -> tuple[dict[str, SlackUser], dict[str, str]]:
        """The users by id and the bot users by bot_id, from users.info or users.list."""
        wanted = list(dict.fromkeys(needed))
        if len(wanted) <= USERS_INFO_MAX:
            found = [
                self.call("users.info", {"user": u}, tolerate=frozenset({"user_not_found"})) for u in wanted
            ]
            records = [payload["user"] for payload in found if isinstance(payload.get("user"), dict)]
        else:
            records = list(self.pages("users.list", "members"))
        return index_users(records, "users", [])  # Slack's users all have an id

    def sha256(self, item: Mapping[str, Any]) -> str | None:
        """The SHA-256 of a file's bytes, when it is small enough and Slack hosts it (not
        downloaded again when an earlier pull hashed the same file at the same size)."""
        size = item.get("size")
        known = self.request.known_files.get(item.get("id") or "")
        if known is not None and known[0] == size:
            return known[1]
        if (
            not isinstance(size, int)
            or isinstance(size, bool)
            or not 0 <= size <= min(self.request.max_download_bytes, MAX_BODY_BYTES)
        ):
            return None
        url = next(
            (u for u in (item.get("url_private_download"), item.get("url_private")) if isinstance(u, str)),
            None,
        )
        if url is None:
            return None
        parts = urlsplit(url)
        api = urlsplit(self.request.api_base)
        trusted = (parts.scheme == "https" and parts.hostname in FILE_HOSTS) or (
            (parts.scheme, parts.netloc) == (api.scheme, api.netloc)
        )
        if not trusted:
            return None
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._downloads:
            self._downloads[origin] = self.http.sibling(origin, secrets=[self.token])

        def judge(answer: Answer) -> str | None:
            if answer.status != 200 or len(answer.body) != size:
                return None  # refused, gone, or a sign-in page instead of the file
            return hashlib.sha256(answer.body).hexdigest()

        return self._downloads[origin].request(
            "GET",
            parts.path,
            query=dict(parse_qsl(parts.query)) or None,
            headers={"Authorization": f"Bearer {self.token}", "Accept": "*/*"},
            judge=judge,
        )


# --- helpers ----------------------------------------------------------------------------------


def _key(moment: datetime) -> TsKey:
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return divmod(micros, 10**6)


def _ts(moment: datetime) -> str:
    seconds, micros = _key(moment)
    return f"{seconds}.{micros:06d}"


def _epoch_s(value: Any) -> datetime | None:
    """Whole epoch seconds (Slack's ``created``); 0 or anything else means unknown."""
    return epoch(value, strings=False, whole=True)


def _next_cursor(payload: Mapping[str, Any]) -> Any:
    metadata = payload.get("response_metadata")
    return metadata.get("next_cursor") if isinstance(metadata, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _current(http: Http, messages: Iterable[Any]) -> list[Record]:
    """The messages read, each ``ts`` once (a thread broadcast is both in the history and in its
    thread), by time, deleted roots and hidden events left out."""
    unique: dict[str, Any] = {}
    for message in messages:
        if isinstance(message, dict) and isinstance(message.get("ts"), str):
            unique.setdefault(message["ts"], message)
    ordered = sorted(unique.values(), key=lambda m: ts_key(m["ts"]) or (0, 0))
    problems: list[Problem] = []
    records = apply_events(((f"message {m['ts']}", m) for m in ordered), MappingLog(), problems)
    if problems:
        raise http.fail(f"Slack sent an unreadable message: {problems[0]}")
    return records


def _active_thread(message: Mapping[str, Any], since: TsKey) -> bool:
    """A thread root with replies, the latest of them in the window (or of unknown time)."""
    count = message.get("reply_count")
    if not isinstance(count, int) or count <= 0 or message.get("thread_ts") not in (None, message.get("ts")):
        return False
    latest = ts_key(message.get("latest_reply"))
    return latest is None or latest >= since


def _posters(records: Iterable[Record]) -> Iterator[str]:
    for record in records:
        comment = record.raw.get("comment")
        for user in (record.raw.get("user"), comment.get("user") if isinstance(comment, dict) else None):
            if isinstance(user, str) and user:
                yield user


def _finish(snapshot: Snapshot, request: PullRequest, hashes: Mapping[str, str]) -> Snapshot:
    """Our group id and kind, directory ids for every user id, the hashes, files by time."""
    ids: IdMap = request.ids
    to_dir = ids.directory_id
    group = snapshot.group
    owner = to_dir(group.owner_id) if group.owner_id else None
    files = sorted(
        (
            msgspec.structs.replace(
                f,
                uploader_id=to_dir(f.uploader_id) if f.uploader_id else None,
                sha256=hashes.get(f.id, f.sha256),
            )
            for f in snapshot.files or ()
        ),
        key=lambda f: (f.uploaded_at, f.id),
    )
    return msgspec.structs.replace(
        snapshot,
        group=msgspec.structs.replace(
            group, id=request.group_id, kind=request.kind, owner_id=owner, created_by=owner
        ),
        members=[msgspec.structs.replace(m, id=to_dir(m.id)) for m in snapshot.members or ()],
        messages=[
            msgspec.structs.replace(
                m,
                sender_id=to_dir(m.sender_id),
                mentions=tuple(to_dir(u) for u in m.mentions) if m.mentions else m.mentions,
            )
            for m in snapshot.messages or ()
        ],
        files=files,
    )

"""WeCom (企业微信) -> a group snapshot: members from the API, messages from the message archive.

WeCom gives a group's messages to nobody but its paid message archive (会话内容存档): a C SDK
(``GetChatData`` + ``DecryptData``) yields one decrypted JSON record per message. The customer's
archive job runs the SDK and drops those records, unchanged, under the group's drop prefix in
S3 (``request.drops``); this source merges them with the group and its members read from the
API. What was relied on (developer.work.weixin.qq.com):

- access token: ``GET /cgi-bin/gettoken?corpid=…&corpsecret=…`` -> ``{errcode, errmsg,
  access_token, expires_in}`` (document 91039);
- variant ``customer`` (客户群, the default): ``POST /cgi-bin/externalcontact/groupchat/get``
  ``{"chat_id", "need_name": 1}`` -> ``group_chat {chat_id, name, owner, create_time, notice,
  member_list [{userid, type 1 internal / 2 external, join_time, join_scene, invitor,
  group_nickname, name, unionid}], admin_list [{userid}]}`` (document 92707); the token comes
  from the secret of a self-built app listed under 客户联系 -> "可调用接口的应用" (or the
  customer-contact secret), and the group owner must be in that app's visible range;
- variant ``internal`` (内部群 seen by the archive): ``POST /cgi-bin/msgaudit/groupchat/get``
  ``{"roomid"}`` -> ``{roomname, creator, room_create_time, notice, members [{memberid,
  jointime}]}`` (document 92951), with the archive's own secret; member names from ``GET
  /cgi-bin/user/get?userid=…`` (document 90196: basic apps such as the archive still get
  ``name``, not phone or e-mail), one call per member;
- archive records (document 91774): ``{msgid, action send|recall|switch, from, tolist, roomid,
  msgtime (ms), msgtype, <msgtype>: {…}}``; ``from`` of a robot is an id starting with ``wb``;
  ``revoke.pre_msgid`` names the recalled message; ``file {md5sum, filename, fileext, filesize,
  sdkfileid}``;
- errors arrive as HTTP 200 with a non-zero ``errcode`` (global codes, document 90313).

The mapping (documented for users in ``docs/platforms/wecom.md``):

- group: id = ``request.group_id``; name = the platform's (``name`` / ``roomname``), else
  ``request.name``, else the chat id; customer: owner_id = ``owner``, admin_ids =
  ``admin_list``; internal: owner_id = created_by = ``creator``; created_at = ``create_time`` /
  ``room_create_time`` (epoch seconds).
- members: customer: ``member_list`` (internal staff and external contacts ``wm…``/``wo…``
  alike), named ``group_nickname``, else ``name``, else the id; internal: ``members``, named by
  ``user/get`` (a userid the directory no longer has, 60111, keeps its id as name); role owner /
  admin / member; joined_at = ``join_time`` / ``jointime``. Robots (senders ``wb…``) are bot
  members named by their id (no API gives the name with these secrets). Posters missing from
  the list have left the group: their messages stay, they are not members.
- messages: one per ``send`` record whose ``roomid`` is the chat (others are skipped: ``switch``
  records and other rooms); a repeated ``msgid`` is the same message (the archive job may drop
  a batch twice); ``recall`` / ``revoke`` removes the message it names (nobody can read or
  answer it any more); sent_at = ``msgtime`` (ms, UTC); type per :data:`MESSAGE_TYPES`; text =
  ``text.content`` (or the type's title, see :data:`TEXT_FIELDS`); mentions: the archive has no
  mention list, so every ``@<name>`` in the text that is a member's group nickname or name
  (longest name first, ambiguous names skipped, the sender excluded) and ``@所有人`` ->
  ``mention_all``. WeCom messages cannot be edited and have no threads (thread_id is never
  set). A quote reply (引用/回复) arrives as a text record holding both parts (see
  :func:`split_quote`): the message's text is the reply part only, and mentions and
  ``@所有人`` are read from it alone (an ``@name`` inside the quote is not a mention); the quote
  links (reply_to_id) to the latest earlier message of the chat whose sender bears the quoted
  name (group nickname or name) and whose text is the quoted text, and to nothing when no
  message matches (the quoted one is older than the drops, was a picture or file, or its
  sender left). messages_since: the window's start, or the chat's earliest dropped record
  when later; ``taken_at`` when the drops hold no record of the chat.
- files: one per file message (``file`` / ``voip_doc_share``): id = the message's ``msgid``,
  name = ``filename``, size = ``filesize``, uploader = sender, uploaded_at = ``msgtime``; files
  stay listed when their message is older than ``since``. ``md5sum`` is not a SHA-256 and WeCom
  has no HTTP download for archive media (only the SDK's ``GetMediaData``): sha256 comes from a
  ``sha256`` the archive job adds to the ``file`` object (or the record) after fetching the
  bytes, and is absent otherwise. No download_url.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from groupaudit.connectors.base import PullRequest, epoch_ms
from groupaudit.connectors.http import Http
from groupaudit.connectors.skeleton import Gone, TokenSession, Verdicts, epoch, fetch_token, judge
from groupaudit.contracts import SCHEMA_VERSION, File, Group, Member, Message, MessageType, Snapshot
from groupaudit.errors import InputError, Problem

VARIANTS = ("customer", "internal")
TOKEN_PATH = "/cgi-bin/gettoken"
CUSTOMER_GROUP_PATH = "/cgi-bin/externalcontact/groupchat/get"
INTERNAL_GROUP_PATH = "/cgi-bin/msgaudit/groupchat/get"
USER_PATH = "/cgi-bin/user/get"

# errcodes worth waiting out: system busy, frequency limit, too many concurrent calls.
RETRY_CODES = frozenset({-1, 45009, 45033})
# The access token is invalid or expired: fetch a new one, once per call.
TOKEN_CODES = frozenset({40014, 42001})
USER_NOT_FOUND = 60111
HINTS: dict[int, str] = {
    40001: "the secret is wrong, or belongs to another app",
    40013: "the corp_id is wrong",
    40050: "no such group for this app (check chat_id, and variant: customer or internal)",
    48002: "this secret's app may not call this API (customer groups: the secret of a self-built app "
    "in 客户联系's 可调用应用 list; internal groups: the message-archive secret)",
    60011: "outside the app's visible range (add the group owner / members to the app's visibility)",
    60020: "the caller's IP is not among the app's trusted IPs (企业可信IP)",
    301002: "the token's app has no right to this resource",
    301052: "the message-archive service has expired",
}

ROBOT_PREFIX = "wb"
MENTION_ALL = "@所有人"
MAX_PROBLEMS = 50

# Archive msgtype -> snapshot message type. Anything else a person sent is "text".
MESSAGE_TYPES: dict[str, MessageType] = {
    "text": "text",
    "markdown": "text",
    "mixed": "text",  # "image" when it has no text part
    "image": "image",
    "emotion": "image",
    "voice": "voice",
    "meeting_voice_call": "voice",
    "voiptext": "voice",
    "video": "video",
    "file": "file",
    "voip_doc_share": "file",
    "link": "link",
    "weapp": "link",
    "news": "link",
    "docmsg": "link",
    "sphfeed": "link",
    "qydiskfile": "link",
    "agree": "system",  # a customer agreed to the archiving
    "disagree": "system",
}
# Where the text of a non-text message is: msgtype -> (object, field). Others have none.
TEXT_FIELDS: dict[str, tuple[str, str]] = {
    "markdown": ("info", "content"),
    "link": ("link", "title"),
    "weapp": ("weapp", "title"),
    "docmsg": ("doc", "title"),
    "sphfeed": ("sphfeed", "feed_desc"),
    "qydiskfile": ("info", "filename"),
    "location": ("location", "title"),
    "chatrecord": ("chatrecord", "title"),
    "todo": ("todo", "title"),
    "vote": ("vote", "votetitle"),
    "collect": ("collect", "title"),
    "meeting": ("meeting", "topic"),
    "calendar": ("calendar", "title"),
    "redpacket": ("redpacket", "wish"),
    "external_redpacket": ("redpacket", "wish"),
}
FILE_OBJECTS = {"file": "file", "voip_doc_share": "voip_doc_share"}
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
# Message types whose text may be a quote reply (the archive writes quotes as text).
QUOTING_TYPES = frozenset({"text", "mixed"})
_QUOTE = re.compile(
    r"^\s*(?:这是一条引用/回复消息[：:]|This is a quote/reply:)[ \t]*\n?[ \t]*[\"“]?"
    r"(?P<body>.*?)[\"”]?[ \t]*\n-{6,}\n(?P<reply>.*)\Z",
    re.DOTALL,
)
_NAME_COLON = re.compile(r"[：:]\s*")


# --- the API -----------------------------------------------------------------------------------


WECOM = Verdicts(
    code_field="errcode",
    message_fields=("errmsg",),
    label="errcode {code}",
    ok_codes=frozenset({0, None}),
    raw_http_errors=True,
    rate_limited=RETRY_CODES,
    token_expired=TOKEN_CODES,
    hints=HINTS,
)


@dataclass
class _Api:
    request: PullRequest
    http: Http
    session: TokenSession = field(init=False)

    def __post_init__(self) -> None:
        self.session = TokenSession(self.http, self.fetch_token, query="access_token")

    def fetch_token(self) -> tuple[str, float | None]:
        corp_id, secret = self.request.credential("corp_id"), self.request.credential("secret")
        self.http.add_secret(secret)
        query = {"corpid": corp_id, "corpsecret": secret}
        return fetch_token(self.http, WECOM, "GET", TOKEN_PATH, "access_token", "expires_in", query=query)

    def call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        gone: frozenset[int] = frozenset(),
    ) -> Any:
        """One call with the access token; a rejected token is renewed once. The errcodes in
        ``gone`` raise :class:`Gone` instead of a PlatformError."""
        return self.session.request(
            method,
            path,
            lambda where, answer: judge(WECOM, self.http, where, answer, gone=gone),
            query=query,
            body=body,
        )


# --- the group ---------------------------------------------------------------------------------


@dataclass
class _Person:
    id: str  # the platform's
    names: tuple[str, ...]  # display name first
    joined_at: datetime | None
    role: str


@dataclass
class _Group:
    name: str
    owner: str | None
    created_by: str | None
    admins: list[str]
    created_at: datetime | None
    members: list[_Person]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _seconds(value: Any) -> datetime | None:
    return epoch(value)


def _role(user_id: str, owner: str | None, admins: Iterable[str]) -> str:
    return "owner" if user_id == owner else "admin" if user_id in admins else "member"


def _customer_group(api: _Api) -> _Group:
    body = api.call("POST", CUSTOMER_GROUP_PATH, body={"chat_id": api.request.chat_id, "need_name": 1})
    chat = body.get("group_chat")
    if not isinstance(chat, dict):
        raise api.http.fail(f"POST {CUSTOMER_GROUP_PATH}: the answer has no group_chat")
    owner = _text(chat.get("owner")) or None
    admins = [_text(a.get("userid")) for a in chat.get("admin_list") or () if isinstance(a, dict)]
    admins = [a for a in admins if a]
    members = []
    for entry in chat.get("member_list") or ():
        user_id = _text(entry.get("userid")) if isinstance(entry, dict) else ""
        if not user_id:
            raise api.http.fail(f"POST {CUSTOMER_GROUP_PATH}: a member without a userid")
        names = tuple(
            dict.fromkeys(n for n in (_text(entry.get("group_nickname")), _text(entry.get("name"))) if n)
        )
        members.append(
            _Person(
                user_id, names or (user_id,), _seconds(entry.get("join_time")), _role(user_id, owner, admins)
            )
        )
    return _Group(
        name=_text(chat.get("name")),
        owner=owner,
        created_by=None,  # the owner may have changed hands: WeCom does not say who created it
        admins=admins,
        created_at=_seconds(chat.get("create_time")),
        members=members,
    )


def _internal_group(api: _Api) -> _Group:
    body = api.call("POST", INTERNAL_GROUP_PATH, body={"roomid": api.request.chat_id})
    creator = _text(body.get("creator")) or None
    joined: dict[str, datetime | None] = {}
    for entry in body.get("members") or ():
        member_id = _text(entry.get("memberid")) if isinstance(entry, dict) else ""
        if not member_id:
            raise api.http.fail(f"POST {INTERNAL_GROUP_PATH}: a member without a memberid")
        joined[member_id] = _seconds(entry.get("jointime"))
    members = [
        _Person(member_id, (_user_name(api, member_id),), at, _role(member_id, creator, ()))
        for member_id, at in joined.items()
    ]
    return _Group(
        name=_text(body.get("roomname")),
        owner=creator,
        created_by=creator,
        admins=[],
        created_at=_seconds(body.get("room_create_time")),
        members=members,
    )


def _user_name(api: _Api, user_id: str) -> str:
    """``user/get``'s name; a userid the directory no longer has keeps its id."""
    try:
        body = api.call("GET", USER_PATH, query={"userid": user_id}, gone=frozenset({USER_NOT_FOUND}))
    except Gone:
        return user_id
    return _text(body.get("name")) or user_id


# --- the archive records -----------------------------------------------------------------------


@dataclass
class _Sent:
    id: str
    sender: str
    at: datetime
    msgtype: str
    text: str | None  # of a quote reply: the reply part only
    file: File | None
    quote: Quote | None = None  # what a quote reply quotes


@dataclass
class _Archive:
    """This chat's records: sent messages (first copy of each msgid) and recalled msgids."""

    sent: dict[str, _Sent] = field(default_factory=dict)
    recalled: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)

    def bad(self, where: str, what: str, message: str, msgid: Any = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            record_id = msgid if isinstance(msgid, str) and msgid else None
            self.problems.append(Problem(f"{where}.{what}", message, record_id))


def _read_archive(request: PullRequest) -> _Archive:
    return read_archive(request.drops.records(), request.chat_id)


def read_archive(records: Iterable[tuple[str, Mapping[str, Any]]], roomid: str) -> _Archive:
    """The decrypted archive records of one conversation (``roomid``; ``""`` is how the archive
    writes a 1:1 chat): sent messages, recalls; raises InputError naming every bad record."""
    archive = _Archive()
    for where, record in records:
        if record.get("roomid") != roomid:
            continue  # another room, a 1:1 chat, or a "switch" (it has no roomid)
        _read_record(archive, where, record)
    if archive.problems:
        raise InputError(f"wecom archive records of {roomid}", archive.problems)
    return archive


def _read_record(archive: _Archive, where: str, record: Mapping[str, Any]) -> None:
    msgid = record.get("msgid")
    if not isinstance(msgid, str) or not msgid:
        archive.bad(where, "msgid", f"expected a non-empty message id, got {msgid!r}")
        return
    action, msgtype = record.get("action", "send"), record.get("msgtype")
    if not isinstance(msgtype, str) or not msgtype:
        archive.bad(where, "msgtype", f"expected a message type, got {msgtype!r}", msgid)
        return
    if action == "recall" or msgtype == "revoke":
        revoke = record.get("revoke")
        previous = revoke.get("pre_msgid") if isinstance(revoke, dict) else None
        if not isinstance(previous, str) or not previous:
            archive.bad(where, "revoke.pre_msgid", "a recall must name the recalled msgid", msgid)
            return
        archive.recalled.add(previous)
        return
    if action != "send":
        return  # not a message (a future action)
    sender, msgtime = record.get("from"), record.get("msgtime")
    if not isinstance(sender, str) or not sender:
        archive.bad(where, "from", f"expected the sender's id, got {sender!r}", msgid)
        return
    if isinstance(msgtime, bool) or not (
        isinstance(msgtime, int) or (isinstance(msgtime, str) and msgtime.isdigit())
    ):
        archive.bad(where, "msgtime", f"expected epoch milliseconds, got {msgtime!r}", msgid)
        return
    if msgid in archive.sent:
        return  # the same message dropped twice
    at = epoch_ms(msgtime)
    text = _message_text(archive, where, record, msgtype, msgid)
    quote = None
    if text is not None and msgtype in QUOTING_TYPES:
        quote, text = split_quote(text)
    file = _file(archive, where, record, msgtype, msgid, sender, at) if msgtype in FILE_OBJECTS else None
    archive.sent[msgid] = _Sent(msgid, sender, at, msgtype, text, file, quote)


def _message_text(
    archive: _Archive, where: str, record: Mapping[str, Any], msgtype: str, msgid: str
) -> str | None:
    if msgtype == "text":
        body = record.get("text")
        content = body.get("content") if isinstance(body, dict) else None
        if not isinstance(content, str):
            archive.bad(where, "text.content", "a text message needs its content as a string", msgid)
            return None
        return content
    if msgtype == "mixed":
        return _mixed_text(record.get("mixed"))
    if msgtype == "news":
        info = record.get("info")
        items = info.get("item") if isinstance(info, dict) else None
        first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
        return _text(first.get("title")) or None
    where_text = TEXT_FIELDS.get(msgtype)
    if where_text is None:
        return None
    body = record.get(where_text[0])
    return (_text(body.get(where_text[1])) or None) if isinstance(body, dict) else None


def _mixed_text(mixed: Any) -> str | None:
    """The text parts of a mixed message (their content is JSON in a string)."""
    items = mixed.get("item") if isinstance(mixed, dict) else None
    parts = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or item.get("type") != "text":
            continue
        content = item.get("content")
        if isinstance(content, str):
            try:
                content = json.loads(content)
            except ValueError:
                content = {"content": content}
        if isinstance(content, dict) and isinstance(content.get("content"), str):
            parts.append(content["content"])
    return "".join(parts) if parts else None


def _file(
    archive: _Archive,
    where: str,
    record: Mapping[str, Any],
    msgtype: str,
    msgid: str,
    sender: str,
    at: datetime,
) -> File | None:
    key = FILE_OBJECTS[msgtype]
    body = record.get(key)
    if not isinstance(body, dict):
        archive.bad(where, key, "a file message needs its file object", msgid)
        return None
    name = _text(body.get("filename"))
    if not name:
        ext = _text(body.get("fileext"))
        name = f"{msgid}.{ext}" if ext else msgid
    size = body.get("filesize")
    if size in (None, ""):
        size_bytes = None
    elif isinstance(size, int) and not isinstance(size, bool) and size >= 0:
        size_bytes = size
    elif isinstance(size, str) and size.isdigit():
        size_bytes = int(size)
    else:
        archive.bad(where, f"{key}.filesize", f"expected a size in bytes, got {size!r}", msgid)
        return None
    sha256 = body.get("sha256", record.get("sha256"))
    if sha256 is not None and not (isinstance(sha256, str) and _SHA256.match(sha256)):
        archive.bad(where, f"{key}.sha256", f"expected 64 hex digits, got {sha256!r}", msgid)
        return None
    return File(
        id=msgid,
        name=name,
        uploaded_at=at,
        uploader_id=sender,
        size_bytes=size_bytes,
        sha256=sha256.lower() if sha256 else None,
    )


# --- quote replies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """The quoted part of a quote reply (引用/回复): who was quoted, and what (either may be
    empty: WeCom's own example quotes nothing)."""

    name: str | None
    text: str


def split_quote(content: str) -> tuple[Quote | None, str | None]:
    r"""``(quote, reply)`` of a text that is a quote reply in the archive's format, else
    ``(None, content)``.

    The archive writes a quote reply as one text: ``这是一条引用/回复消息：\n"<name>：\n<quoted>"
    \n------\n<reply>`` (the English client writes ``This is a quote/reply:``; the quotes may be
    ASCII or “”, the colon after the name full- or half-width). WeCom's own example of the
    format (document 91774 as WxJava keeps it) quotes nothing: ``这是一条引用/回复消息："\n------
    \n@nick777``. The quoted part is not what the sender wrote now: only the reply is the text.
    """
    match = _QUOTE.match(content)
    if match is None:
        return None, content
    body, reply = match.group("body"), match.group("reply").strip()
    first, newline, rest = body.partition("\n")
    name: str | None = None
    if first.rstrip().endswith(("：", ":")) and newline:
        name, quoted = first.rstrip()[:-1].strip(), rest
    elif (cut := _NAME_COLON.search(first)) is not None:
        name, quoted = first[: cut.start()].strip(), first[cut.end() :] + newline + rest
    else:
        quoted = body
    return Quote(name or None, quoted.strip()), reply or None


def _comparable(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _quote_links(alive: list[_Sent], members: Iterable[_Person]) -> dict[str, str]:
    """Quote reply id -> the id of the message it quotes: the latest earlier message of the
    chat whose sender bears the quoted name (group nickname or name) and whose text (its reply
    part, for a quote reply) is the quoted text. A quote that matches nothing links nowhere."""
    names: dict[str, set[str]] = {}
    for person in members:
        for name in person.names:
            names.setdefault(name, set()).add(person.id)
    by_text: dict[str, list[_Sent]] = {}
    links: dict[str, str] = {}
    for sent in alive:  # in time order
        quote = sent.quote
        if quote is not None and quote.name and quote.text:
            senders = names.get(quote.name, set())
            earlier = [s for s in by_text.get(_comparable(quote.text), ()) if s.sender in senders]
            if earlier:
                links[sent.id] = earlier[-1].id
        if sent.text:
            by_text.setdefault(_comparable(sent.text), []).append(sent)
    return links


# --- mentions ----------------------------------------------------------------------------------


class _Mentions:
    """``@<name>`` -> member, longest name first; a name two members share means nobody."""

    def __init__(self, members: Iterable[_Person]) -> None:
        owners: dict[str, set[str]] = {}
        for person in members:
            for name in person.names:
                owners.setdefault(name, set()).add(person.id)
        self._by_first: dict[str, list[tuple[str, str | None]]] = {}
        for name, ids in owners.items():
            only = next(iter(ids)) if len(ids) == 1 else None
            self._by_first.setdefault(name[0], []).append((name, only))
        for names in self._by_first.values():
            names.sort(key=lambda pair: len(pair[0]), reverse=True)

    def find(self, text: str, sender: str) -> list[str]:
        found: list[str] = []
        start = text.find("@")
        while start != -1 and start + 1 < len(text):
            for name, person in self._by_first.get(text[start + 1], ()):
                if text.startswith(name, start + 1):
                    if person is not None and person != sender and person not in found:
                        found.append(person)
                    break
            start = text.find("@", start + 1)
        return found


# --- the snapshot ------------------------------------------------------------------------------


def pull(request: PullRequest, http: Http | None = None) -> Snapshot:
    """Reads the group and its members, then this chat's archive records; builds the snapshot."""
    variant = request.variant or "customer"
    if variant not in VARIANTS:
        raise ValueError(f"unknown wecom variant {variant!r}; one of {', '.join(VARIANTS)}")
    http = http or request.http()
    api = _Api(request, http)
    group = _customer_group(api) if variant == "customer" else _internal_group(api)
    archive = _read_archive(request)
    return _snapshot(request, group, archive)


def _messages_since(request: PullRequest, archive: _Archive) -> datetime:
    """From when the snapshot provably holds the chat's messages: the window's start, or the
    earliest record the drops hold for the chat when that is later (before it the archive job
    may not have run). No record at all proves nothing: the snapshot then holds the messages of
    no period (``taken_at``), and no member's silence can be claimed from it."""
    earliest = min((sent.at for sent in archive.sent.values()), default=None)
    if earliest is None:
        return request.taken_at
    return min(max(request.since, earliest), request.taken_at)


def _snapshot(request: PullRequest, group: _Group, archive: _Archive) -> Snapshot:
    ids = request.ids
    alive = [s for s in archive.sent.values() if s.id not in archive.recalled and s.at <= request.taken_at]
    alive.sort(key=lambda s: s.at)
    mentions = _Mentions(group.members)
    links = _quote_links(alive, group.members)
    messages = []
    for sent in alive:
        if sent.at < request.since:
            continue
        kind: MessageType = MESSAGE_TYPES.get(sent.msgtype, "text")
        if sent.msgtype == "mixed" and sent.text is None:
            kind = "image"
        mentioned = mentions.find(sent.text, sent.sender) if sent.text and "@" in sent.text else []
        messages.append(
            Message(
                id=sent.id,
                sender_id=ids.directory_id(sent.sender),
                sent_at=sent.at,
                type=kind,
                text=sent.text,
                reply_to_id=links.get(sent.id),
                mentions=tuple(ids.directory_id(m) for m in mentioned) or None,
                mention_all=True if sent.text and MENTION_ALL in sent.text else None,
                file_id=sent.file.id if sent.file is not None else None,
            )
        )
    files = [
        msgspec.structs.replace(s.file, uploader_id=ids.directory_id(s.sender))
        for s in alive
        if s.file is not None
    ]
    members = [
        Member(
            id=ids.directory_id(person.id),
            display_name=person.names[0],
            role=person.role,  # type: ignore[arg-type]
            joined_at=person.joined_at,
            is_bot=person.id.startswith(ROBOT_PREFIX),
        )
        for person in group.members
    ]
    listed = {person.id for person in group.members}
    for robot in dict.fromkeys(s.sender for s in alive if s.sender.startswith(ROBOT_PREFIX)):
        if robot not in listed:
            members.append(Member(id=ids.directory_id(robot), display_name=robot, role="member", is_bot=True))
    owner = ids.directory_id(group.owner) if group.owner else None
    return Snapshot(
        schema_version=SCHEMA_VERSION,
        platform="wecom",
        tenant_id=request.tenant_id,
        taken_at=request.taken_at,
        messages_since=_messages_since(request, archive),
        group=Group(
            id=request.group_id,
            name=group.name or request.name or request.chat_id,
            kind=request.kind,  # type: ignore[arg-type]
            owner_id=owner,
            admin_ids=[ids.directory_id(a) for a in group.admins] or None,
            created_by=ids.directory_id(group.created_by) if group.created_by else None,
            created_at=group.created_at,
        ),
        members=members,
        messages=messages,
        files=files,
    )

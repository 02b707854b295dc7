"""DingTalk (钉钉) -> one group snapshot: members and group files from the Open API, messages
from the robot message records dropped for the group.

DingTalk has no message history API: an app's robot only receives what is said to it (机器人
接收消息). So the message side arrives as records dropped in S3 (``request.drops``) in the JSON
DingTalk delivers to a robot's message callback, and is merged here with what the Open API
gives: the group (``chat/get`` or, for scene groups, ``topapi/im/chat/scenegroup/get``), its
members (plus ``topapi/v2/user/get`` for names) and its file space (``convFile`` + ``storage``).

Calls (oapi.dingtalk.com answers HTTP 200 with ``errcode``; api.dingtalk.com answers 4xx with
``{code, message, requestid}``; with ``request.base_url`` set both are served from it):

- ``GET /gettoken?appkey&appsecret`` -> ``access_token`` (oapi); ``POST /v1.0/oauth2/accessToken``
  ``{appKey, appSecret}`` -> ``accessToken``, sent as ``x-acs-dingtalk-access-token`` (api).
- variant ``chat`` (default; ``chat_id`` is the ``chatid``): ``GET /chat/get?chatid`` ->
  ``chat_info {name, owner, useridlist}``; ``POST /v1.0/im/chat/{chatId}/convertToOpenConversationId``
  -> ``openConversationId`` (what robot records and the file space use).
- variant ``scene`` (场景群; ``chat_id`` is the ``open_conversation_id``): ``POST
  /topapi/im/chat/scenegroup/get`` -> ``result {title, owner_staff_id, sub_admin_staff_ids}``;
  ``POST /topapi/im/chat/scenegroup/member/get {open_conversation_id, cursor, size}`` ->
  ``result {member_user_ids, has_more, next_cursor, staff_id_nick_map}``, followed to the end.
- ``POST /topapi/v2/user/get {userid}`` per member -> ``result {name, unionid}``. A member the
  app may not read (errcode/sub_code 60011 no permission, 50002 outside the app's contact
  scope, 60121 not found) keeps the scene group nickname, else their user id, as
  display_name: a name is decoration, the member is still counted.
- ``POST /v1.0/convFile/conversations/spaces/query?unionId {openConversationId}`` ->
  ``space.spaceId``; ``GET /v1.0/storage/spaces/{spaceId}/dentries?parentId&unionId&maxResults
  &nextToken`` -> ``dentries[]``, ``nextToken`` (at most 50 a page), folders walked recursively.
  Both act for an operator: ``credentials["operator_union_id"]`` if given, else the group
  owner's ``unionid`` from ``user/get``.
- Rate limits are retried after 1 s (the documented QPS window): oapi ``errcode``/``sub_code``
  90018 (app per API), 90002 (all apps per API), 90005/90006 (per minute), -1 (busy) and a
  bare 88; api ``Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`` / ``QpsLimitForApi``.
  DingTalk's IP throttle (HTTP 200 without ``errcode``: ``{"status": 1111, "wait": 5, "punish":
  "deny", …}``, calls from the IP refused for ``wait`` minutes) is a wait too, longer than a
  pull waits: the pull ends retryable with that wait.
  Everything else that is not ok (e.g. ``88`` + sub_code ``40014`` invalid token, ``40096``
  bad appKey/appSecret, ``60011`` no permission, ``400020`` no access to the scene group,
  ``invalidClientIdOrSecret``, ``InvalidAuthentication``) ends the pull with a final
  PlatformError carrying the platform's code and message.

References: open.dingtalk.com 获取企业内部应用的access_token (obtain-orgapp-token), 获取会话
(chat/get), 查询场景群基本信息 / 查询群成员 (scenegroup get / member get), 获取群存储空间信息
(obtain-group-storage-space-information, ConvFile.Space.Read), 获取文件或文件夹列表
(get-a-list-of-files-or-folders, Storage.File.Read, maxResults <= 50), 机器人接收消息 and
消息发送与接收类型 (robot-receive-message, robot-message-type), 如何处理钉钉服务端API限流
(how-to-process-api-throttling-on-the-dingtalk-server).

The mapping (documented for users in ``docs/platforms/dingtalk.md``):

- group: id = ``request.group_id``; name = the chat's name (``title`` for scene groups), else
  ``request.name``; kind = ``request.kind``; owner_id = ``owner`` / ``owner_staff_id``;
  admin_ids = ``sub_admin_staff_ids`` (scene groups only; ``chat/get`` names no admins). No
  creation time or creator: DingTalk gives none.
- members: the member list of the API (current members), role owner/admin as above; plus
  every bot that posted in the records (``senderIsBot``), ``is_bot``. No ``joined_at``.
- messages: records whose ``conversationId`` is the group's (chat id or open conversation id),
  one per ``msgId`` (a repeated record collapses; the one with the latest ``editedAt`` wins, sent
  at the original ``createAt``; any record with ``recalled: true`` removes the message),
  kept when ``since <= createAt (ms) <= taken_at``. sender = ``senderStaffId`` (the userid),
  else ``senderId``. ``text`` -> text (``text.content``, or ``content`` in HTTP-mode payloads),
  ``richText`` -> text (its text parts; image when it has none), ``picture`` -> image,
  ``audio`` -> voice (text = ``recognition``), ``video`` -> video, ``file`` -> file, ``link`` ->
  link, ``markdown`` -> text, ``notice``/``system`` (extensions) -> notice/system; other types
  -> text without text. mentions = ``atUsers[].staffId`` except the sender and the robot;
  ``isAtAll`` (extension) -> mention_all. Quote replies -> reply_to_id = the replied message's
  ``msgId`` (``id`` in some payloads) from ``text.repliedMsg`` (a text reply, beside
  ``text.isReplyMsg``), ``content.repliedMsg`` (a richText reply) or the top-level
  ``repliedMsg`` (extension), else the top-level ``originalMsgId`` DingTalk sends with
  ``isReplyMsg`` when the quote has no content; thread_id = ``repliedMsg.rootMsgId``
  (extension) else the root of the reply chain. messages_since = ``since``, or the group's
  earliest dropped record when later (``taken_at`` when there is none: the drops prove no
  period).
- files: every FILE dentry of the group's space (status NORMAL): id = dentry ``id``, name,
  size_bytes = ``size``, uploaded_at = ``createTime``, updated_at = ``modifiedTime`` when it
  differs, uploader_id = the member whose ``unionid`` is ``creatorId`` (else ``creatorId``),
  folder = the folder path under the space root. A file message (``content.downloadCode``,
  ``fileName``, ``fileId``, ``spaceId``, as integrations report it) shares the space's dentry
  ``fileId`` when ``spaceId`` is the group space's (or absent and the dentry is listed): its
  file_id is that dentry, and no second file is made of it; a file of the group space the
  listing no longer holds (deleted) is the message's file_id but no file; a file of another
  space, or of a record without ``fileId`` (the older ``content.dentryId`` extension still
  names a listed dentry), is known only from the message (id = ``fileId``, else ``msgId``;
  name = ``fileName``). sha256 only from a record's ``content.sha256`` (extension;
  ignored when its ``fileSize`` differs from the dentry's size): DingTalk hands out file bytes
  only through signed resource URLs on storage hosts (``downloadInfos``), never through the
  API host, so nothing is downloaded and no download_url is kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import quote

import msgspec

from groupaudit.connectors.base import PullRequest, epoch_ms
from groupaudit.connectors.http import Http, RetryLater
from groupaudit.connectors.skeleton import TokenSession, Verdicts, fetch_token, follow, judge
from groupaudit.contracts import SCHEMA_VERSION, File, Group, Member, MemberRole, Message, Snapshot
from groupaudit.errors import InputError, Problem
from groupaudit.ratelimits import dingtalk_throttle_wait

API_BASE = "https://api.dingtalk.com"
VARIANTS = ("chat", "scene")
MEMBER_PAGE_SIZE = 100
DENTRY_PAGE_SIZE = 50  # documented maximum of maxResults
MAX_PROBLEMS = 50
MAX_FOLDER_DEPTH = 32
RATE_LIMIT_WAIT_S = 1.0  # DingTalk's QPS window is one second

OAPI_RATE_LIMITS = frozenset({"90018", "90002", "90005", "90006", "-1"})
API_RATE_LIMITS = frozenset(
    {"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "Forbidden.AccessDenied.QpsLimitForApi"}
)
OAPI_TOKEN_EXPIRED = frozenset({"42001"})  # access_token 超时: fetch a new one, once per call
USER_UNREADABLE = frozenset({"60011", "50002", "60121"})  # no permission, outside scope, not found

MESSAGE_TYPES = {
    "text": "text",
    "richText": "text",
    "markdown": "text",
    "picture": "image",
    "audio": "voice",
    "video": "video",
    "file": "file",
    "link": "link",
    "notice": "notice",
    "system": "system",
}

_Json = dict[str, Any]


# --- calls ------------------------------------------------------------------------------------


def _raise_if_throttled(payload: Mapping[str, Any]) -> None:
    """DingTalk's IP throttle answers 200 with no errcode (``{"status": 1111, "wait": 5, …}``):
    not a success but a wait of ``wait`` minutes (longer than a pull waits: it ends retryable)."""
    if payload.get("errcode") in (None, "") and (wait := dingtalk_throttle_wait(payload)) is not None:
        raise RetryLater(f"throttled (status {payload.get('status')}, wait {payload.get('wait')})", wait)


def _request_id(payload: Mapping[str, Any]) -> str:
    return f" (requestid {payload['requestid']})" if payload.get("requestid") else ""


# oapi answers 200 with errcode (and topapi a sub_code); errcode 88 without one is a rate limit.
OAPI = Verdicts(
    code_field="errcode",
    sub_code_field="sub_code",
    message_fields=("sub_msg", "errmsg"),
    label="errcode {code}",
    sub_label=" (sub_code {sub_code})",
    text_codes=True,
    ok_codes=frozenset({"0", None}),
    raw_http_errors=True,
    rate_limited=OAPI_RATE_LIMITS | {("88", None)},
    retry_prefix="rate limited, ",
    wait_s=RATE_LIMIT_WAIT_S,
    token_expired=OAPI_TOKEN_EXPIRED,
    throttle=_raise_if_throttled,
)
# api.dingtalk.com answers 2xx with the payload, 4xx with ``{code, message, requestid}``.
API = Verdicts(
    code_field="code",
    message_fields=("message",),
    label="HTTP {status} {code}",
    text_codes=True,
    ok_when_2xx=True,
    rate_limited=API_RATE_LIMITS,
    retry_prefix="rate limited, ",
    wait_s=RATE_LIMIT_WAIT_S,
    detail=_request_id,
    throttle=_raise_if_throttled,
)


@dataclass
class _Client:
    """Both DingTalk hosts, with a token session for each."""

    request: PullRequest
    oapi_http: Http
    api_http: Http
    oapi_session: TokenSession = field(init=False)
    api_session: TokenSession = field(init=False)

    def __post_init__(self) -> None:
        self.oapi_session = TokenSession(
            self.oapi_http, self._oapi_token, query="access_token", also=[self.api_http]
        )
        self.api_session = TokenSession(
            self.api_http, self._api_token, header="x-acs-dingtalk-access-token", also=[self.oapi_http]
        )

    def _oapi_token(self) -> tuple[str, float | None]:
        key, secret = self.request.credential("app_key"), self.request.credential("app_secret")
        query = {"appkey": key, "appsecret": secret}
        return fetch_token(
            self.oapi_http, OAPI, "GET", "/gettoken", "access_token", "expires_in", query=query
        )

    def _api_token(self) -> tuple[str, float | None]:
        key, secret = self.request.credential("app_key"), self.request.credential("app_secret")
        body = {"appKey": key, "appSecret": secret}
        path = "/v1.0/oauth2/accessToken"
        return fetch_token(self.api_http, API, "POST", path, "accessToken", "expireIn", body=body)

    def oapi(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        tolerate: frozenset[str] = frozenset(),
    ) -> _Json:
        return self.oapi_session.request(
            method,
            path,
            lambda where, answer: judge(OAPI, self.oapi_http, where, answer, tolerate=tolerate),
            query=query,
            body=body,
        )

    def api(
        self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None
    ) -> _Json:
        return self.api_session.request(
            method,
            path,
            lambda where, answer: judge(API, self.api_http, where, answer),
            query=query,
            body=body,
        )


# --- the group and its members ----------------------------------------------------------------


@dataclass
class _Chat:
    name: str | None
    owner: str | None
    admins: list[str]
    member_ids: list[str]
    nicks: dict[str, str]
    open_conversation_id: str


def _string_list(value: Any) -> list[str]:
    """A list of ids; TOP-style answers wrap lists as ``{"string": [...]}``."""
    if isinstance(value, dict):
        value = value.get("string")
    if not isinstance(value, list):
        return []
    return [str(item) for item in value if isinstance(item, str | int) and str(item)]


def _nick_map(value: Any) -> dict[str, str]:
    """``staff_id_nick_map``: a JSON object, or a JSON string of one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str) and v.strip()}


def _read_chat(client: _Client, chat_id: str) -> _Chat:
    info = client.oapi("GET", "/chat/get", query={"chatid": chat_id}).get("chat_info")
    if not isinstance(info, dict):
        raise client.oapi_http.fail("GET /chat/get: the answer has no chat_info")
    converted = client.api("POST", f"/v1.0/im/chat/{quote(chat_id, safe='')}/convertToOpenConversationId")
    open_id = converted.get("openConversationId")
    if not isinstance(open_id, str) or not open_id:
        raise client.api_http.fail(
            "POST /v1.0/im/chat/{chatId}/convertToOpenConversationId: no openConversationId"
        )
    name, owner = info.get("name"), info.get("owner")
    return _Chat(
        name=name if isinstance(name, str) and name else None,
        owner=owner if isinstance(owner, str) and owner else None,
        admins=[],
        member_ids=list(dict.fromkeys(_string_list(info.get("useridlist")))),
        nicks={},
        open_conversation_id=open_id,
    )


def _read_scene_group(client: _Client, open_id: str) -> _Chat:
    path = "/topapi/im/chat/scenegroup/get"
    result = client.oapi("POST", path, body={"open_conversation_id": open_id}).get("result")
    if not isinstance(result, dict):
        raise client.oapi_http.fail(f"POST {path}: the answer has no result")
    members: list[str] = []
    nicks: dict[str, str] = {}
    where = "POST /topapi/im/chat/scenegroup/member/get"

    def member_page(cursor: Any) -> Mapping[str, Any]:
        page = client.oapi(
            "POST",
            "/topapi/im/chat/scenegroup/member/get",
            body={"open_conversation_id": open_id, "cursor": str(cursor), "size": MEMBER_PAGE_SIZE},
        ).get("result")
        if not isinstance(page, dict):
            raise client.oapi_http.fail(f"{where}: the answer has no result")
        return page

    for page in follow(
        client.oapi_http,
        where,
        member_page,
        lambda page: page.get("next_cursor"),
        has_more=lambda page: bool(page.get("has_more") and page.get("next_cursor")),
        first="0",
    ):
        members += _string_list(page.get("member_user_ids"))
        nicks.update(_nick_map(page.get("staff_id_nick_map")))
    title, owner = result.get("title"), result.get("owner_staff_id")
    return _Chat(
        name=title if isinstance(title, str) and title else None,
        owner=owner if isinstance(owner, str) and owner else None,
        admins=_string_list(result.get("sub_admin_staff_ids")),
        member_ids=list(dict.fromkeys(members)),
        nicks=nicks,
        open_conversation_id=open_id,
    )


@dataclass(frozen=True)
class _User:
    name: str | None
    union_id: str | None


def _read_users(client: _Client, user_ids: Iterable[str]) -> dict[str, _User]:
    """``topapi/v2/user/get`` for each id; once the app is refused the permission (60011),
    the rest are not asked."""
    users: dict[str, _User] = {}
    for user_id in user_ids:
        payload = client.oapi(
            "POST",
            "/topapi/v2/user/get",
            body={"userid": user_id, "language": "zh_CN"},
            tolerate=USER_UNREADABLE,
        )
        result = payload.get("result")
        if payload.get("errcode") in (0, "0", None) and isinstance(result, dict):
            name, union_id = result.get("name"), result.get("unionid")
            users[user_id] = _User(
                name=name.strip() if isinstance(name, str) and name.strip() else None,
                union_id=union_id if isinstance(union_id, str) and union_id else None,
            )
            continue
        if "60011" in (str(payload.get("errcode")), str(payload.get("sub_code"))):
            break  # the app lacks the contact permission: every member keeps their id
    return users


# --- the group's files ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Dentry:
    id: str
    name: str
    size: int | None
    created: datetime
    modified: datetime | None
    creator: str | None
    folder: str | None


def _when(value: Any, where: str, http: Http) -> datetime | None:
    """Storage times: ISO 8601 in UTC (``2022-01-01T10:00Z``); epoch milliseconds accepted."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch_ms(value)
    if isinstance(value, str) and value.isdigit():
        return epoch_ms(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise http.fail(f"{where}: unexpected time {value!r}")


def _read_files(client: _Client, open_id: str, operator: str) -> tuple[str, list[_Dentry]]:
    """(the group space's spaceId, its files)."""
    space = client.api(
        "POST",
        "/v1.0/convFile/conversations/spaces/query",
        query={"unionId": operator},
        body={"openConversationId": open_id},
    ).get("space")
    space_id = space.get("spaceId") if isinstance(space, dict) else None
    if not isinstance(space_id, str) or not space_id:
        raise client.api_http.fail("POST /v1.0/convFile/conversations/spaces/query: no space.spaceId")
    path = f"/v1.0/storage/spaces/{quote(space_id, safe='')}/dentries"
    where = "GET /v1.0/storage/spaces/{spaceId}/dentries"
    files: list[_Dentry] = []
    folders: list[tuple[str, str | None, int]] = [("0", None, 0)]  # (parentId, folder path, depth)

    def dentry_page(parent: str, token: Any) -> Mapping[str, Any]:
        query = {"parentId": parent, "unionId": operator, "maxResults": DENTRY_PAGE_SIZE, "nextToken": token}
        return client.api("GET", path, query=query)

    while folders:
        parent, folder, depth = folders.pop(0)
        pages = follow(
            client.api_http, where, partial(dentry_page, parent), lambda page: page.get("nextToken") or None
        )
        for page in pages:
            entries = page.get("dentries") or []
            if not isinstance(entries, list):
                raise client.api_http.fail(f"{where}: dentries is not a list")
            for entry in entries:
                dentry = _dentry(entry, folder, where, client.api_http)
                if dentry is None:
                    continue
                if isinstance(dentry, tuple):  # a folder
                    if depth + 1 > MAX_FOLDER_DEPTH:
                        raise client.api_http.fail(f"{where}: folders nested deeper than {MAX_FOLDER_DEPTH}")
                    folders.append((dentry[0], dentry[1], depth + 1))
                else:
                    files.append(dentry)
    return space_id, files


def _dentry(entry: Any, folder: str | None, where: str, http: Http) -> _Dentry | tuple[str, str] | None:
    if not isinstance(entry, dict):
        raise http.fail(f"{where}: a dentry is not an object")
    dentry_id, name = entry.get("id"), entry.get("name")
    if not isinstance(dentry_id, str | int) or not str(dentry_id) or not isinstance(name, str):
        raise http.fail(f"{where}: a dentry without id or name")
    if entry.get("status") not in (None, "", "NORMAL"):
        return None  # deleted or in the recycle bin
    if str(entry.get("type") or "FILE").upper() == "FOLDER":
        return str(dentry_id), f"{folder}/{name}" if folder else name
    created = _when(entry.get("createTime"), where, http)
    if created is None:
        raise http.fail(f"{where}: dentry {dentry_id} has no createTime")
    modified = _when(entry.get("modifiedTime"), where, http)
    size, creator = entry.get("size"), entry.get("creatorId")
    return _Dentry(
        id=str(dentry_id),
        name=name,
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
        created=created,
        modified=modified if modified is not None and modified != created else None,
        creator=str(creator) if isinstance(creator, str | int) and str(creator) else None,
        folder=folder,
    )


# --- dropped records --------------------------------------------------------------------------


@dataclass
class _Record:
    where: str
    raw: Mapping[str, Any]
    msg_id: str
    sent_at: datetime | None
    edited: int
    recalled: bool


def _ms(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    return None


def _check(where: str, raw: Mapping[str, Any], problems: list[Problem]) -> _Record | None:
    """A record of this group: the robot callback's JSON (plus the documented extensions)."""
    msg_id = raw.get("msgId")
    if not isinstance(msg_id, str) or not msg_id:
        problems.append(Problem(f"{where}.msgId", "expected a non-empty message id"))
        return None
    before = len(problems)
    recalled = raw.get("recalled") is True
    created = _ms(raw.get("createAt"))
    if not recalled:
        if created is None:
            problems.append(Problem(f"{where}.createAt", "expected epoch milliseconds", msg_id))
        if not isinstance(raw.get("msgtype"), str) or not raw.get("msgtype"):
            problems.append(Problem(f"{where}.msgtype", "expected a message type such as 'text'", msg_id))
        sender = raw.get("senderStaffId") or raw.get("senderId")
        if not isinstance(sender, str) or not sender:
            problems.append(Problem(f"{where}.senderStaffId", "expected the sender's id", msg_id))
    for name, kind in (("atUsers", list), ("text", dict), ("repliedMsg", dict)):
        if raw.get(name) is not None and not isinstance(raw.get(name), kind):
            problems.append(Problem(f"{where}.{name}", f"expected a JSON {kind.__name__}", msg_id))
    for holder in ("text", "content"):
        replied = _dict(raw.get(holder)).get("repliedMsg")
        if replied is not None and not isinstance(replied, dict):
            problems.append(Problem(f"{where}.{holder}.repliedMsg", "expected a JSON dict", msg_id))
    at_users = raw.get("atUsers")
    if isinstance(at_users, list) and not all(isinstance(user, dict) for user in at_users):
        problems.append(Problem(f"{where}.atUsers", "expected objects with dingtalkId/staffId", msg_id))
    if raw.get("editedAt") is not None and _ms(raw.get("editedAt")) is None:
        problems.append(Problem(f"{where}.editedAt", "expected epoch milliseconds", msg_id))
    sha = (raw.get("content") or {}).get("sha256") if isinstance(raw.get("content"), dict) else None
    if sha is not None and not (
        isinstance(sha, str) and len(sha) == 64 and set(sha) <= set("0123456789abcdef")
    ):
        problems.append(Problem(f"{where}.content.sha256", "expected a lowercase hex SHA-256", msg_id))
    if len(problems) > before:
        return None
    return _Record(
        where=where,
        raw=raw,
        msg_id=msg_id,
        sent_at=epoch_ms(created) if created is not None else None,
        edited=_ms(raw.get("editedAt")) or 0,
        recalled=recalled,
    )


def _read_records(request: PullRequest, conversation_ids: set[str]) -> list[_Record]:
    """This group's records, one per msgId (recalled ones removed), in time order."""
    problems: list[Problem] = []
    groups: dict[str, list[_Record]] = {}
    for where, raw in request.drops.records():
        conversation = raw.get("conversationId")
        if not isinstance(conversation, str) or not conversation:
            problems.append(Problem(f"{where}.conversationId", "expected the conversation id"))
            continue
        if conversation not in conversation_ids:
            continue
        record = _check(where, raw, problems)
        if record is not None:
            groups.setdefault(record.msg_id, []).append(record)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InputError(f"dingtalk drop records of {request.chat_id}", problems[:MAX_PROBLEMS])
    kept: list[_Record] = []
    for records in groups.values():
        if any(r.recalled for r in records):
            continue
        latest = max(enumerate(records), key=lambda pair: (pair[1].edited, pair[0]))[1]
        sent = min(r.sent_at for r in records if r.sent_at is not None)
        latest.sent_at = sent
        kept.append(latest)
    kept.sort(key=lambda r: (r.sent_at, r.msg_id))
    return kept


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _content_text(raw: Mapping[str, Any], msgtype: str) -> str | None:
    content = raw.get("content")
    if msgtype in ("text", "notice", "system"):
        return (
            _text(_dict(raw.get("text")).get("content"))
            or _text(content)
            or _text(_dict(content).get("text"))
        )
    if msgtype == "richText":
        parts = _dict(content).get("richText")
        texts = [p["text"] for p in parts or () if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return _text("".join(texts)) if isinstance(parts, list) else None
    if msgtype == "audio":
        return _text(_dict(content).get("recognition"))
    if msgtype == "markdown":
        return _text(_dict(raw.get("markdown")).get("text"))
    if msgtype == "link":
        link = _dict(raw.get("link"))
        return _text(link.get("text")) or _text(link.get("title"))
    return None


def _replied(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """The quote metadata of a quote reply: ``text.repliedMsg`` of a text reply (beside
    ``text.isReplyMsg``), ``content.repliedMsg`` of a richText reply, else the top-level
    ``repliedMsg`` extension (any other type)."""
    for holder in (_dict(raw.get("text")), _dict(raw.get("content"))):
        replied = _dict(holder.get("repliedMsg")) if holder.get("isReplyMsg") is not False else {}
        if replied:
            return replied
    return _dict(raw.get("repliedMsg"))


def _is_reply(raw: Mapping[str, Any]) -> bool:
    return any(_dict(raw.get(key)).get("isReplyMsg") is True for key in ("text", "content"))


def _reply_parent(raw: Mapping[str, Any]) -> str | None:
    """The replied message's id: the quote's ``msgId`` (as integrations report it; ``id`` in
    some payloads), else the top-level ``originalMsgId`` DingTalk sends with ``isReplyMsg``
    when the quote carries no content (a quoted picture, file or card)."""
    replied = _replied(raw)
    for parent in (replied.get("msgId"), replied.get("id")):
        if isinstance(parent, str) and parent:
            return parent
    original = raw.get("originalMsgId")
    if (replied or _is_reply(raw)) and isinstance(original, str) and original:
        return original
    return None


# --- building the snapshot --------------------------------------------------------------------


@dataclass
class _Build:
    request: PullRequest
    chat: _Chat
    users: dict[str, _User]
    dentries: list[_Dentry]
    records: list[_Record]
    space_id: str = ""
    by_union: dict[str, str] = field(default_factory=dict)

    def ident(self, platform_id: str) -> str:
        return self.request.ids.directory_id(platform_id)

    def sender(self, raw: Mapping[str, Any]) -> str:
        return str(raw.get("senderStaffId") or raw.get("senderId"))

    def thread_root(self, record: _Record, parents: Mapping[str, str | None]) -> str | None:
        explicit = _replied(record.raw).get("rootMsgId")
        if isinstance(explicit, str) and explicit:
            return explicit
        current, seen = parents.get(record.msg_id), {record.msg_id}
        while (
            current is not None
            and current in parents
            and parents[current] is not None
            and current not in seen
        ):
            seen.add(current)
            current = parents[current]
        return current

    def message(
        self, record: _Record, parents: Mapping[str, str | None], file_ids: dict[str, str]
    ) -> Message:
        raw = record.raw
        msgtype = str(raw["msgtype"])
        kind = MESSAGE_TYPES.get(msgtype, "text")
        text = _content_text(raw, msgtype)
        if msgtype == "richText" and text is None:
            kind = "image"
        sender = self.sender(raw)
        robot = raw.get("chatbotUserId")
        mentions: list[str] = []
        for user in raw.get("atUsers") or ():
            staff = user.get("staffId")
            if not isinstance(staff, str) or not staff or staff == sender or user.get("dingtalkId") == robot:
                continue
            mentions.append(self.ident(staff))
        parent = parents.get(record.msg_id)
        return Message(
            id=record.msg_id,
            sender_id=self.ident(sender),
            sent_at=record.sent_at,  # type: ignore[arg-type]  # kept records have one
            type=kind,  # type: ignore[arg-type]
            text=text,
            reply_to_id=parent,
            thread_id=self.thread_root(record, parents) if parent else None,
            mentions=tuple(dict.fromkeys(mentions)) or None,
            mention_all=True if raw.get("isAtAll") is True else None,
            file_id=file_ids.get(record.msg_id),
        )

    def shared_file(
        self, content: Mapping[str, Any], listed: Mapping[str, _Dentry]
    ) -> tuple[str | None, bool]:
        """(the file a file record shared, whether it is a group-space file). DingTalk's file
        message names the file by ``fileId`` in the space ``spaceId`` (the group space's own
        dentry when the space is the group's); ``dentryId`` is this project's older extension.
        A file of the group space that the listing no longer holds (deleted, in the recycle
        bin) is the group's, but no file of it any more."""
        dentry_id = content.get("dentryId")
        if dentry_id is not None and str(dentry_id) in listed:
            return str(dentry_id), True
        file_id, space_id = content.get("fileId"), content.get("spaceId")
        if isinstance(file_id, str | int) and not isinstance(file_id, bool) and str(file_id):
            in_group_space = space_id is not None and str(space_id) == self.space_id
            if str(file_id) in listed and (space_id is None or in_group_space):
                return str(file_id), True
            return str(file_id), in_group_space
        return (str(dentry_id) if dentry_id is not None else None), False

    def files(self, kept: list[_Record]) -> tuple[list[File], dict[str, str]]:
        """The space's files, with hashes from file records; files known only from messages."""
        listed = {d.id: d for d in self.dentries}
        hashes: dict[str, str] = {}
        for record in self.records:
            content = _dict(record.raw.get("content"))
            sha, size = content.get("sha256"), content.get("fileSize")
            shared, _ = self.shared_file(content, listed)
            dentry = listed.get(shared) if shared is not None else None
            if dentry is not None and isinstance(sha, str) and (size is None or size == dentry.size):
                hashes[dentry.id] = sha
        files = [
            File(
                id=d.id,
                name=d.name,
                uploaded_at=d.created,
                uploader_id=self.ident(self.by_union.get(d.creator, d.creator)) if d.creator else None,
                updated_at=d.modified,
                size_bytes=d.size,
                sha256=hashes.get(d.id),
                folder=d.folder,
            )
            for d in self.dentries
        ]
        file_ids: dict[str, str] = {}
        known = set(listed)
        for record in kept:
            if record.raw.get("msgtype") != "file":
                continue
            content = _dict(record.raw.get("content"))
            shared, in_group_space = self.shared_file(content, listed)
            file_id = shared or record.msg_id
            file_ids[record.msg_id] = file_id
            if file_id in known or in_group_space:
                continue  # the space's file, one shared before, or one the space no longer has
            known.add(file_id)
            size, sha = content.get("fileSize"), content.get("sha256")
            name = content.get("fileName")
            files.append(
                File(
                    id=file_id,
                    name=name if isinstance(name, str) and name else file_id,
                    uploaded_at=record.sent_at,  # type: ignore[arg-type]
                    uploader_id=self.ident(self.sender(record.raw)),
                    size_bytes=size
                    if isinstance(size, int) and not isinstance(size, bool) and size >= 0
                    else None,
                    sha256=sha if isinstance(sha, str) else None,
                )
            )
        return files, file_ids

    def members(self, kept: list[_Record]) -> list[Member]:
        owner, admins = self.chat.owner, set(self.chat.admins)
        members: dict[str, Member] = {}
        for user_id in self.chat.member_ids:
            user = self.users.get(user_id)
            name = (user.name if user else None) or self.chat.nicks.get(user_id) or user_id
            role: MemberRole | None = "owner" if user_id == owner else "admin" if user_id in admins else None
            members[self.ident(user_id)] = Member(id=self.ident(user_id), display_name=name, role=role)
        for record in kept:
            if record.raw.get("senderIsBot") is not True:
                continue
            bot = self.ident(self.sender(record.raw))
            nick = _text(record.raw.get("senderNick"))
            if bot in members:
                members[bot] = msgspec.structs.replace(members[bot], is_bot=True)
            else:
                members[bot] = Member(id=bot, display_name=nick or bot, is_bot=True)
        return list(members.values())

    def messages_since(self) -> datetime:
        """From when the snapshot provably holds the group's messages: the window's start, or
        the group's earliest dropped record when later (before it nobody may have collected);
        ``taken_at`` when the drops hold no record of the group (they prove no period)."""
        request = self.request
        earliest = min((r.sent_at for r in self.records if r.sent_at is not None), default=None)
        if earliest is None:
            return request.taken_at
        return min(max(request.since, earliest), request.taken_at)

    def snapshot(self) -> Snapshot:
        request = self.request
        self.by_union = {u.union_id: uid for uid, u in self.users.items() if u.union_id}
        parents = {r.msg_id: _reply_parent(r.raw) for r in self.records}
        kept = [r for r in self.records if r.sent_at and request.since <= r.sent_at <= request.taken_at]
        files, file_ids = self.files(kept)
        messages = [self.message(r, parents, file_ids) for r in kept]
        chat = self.chat
        admins = [self.ident(a) for a in chat.admins]
        return Snapshot(
            schema_version=SCHEMA_VERSION,
            platform="dingtalk",
            tenant_id=request.tenant_id,
            taken_at=request.taken_at,
            messages_since=self.messages_since(),
            group=Group(
                id=request.group_id,
                name=chat.name or request.name or request.chat_id,
                kind=request.kind,  # type: ignore[arg-type]  # validated by finish_snapshot
                owner_id=self.ident(chat.owner) if chat.owner else None,
                admin_ids=admins or None,
            ),
            members=self.members(kept),
            messages=messages,
            files=files,
        )


# --- the entry point --------------------------------------------------------------------------


def _hosts(request: PullRequest, http: Http | None) -> tuple[Http, Http]:
    """oapi and api hosts; one loopback peer serves both when ``request.base_url`` is set."""
    oapi_http = http or request.http()
    if request.base_url:
        return oapi_http, oapi_http
    api_http = oapi_http.sibling(API_BASE, secrets=request.credentials.values())
    return oapi_http, api_http


def pull(request: PullRequest, http: Http | None = None) -> Snapshot:
    """Reads the group, its members, names and files, then the dropped records; builds the
    snapshot only when everything was read."""
    oapi_http, api_http = _hosts(request, http)
    variant = request.variant or "chat"
    if variant not in VARIANTS:
        raise oapi_http.fail(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
    client = _Client(request, oapi_http, api_http)
    chat = (
        _read_chat(client, request.chat_id)
        if variant == "chat"
        else _read_scene_group(client, request.chat_id)
    )
    users = _read_users(client, chat.member_ids)
    operator = request.credentials.get("operator_union_id") or (
        users[chat.owner].union_id if chat.owner in users else None
    )
    if not operator:
        raise oapi_http.fail(
            "no operator for the group's file space: grant the contact permission (the owner's unionid "
            "from topapi/v2/user/get) or set operator_union_id in the credentials"
        )
    space_id, dentries = _read_files(client, chat.open_conversation_id, operator)
    records = _read_records(request, {request.chat_id, chat.open_conversation_id})
    return _Build(request, chat, users, dentries, records, space_id).snapshot()

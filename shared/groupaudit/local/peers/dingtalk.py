"""A loopback DingTalk (钉钉): the Open API calls the dingtalk source makes, both hosts on one
port (oapi.dingtalk.com paths and api.dingtalk.com ``/v1.0/...`` paths), and the robot records
a DingTalk group would have produced, for dropping.

What it checks and answers as DingTalk does:

- ``GET /gettoken?appkey&appsecret``: a wrong pair answers ``{"errcode": 40096, "errmsg":
  "不合法的appKey或appSecret"}`` (HTTP 200); ``POST /v1.0/oauth2/accessToken`` answers 400
  ``invalidClientIdOrSecret``. The two tokens differ, so both must be obtained and used.
- oapi calls need ``?access_token``: ``chat/get`` answers ``errcode 40014`` for a bad one, the
  ``topapi`` calls wrap it as ``errcode 88`` with ``sub_code 40014`` (as observed on DingTalk).
  api calls need the ``x-acs-dingtalk-access-token`` header: 400 ``InvalidAuthentication``,
  or ``AuthenticationFailed.MissingParameter`` without it.
- ``chat/get``, ``convertToOpenConversationId``, ``scenegroup/get`` + ``member/get`` (cursor
  pages of ``member_page_size``), ``topapi/v2/user/get`` (``unreadable`` users answer 88/50002),
  ``convFile/conversations/spaces/query`` (the operator ``unionId`` must be a member),
  ``storage/spaces/{spaceId}/dentries`` (``nextToken`` pages of ``dentry_page_size``, folders by
  ``parentId``), and the download API: ``dentries/{id}/downloadInfos/query`` hands out a signed
  resource URL (here ``/oss/...`` on the peer, on DingTalk a storage host) that needs the
  returned headers.
- ``deny(path)`` answers the documented no-permission error on a path (oapi 60011, topapi
  88/60011, api 403 ``Forbidden.AccessDenied.AccessTokenPermissionDenied``); ``fail_on(path,
  n, answer)`` answers the n-th call of a path (1-based) with ``answer``; ``script`` (from
  :class:`Peer`) queues answers such as :meth:`DingTalkPeer.oapi_rate_limited`.

:func:`drop_records` turns a contract snapshot into the robot callback records of its messages
(with the documented extensions) for a folder or S3 drop; :meth:`DingTalkPeer.from_snapshot`
seeds the API side from the same snapshot.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from groupaudit.contracts import Snapshot
from groupaudit.local.peers.base import Answer, Peer, Request, json_answer

ROBOT_ID = "$:LWCP_v1:$robot-auditor"
TOKEN_HEADER = "x-acs-dingtalk-access-token"


@dataclass
class DingTalkUser:
    userid: str
    name: str
    unionid: str


@dataclass
class DingTalkChat:
    chatid: str
    open_conversation_id: str
    name: str
    owner: str | None
    member_ids: list[str]
    admin_ids: list[str] = field(default_factory=list)
    nicks: dict[str, str] = field(default_factory=dict)  # scene groups: group nicknames


@dataclass
class DingTalkFile:
    id: str
    name: str
    creator_unionid: str | None
    created: datetime
    modified: datetime | None = None
    size: int | None = None
    folder: str | None = None  # "a/b" under the space root
    content: bytes = b""
    status: str = "NORMAL"


def storage_time(moment: datetime) -> str:
    """Storage API times: UTC to the minute, ``2022-01-01T10:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def default_conversation_id(group_id: str) -> str:
    return f"cid{group_id}=="


def space_id_of(chatid: str) -> str:
    """The spaceId of a chat's group file space (群文件), as the peer hands it out."""
    return f"space-{chatid}"


def _request_id() -> str:
    return secrets.token_hex(6)


def oapi_error(errcode: int, errmsg: str) -> Answer:
    return json_answer({"errcode": errcode, "errmsg": errmsg, "request_id": _request_id()})


def topapi_error(sub_code: str, sub_msg: str) -> Answer:
    return json_answer(
        {
            "errcode": 88,
            "sub_code": sub_code,
            "sub_msg": sub_msg,
            "errmsg": f"ding talk error[subcode={sub_code},submsg={sub_msg}]",
            "request_id": _request_id(),
        }
    )


def api_error(status: int, code: str, message: str) -> Answer:
    return json_answer({"code": code, "message": message, "requestid": _request_id()}, status)


@dataclass
class DingTalkPeer(Peer):
    name: str = "dingtalk"
    app_key: str = "dingappkey0001"
    app_secret: str = "dingappsecret-do-not-leak"
    users: dict[str, DingTalkUser] = field(default_factory=dict)
    chats: list[DingTalkChat] = field(default_factory=list)
    files: dict[str, list[DingTalkFile]] = field(default_factory=dict)  # by open_conversation_id
    member_page_size: int = 100
    dentry_page_size: int = 50
    unreadable: set[str] = field(default_factory=set)  # user/get answers 50002 for these
    denied: set[str] = field(default_factory=set)  # paths answering "no permission"
    oapi_token: str = field(default_factory=lambda: "oapi" + secrets.token_hex(12))
    api_token: str = field(default_factory=lambda: "api" + secrets.token_hex(12))
    _failures: dict[tuple[str, int], Answer] = field(default_factory=dict)
    _counts: Counter[str] = field(default_factory=Counter)

    # --- setting up ---------------------------------------------------------------------------

    def deny(self, path: str) -> None:
        self.denied.add(path)

    def fail_on(self, path: str, call: int, answer: Answer) -> None:
        """The ``call``-th request on ``path`` (1-based, scripted answers not counted) gets ``answer``."""
        self._failures[(path, call)] = answer

    @staticmethod
    def oapi_rate_limited() -> Answer:
        return oapi_error(90018, "当前企业所有用户调用该接口的频率超过限制")

    @staticmethod
    def topapi_rate_limited() -> Answer:
        return topapi_error("90018", "当前企业所有用户调用该接口的频率超过限制")

    @staticmethod
    def api_rate_limited() -> Answer:
        return api_error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "QPS限流")

    @staticmethod
    def ip_throttled(wait: int = 5) -> Answer:
        """The IP-level throttle (more than 10,000 calls in 20 s from one IP): HTTP 200 and no
        errcode, calls refused for ``wait`` minutes."""
        return json_answer(
            {"status": 1111, "wait": wait, "source": "x5", "punish": "deny", "uuid": secrets.token_hex(16)}
        )

    @classmethod
    def from_snapshot(
        cls, snapshot: Snapshot, *, chat_id: str | None = None, conversation_id: str | None = None, **kw: Any
    ) -> DingTalkPeer:
        """The group of ``snapshot`` as DingTalk holds it: its people (bots are not users),
        the chat (``chatid`` = ``chat_id`` or the group id) and its file space. Message records
        come from :func:`drop_records`."""
        group = snapshot.group
        people = [m for m in snapshot.members or () if not m.is_bot]
        users = {m.id: DingTalkUser(m.id, m.display_name, union_id(m.id)) for m in people}
        chat = DingTalkChat(
            chatid=chat_id or group.id,
            open_conversation_id=conversation_id or default_conversation_id(group.id),
            name=group.name,
            owner=group.owner_id,
            member_ids=[m.id for m in people],
            admin_ids=admin_ids(snapshot),
        )
        files = [
            DingTalkFile(
                id=f.id,
                name=f.name,
                creator_unionid=union_id(f.uploader_id) if f.uploader_id else None,
                created=f.uploaded_at,
                modified=f.updated_at,
                size=f.size_bytes,
                folder=f.folder,
            )
            for f in snapshot.files or ()
        ]
        return cls(users=users, chats=[chat], files={chat.open_conversation_id: files}, **kw)

    # --- routing ------------------------------------------------------------------------------

    def route(self, request: Request) -> Answer:
        self._counts[request.path] += 1
        failure = self._failures.pop((request.path, self._counts[request.path]), None)
        if failure is not None:
            return failure
        path, method = request.path, request.method
        if path == "/gettoken":
            return self._gettoken(request)
        if path == "/v1.0/oauth2/accessToken" and method == "POST":
            return self._access_token(request)
        if path.startswith("/oss/"):
            return self._resource(request)
        if path.startswith("/v1.0/"):
            return self._api(request)
        return self._oapi(request)

    def _gettoken(self, request: Request) -> Answer:
        if request.arg("appkey") != self.app_key or request.arg("appsecret") != self.app_secret:
            return oapi_error(40096, "不合法的appKey或appSecret")
        return json_answer(
            {"errcode": 0, "errmsg": "ok", "access_token": self.oapi_token, "expires_in": 7200}
        )

    def _access_token(self, request: Request) -> Answer:
        body = request.json() or {}
        if body.get("appKey") != self.app_key or body.get("appSecret") != self.app_secret:
            return api_error(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        return json_answer({"accessToken": self.api_token, "expireIn": 7200})

    # --- oapi.dingtalk.com --------------------------------------------------------------------

    def _oapi(self, request: Request) -> Answer:
        top = request.path.startswith("/topapi/")
        if request.arg("access_token") != self.oapi_token:
            return (
                topapi_error("40014", "不合法的access_token")
                if top
                else oapi_error(40014, "不合法的access_token")
            )
        if request.path in self.denied:
            message = "应用尚未开通所需的权限"
            return topapi_error("60011", message) if top else oapi_error(60011, message)
        handler = {
            "/chat/get": self._chat_get,
            "/topapi/im/chat/scenegroup/get": self._scene_get,
            "/topapi/im/chat/scenegroup/member/get": self._scene_members,
            "/topapi/v2/user/get": self._user_get,
        }.get(request.path)
        if handler is None:
            return json_answer({"errcode": 22, "errmsg": "Invalid method", "request_id": _request_id()})
        return handler(request)

    def _chat(self, key: str | None) -> DingTalkChat | None:
        return next((c for c in self.chats if key in (c.chatid, c.open_conversation_id)), None)

    def _chat_get(self, request: Request) -> Answer:
        chat = self._chat(request.arg("chatid"))
        if chat is None or request.arg("chatid") != chat.chatid:
            return oapi_error(40035, "不合法的参数")
        info = {
            "name": chat.name,
            "owner": chat.owner,
            "useridlist": chat.member_ids,
            "chatBannedType": 0,
            "conversationTag": 2,
            "searchable": 0,
            "validationType": 0,
            "mentionAllAuthority": 0,
            "managementType": 0,
            "showHistoryType": 0,
        }
        return json_answer({"errcode": 0, "errmsg": "ok", "chat_info": info})

    def _scene(self, request: Request) -> DingTalkChat | Answer:
        chat = self._chat((request.json() or {}).get("open_conversation_id"))
        if chat is None:
            return oapi_error(400020, "无访问权限")
        return chat

    def _scene_get(self, request: Request) -> Answer:
        chat = self._scene(request)
        if not isinstance(chat, DingTalkChat):
            return chat
        result = {
            "open_conversation_id": chat.open_conversation_id,
            "title": chat.name,
            "owner_staff_id": chat.owner,
            "sub_admin_staff_ids": chat.admin_ids,
            "template_id": "tpl-audit",
            "icon": "@lADO-icon",
            "management_options": {"chat_banned_type": "0", "searchable": "0"},
        }
        return json_answer({"errcode": 0, "errmsg": "ok", "success": True, "result": result})

    def _scene_members(self, request: Request) -> Answer:
        chat = self._scene(request)
        if not isinstance(chat, DingTalkChat):
            return chat
        body = request.json() or {}
        cursor = str(body.get("cursor") or "0")
        start = 0 if cursor == "0" else int(cursor.removeprefix("c")) if cursor.startswith("c") else -1
        if start < 0:
            return oapi_error(40035, "无效的请求参数")
        size = min(int(body.get("size") or 10), self.member_page_size)
        page = chat.member_ids[start : start + size]
        more = start + size < len(chat.member_ids)
        nicks = {uid: chat.nicks[uid] for uid in page if uid in chat.nicks}
        result = {
            "member_user_ids": page,
            "has_more": more,
            "next_cursor": f"c{start + size}" if more else None,
            "staff_id_nick_map": nicks,
        }
        return json_answer({"errcode": 0, "errmsg": "ok", "success": True, "result": result})

    def _user_get(self, request: Request) -> Answer:
        userid = (request.json() or {}).get("userid")
        user = self.users.get(userid) if isinstance(userid, str) else None
        if user is None:
            return topapi_error("60121", "找不到该用户")
        if userid in self.unreadable:
            return topapi_error("50002", "员工不在权限范围")
        result = {"userid": user.userid, "unionid": user.unionid, "name": user.name, "active": True}
        return json_answer({"errcode": 0, "errmsg": "ok", "result": result, "request_id": _request_id()})

    # --- api.dingtalk.com ---------------------------------------------------------------------

    def _api(self, request: Request) -> Answer:
        token = request.header(TOKEN_HEADER)
        if not token:
            return api_error(400, "AuthenticationFailed.MissingParameter", f"缺少参数：{TOKEN_HEADER}")
        if token != self.api_token:
            return api_error(400, "InvalidAuthentication", "不合法的access_token")
        if request.path in self.denied:
            return api_error(
                403, "Forbidden.AccessDenied.AccessTokenPermissionDenied", "没有调用该接口的权限"
            )
        parts = request.path.strip("/").split("/")
        if (
            request.method == "POST"
            and parts[:3] == ["v1.0", "im", "chat"]
            and parts[-1:] == ["convertToOpenConversationId"]
        ):
            chat = self._chat(parts[3])
            if chat is None or chat.chatid != parts[3]:
                return api_error(400, "chat.notExist", "会话不存在")
            return json_answer({"openConversationId": chat.open_conversation_id})
        if request.method == "POST" and request.path == "/v1.0/convFile/conversations/spaces/query":
            return self._space(request)
        if parts[:3] == ["v1.0", "storage", "spaces"] and len(parts) >= 5 and parts[4] == "dentries":
            if request.method == "GET" and len(parts) == 5:
                return self._dentries(request, parts[3])
            if request.method == "POST" and parts[6:] == ["downloadInfos", "query"]:
                return self._download_info(request, parts[3], parts[5])
        return api_error(404, "resource.not.found", "资源不存在")

    def _operator(self, request: Request, chat: DingTalkChat) -> Answer | None:
        union = request.arg("unionId")
        member_unions = {self.users[u].unionid for u in chat.member_ids if u in self.users}
        if not union:
            return api_error(400, "MissingunionId", "unionId is mandatory for this action.")
        if union not in member_unions:
            return api_error(403, "Forbidden.AccessDenied.AccessTokenPermissionDenied", "操作人不在群内")
        return None

    def _space(self, request: Request) -> Answer:
        chat = self._chat((request.json() or {}).get("openConversationId"))
        if chat is None:
            return api_error(400, "cidParse.wrong", "群ID解码失败")
        refused = self._operator(request, chat)
        if refused is not None:
            return refused
        space = {
            "spaceId": space_id_of(chat.chatid),
            "corpId": "dingcorp",
            "createTime": "2025-03-01T02:00Z",
            "modifiedTime": "2025-03-01T02:00Z",
        }
        return json_answer({"space": space})

    def _space_chat(self, space_id: str) -> DingTalkChat | None:
        return next((c for c in self.chats if space_id_of(c.chatid) == space_id), None)

    def _folder_ids(self, chat: DingTalkChat) -> dict[str, str]:
        """folder path -> dentry id; every prefix of every file's folder is a folder."""
        paths = sorted(
            {
                "/".join(f.folder.split("/")[: i + 1])
                for f in self.files.get(chat.open_conversation_id, ())
                if f.folder
                for i in range(len(f.folder.split("/")))
            }
        )
        return {path: f"folder-{n}" for n, path in enumerate(paths, start=1)}

    def _dentries(self, request: Request, space_id: str) -> Answer:
        chat = self._space_chat(space_id)
        if chat is None:
            return api_error(404, "dentryNotExist", "文件不存在")
        refused = self._operator(request, chat)
        if refused is not None:
            return refused
        folders = self._folder_ids(chat)
        parent_path = {v: k for k, v in folders.items()}.get(request.arg("parentId") or "")
        if request.arg("parentId") != "0" and parent_path is None:
            return api_error(404, "dentryNotExist", "父目录不存在")
        entries: list[dict[str, Any]] = []
        for path, folder_id in folders.items():
            parent, _, name = path.rpartition("/")
            if (parent or None) == parent_path:
                entries.append(self._folder_entry(space_id, folder_id, name, request.arg("parentId") or "0"))
        for f in self.files.get(chat.open_conversation_id, ()):
            if f.folder == parent_path:
                entries.append(self._file_entry(space_id, f, request.arg("parentId") or "0"))
        size = min(int(request.arg("maxResults") or 50), self.dentry_page_size)
        token = request.arg("nextToken")
        start = int(token.removeprefix("t")) if token and token.startswith("t") else 0
        page = entries[start : start + size]
        answer: dict[str, Any] = {"dentries": page}
        if start + size < len(entries):
            answer["nextToken"] = f"t{start + size}"
        return json_answer(answer)

    @staticmethod
    def _folder_entry(space_id: str, folder_id: str, name: str, parent_id: str) -> dict[str, Any]:
        return {
            "id": folder_id,
            "spaceId": space_id,
            "parentId": parent_id,
            "type": "FOLDER",
            "name": name,
            "status": "NORMAL",
            "createTime": "2025-03-01T02:00Z",
            "modifiedTime": "2025-03-01T02:00Z",
        }

    @staticmethod
    def _file_entry(space_id: str, f: DingTalkFile, parent_id: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": f.id,
            "spaceId": space_id,
            "parentId": parent_id,
            "type": "FILE",
            "name": f.name,
            "path": f"/{f.folder}/{f.name}" if f.folder else f"/{f.name}",
            "extension": f.name.rpartition(".")[2] if "." in f.name else "",
            "status": f.status,
            "version": 1,
            "createTime": storage_time(f.created),
            "modifiedTime": storage_time(f.modified or f.created),
            "partitionType": "PUBLIC_OSS_PARTITION",
            "storageDriver": "DINGTALK",
            "uuid": f"uuid-{f.id}",
        }
        if f.size is not None:
            entry["size"] = f.size
        if f.creator_unionid:
            entry["creatorId"] = entry["modifierId"] = f.creator_unionid
        return entry

    def _download_info(self, request: Request, space_id: str, dentry_id: str) -> Answer:
        chat = self._space_chat(space_id)
        if chat is None:
            return api_error(404, "dentryNotExist", "文件不存在")
        refused = self._operator(request, chat)
        if refused is not None:
            return refused
        if not any(f.id == dentry_id for f in self.files.get(chat.open_conversation_id, ())):
            return api_error(404, "dentryNotExist", "文件不存在")
        info = {
            "resourceUrls": [f"{self.url}/oss/{space_id}/{dentry_id}?Expires=900&Signature=sig"],
            "headers": {"Authorization": f"OSS sig-{dentry_id}", "x-oss-date": "now"},
            "expirationSeconds": 900,
            "region": "ZHANGJIAKOU",
        }
        return json_answer({"protocol": "HEADER_SIGNATURE", "headerSignatureInfo": info})

    def _resource(self, request: Request) -> Answer:
        _, _, space_id, dentry_id = request.path.split("/", 3)
        if request.header("Authorization") != f"OSS sig-{dentry_id}":
            return 403, {"Content-Type": "application/xml"}, b"<Error><Code>AccessDenied</Code></Error>"
        chat = self._space_chat(space_id)
        found = (
            next((f for f in self.files.get(chat.open_conversation_id, ()) if f.id == dentry_id), None)
            if chat
            else None
        )
        if found is None:
            return 404, {"Content-Type": "application/xml"}, b"<Error><Code>NoSuchKey</Code></Error>"
        return 200, {"Content-Type": "application/octet-stream"}, found.content


def admin_ids(snapshot: Snapshot) -> list[str]:
    """The group's admins: ``group.admin_ids`` and the members whose role is admin."""
    people = [m.id for m in snapshot.members or () if m.role == "admin" and not m.is_bot]
    return list(dict.fromkeys([*(snapshot.group.admin_ids or ()), *people]))


def union_id(user_id: str) -> str:
    return f"union-{user_id}"


# --- robot records ----------------------------------------------------------------------------


def drop_records(
    snapshot: Snapshot, conversation_id: str | None = None, *, chat_id: str | None = None
) -> list[dict[str, Any]]:
    """The robot callback records of ``snapshot``'s messages, as a drop would hold them.

    In DingTalk's own shapes: a file message names the group-space file by ``content.fileId``
    and ``content.spaceId`` (the space of ``chat_id``, default the group id) beside
    ``downloadCode`` and ``fileName``; a text that quotes carries ``text.isReplyMsg`` and
    ``text.repliedMsg`` ``{msgId, msgType, senderId, createdAt, content}``; a picture that
    quotes is a ``richText`` record with ``content.repliedMsg``. With the documented extensions
    for what a callback cannot say: file hash and size, @all, bots, notices, system events,
    quote roots (``repliedMsg.rootMsgId``), and the top-level ``repliedMsg`` of other quotes."""
    group = snapshot.group
    cid = conversation_id or default_conversation_id(group.id)
    space = space_id_of(chat_id or group.id)
    names = {m.id: m.display_name for m in snapshot.members or ()}
    bots = {m.id for m in snapshot.members or () if m.is_bot}
    files = {f.id: f for f in snapshot.files or ()}
    by_id = {m.id: m for m in snapshot.messages or ()}
    records = []
    for m in snapshot.messages or ():
        record: dict[str, Any] = {
            "conversationId": cid,
            "conversationType": "2",
            "conversationTitle": group.name,
            "msgId": m.id,
            "createAt": _ms(m.sent_at),
            "senderStaffId": m.sender_id,
            "senderId": dingtalk_id(m.sender_id),
            "senderNick": names.get(m.sender_id, m.sender_id),
            "chatbotUserId": ROBOT_ID,
            "robotCode": "dingrobotcode",
            "isInAtList": True,
            "atUsers": [{"dingtalkId": ROBOT_ID}]
            + [{"dingtalkId": dingtalk_id(uid), "staffId": uid} for uid in m.mentions or ()],
        }
        record.update(_body(m, files, space))
        if m.sender_id in bots:
            record["senderIsBot"] = True
        if m.mention_all:
            record["isAtAll"] = True
        if m.reply_to_id:
            replied = _replied(by_id.get(m.reply_to_id), m.reply_to_id, files)
            if m.thread_id:
                replied["rootMsgId"] = m.thread_id
            if "text" in record and record["msgtype"] == "text":
                record["text"].update({"isReplyMsg": True, "repliedMsg": replied})
            elif record["msgtype"] == "richText":
                record["content"].update({"isReplyMsg": True, "repliedMsg": replied})
            else:
                record["repliedMsg"] = replied
        records.append(record)
    return records


def dingtalk_id(user_id: str) -> str:
    return f"$:LWCP_v1:${user_id}"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _replied(quoted: Any, msg_id: str, files: dict[str, Any]) -> dict[str, Any]:
    """``repliedMsg`` as DingTalk fills it for the quoted message (its id, type, sender, time and
    content); only the id when the quoted message is not in the snapshot."""
    if quoted is None:
        return {"msgId": msg_id}
    body = _body(quoted, files, "")
    msgtype = body["msgtype"]
    content = body.get("content") if isinstance(body.get("content"), dict) else {}
    if msgtype == "text":
        content = {"content": quoted.text or ""}
    return {
        "msgId": msg_id,
        "msgType": msgtype,
        "senderId": dingtalk_id(quoted.sender_id),
        "createdAt": _ms(quoted.sent_at),
        "content": content,
    }


def _body(message: Any, files: dict[str, Any], space: str) -> dict[str, Any]:
    kind, text = message.type or "text", message.text
    code = f"dl-{message.id}"
    if kind == "image":
        if message.reply_to_id:  # a picture with a quote is sent as rich text
            part = {"type": "picture", "downloadCode": code, "pictureDownloadCode": code}
            return {"msgtype": "richText", "content": {"richText": [part]}}
        return {"msgtype": "picture", "content": {"downloadCode": code}}
    if kind == "voice":
        return {
            "msgtype": "audio",
            "content": {"downloadCode": code, "recognition": text or "", "duration": 3000},
        }
    if kind == "video":
        return {"msgtype": "video", "content": {"downloadCode": code, "videoType": "mp4", "duration": 3000}}
    if kind == "file":
        f = files.get(message.file_id)
        content: dict[str, Any] = {"downloadCode": code}
        if message.file_id:
            content["fileId"] = message.file_id
            if space:
                content["spaceId"] = space
        if f is not None:
            content["fileName"] = f.name
            if f.size_bytes is not None:
                content["fileSize"] = f.size_bytes
            if f.sha256:
                content["sha256"] = f.sha256
        return {"msgtype": "file", "content": content}
    if kind == "link":
        return {"msgtype": "link", "link": {"title": text or "", "text": text or "", "messageUrl": ""}}
    if kind in ("notice", "system"):
        return {"msgtype": kind, "text": {"content": text or ""}}
    return {"msgtype": "text", "text": {"content": text or ""}}

"""A loopback WeCom (企业微信): access tokens, customer-group and archive-room details, member
names, with WeCom's error bodies; and the records a message-archive job would drop to S3.

Served, as documented on developer.work.weixin.qq.com:

- ``GET /cgi-bin/gettoken?corpid=…&corpsecret=…`` -> ``{errcode 0, errmsg "ok", access_token,
  expires_in 7200}``; a wrong corp id 40013, a wrong secret 40001 (missing ones 41002 / 41004).
  Two apps: the customer-contact app (``customer_secret``) and the message archive
  (``archive_secret``); each token remembers its app.
- ``POST /cgi-bin/externalcontact/groupchat/get`` ``{"chat_id", "need_name"}`` -> ``group_chat``
  (member names only with ``need_name: 1``); customer-contact token only (else 48002); an
  unknown chat 40050 "invalid group id".
- ``POST /cgi-bin/msgaudit/groupchat/get`` ``{"roomid"}`` -> ``{roomname, creator,
  room_create_time, notice, members [{memberid, jointime}]}``; archive token only (else 48002);
  an unknown room 40050 as well (the msgaudit page documents only 301052, archive expired).
- ``GET /cgi-bin/user/get?userid=…`` -> ``{userid, name, …}``; an unknown userid 60111, one
  outside the app's visible range (``invisible``) 60011.

Every call but gettoken checks ``access_token``: missing 41001, unknown 40014, expired
(:meth:`WeComPeer.expire_tokens`) 42001. Errors are HTTP 200 with ``errcode``/``errmsg`` as WeCom
writes them (``…, hint: […], from ip: …, more info at …?e=CODE``). None of these APIs pages: a
group's members come whole in one answer. Rate limits are scripted with
``peer.script(path, error_answer(45009))`` (45009 "api freq out of limit", -1 "system busy").

WeCom has no HTTP API for messages: :func:`archive_records` writes a snapshot's messages as the
decrypted archive records (document 91774) and :func:`write_drops` puts them in files, as the
customer's archive job would drop them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from groupaudit.contracts import Snapshot
from groupaudit.local.peers.base import Answer, Peer, Request, json_answer

TOKEN_PATH = "/cgi-bin/gettoken"
CUSTOMER_GROUP_PATH = "/cgi-bin/externalcontact/groupchat/get"
INTERNAL_GROUP_PATH = "/cgi-bin/msgaudit/groupchat/get"
USER_PATH = "/cgi-bin/user/get"
CUSTOMER, ARCHIVE = "customer", "archive"  # the two apps whose secrets the peer knows
ERRMSG: dict[int, str] = {
    -1: "system busy",
    40001: "invalid credential",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40050: "invalid group id",
    41001: "access_token missing",
    41002: "corpid missing",
    41004: "corpsecret missing",
    42001: "access_token expired",
    45009: "api freq out of limit",
    47001: "data format error",
    48002: "api forbidden",
    60011: "no privilege to access/modify contact/party/agent",
    60111: "userid not found",
    301052: "msgaudit service expired",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def error_answer(code: int, message: str | None = None) -> Answer:
    """WeCom's error body (always HTTP 200)."""
    text = message or ERRMSG.get(code, "error")
    return json_answer(
        {
            "errcode": code,
            "errmsg": f"{text}, hint: [1732699544_7_{abs(code):06d}], from ip: 127.0.0.1, "
            f"more info at https://open.work.weixin.qq.com/devtool/query?e={code}",
        }
    )


def ok(**payload: Any) -> Answer:
    return json_answer({"errcode": 0, "errmsg": "ok", **payload})


# --- the platform's state ----------------------------------------------------------------------


@dataclass
class ChatMember:
    """One entry of a customer group's ``member_list``."""

    userid: str
    type: int = 1  # 1 staff, 2 external contact (wm…/wo…)
    join_time: int = 0
    join_scene: int = 1
    invitor: str | None = None
    group_nickname: str = ""
    name: str = ""
    unionid: str | None = None

    def payload(self, need_name: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "userid": self.userid,
            "type": self.type,
            "join_time": self.join_time,
            "join_scene": self.join_scene,
            "group_nickname": self.group_nickname,
        }
        if self.invitor:
            out["invitor"] = {"userid": self.invitor}
        if self.unionid and self.type == 2:
            out["unionid"] = self.unionid
        if need_name:
            out["name"] = self.name
        return out


@dataclass
class CustomerChat:
    chat_id: str
    name: str
    owner: str
    create_time: int = 0
    notice: str = ""
    members: list[ChatMember] = field(default_factory=list)
    admins: list[str] = field(default_factory=list)


@dataclass
class ArchiveRoom:
    """An internal group as ``msgaudit/groupchat/get`` describes it."""

    roomid: str
    roomname: str
    creator: str
    room_create_time: int = 0
    notice: str = ""
    members: list[tuple[str, int]] = field(default_factory=list)  # (memberid, jointime)


@dataclass
class WeComPeer(Peer):
    name: str = "wecom"
    corp_id: str = "ww5f3a0c1d2e4b6a78"
    customer_secret: str = "cc-secret-T2r8QeZ1vB7nXk4m"
    archive_secret: str = "ma-secret-H9s3LwP6dF0yUc5j"
    chats: dict[str, CustomerChat] = field(default_factory=dict)
    rooms: dict[str, ArchiveRoom] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # userid -> name, for user/get
    invisible: set[str] = field(default_factory=set)  # user/get answers 60011 for these
    tokens: dict[str, str] = field(default_factory=dict)  # token -> app
    expired: set[str] = field(default_factory=set)

    def credentials(self, variant: str = "customer") -> dict[str, str]:
        """The secret JSON a tenant would store for this variant."""
        secret = self.archive_secret if variant == "internal" else self.customer_secret
        return {"corp_id": self.corp_id, "secret": secret}

    def expire_tokens(self) -> None:
        """Every token handed out so far now answers 42001."""
        self.expired.update(self.tokens)

    # --- seeding from a snapshot --------------------------------------------------------------

    @classmethod
    def from_snapshot(
        cls,
        snapshot: Snapshot,
        *,
        variant: str = "customer",
        chat_id: str | None = None,
        names: Mapping[str, str] | None = None,
        **kw: Any,
    ) -> WeComPeer:
        """A WeCom holding the snapshot's group as a customer group (or, ``variant="internal"``,
        an archive room) under ``chat_id`` (default: the group id). Ids stay as they are, but
        for bots (see :func:`platform_ids`), which are not listed (WeCom lists no robots:
        they appear as senders). ``names`` gives members' real names (``name``), the display
        name becoming the group nickname; without one, the display name is both. Members in
        ``allowed_external_ids`` (or with ids wm…/wo…) are external contacts."""
        peer = cls(**kw)
        group = snapshot.group
        chat_id = chat_id or group.id
        ids = platform_ids(snapshot)
        people = [m for m in snapshot.members or () if not m.is_bot]
        external = set(group.allowed_external_ids or ())
        owner = group.owner_id or next((m.id for m in people if m.role == "owner"), None)
        owner = owner or (people[0].id if people else "")
        created = _seconds(group.created_at)
        for member in people:
            peer.users[ids[member.id]] = (names or {}).get(member.id) or member.display_name
        if variant == "internal":
            peer.rooms[chat_id] = ArchiveRoom(
                roomid=chat_id,
                roomname=group.name,
                creator=ids.get(group.created_by or owner, group.created_by or owner),
                room_create_time=created,
                members=[(ids[m.id], _seconds(m.joined_at) or created) for m in people],
            )
            return peer
        admins = group.admin_ids or [m.id for m in people if m.role == "admin"]
        peer.chats[chat_id] = CustomerChat(
            chat_id=chat_id,
            name=group.name,
            owner=ids.get(owner, owner),
            create_time=created,
            members=[
                ChatMember(
                    userid=ids[m.id],
                    type=2 if m.id in external or m.id.startswith(("wm", "wo")) else 1,
                    join_time=_seconds(m.joined_at),
                    group_nickname=m.display_name,
                    name=peer.users[ids[m.id]],
                )
                for m in people
            ],
            admins=[ids.get(a, a) for a in admins],
        )
        return peer

    # --- the API ------------------------------------------------------------------------------

    def route(self, request: Request) -> Answer:
        if request.path == TOKEN_PATH:
            return self._token(request)
        routes = {
            CUSTOMER_GROUP_PATH: self._customer_group,
            INTERNAL_GROUP_PATH: self._internal_group,
            USER_PATH: self._user,
        }
        handler = routes.get(request.path)
        if handler is None:
            return json_answer({"errcode": 404, "errmsg": "not found"}, 404)
        token = request.arg("access_token")
        if not token:
            return error_answer(41001)
        if token in self.expired:
            return error_answer(42001)
        if token not in self.tokens:
            return error_answer(40014)
        return handler(request, self.tokens[token])

    def _token(self, request: Request) -> Answer:
        corp_id, secret = request.arg("corpid"), request.arg("corpsecret")
        if not corp_id:
            return error_answer(41002)
        if not secret:
            return error_answer(41004)
        if corp_id != self.corp_id:
            return error_answer(40013)
        apps = {self.customer_secret: CUSTOMER, self.archive_secret: ARCHIVE}
        if secret not in apps:
            return error_answer(40001)
        token = f"tok-{apps[secret]}-{len(self.tokens) + 1:04d}-Zq81mXv0"
        self.tokens[token] = apps[secret]
        return ok(access_token=token, expires_in=7200)

    def _customer_group(self, request: Request, app: str) -> Answer:
        if app != CUSTOMER:
            return error_answer(48002)
        body = _body(request)
        if body is None:
            return error_answer(47001)
        chat = self.chats.get(body.get("chat_id", ""))
        if chat is None:
            return error_answer(40050)
        need_name = body.get("need_name") == 1
        return ok(
            group_chat={
                "chat_id": chat.chat_id,
                "name": chat.name,
                "owner": chat.owner,
                "create_time": chat.create_time,
                "notice": chat.notice,
                "member_list": [m.payload(need_name) for m in chat.members],
                "admin_list": [{"userid": a} for a in chat.admins],
                "member_version": f"{len(chat.members):032x}",
            }
        )

    def _internal_group(self, request: Request, app: str) -> Answer:
        if app != ARCHIVE:
            return error_answer(48002)
        body = _body(request)
        if body is None:
            return error_answer(47001)
        room = self.rooms.get(body.get("roomid", ""))
        if room is None:
            return error_answer(40050)
        return ok(
            roomname=room.roomname,
            creator=room.creator,
            room_create_time=room.room_create_time,
            notice=room.notice,
            members=[{"memberid": m, "jointime": t} for m, t in room.members],
        )

    def _user(self, request: Request, app: str) -> Answer:
        userid = request.arg("userid") or ""
        if userid in self.invisible:
            return error_answer(60011)
        if userid not in self.users:
            return error_answer(60111)
        return ok(userid=userid, name=self.users[userid], department=[1], status=1)


def _body(request: Request) -> dict[str, Any] | None:
    try:
        body = request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _seconds(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else 0


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


# --- the message archive -----------------------------------------------------------------------


def platform_ids(snapshot: Snapshot) -> dict[str, str]:
    """Snapshot member id -> WeCom id: the same, but bots get the robot prefix ``wb`` (WeCom
    tells robots by it). Pull with ``IdMap({wecom: snapshot id})`` to get the snapshot's ids."""
    return {
        m.id: f"wb{m.id}" if m.is_bot and not m.id.startswith("wb") else m.id for m in snapshot.members or ()
    }


def record(
    msgid: str,
    sender: str,
    sent_at: datetime,
    roomid: str,
    msgtype: str,
    body: Any = None,
    *,
    tolist: Iterable[str] = (),
) -> dict[str, Any]:
    """One decrypted archive record (action send)."""
    out: dict[str, Any] = {
        "msgid": msgid,
        "action": "send",
        "from": sender,
        "tolist": list(tolist),
        "roomid": roomid,
        "msgtime": _ms(sent_at),
        "msgtype": msgtype,
    }
    if body is not None:
        out[msgtype] = body
    return out


def recall_record(msgid: str, recalled: str, sender: str, at: datetime, roomid: str) -> dict[str, Any]:
    """A recall: the archive's ``action: recall`` with a ``revoke`` naming the original."""
    out = record(msgid, sender, at, roomid, "revoke", {"pre_msgid": recalled})
    out["action"] = "recall"
    return out


def file_body(
    name: str, size: int | None, sha256: str | None = None, *, sdkfileid: str = ""
) -> dict[str, Any]:
    ext = name.rsplit(".", 1)[1] if "." in name else ""
    body: dict[str, Any] = {
        "md5sum": "",
        "filename": name,
        "fileext": ext,
        "filesize": size or 0,
        "sdkfileid": sdkfileid or "CtYBMzA2OTAy" + hashlib.md5(name.encode()).hexdigest(),
    }
    if sha256:
        body["sha256"] = sha256  # the archive job's addition after fetching the bytes
    return body


def quote_text(name: str, quoted: str, reply: str) -> str:
    """A quote reply as the archive writes it: one text holding the quoted sender's name, the
    quoted text and the reply, ``这是一条引用/回复消息：\\n"<name>：\\n<quoted>"\\n------\\n<reply>``."""
    return f'这是一条引用/回复消息：\n"{name}：\n{quoted}"\n------\n{reply}'


def archive_records(snapshot: Snapshot, *, chat_id: str | None = None) -> list[dict[str, Any]]:
    """The snapshot's messages as the archive records a job would drop, in time order.

    What WeCom cannot hold is lost on the way: a file message carries no text; system
    messages have no record (the archive logs no joins or renames); image/voice/video records
    carry no text; threads have no field; a mention is only its ``@name`` in the text. A text
    message that quotes (``reply_to_id``) a text message of the snapshot is written as WeCom
    writes a quote reply (:func:`quote_text`, the quoted sender by their group nickname); a
    quote of anything else keeps only its reply. A file no message shares becomes a file
    message of its own (msgid = the file id, from its uploader at its upload time): in WeCom a
    group file exists only as a message.
    """
    roomid = chat_id or snapshot.group.id
    ids = platform_ids(snapshot)
    people = [ids[m.id] for m in snapshot.members or () if not m.is_bot]
    names = {m.id: m.display_name for m in snapshot.members or ()}
    files = {f.id: f for f in snapshot.files or ()}
    shared = {m.file_id for m in snapshot.messages or () if m.file_id}
    by_id = {m.id: m for m in snapshot.messages or ()}
    owner = snapshot.group.owner_id or (people[0] if people else "")
    out = []
    for message in snapshot.messages or ():
        sender = ids.get(message.sender_id, message.sender_id)
        kind = message.type or "text"
        tolist = [p for p in people if p != sender]
        if kind == "system":
            continue
        if message.file_id:
            file = files.get(message.file_id)
            body = (
                file_body(file.name, file.size_bytes, file.sha256)
                if file
                else file_body(message.file_id, None)
            )
            out.append(record(message.id, sender, message.sent_at, roomid, "file", body, tolist=tolist))
        elif kind in ("image", "voice", "video"):
            body = {"md5sum": "", "sdkfileid": ""}
            out.append(record(message.id, sender, message.sent_at, roomid, kind, body, tolist=tolist))
        elif kind == "link":
            body = {"title": message.text or "", "description": "", "link_url": "", "image_url": ""}
            out.append(record(message.id, sender, message.sent_at, roomid, "link", body, tolist=tolist))
        else:
            content = message.text or ""
            quoted = by_id.get(message.reply_to_id or "")
            if quoted is not None and (quoted.type or "text") == "text" and not quoted.file_id:
                name = names.get(quoted.sender_id, quoted.sender_id)
                content = quote_text(name, quoted.text or "", content)
            body = {"content": content}
            out.append(record(message.id, sender, message.sent_at, roomid, "text", body, tolist=tolist))
    for file in files.values():
        if file.id in shared:
            continue
        sender = ids.get(file.uploader_id or owner, file.uploader_id or owner)
        body = file_body(file.name, file.size_bytes, file.sha256)
        out.append(record(file.id, sender, file.uploaded_at, roomid, "file", body))
    out.sort(key=lambda r: r["msgtime"])
    return out


def write_drops(folder: Path, records: list[dict[str, Any]], *, per_object: int = 100) -> list[Path]:
    """Records as JSON Lines files of ``per_object`` records (one per archive batch)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, start in enumerate(range(0, len(records), per_object), start=1):
        path = folder / f"chatdata-{number:04d}.jsonl"
        lines = (json.dumps(r, ensure_ascii=False) for r in records[start : start + per_object])
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written

"""The DingTalk source against the loopback DingTalk peer (real HTTP on 127.0.0.1): the API side
(chat, scene groups, names, the group file space), dropped robot records, and the failures
DingTalk answers with (errcode on HTTP 200, {code, message} on 4xx, rate limits)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import msgspec
import pytest
from moto import mock_aws

from groupaudit.cli import main
from groupaudit.connectors import dingtalk
from groupaudit.connectors.base import (
    FolderDrops,
    IdMap,
    NoDrops,
    PullRequest,
    S3Drops,
    parse_records,
    pull_snapshot,
)
from groupaudit.connectors.http import Http, PlatformError
from groupaudit.contracts import Message, Snapshot
from groupaudit.errors import InputError
from groupaudit.loading import load_snapshot
from groupaudit.local.peers.base import json_answer
from groupaudit.local.peers.dingtalk import (
    ROBOT_ID,
    DingTalkChat,
    DingTalkFile,
    DingTalkPeer,
    DingTalkUser,
    admin_ids,
    api_error,
    default_conversation_id,
    dingtalk_id,
    drop_records,
    oapi_error,
    space_id_of,
    topapi_error,
    union_id,
)
from groupaudit.service import audit_snapshot, load_local_inputs
from kit import ROOT, TENANT

SALES = TENANT / "snapshots" / "sales.json"
TAKEN_AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
CID = "cidTEAM42=="
DENTRIES = "/v1.0/storage/spaces/space-chatTEAM42/dentries"


# --- helpers ----------------------------------------------------------------------------------


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _write_drops(folder: Path, records: list[dict[str, Any]], name: str = "drop.jsonl") -> FolderDrops:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8"
    )
    return FolderDrops(folder)


def _request(peer: DingTalkPeer, chat_id: str, **kw: Any) -> PullRequest:
    fields: dict[str, Any] = {
        "platform": "dingtalk",
        "tenant_id": "acme",
        "group_id": "grp-team",
        "chat_id": chat_id,
        "taken_at": TAKEN_AT,
        "since": TAKEN_AT - timedelta(days=30),
        "credentials": {"app_key": peer.app_key, "app_secret": peer.app_secret},
        "base_url": peer.url,
        "kind": "project",
    }
    return PullRequest(**{**fields, **kw})


def _http(peer: DingTalkPeer, sleeps: Sleeps | None = None, **kw: Any) -> Http:
    return Http(
        "dingtalk", peer.url, secrets=(peer.app_secret,), sleep=Sleeps() if sleeps is None else sleeps, **kw
    )


def _record(msg_id: str, at: datetime, sender: str = "u-li", text: str | None = "hi", **extra: Any) -> dict:
    record: dict[str, Any] = {
        "conversationId": CID,
        "conversationType": "2",
        "msgId": msg_id,
        "createAt": _ms(at),
        "senderStaffId": sender,
        "senderId": f"$:LWCP_v1:${sender}",
        "senderNick": sender,
        "chatbotUserId": ROBOT_ID,
        "isInAtList": True,
        "atUsers": [{"dingtalkId": ROBOT_ID}],
        "msgtype": "text",
        "text": {"content": f" {text}"},
    }
    return {**record, **extra}


def _quote(record: dict, replied: str) -> dict:
    """A quote reply as DingTalk delivers it: ``text.isReplyMsg`` and ``text.repliedMsg``."""
    record["text"].update({"isReplyMsg": True, "repliedMsg": {"msgId": replied, "msgType": "text"}})
    return record


def _team_peer(**kw: Any) -> DingTalkPeer:
    """A small chat group: owner u-head, members u-li, u-zhang, u-wang; two files."""
    users = {
        uid: DingTalkUser(uid, name, union_id(uid))
        for uid, name in [("u-head", "刘强"), ("u-li", "李四"), ("u-zhang", "张三"), ("u-wang", "王五")]
    }
    chat = DingTalkChat(
        chatid="chatTEAM42",
        open_conversation_id=CID,
        name="项目群",
        owner="u-head",
        member_ids=list(users),
        admin_ids=["u-li"],
        nicks={"u-wang": "老王"},
    )
    files = [
        DingTalkFile(
            "d-plan", "方案 v1.docx", union_id("u-li"), datetime(2026, 11, 1, 2, 0, tzinfo=UTC), size=10
        ),
        DingTalkFile(
            "d-deep",
            "纪要.docx",
            union_id("u-zhang"),
            datetime(2026, 11, 3, 4, 5, tzinfo=UTC),
            modified=datetime(2026, 11, 5, 6, 7, tzinfo=UTC),
            size=20,
            folder="会议/十一月",
            content=b"minutes",
        ),
    ]
    return DingTalkPeer(users=users, chats=[chat], files={CID: files}, **kw)


def _without_platform_gaps(snapshot: Snapshot, scene: bool = False) -> Snapshot:
    """What DingTalk can carry of a snapshot: no join times, creation facts, department, admins
    (but in scene groups), silent bots, file access times, hashes of files no message shared,
    text of file messages, urgent marks."""
    replace = msgspec.structs.replace
    hashed = {m.file_id for m in snapshot.messages or () if m.type == "file"}
    posters = {m.sender_id for m in snapshot.messages or ()}
    admins = admin_ids(snapshot) if scene else []
    return replace(
        snapshot,
        group=replace(
            snapshot.group,
            department=None,
            admin_ids=admins or None,
            created_by=None,
            created_at=None,
            exempt_member_ids=None,
        ),
        members=[
            replace(
                m, joined_at=None, role=_role(m, snapshot.group.owner_id, admins), is_bot=m.is_bot or None
            )
            for m in snapshot.members or ()
            if not m.is_bot or m.id in posters
        ],
        messages=[
            replace(m, text=None if m.type == "file" else m.text, urgent=None, mentions=m.mentions or None)
            for m in snapshot.messages or ()
        ],
        files=[
            replace(f, last_accessed_at=None, sha256=f.sha256 if f.id in hashed else None, download_url=None)
            for f in snapshot.files or ()
        ],
    )


def _role(member: Any, owner: str | None, admins: list[str]) -> str | None:
    return "owner" if member.id == owner else "admin" if member.id in admins else None


def _findings(snapshot: Snapshot) -> list[tuple]:
    inputs = load_local_inputs(TENANT / "policy.yaml", TENANT / "directory.json", TENANT / "backups")
    report = audit_snapshot(
        snapshot,
        policies=inputs.policies,
        directory=inputs.directory,
        backups=inputs.backups,
        fetch_hashes=False,
    )
    return sorted((f.rule, f.kind, f.subject_id, f.message_id, f.file_id) for f in report.findings)


def _normal(items: list[Any]) -> list[dict]:
    """Structs as plain dicts without absent fields, ordered by id, times as instants."""
    out = []
    for item in items:
        data = {k: v for k, v in msgspec.structs.asdict(item).items() if v not in (None, False, ())}
        out.append({k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in data.items()})
    return sorted(out, key=lambda d: d["id"])


# --- round trip -------------------------------------------------------------------------------


def _round_trip(original: Snapshot, tmp_path: Path, variant: str = "chat") -> Snapshot:
    peer = DingTalkPeer.from_snapshot(original)
    with peer:
        drops = _write_drops(tmp_path / "drops", drop_records(original))
        request = _request(
            peer,
            original.group.id if variant == "chat" else default_conversation_id(original.group.id),
            variant=variant,
            group_id=original.group.id,
            name=None,
            taken_at=original.taken_at,
            since=original.taken_at - timedelta(days=120),
            kind=original.group.kind,
            drops=drops,
        )
        return pull_snapshot(request, _http(peer))


@pytest.mark.parametrize(
    ("name", "variant"),
    [("sales", "chat"), ("company", "chat"), ("management", "chat"), ("management", "scene")],
)
def test_sample_snapshots_round_trip_through_the_api_and_dropped_records(name, variant, tmp_path):
    # GIVEN a sample DingTalk group as DingTalk holds it, its messages as robot records
    original = load_snapshot(TENANT / "snapshots" / f"{name}.json")
    # WHEN it is pulled
    pulled = _round_trip(original, tmp_path, variant)
    assert pulled.members is not None and pulled.messages is not None and pulled.files is not None
    # THEN members, messages and files are the original's, modulo what DingTalk cannot carry
    expected = _without_platform_gaps(original, scene=variant == "scene")
    assert expected.members is not None and expected.messages is not None and expected.files is not None
    assert pulled.group.admin_ids == expected.group.admin_ids
    assert (pulled.group.id, pulled.group.name) == (original.group.id, original.group.name)
    assert pulled.group.owner_id == original.group.owner_id
    assert _normal(pulled.members) == _normal(expected.members)
    assert _normal(pulled.messages) == _normal(expected.messages)
    assert _normal(pulled.files) == _normal(expected.files)
    # AND the audit finds the same on both
    assert _findings(pulled) == _findings(expected)


def test_the_sales_round_trip_keeps_what_the_audit_needs(tmp_path):
    original = load_snapshot(SALES)
    pulled = _round_trip(original, tmp_path)
    assert pulled.members is not None and pulled.files is not None
    assert [m.id for m in pulled.members] == [
        "u-head-sales",
        "u-zhang",
        "u-li",
        "u-wang",
        "u-guo",
    ]  # the silent bot is gone
    assert {f.folder for f in pulled.files} == {None, "报价"}
    assert {f.id for f in pulled.files if f.sha256} == {
        "f-sales-contract",
        "f-sales-report",
    }  # shared by messages
    assert ("overdue_reply", "direct_question", "u-head-sales", "grp-sales-m005", None) in _findings(pulled)


def test_threads_mentions_and_bot_posts_round_trip(tmp_path):
    # GIVEN the sales group with a quote reply thread, mentions, @all and a bot's post
    original = load_snapshot(SALES)
    assert original.messages is not None
    at = original.taken_at - timedelta(hours=2)
    extra = [
        Message(
            id="x-1",
            type="text",
            sender_id="u-head-sales",
            sent_at=at,
            text="@张三 报价单发一下",
            mentions=("u-zhang",),
        ),
        Message(
            id="x-2",
            type="text",
            sender_id="u-zhang",
            sent_at=at + timedelta(minutes=1),
            text="好的",
            reply_to_id="x-1",
            thread_id="x-1",
        ),
        Message(
            id="x-3",
            type="text",
            sender_id="u-li",
            sent_at=at + timedelta(minutes=2),
            text="我也要",
            reply_to_id="x-2",
            thread_id="x-1",
            mentions=("u-zhang", "u-wang"),
        ),
        Message(
            id="x-4",
            type="text",
            sender_id="u-bot-ding",
            sent_at=at + timedelta(minutes=3),
            text="提醒：今日回款",
            mention_all=True,
        ),
        Message(id="x-5", sender_id="u-head-sales", sent_at=at + timedelta(minutes=4), type="image"),
    ]
    snapshot = msgspec.structs.replace(original, messages=[*original.messages, *extra])
    # WHEN it is pulled
    pulled = _round_trip(snapshot, tmp_path)
    assert pulled.members is not None and pulled.messages is not None
    # THEN the thread, the mentions and the bot come back
    expected = _without_platform_gaps(snapshot)
    assert expected.members is not None and expected.messages is not None
    assert _normal(pulled.messages) == _normal(expected.messages)
    assert _normal(pulled.members) == _normal(expected.members)
    bot = next(m for m in pulled.members if m.id == "u-bot-ding")
    assert (bot.display_name, bot.is_bot) == ("钉钉机器人", True)


# --- pagination -------------------------------------------------------------------------------


def test_file_space_pages_and_folders_are_followed(tmp_path):
    # GIVEN a file space of 7 root files and 2 nested ones, served 2 to a page
    peer = _team_peer(dentry_page_size=2)
    created = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
    peer.files[CID] += [
        DingTalkFile(f"d-{n}", f"f{n}.txt", union_id("u-wang"), created, size=n) for n in range(5)
    ]
    with peer:
        snapshot = pull_snapshot(_request(peer, "chatTEAM42"), _http(peer))
        assert snapshot.files is not None
        pages = peer.requests(DENTRIES)

    # THEN every page and folder was read
    assert len(snapshot.files) == 7
    root_tokens = [r.arg("nextToken") for r in pages if r.arg("parentId") == "0"]
    assert root_tokens == [None, "t2", "t4", "t6"]  # 1 folder + 6 files at the root, 2 to a page
    assert {r.arg("parentId") for r in pages} == {"0", "folder-1", "folder-2"}
    assert all(r.arg("unionId") == union_id("u-head") and r.arg("maxResults") == "50" for r in pages)
    deep = next(f for f in snapshot.files if f.id == "d-deep")
    assert deep.folder == "会议/十一月"
    assert deep.uploader_id == "u-zhang"  # creatorId is a unionid, mapped back to the member
    assert deep.uploaded_at == datetime(2026, 11, 3, 4, 5, tzinfo=UTC)
    assert deep.updated_at == datetime(2026, 11, 5, 6, 7, tzinfo=UTC)
    assert deep.sha256 is None and deep.download_url is None


def test_scene_group_members_are_read_page_by_page():
    # GIVEN a scene group of 4 members served 3 to a page, one member the app may not read
    peer = _team_peer(member_page_size=3, unreadable={"u-wang"})
    with peer:
        snapshot = pull_snapshot(_request(peer, CID, variant="scene"), _http(peer))
        assert snapshot.members is not None
        cursors = [r.json()["cursor"] for r in peer.requests("/topapi/im/chat/scenegroup/member/get")]

    assert cursors == ["0", "c3"]
    assert {m.id: (m.display_name, m.role) for m in snapshot.members} == {
        "u-head": ("刘强", "owner"),
        "u-li": ("李四", "admin"),
        "u-zhang": ("张三", None),
        "u-wang": ("老王", None),  # no user/get: the group nickname
    }
    assert snapshot.group.name == "项目群"
    assert snapshot.group.admin_ids == ["u-li"]
    assert not peer.requests("/chat/get")


def test_a_member_without_readable_contact_keeps_the_user_id_as_name():
    peer = _team_peer(unreadable={"u-zhang"})
    with peer:
        snapshot = pull_snapshot(_request(peer, "chatTEAM42"), _http(peer))
        assert snapshot.members is not None
    names = {m.id: m.display_name for m in snapshot.members}
    assert names["u-zhang"] == "u-zhang"
    assert names["u-wang"] == "王五"  # chat/get has no nicknames: the name from user/get
    assert snapshot.group.admin_ids is None  # chat/get names no admins


# --- rate limits and failures -----------------------------------------------------------------


def test_oapi_rate_limit_code_is_waited_out():
    peer = _team_peer()
    sleeps = Sleeps()
    with peer:
        peer.script("/chat/get", DingTalkPeer.oapi_rate_limited())
        peer.script("/topapi/v2/user/get", DingTalkPeer.topapi_rate_limited())
        snapshot = pull_snapshot(_request(peer, "chatTEAM42"), _http(peer, sleeps))
        assert snapshot.members is not None
    assert sleeps == [1.0, 1.0]
    assert len(peer.requests("/chat/get")) == 2
    assert len(snapshot.members) == 4


def test_api_qps_limit_and_http_429_are_waited_out():
    peer = _team_peer()
    sleeps = Sleeps()
    with peer:
        peer.script(DENTRIES, DingTalkPeer.api_rate_limited(), json_answer({}, 429, {"Retry-After": "3"}))
        snapshot = pull_snapshot(_request(peer, "chatTEAM42"), _http(peer, sleeps))
        assert snapshot.files is not None
    assert sleeps == [1.0, 3.0]
    assert len(snapshot.files) == 2


def test_a_persistent_rate_limit_ends_in_a_retryable_error():
    peer = _team_peer()
    with peer:
        peer.script("/chat/get", *[DingTalkPeer.oapi_rate_limited()] * 5)
        with pytest.raises(PlatformError) as raised:
            pull_snapshot(_request(peer, "chatTEAM42"), _http(peer, max_retries=4))
    assert raised.value.retryable is True
    assert "90018" in str(raised.value)
    assert len(peer.requests("/chat/get")) == 5


def test_a_permission_error_on_page_two_fails_the_pull_for_good():
    # GIVEN the second page of the file space answers DingTalk's no-permission error
    peer = _team_peer(dentry_page_size=1)
    with peer:
        peer.fail_on(
            DENTRIES,
            2,
            api_error(403, "Forbidden.AccessDenied.AccessTokenPermissionDenied", "没有调用该接口的权限"),
        )
        with pytest.raises(PlatformError) as raised:
            pull_snapshot(_request(peer, "chatTEAM42"), _http(peer))
    assert raised.value.retryable is False
    assert "Forbidden.AccessDenied.AccessTokenPermissionDenied" in str(raised.value)
    assert "没有调用该接口的权限" in str(raised.value)
    assert len(peer.requests(DENTRIES)) == 2


def test_a_scene_member_page_refused_half_way_fails_the_pull():
    peer = _team_peer(member_page_size=2)
    with peer:
        peer.fail_on(
            "/topapi/im/chat/scenegroup/member/get", 2, topapi_error("60011", "应用尚未开通所需的权限")
        )
        with pytest.raises(PlatformError) as raised:
            pull_snapshot(_request(peer, CID, variant="scene"), _http(peer))
    assert raised.value.retryable is False
    assert "errcode 88 (sub_code 60011)" in str(raised.value)


def test_bad_credentials_are_refused_without_leaking_the_secret():
    peer = _team_peer()
    with peer:
        request = _request(
            peer, "chatTEAM42", credentials={"app_key": peer.app_key, "app_secret": "wrong-secret-42"}
        )
        with pytest.raises(PlatformError) as raised:
            pull_snapshot(request, Http("dingtalk", peer.url, secrets=("wrong-secret-42",)))
    assert raised.value.retryable is False
    assert "40096" in str(raised.value) and "不合法的appKey或appSecret" in str(raised.value)
    assert "wrong-secret-42" not in str(raised.value)


def test_tokens_never_appear_in_error_texts():
    # GIVEN DingTalk answers with texts that echo the tokens it handed out
    peer = _team_peer()
    with peer:
        peer.script("/chat/get", oapi_error(40014, f"不合法的access_token {peer.oapi_token}"))
        with pytest.raises(PlatformError) as oapi_raised:
            pull_snapshot(_request(peer, "chatTEAM42"), _http(peer))
        peer.script(DENTRIES, api_error(400, "InvalidAuthentication", f"bad token {peer.api_token}"))
        with pytest.raises(PlatformError) as api_raised:
            pull_snapshot(_request(peer, "chatTEAM42"), _http(peer))
    for raised, token in ((oapi_raised, peer.oapi_token), (api_raised, peer.api_token)):
        assert token not in str(raised.value)
        assert "***" in str(raised.value)
        assert peer.app_secret not in str(raised.value)


def test_without_an_operator_the_file_space_cannot_be_read():
    # GIVEN the app may not read contacts, so the owner's unionid is unknown
    peer = _team_peer()
    peer.deny("/topapi/v2/user/get")
    with peer:
        with pytest.raises(PlatformError, match="operator_union_id"):
            pull_snapshot(_request(peer, "chatTEAM42"), _http(peer))
        assert len(peer.requests("/topapi/v2/user/get")) == 1  # refused once: not asked again
        # WHEN an operator is configured THEN files are read, names are user ids
        credentials = {
            "app_key": peer.app_key,
            "app_secret": peer.app_secret,
            "operator_union_id": union_id("u-li"),
        }
        snapshot = pull_snapshot(_request(peer, "chatTEAM42", credentials=credentials), _http(peer))
        assert snapshot.members is not None and snapshot.files is not None
    assert {m.display_name for m in snapshot.members} == {"u-head", "u-li", "u-zhang", "u-wang"}
    assert {f.uploader_id for f in snapshot.files} == {union_id("u-li"), union_id("u-zhang")}
    assert len(snapshot.files) == 2


def test_without_a_base_url_the_two_public_hosts_are_called_with_the_same_waits():
    sleeps = Sleeps()
    request = PullRequest(
        platform="dingtalk",
        tenant_id="acme",
        group_id="grp",
        chat_id="chat1",
        taken_at=TAKEN_AT,
        since=TAKEN_AT,
        credentials={"app_key": "k", "app_secret": "app-secret-xyz"},
    )
    oapi, api = dingtalk._hosts(request, Http("dingtalk", request.api_base, sleep=sleeps))
    assert (oapi.base_url, api.base_url) == ("https://oapi.dingtalk.com", "https://api.dingtalk.com")
    assert api.sleep is sleeps
    assert api.redact("the secret app-secret-xyz") == "the secret ***"


def test_an_unknown_variant_is_refused():
    peer = _team_peer()
    with peer, pytest.raises(PlatformError, match="unknown variant 'customer'"):
        pull_snapshot(_request(peer, "chatTEAM42", variant="customer"), _http(peer))


# --- dropped records --------------------------------------------------------------------------


def _pull_records(tmp_path: Path, records: list[dict], **kw: Any) -> Snapshot:
    peer = _team_peer()
    with peer:
        request = _request(peer, "chatTEAM42", drops=_write_drops(tmp_path / "drops", records), **kw)
        return pull_snapshot(request, _http(peer))


def test_records_map_to_messages_with_edits_recalls_replies_and_mentions(tmp_path):
    t = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    mention = [
        {"dingtalkId": ROBOT_ID},
        {"dingtalkId": "$:x", "staffId": "u-zhang"},
        {"dingtalkId": "$:y", "staffId": "u-li"},
    ]
    records = [
        _record("m-root", t, text="谁有报价单？", atUsers=mention, isAtAll=True),
        _record("m-root", t, text="谁有报价单？", atUsers=mention, isAtAll=True),  # delivered twice
        _quote(_record("m-quote", t + timedelta(minutes=5), sender="u-zhang", text="我有"), "m-root"),
        _quote(_record("m-quote2", t + timedelta(minutes=6), sender="u-head", text="发群里"), "m-quote"),
        _record("m-edit", t + timedelta(minutes=7), text="初稿"),
        _record("m-edit", t + timedelta(minutes=7), text="终稿", editedAt=_ms(t + timedelta(minutes=9))),
        _record("m-gone", t + timedelta(minutes=8), text="发错了"),
        {"conversationId": CID, "msgId": "m-gone", "recalled": True},
        _record(
            "m-sys", t + timedelta(minutes=10), sender="u-head", msgtype="system", text="张三 加入了群聊"
        ),
        _record("m-pic", t + timedelta(minutes=11), msgtype="picture", content={"downloadCode": "dl"}),
        _record(
            "m-voice",
            t + timedelta(minutes=12),
            msgtype="audio",
            content={"downloadCode": "dl", "recognition": "收到", "duration": 2000},
        ),
        _record(
            "m-rich",
            t + timedelta(minutes=13),
            msgtype="richText",
            content={"richText": [{"text": "看图"}, {"type": "picture", "downloadCode": "dl"}]},
        ),
        {**_record("m-http", t + timedelta(minutes=14)), "text": None, "content": " HTTP 模式"},
        _record(
            "m-bot",
            t + timedelta(minutes=15),
            sender="bot-weekly",
            senderNick="周报机器人",
            senderIsBot=True,
            text="本周报表已生成",
        ),
        _record("m-other", t, text="另一个群", conversationId="cidOTHER=="),
        _record("m-old", TAKEN_AT - timedelta(days=31), text="太早了"),
        _record("m-late", TAKEN_AT + timedelta(seconds=1), text="太晚了"),
    ]
    snapshot = _pull_records(tmp_path, records)
    assert snapshot.members is not None and snapshot.messages is not None
    messages = {m.id: m for m in snapshot.messages}

    assert list(messages) == [
        "m-root",
        "m-quote",
        "m-quote2",
        "m-edit",
        "m-sys",
        "m-pic",
        "m-voice",
        "m-rich",
        "m-http",
        "m-bot",
    ]
    root = messages["m-root"]
    assert (root.text, root.mentions, root.mention_all, root.sent_at) == (
        "谁有报价单？",
        ("u-zhang",),
        True,
        t,
    )
    assert (messages["m-quote"].reply_to_id, messages["m-quote"].thread_id) == ("m-root", "m-root")
    assert (messages["m-quote2"].reply_to_id, messages["m-quote2"].thread_id) == ("m-quote", "m-root")
    assert messages["m-edit"].text == "终稿"
    assert messages["m-edit"].sent_at == t + timedelta(minutes=7)  # the original time
    assert (messages["m-sys"].type, messages["m-sys"].text) == ("system", "张三 加入了群聊")
    assert (messages["m-pic"].type, messages["m-pic"].text) == ("image", None)
    assert (messages["m-voice"].type, messages["m-voice"].text) == ("voice", "收到")
    assert (messages["m-rich"].type, messages["m-rich"].text) == ("text", "看图")
    assert messages["m-http"].text == "HTTP 模式"
    assert messages["m-bot"].sender_id == "bot-weekly"
    bot = next(m for m in snapshot.members if m.id == "bot-weekly")
    assert (bot.display_name, bot.is_bot) == ("周报机器人", True)
    assert "u-li" not in (root.mentions or ())  # the sender is not their own mention


def test_timestamps_are_epoch_milliseconds_in_utc(tmp_path):
    records = [_record("m-1", datetime(2026, 11, 19, 1, 2, 3, 456000, tzinfo=UTC))]
    records[0]["createAt"] = "1795050123456"  # the callback documents createAt as a String
    snapshot = _pull_records(tmp_path, records, since=datetime(2026, 1, 1, tzinfo=UTC))
    assert snapshot.messages is not None
    assert snapshot.messages[0].sent_at == datetime.fromtimestamp(1795050123.456, UTC)
    assert snapshot.messages[0].sent_at.tzinfo is not None


def test_file_messages_link_the_group_file_and_carry_its_hash(tmp_path):
    t = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    sha = "a" * 64
    records = [
        _record(
            "m-f1",
            t,
            msgtype="file",
            content={"fileName": "方案 v1.docx", "dentryId": "d-plan", "fileSize": 10, "sha256": sha},
        ),
        _record(
            "m-f2",
            t,
            msgtype="file",
            content={"fileName": "纪要.docx", "dentryId": "d-deep", "fileSize": 999, "sha256": "b" * 64},
        ),
        _record(
            "m-f3",
            t,
            sender="u-wang",
            msgtype="file",
            content={"fileName": "私发.pdf", "downloadCode": "dl", "fileSize": 5},
        ),
    ]
    snapshot = _pull_records(tmp_path, records)
    assert snapshot.messages is not None and snapshot.files is not None
    files = {f.id: f for f in snapshot.files}
    messages = {m.id: m for m in snapshot.messages}
    assert [messages[i].file_id for i in ("m-f1", "m-f2", "m-f3")] == ["d-plan", "d-deep", "m-f3"]
    assert all(messages[i].type == "file" for i in ("m-f1", "m-f2", "m-f3"))
    assert files["d-plan"].sha256 == sha
    assert files["d-deep"].sha256 is None  # the record's size is not the file's: an older version
    only_in_message = files["m-f3"]
    assert (only_in_message.name, only_in_message.uploader_id, only_in_message.size_bytes) == (
        "私发.pdf",
        "u-wang",
        5,
    )
    assert only_in_message.uploaded_at == t


def test_platform_ids_are_mapped_to_directory_ids(tmp_path):
    t = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    mention = [{"dingtalkId": "$:x", "staffId": "u-zhang"}]
    records = [_record("m-1", t, sender="u-li", atUsers=mention)]
    ids = IdMap({"u-head": "E001", "u-li": "E002", "u-zhang": "E003"})
    snapshot = _pull_records(tmp_path, records, ids=ids)
    assert snapshot.members is not None and snapshot.messages is not None and snapshot.files is not None
    assert [m.id for m in snapshot.members] == ["E001", "E002", "E003", "u-wang"]
    assert snapshot.group.owner_id == "E001"
    assert (snapshot.messages[0].sender_id, snapshot.messages[0].mentions) == ("E002", ("E003",))
    assert {f.id: f.uploader_id for f in snapshot.files} == {"d-plan": "E002", "d-deep": "E003"}


def test_a_bad_record_names_the_object_and_line(tmp_path):
    good = _record("m-1", datetime(2026, 11, 19, 1, 0, tzinfo=UTC))
    bad = {**good, "msgId": "m-2", "createAt": "yesterday"}
    with pytest.raises(InputError) as raised:
        _pull_records(tmp_path, [good, bad])
    problem = raised.value.problems[0]
    assert problem.path == f"{tmp_path / 'drops' / 'drop.jsonl'}:2.createAt"
    assert problem.record_id == "m-2"


def test_records_of_other_groups_are_not_validated(tmp_path):
    other = {"conversationId": "cidOTHER==", "msgId": "x"}  # no time, no type: not ours anyway
    snapshot = _pull_records(tmp_path, [other, _record("m-1", datetime(2026, 11, 19, tzinfo=UTC))])
    assert snapshot.messages is not None
    assert [m.id for m in snapshot.messages] == ["m-1"]


def test_records_dropped_in_s3_are_read(tmp_path):
    t = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="drops")
        body = "\n".join(json.dumps(r, ensure_ascii=False) for r in [_record("m-1", t), _record("m-2", t)])
        s3.put_object(Bucket="drops", Key="dingtalk/grp-team/2026-11-19.jsonl", Body=body.encode())
        s3.put_object(
            Bucket="drops", Key="dingtalk/grp-team/2026-11-20.json", Body=json.dumps([_record("m-1", t)])
        )
        peer = _team_peer()
        with peer:
            drops = S3Drops("drops", "dingtalk/grp-team/", s3)
            snapshot = pull_snapshot(_request(peer, "chatTEAM42", drops=drops), _http(peer))
            assert snapshot.messages is not None
    assert [m.id for m in snapshot.messages] == ["m-1", "m-2"]


def test_a_pull_without_drops_has_members_and_files_but_no_messages():
    peer = _team_peer()
    with peer:
        snapshot = pull_snapshot(_request(peer, "chatTEAM42", drops=NoDrops()), _http(peer))
        assert snapshot.members is not None and snapshot.files is not None
    assert snapshot.messages == []
    assert (len(snapshot.members), len(snapshot.files)) == (4, 2)
    assert snapshot.tenant_id == "acme" and snapshot.group.kind == "project" and snapshot.taken_at == TAKEN_AT
    # ... and, no record proving any period, it holds the messages of none: no silence is claimed
    assert snapshot.messages_since == TAKEN_AT


def test_the_cli_pulls_a_group_with_its_folder_of_drops(tmp_path, capsys):
    t = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    _write_drops(tmp_path / "drops", [_record("m-1", t)])
    peer = _team_peer()
    credentials = tmp_path / "dingtalk.json"
    credentials.write_text(json.dumps({"app_key": peer.app_key, "app_secret": peer.app_secret}))
    out = tmp_path / "team.json"
    with peer:
        argv = ["pull", "dingtalk", "chatTEAM42", "--credentials", str(credentials), "--out", str(out)]
        argv += ["--drops", str(tmp_path / "drops"), "--base-url", peer.url, "--now", "2026-11-20T10:00:00Z"]
        assert main([*argv, "--group", "grp-team", "--kind", "project"]) == 0
    snapshot = load_snapshot(out)
    assert snapshot.members is not None and snapshot.messages is not None
    assert (snapshot.group.id, snapshot.group.name, len(snapshot.members)) == ("grp-team", "项目群", 4)
    assert [m.id for m in snapshot.messages] == ["m-1"]
    assert capsys.readouterr().out.startswith("项目群\t4 members\t1 messages\t2 files\t")


# --- the peer's own contract ------------------------------------------------------------------


def test_the_peer_hands_out_files_only_through_signed_resource_urls():
    import urllib.error
    import urllib.request

    peer = _team_peer()
    with peer:
        http = _http(peer)
        token = http.request(
            "POST", "/v1.0/oauth2/accessToken", body={"appKey": peer.app_key, "appSecret": peer.app_secret}
        )
        info = http.request(
            "POST",
            "/v1.0/storage/spaces/space-chatTEAM42/dentries/d-deep/downloadInfos/query",
            query={"unionId": union_id("u-li")},
            headers={"x-acs-dingtalk-access-token": token["accessToken"]},
        )["headerSignatureInfo"]
        signed = urllib.request.Request(info["resourceUrls"][0], headers=info["headers"])
        with urllib.request.urlopen(signed, timeout=5) as answer:
            assert answer.read() == b"minutes"
        with pytest.raises(urllib.error.HTTPError) as unsigned:
            urllib.request.urlopen(info["resourceUrls"][0], timeout=5)
    assert unsigned.value.code == 403


# --- DingTalk's own shapes: the documented callback, and the shapes integrations report --------

SAMPLES = ROOT.parent / "shared" / "data" / "platform-samples" / "dingtalk"
CALLBACK = SAMPLES / "robot_callback_text.doc_example.json"
SPACE = space_id_of("chatTEAM42")


class _DocumentedDrops:
    def records(self):
        return parse_records(CALLBACK.read_bytes(), str(CALLBACK))


def test_the_documented_robot_callback_is_a_message_of_its_conversation():
    # GIVEN the callback body of DingTalk's 机器人接收消息 page, dropped for the group whose open
    # conversation id is the page's placeholder "xxx"
    peer = _team_peer()
    peer.chats[0].open_conversation_id = "xxx"
    peer.files = {"xxx": []}
    with peer:
        # WHEN pulled with a window holding its createAt (2021-02-18)
        request = _request(
            peer,
            "chatTEAM42",
            drops=_DocumentedDrops(),
            since=datetime(2021, 1, 1, tzinfo=UTC),
            taken_at=datetime(2021, 3, 1, tzinfo=UTC),
        )
        snapshot = pull_snapshot(request, _http(peer))
        assert snapshot.messages is not None
    # THEN it is one text message: the staff id as sender, createAt in ms, the text trimmed, the
    # @-ed staff id a mention (the robot is not one)
    (message,) = snapshot.messages
    assert (message.id, message.sender_id, message.type, message.text, message.mentions) == (
        "msg0xxxxx",
        "user123",
        "text",
        "你好",
        ("xxx",),
    )
    assert message.sent_at == datetime(2021, 2, 18, 6, 37, 32, 678000, tzinfo=UTC)
    assert message.reply_to_id is None
    # ... and the snapshot holds the group's messages from that first record on
    assert snapshot.messages_since == message.sent_at


def _file_record(msg_id: str, at: datetime, file_id: str, name: str, space: str | None = SPACE, **kw) -> dict:
    """A file message as integrations report DingTalk's callback: content.downloadCode,
    fileName, fileId and spaceId."""
    content = {"downloadCode": f"dl-{msg_id}", "fileName": name, "fileId": file_id, **kw}
    if space is not None:
        content["spaceId"] = space
    record = _record(msg_id, at, msgtype="file", content=content)
    del record["text"]
    return record


def test_a_file_message_of_the_group_space_is_that_one_file(tmp_path):
    # GIVEN the group space holds 方案 v1.docx (dentry d-plan) and 纪要.docx; 李四 shares the plan
    # in the group: DingTalk's file message names it by fileId and the group's spaceId
    t = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    records = [_file_record("m-f1", t, "d-plan", "方案 v1.docx")]
    # WHEN pulled
    snapshot = _pull_records(tmp_path, records)
    assert snapshot.messages is not None and snapshot.files is not None
    # THEN the message shares the space's file, and no second file is made of the message
    assert [(m.id, m.type, m.file_id) for m in snapshot.messages] == [("m-f1", "file", "d-plan")]
    assert sorted(f.id for f in snapshot.files) == ["d-deep", "d-plan"]
    # ... so the file rules speak of the plan, never of a copy named after the message
    subjects = [
        f[2] for f in _findings(snapshot) if f[0] in ("stale_file", "unbacked_document", "file_naming")
    ]
    assert "d-plan" in subjects and "m-f1" not in subjects


def test_a_file_the_group_space_no_longer_holds_is_no_file_and_one_elsewhere_is_the_messages(tmp_path):
    # GIVEN a file message of the group space whose dentry is gone (deleted, in the recycle bin),
    # one of another space, and one naming a listed fileId without a spaceId
    t = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    records = [
        _file_record("m-gone", t, "d-gone", "旧版.docx"),
        _file_record("m-other", t, "d-77", "外部.pdf", space="space-elsewhere", fileSize=5),
        _file_record("m-plain", t, "d-deep", "纪要.docx", space=None),
    ]
    # WHEN pulled
    snapshot = _pull_records(tmp_path, records)
    assert snapshot.messages is not None and snapshot.files is not None
    # THEN the messages keep the file they shared; only the other space's is a file of its own
    assert {m.id: m.file_id for m in snapshot.messages} == {
        "m-gone": "d-gone",
        "m-other": "d-77",
        "m-plain": "d-deep",
    }
    files = {f.id: (f.name, f.uploader_id, f.size_bytes) for f in snapshot.files}
    assert files == {
        "d-plan": ("方案 v1.docx", "u-li", 10),
        "d-deep": ("纪要.docx", "u-zhang", 20),
        "d-77": ("外部.pdf", "u-li", 5),
    }


def test_quote_replies_link_to_the_replied_message_in_every_reported_shape(tmp_path):
    # GIVEN quote replies as DingTalk delivers them: a text with text.repliedMsg {msgId, …}; a
    # richText (text and picture) with content.repliedMsg; a repliedMsg naming the message by
    # id; a quote of a picture that carries only the top-level originalMsgId
    t = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    replied = {
        "msgType": "text",
        "senderId": dingtalk_id("u-li"),
        "createdAt": _ms(t),
        "content": {"content": "方案呢？"},
    }
    rich = {
        "richText": [
            {"text": "在这里"},
            {"type": "picture", "downloadCode": "dl-p", "pictureDownloadCode": "dl-p"},
        ],
        "isReplyMsg": True,
        "repliedMsg": {"msgId": "m-ask", **replied},
    }
    records = [
        _record("m-ask", t, text="方案呢？"),
        _quote(_record("m-text", t + timedelta(minutes=1), sender="u-zhang", text="马上"), "m-ask"),
        _record("m-rich", t + timedelta(minutes=2), sender="u-wang", msgtype="richText", content=rich),
        _record("m-id", t + timedelta(minutes=3), sender="u-head", text="收到"),
        _record("m-orig", t + timedelta(minutes=4), text="这张图", originalMsgId="m-rich"),
    ]
    del records[2]["text"]  # a richText record has its text in content.richText
    records[3]["text"].update({"isReplyMsg": True, "repliedMsg": {"id": "m-rich", "msgType": "richText"}})
    records[4]["text"]["isReplyMsg"] = True
    # WHEN pulled
    snapshot = _pull_records(tmp_path, records)
    assert snapshot.messages is not None
    # THEN each links to the message it quotes, in the thread of the first message of the chain
    by_id = {m.id: m for m in snapshot.messages}
    assert {i: (m.type, m.text, m.reply_to_id, m.thread_id) for i, m in by_id.items()} == {
        "m-ask": ("text", "方案呢？", None, None),
        "m-text": ("text", "马上", "m-ask", "m-ask"),
        "m-rich": ("text", "在这里", "m-ask", "m-ask"),
        "m-id": ("text", "收到", "m-rich", "m-ask"),
        "m-orig": ("text", "这张图", "m-rich", "m-ask"),
    }


def test_the_ip_throttle_without_errcode_is_a_retryable_wait_not_a_success():
    # GIVEN chat/get answers DingTalk's IP throttle: HTTP 200, {"status": 1111, "wait": 5, …}
    peer = _team_peer()
    peer.script("/chat/get", DingTalkPeer.ip_throttled(wait=5))
    # WHEN pulled
    with peer, pytest.raises(PlatformError) as caught:
        pull_snapshot(_request(peer, "chatTEAM42", drops=NoDrops()), _http(peer))
    # THEN the pull ends retryable, to be tried again after the 5 minutes the IP is refused
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 300
    assert "GET /chat/get: throttled (status 1111, wait 5)" in str(caught.value)

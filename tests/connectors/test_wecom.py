"""WeCom source: the group and members over real HTTP against the loopback peer, the messages
from archive records dropped in a folder (and once in moto's S3), as the archive job leaves them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

import boto3
import msgspec
import pytest
from moto import mock_aws

from groupaudit.connectors import wecom
from groupaudit.connectors.base import FolderDrops, IdMap, PullRequest, S3Drops, parse_records, pull_snapshot
from groupaudit.connectors.http import Http, PlatformError
from groupaudit.contracts import Snapshot
from groupaudit.errors import InputError
from groupaudit.loading import load_snapshot
from groupaudit.local.peers.base import json_answer
from groupaudit.local.peers.wecom import (
    CUSTOMER_GROUP_PATH,
    INTERNAL_GROUP_PATH,
    TOKEN_PATH,
    USER_PATH,
    ArchiveRoom,
    ChatMember,
    CustomerChat,
    WeComPeer,
    archive_records,
    error_answer,
    file_body,
    platform_ids,
    quote_text,
    recall_record,
    record,
    write_drops,
)
from groupaudit.service import audit_snapshot, load_local_inputs
from kit import ROOT, TENANT

CHAT = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
ROOM = "wrNplhCgAAIVZohLe57zKnvIV7xBKrig"
TAKEN_AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SINCE = TAKEN_AT - timedelta(days=30)
T0 = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
SHA = "9f2c" + "0" * 60


# --- helpers ----------------------------------------------------------------------------------


def _customer_chat() -> CustomerChat:
    return CustomerChat(
        chat_id=CHAT,
        name="销售客服群",
        owner="zhangsan",
        create_time=1700000000,
        notice="文明沟通",
        members=[
            ChatMember("zhangsan", join_time=1700000001, group_nickname="销售部+张三", name="张三"),
            ChatMember("lisi", join_time=1700000002, group_nickname="销售部+李四", name="李四"),
            ChatMember("wangwu", join_time=1700000003, name="王五"),
            ChatMember("wmExt01", type=2, join_time=1700000004, join_scene=3, name="林总", unionid="oz1"),
        ],
        admins=["lisi"],
    )


@pytest.fixture
def peer():
    with WeComPeer(chats={CHAT: _customer_chat()}) as running:
        yield running


def _drops(folder: Path, *records: dict, per_object: int = 100) -> FolderDrops:
    write_drops(folder, list(records), per_object=per_object)
    return FolderDrops(folder)


def _request(peer: WeComPeer, drops, **overrides) -> PullRequest:
    variant = overrides.pop("variant", None)
    fields = {
        "platform": "wecom",
        "tenant_id": "acme",
        "group_id": "grp-sales-service",
        "chat_id": CHAT,
        "taken_at": TAKEN_AT,
        "since": SINCE,
        "credentials": peer.credentials(variant or "customer"),
        "base_url": peer.url,
        "variant": variant,
        "drops": drops,
        **overrides,
    }
    return PullRequest(**fields)


def _http(peer: WeComPeer, waits: list[float] | None = None, **kwargs) -> Http:
    recorder = waits.append if waits is not None else (lambda seconds: None)
    secrets = [peer.customer_secret, peer.archive_secret]
    return Http("wecom", peer.url, secrets=secrets, sleep=recorder, **kwargs)


def _text(msgid: str, sender: str, at: datetime, content: str, roomid: str = CHAT) -> dict:
    return record(msgid, sender, at, roomid, "text", {"content": content})


def _pull(peer: WeComPeer, tmp_path: Path, *records: dict, **overrides) -> Snapshot:
    return pull_snapshot(_request(peer, _drops(tmp_path, *records), **overrides), _http(peer))


# --- round trip: the sample tenant's WeCom groups ---------------------------------------------


# What WeCom cannot carry, per sample: threads, quotes of anything but a text, mentions not
# spelled @name in the text, texts of file messages, expiry dates, bot names and join times;
# files no message shares come back as file messages of their own; a shared file's id becomes
# its message's id. A quote of a text (xinghe's m003) comes back linked.
class _Losses(TypedDict):
    quotes_lost: set[str]  # message ids whose quote is lost
    mentions_lost: set[str]  # message ids whose mentions are lost
    file_ids: dict[str, str]  # the snapshot's file id: the id of the pulled file
    findings_lost: set[tuple[str, str]]  # (rule, subject id)


ROUND_TRIPS: dict[str, _Losses] = {
    "project-xinghe": {
        "quotes_lost": set(),
        "mentions_lost": set(),
        "file_ids": {"f-x-report": "grp-proj-xinghe-m007", "f-x-deck-2": "grp-proj-xinghe-m004"},
        # unauthorised_creator: a WeCom customer group names its owner, not who created it
        "findings_lost": {("group_governance", "u-head-rd")},
    },
    "operations-vip": {
        "quotes_lost": set(),
        "mentions_lost": {"grp-ops-vip-m002"},  # mentions ext-cust-1, whose name is not in the text
        "file_ids": {},
        "findings_lost": {("stale_file", "f-ops-flyer")},  # "expired": WeCom files carry no expiry
    },
}


def _findings(snapshot: Snapshot, inputs, ignore_messages=frozenset()) -> set[tuple[str, str | None, str]]:
    report = audit_snapshot(
        snapshot, policies=inputs.policies, directory=inputs.directory, backups=inputs.backups
    )
    return {(f.rule, f.kind, f.subject_id) for f in report.findings if f.message_id not in ignore_messages}


@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_a_sample_group_survives_the_round_trip(tmp_path, name):
    # GIVEN a sample WeCom snapshot, seeded into the peer (names from the tenant's directory)
    # and written as archive records in several drop objects
    original = load_snapshot(TENANT / "snapshots" / f"{name}.json")
    assert original.members is not None and original.messages is not None and original.files is not None
    inputs = load_local_inputs(TENANT / "policy.yaml", TENANT / "directory.json", TENANT / "backups")
    assert inputs.directory is not None, "the sample tenant has a directory"
    names = {person.id: person.name for person in inputs.directory.people}
    known = ROUND_TRIPS[name]
    ids = platform_ids(original)
    records = archive_records(original, chat_id=CHAT)
    with WeComPeer.from_snapshot(original, chat_id=CHAT, names=names) as peer:
        # WHEN pulled back, robots mapped to their directory ids through the IdMap
        request = _request(
            peer,
            _drops(tmp_path, *records, per_object=3),
            group_id=original.group.id,
            taken_at=original.taken_at,
            since=original.taken_at - timedelta(days=60),
            kind=original.group.kind,
            ids=IdMap({wecom_id: member_id for member_id, wecom_id in ids.items() if wecom_id != member_id}),
        )
        pulled = pull_snapshot(request, _http(peer))
        assert pulled.members is not None and pulled.messages is not None and pulled.files is not None
        assert [r.path for r in peer.received] == [TOKEN_PATH, CUSTOMER_GROUP_PATH]

    # THEN the group and members are the same (a bot's name and join time are not WeCom's to give)
    group, back = original.group, pulled.group
    assert (back.id, back.name, back.kind, back.owner_id, back.created_at) == (
        group.id,
        group.name,
        group.kind,
        group.owner_id,
        group.created_at,
    )
    assert back.admin_ids == group.admin_ids
    assert {m.id: (m.display_name, m.role, m.joined_at, m.is_bot) for m in pulled.members} == {
        m.id: (ids[m.id] if m.is_bot else m.display_name, m.role, None if m.is_bot else m.joined_at, m.is_bot)
        for m in original.members
    }
    # ... the messages keep ids, senders, times and types; mentions spelled @name survive
    by_id = {m.id: m for m in pulled.messages}
    for message in original.messages:
        got = by_id.pop(message.id)
        file_id = message.file_id
        expected_file = None if file_id is None else known["file_ids"].get(file_id, file_id)
        assert (got.sender_id, got.sent_at, got.type, got.file_id) == (
            message.sender_id,
            message.sent_at,
            message.type,
            expected_file,
        )
        lost = message.id in known["mentions_lost"]
        assert got.mentions == (None if lost else tuple(message.mentions or ()) or None), message.id
        quote_lost = message.id in known["quotes_lost"]
        assert got.reply_to_id == (None if quote_lost else message.reply_to_id), message.id
        assert got.thread_id is None  # no threads in the archive
        if message.type != "file":
            assert got.text == message.text  # of a quote reply: the reply alone
    lost_links = {m.id for m in original.messages if m.reply_to_id or m.thread_id} - {
        m.id for m in pulled.messages if m.reply_to_id
    }
    assert lost_links == known["quotes_lost"]
    # ... the only extra messages are the files no message shared, sent by their uploaders
    shared = {m.file_id for m in original.messages}
    assert {i: (m.type, m.file_id, m.sender_id, m.sent_at) for i, m in by_id.items()} == {
        f.id: ("file", f.id, f.uploader_id, f.uploaded_at) for f in original.files if f.id not in shared
    }
    # ... and the files keep names, sizes, hashes, uploaders and upload times
    assert {f.id: (f.name, f.size_bytes, f.sha256, f.uploader_id, f.uploaded_at) for f in pulled.files} == {
        known["file_ids"].get(f.id, f.id): (f.name, f.size_bytes, f.sha256, f.uploader_id, f.uploaded_at)
        for f in original.files
    }
    # ... and the audit finds the same, once the registry's settings (exemptions, allowed
    # outsiders, department: no platform field) are laid over the pulled group
    settings = {
        "department": group.department,
        "exempt_member_ids": group.exempt_member_ids,
        "allowed_external_ids": group.allowed_external_ids,
    }
    pulled = msgspec.structs.replace(pulled, group=msgspec.structs.replace(back, **settings))
    # ... over the same period: the pull holds the messages from its first record on
    earliest = min(datetime.fromtimestamp(r["msgtime"] / 1000, UTC) for r in records)
    assert pulled.messages_since == max(request.since, earliest)
    original = msgspec.structs.replace(original, messages_since=pulled.messages_since)
    before = _findings(original, inputs)
    assert before and known["findings_lost"] <= {(rule, subject) for rule, _, subject in before}
    renamed = known["file_ids"]
    expected = {
        (rule, kind, renamed.get(subject, subject))
        for rule, kind, subject in before
        if (rule, subject) not in known["findings_lost"]
    }
    # (a file no message shared is, in WeCom, a message of its own: what it posts — an off-hours
    # upload — is the pulled group's, not the sample's)
    assert _findings(pulled, inputs, frozenset(by_id)) == expected


def test_records_from_s3_are_read_across_listing_pages(monkeypatch):
    # GIVEN the archive job's records of a group as objects of 2 records under its drop prefix in S3
    # (and another group's object beside them), listed 2 keys per page
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    snapshot = load_snapshot(TENANT / "snapshots" / "project-xinghe.json")
    assert snapshot.messages is not None and snapshot.files is not None
    records = archive_records(snapshot, chat_id=CHAT)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="drops")
        for number, start in enumerate(range(0, len(records), 2), start=1):
            body = "\n".join(json.dumps(r, ensure_ascii=False) for r in records[start : start + 2])
            s3.put_object(Bucket="drops", Key=f"drops/acme/grp-proj-xinghe/{number:04d}.jsonl", Body=body)
        s3.put_object(Bucket="drops", Key="drops/acme/grp-other/0001.jsonl", Body=b"not json")
        listings: list[dict] = []
        s3.meta.events.register(
            "before-call.s3.ListObjectsV2", lambda params, **_: listings.append(dict(params["query_string"]))
        )
        drops = S3Drops("drops", "drops/acme/grp-proj-xinghe/", _SmallPages(s3, 2))
        with WeComPeer.from_snapshot(snapshot, chat_id=CHAT) as peer:
            # WHEN pulled
            request = _request(peer, drops, group_id=snapshot.group.id, taken_at=snapshot.taken_at)
            pulled = pull_snapshot(request, _http(peer))
            assert pulled.messages is not None and pulled.files is not None
    # THEN every listing page was followed by its continuation token, and every record read
    assert len(records) == len(snapshot.messages) + sum(
        1 for f in snapshot.files or () if f.id not in {m.file_id for m in snapshot.messages}
    )
    objects = -(-len(records) // 2)  # 2 records per object
    assert len(listings) == -(-objects // 2)  # 2 keys per listing page
    assert "continuation-token" not in listings[0] and listings[1]["continuation-token"]
    assert {listing["max-keys"] for listing in listings} == {2}
    assert len(pulled.messages) == len(records)
    assert len(pulled.files) == 3


class _SmallPages:
    """An S3 client whose list paginators ask for ``size`` keys a page."""

    def __init__(self, s3, size: int) -> None:
        self._s3, self._size = s3, size

    def get_paginator(self, name: str):
        paginator, size = self._s3.get_paginator(name), self._size

        class Paginator:
            def paginate(self, **kwargs):
                return paginator.paginate(**kwargs, PaginationConfig={"PageSize": size})

        return Paginator()

    def __getattr__(self, name: str):
        return getattr(self._s3, name)


# --- the documented examples as fixed vectors ------------------------------------------------

# WeCom's own examples (platform-samples/wecom, read in place; see its SOURCE.txt)
SAMPLES = ROOT.parent / "shared" / "data" / "platform-samples" / "wecom"
WXJAVA_RECORDS = SAMPLES / "archive_records_doc91774_via_wxjava.jsonl"
WXJAVA_QUOTE = "CAQQluDa4QUY0On2rYSAgAMgzPrShAE="  # its "text" example: a quote reply


def _documented(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def _documented_records() -> list[tuple[str, Mapping[str, Any]]]:
    """The 27 decrypted records of document 91774 (as WxJava keeps them), read by the drop parser."""
    return list(parse_records(WXJAVA_RECORDS.read_bytes(), str(WXJAVA_RECORDS)))


class _DocumentedDrops:
    def records(self):
        return iter(_documented_records())


def test_the_documented_group_chat_answer_maps_to_members_owner_and_admins(peer, tmp_path):
    # GIVEN the platform answers groupchat/get with its documented example
    peer.script(
        CUSTOMER_GROUP_PATH, json_answer(_documented("externalcontact_groupchat_get.doc_example.json"))
    )
    # WHEN pulled
    snapshot = _pull(peer, tmp_path)
    assert snapshot.members is not None
    # THEN both members are in, named by their group nicknames, joined at join_time (seconds)
    assert [(m.id, m.display_name, m.role, m.joined_at) for m in snapshot.members] == [
        ("abel", "客服小张", "member", datetime(2019, 10, 31, 7, 4, 51, tzinfo=UTC)),
        (
            "wmOgQhDgAAuXFJGwbve4g4iXknfOAAAA",
            "顾客老王",
            "member",
            datetime(2019, 10, 31, 7, 4, 51, tzinfo=UTC),
        ),
    ]
    # ... and the group carries the owner, the admins and the creation time
    group = snapshot.group
    assert (group.id, group.name, group.owner_id, group.admin_ids, group.created_by) == (
        "grp-sales-service",
        "销售客服群",
        "ZhuShengBen",
        ["sam", "pony"],
        None,
    )
    assert group.created_at == datetime(2019, 10, 31, 7, 4, 50, tzinfo=UTC)
    # ... asking for names, with the chat id, in a POST body
    (asked,) = peer.requests(CUSTOMER_GROUP_PATH)
    assert (asked.method, asked.json()) == ("POST", {"chat_id": CHAT, "need_name": 1})


def test_the_documented_mixed_record_becomes_a_text_message_at_its_millisecond(peer):
    # GIVEN the documented records, among them a mixed one (text and image) in its room
    room = "wr_tZ2BwAAUwHpYMwy9cIWqnlU3Hzqfg"
    peer.chats[room] = _customer_chat()
    # WHEN that room is pulled with a window around 2019-12-27
    request = _request(
        peer,
        _DocumentedDrops(),
        chat_id=room,
        taken_at=datetime(2019, 12, 28, tzinfo=UTC),
        since=datetime(2019, 12, 1, tzinfo=UTC),
    )
    snapshot = pull_snapshot(request, _http(peer))
    assert snapshot.messages is not None
    # THEN it is one text message with the text part, at msgtime read as milliseconds (UTC)
    (message,) = snapshot.messages
    assert (message.id, message.sender_id, message.type, message.text) == (
        "DAQQluDa4QUY0On4kYSABAMgzPrShAE=",
        "HeMiao",
        "text",
        "你好[微笑]\n",
    )
    assert message.sent_at == datetime(2019, 12, 27, 2, 39, 19, 72000, tzinfo=UTC)
    # ... and the snapshot holds the room's messages from that record on (the drops' first)
    assert snapshot.messages_since == message.sent_at


def test_every_documented_record_is_read_and_the_text_example_is_a_quote_reply():
    # GIVEN the 27 documented records, of 1:1 chats (roomid "") and of several rooms
    records = _documented_records()
    rooms = {r["roomid"] for _, r in records if isinstance(r.get("roomid"), str)}
    # WHEN each conversation's records are read
    archives = {room: wecom.read_archive(records, room) for room in rooms}
    # THEN none is refused, and every record of a conversation but the recall is a message
    assert sum(len(a.sent) for a in archives.values()) == sum(
        1 for _, r in records if r.get("roomid") in rooms and r["action"] == "send"
    )
    assert archives[""].recalled == {"14822339130656386894_1603875600"}
    # ... and WxJava's text example is what WeCom writes for a quote reply: its text is the
    # reply alone ("@nick777"), the quote (here empty) is kept apart
    quote_reply = archives[""].sent[WXJAVA_QUOTE]
    assert (quote_reply.msgtype, quote_reply.text, quote_reply.quote) == (
        "text",
        "@nick777",
        wecom.Quote(None, ""),
    )
    assert wecom.split_quote('这是一条引用/回复消息："\n------\n@nick777') == (
        wecom.Quote(None, ""),
        "@nick777",
    )


def test_the_documented_archive_room_answer_maps_to_the_room_and_its_creation(tmp_path):
    # GIVEN msgaudit/groupchat/get answers its documented example; user/get knows one member
    with WeComPeer(rooms={ROOM: ArchiveRoom(ROOM, "x", "x")}, users={"ZhangWenChao": "张文超"}) as peer:
        peer.script(INTERNAL_GROUP_PATH, json_answer(_documented("msgaudit_groupchat_get.doc_example.json")))
        # WHEN pulled with the archive's secret
        snapshot = _pull(peer, tmp_path, variant="internal", chat_id=ROOM)
        assert snapshot.members is not None
    # THEN the room, its creator as owner, created at room_create_time, members at their jointime
    group = snapshot.group
    assert (group.name, group.owner_id, group.created_by) == ("蓦然回首", "ZhangWenChao", "ZhangWenChao")
    assert group.created_at == datetime(2020, 6, 17, 2, 40, 4, tzinfo=UTC)
    assert [(m.id, m.display_name, m.role, m.joined_at) for m in snapshot.members] == [
        ("ZhangWenChao", "张文超", "owner", datetime(2020, 6, 17, 2, 40, 5, tzinfo=UTC)),
        ("xujinsheng", "xujinsheng", "member", datetime(2020, 6, 17, 6, 57, 56, tzinfo=UTC)),
    ]


# --- the archive records ----------------------------------------------------------------------


def test_a_quote_reply_is_its_reply_and_links_to_the_message_it_quotes(peer, tmp_path):
    # GIVEN 李四 asks 王五 a question; 张三 quotes it (as WeCom writes a quote reply: the quoted
    # sender's group nickname and text, then the reply); 王五 quotes it by 李四's real name
    question = "@王五 报价单在哪里？请回复"
    records = [
        _text("m-1", "lisi", T0, question),
        _text("m-2", "zhangsan", T0 + timedelta(minutes=1), quote_text("销售部+李四", question, "在共享盘")),
        _text("m-3", "wangwu", T0 + timedelta(minutes=2), quote_text("李四", question, "收到 @李四")),
    ]
    # WHEN pulled
    by_id = {m.id: m for m in _pull(peer, tmp_path, *records).messages or ()}
    # THEN each quote reply's text is its reply alone, linked to the question it quotes
    assert {i: (m.text, m.reply_to_id) for i, m in by_id.items()} == {
        "m-1": (question, None),
        "m-2": ("在共享盘", "m-1"),
        "m-3": ("收到 @李四", "m-1"),
    }
    # ... and only the reply's @names are mentions: the quoted "@王五" mentions nobody again
    assert {i: m.mentions for i, m in by_id.items()} == {"m-1": ("wangwu",), "m-2": None, "m-3": ("lisi",)}


def test_a_quote_links_to_the_latest_earlier_match_or_to_nothing(peer, tmp_path):
    # GIVEN 李四 asked the same thing twice, and quotes that match no message: another sender's
    # name, another text, a message after the quote, and a picture (WeCom quotes no text of it)
    records = [
        _text("m-1", "lisi", T0, "明天开会吗？"),
        _text("m-2", "lisi", T0 + timedelta(minutes=5), "明天开会吗？"),
        _text(
            "q-1", "zhangsan", T0 + timedelta(minutes=6), quote_text("销售部+李四", " 明天开会吗？ ", "开")
        ),
        _text("q-2", "zhangsan", T0 + timedelta(minutes=7), quote_text("王五", "明天开会吗？", "开")),
        _text("q-3", "zhangsan", T0 + timedelta(minutes=8), quote_text("李四", "后天开会吗？", "不开")),
        _text("q-4", "zhangsan", T0 + timedelta(minutes=9), quote_text("李四", "晚到的话", "好")),
        _text("m-3", "lisi", T0 + timedelta(minutes=10), "晚到的话"),
        _text("q-5", "zhangsan", T0 + timedelta(minutes=11), quote_text("李四", "[图片]", "清楚")),
    ]
    # WHEN pulled
    by_id = {m.id: m for m in _pull(peer, tmp_path, *records).messages or ()}
    # THEN the quote of the repeated question links to its latest copy; the others to nothing,
    # and none of them keeps the quoted text as its own
    assert {i: (m.text, m.reply_to_id) for i, m in by_id.items() if i.startswith("q-")} == {
        "q-1": ("开", "m-2"),
        "q-2": ("开", None),
        "q-3": ("不开", None),
        "q-4": ("好", None),
        "q-5": ("清楚", None),
    }


def test_the_quoted_part_of_a_quote_reply_makes_no_overdue_finding(peer, tmp_path):
    # GIVEN 李四 asks 王五 (a question with an @-mention), 王五 answers, then 张三 quotes the
    # question to say he read it: the quote carries "@王五", a "？" and the header's "回复"
    question = "@王五 明天几点开会？"
    records = [
        _text("m-1", "lisi", T0, question),
        _text("m-2", "wangwu", T0 + timedelta(minutes=5), "@李四 十点"),
        _text("m-3", "zhangsan", T0 + timedelta(minutes=10), quote_text("销售部+李四", question, "收到")),
    ]
    inputs = load_local_inputs(TENANT / "policy.yaml", TENANT / "directory.json", TENANT / "backups")
    # WHEN pulled and audited a day later
    snapshot = _pull(peer, tmp_path, *records)
    assert snapshot.messages is not None
    report = audit_snapshot(
        snapshot, policies=inputs.policies, directory=inputs.directory, backups=inputs.backups
    )
    # THEN 张三's "收到" owes 王五 no answer: no finding is about that message
    assert [(f.rule, f.subject_id) for f in report.findings if f.message_id == "m-3"] == []
    (m3,) = [m for m in snapshot.messages if m.id == "m-3"]
    assert (m3.text, m3.mentions, m3.reply_to_id) == ("收到", None, "m-1")


def test_messages_since_is_the_window_start_or_the_chats_first_record(peer, tmp_path):
    # GIVEN drops whose first record of the chat is before the window, inside it, or absent
    before = [_text("m-0", "lisi", SINCE - timedelta(days=2), "早"), _text("m-1", "lisi", T0, "在")]
    inside = [_text("m-1", "lisi", T0, "在"), _text("m-9", "lisi", T0, "别处", roomid="wrOther")]
    # WHEN each is pulled
    starts = [
        _pull(peer, tmp_path / name, *records).messages_since
        for name, records in (("before", before), ("inside", inside), ("none", inside[1:]))
    ]
    # THEN the snapshot holds messages from the window's start, from the first record, or none
    assert starts == [SINCE, T0, TAKEN_AT]


def test_a_recalled_message_and_its_file_are_left_out(peer, tmp_path):
    # GIVEN a text and a file, both recalled (one recall dropped in an object before the original)
    records = [
        recall_record("r-1", "m-1", "zhangsan", T0 + timedelta(minutes=1), CHAT),
        _text("m-1", "zhangsan", T0, "发错群了"),
        _text("m-2", "lisi", T0 + timedelta(minutes=2), "好的"),
        record("m-3", "lisi", T0 + timedelta(minutes=3), CHAT, "file", file_body("报价.xlsx", 2048)),
        recall_record("r-2", "m-3", "lisi", T0 + timedelta(minutes=4), CHAT),
    ]
    # WHEN pulled
    snapshot = _pull(peer, tmp_path, *records)
    assert snapshot.messages is not None
    # THEN only the message nobody recalled remains, and the recalled file is not a group file
    assert [m.id for m in snapshot.messages] == ["m-2"]
    assert snapshot.files == []


def test_a_record_dropped_twice_is_one_message(peer, tmp_path):
    # GIVEN the same batch dropped twice in two objects
    records = [_text("m-1", "zhangsan", T0, "早"), _text("m-2", "lisi", T0 + timedelta(seconds=5), "早上好")]
    # WHEN pulled
    snapshot = _pull(peer, tmp_path, *records, *records)
    assert snapshot.messages is not None
    # THEN each msgid is one message
    assert [m.id for m in snapshot.messages] == ["m-1", "m-2"]


def test_other_rooms_and_switch_records_are_not_this_groups(peer, tmp_path):
    # GIVEN a record of another room, a 1:1 record (no roomid) and a "switch" log record
    one_to_one = _text("m-9", "zhangsan", T0, "私聊", roomid="")
    switch = {
        "msgid": "125289002219525886280",
        "action": "switch",
        "time": 1554119421840,
        "user": "XuJinSheng",
    }
    records = [
        _text("m-1", "zhangsan", T0, "本群"),
        _text("m-2", "lisi", T0, "别的群", roomid="wrOther"),
        one_to_one,
        switch,
    ]
    # WHEN pulled
    snapshot = _pull(peer, tmp_path, *records)
    assert snapshot.messages is not None
    # THEN only this room's message is in
    assert [m.id for m in snapshot.messages] == ["m-1"]


def test_message_types_and_texts_follow_the_table(peer, tmp_path):
    # GIVEN one record of each kind of content
    at = iter(T0 + timedelta(minutes=n) for n in range(100))
    records = [
        _text("text", "zhangsan", next(at), "纯文本"),
        record("markdown", "zhangsan", next(at), CHAT, "markdown", None) | {"info": {"content": "**周报**"}},
        record("image", "lisi", next(at), CHAT, "image", {"md5sum": "", "filesize": 10, "sdkfileid": "x"}),
        record("emotion", "lisi", next(at), CHAT, "emotion", {"type": 1, "sdkfileid": "x"}),
        record("voice", "lisi", next(at), CHAT, "voice", {"voice_size": 10, "play_length": 3}),
        record("video", "lisi", next(at), CHAT, "video", {"play_length": 3}),
        record(
            "link", "lisi", next(at), CHAT, "link", {"title": "新品发布", "link_url": "https://example.com"}
        ),
        record("docmsg", "lisi", next(at), CHAT, "docmsg", None)
        | {"doc": {"title": "周报模板", "link_url": "x"}},
        record("news", "lisi", next(at), CHAT, "news", None)
        | {"info": {"item": [{"title": "公告", "url": "x"}]}},
        record("todo", "lisi", next(at), CHAT, "todo", {"title": "周五前交报告", "content": "全体"}),
        record("card", "lisi", next(at), CHAT, "card", {"corpname": "腾讯", "userid": "x"}),
        record("agree", "wmExt01", next(at), CHAT, "agree", {"userid": "wmExt01", "agree_time": 1}),
        record(
            "mixed-image", "lisi", next(at), CHAT, "mixed", {"item": [{"type": "image", "content": "{}"}]}
        ),
        record("future", "lisi", next(at), CHAT, "hologram", {"x": 1}),
    ]
    # WHEN pulled
    snapshot = _pull(peer, tmp_path, *records)
    assert snapshot.messages is not None
    # THEN each has its contract type and the text a reader sees first
    assert {m.id: (m.type, m.text) for m in snapshot.messages} == {
        "text": ("text", "纯文本"),
        "markdown": ("text", "**周报**"),
        "image": ("image", None),
        "emotion": ("image", None),
        "voice": ("voice", None),
        "video": ("video", None),
        "link": ("link", "新品发布"),
        "docmsg": ("link", "周报模板"),
        "news": ("link", "公告"),
        "todo": ("text", "周五前交报告"),
        "card": ("text", None),
        "agree": ("system", None),
        "mixed-image": ("image", None),
        "future": ("text", None),
    }


def test_file_messages_become_files_with_the_archive_jobs_hash(peer, tmp_path):
    # GIVEN a file whose bytes the archive job hashed (sha256 beside md5sum, in capitals), one
    # it did not hash (size as the string some SDK wrappers write), and one sent before `since`
    old = SINCE - timedelta(days=3)
    records = [
        record("f-1", "zhangsan", T0, CHAT, "file", file_body("合同 2026.pdf", 4096, SHA.upper())),
        record("f-2", "lisi", T0, CHAT, "file", {**file_body("报价.xlsx", None), "filesize": "32768"}),
        record("f-0", "lisi", old, CHAT, "file", file_body("旧版.docx", 100)),
    ]
    # WHEN pulled
    snapshot = _pull(peer, tmp_path, *records)
    assert snapshot.messages is not None and snapshot.files is not None
    # THEN every file is a group file: id = its message, uploader = sender, uploaded at msgtime;
    # sha256 only where the job added it (md5sum is not one)
    assert {f.id: (f.name, f.size_bytes, f.sha256, f.uploader_id, f.uploaded_at) for f in snapshot.files} == {
        "f-1": ("合同 2026.pdf", 4096, SHA, "zhangsan", T0),
        "f-2": ("报价.xlsx", 32768, None, "lisi", T0),
        "f-0": ("旧版.docx", 100, None, "lisi", old),
    }
    assert all(f.download_url is None for f in snapshot.files)
    # ... while the messages keep to the window: the old one is not a message
    assert {m.id: (m.type, m.file_id, m.text) for m in snapshot.messages} == {
        "f-1": ("file", "f-1", None),
        "f-2": ("file", "f-2", None),
    }


def test_mentions_are_read_from_at_names(peer, tmp_path):
    # GIVEN members 张三 (nickname 销售部+张三), 李四, 王五, and a newcomer also named 张三丰
    peer.chats[CHAT].members.append(ChatMember("zhangsanfeng", name="张三丰"))
    peer.chats[CHAT].members.append(ChatMember("wangwu2", name="王五"))
    records = [
        _text("m-1", "lisi", T0, "@张三丰\u2005@销售部+张三 报价单在哪里？@李四"),
        _text("m-2", "zhangsan", T0 + timedelta(minutes=1), "@王五 收到吗"),  # two 王五: nobody
        _text("m-3", "zhangsan", T0 + timedelta(minutes=2), "@所有人 明天开会"),
        _text("m-4", "zhangsan", T0 + timedelta(minutes=3), "邮箱 a@b.com"),
    ]
    # WHEN pulled with 张三 mapped to a directory id
    snapshot = _pull(peer, tmp_path, *records, ids=IdMap({"zhangsan": "u-zhang"}))
    assert snapshot.messages is not None
    # THEN the longest name wins, nicknames and names both count, the sender is not mentioned,
    # ambiguous names mention nobody and @所有人 mentions everyone
    by_id = {m.id: m for m in snapshot.messages}
    assert by_id["m-1"].mentions == ("zhangsanfeng", "u-zhang")
    assert (by_id["m-2"].mentions, by_id["m-3"].mentions, by_id["m-3"].mention_all) == (None, None, True)
    assert (by_id["m-4"].mentions, by_id["m-4"].mention_all) == (None, None)


def test_robots_are_bot_members_and_keep_their_messages(peer, tmp_path):
    # GIVEN a group robot's message (WeCom robots send as ids starting with wb)
    records = [_text("m-1", "wbRobot01", T0, "【提醒】周报今天截止"), _text("m-2", "lisi", T0, "收到")]
    # WHEN pulled
    snapshot = _pull(peer, tmp_path, *records)
    assert snapshot.members is not None and snapshot.messages is not None
    # THEN the robot is a bot member named by its id, and the sender of its message
    (bot,) = [m for m in snapshot.members if m.is_bot]
    assert (bot.id, bot.display_name, bot.role) == ("wbRobot01", "wbRobot01", "member")
    assert snapshot.messages[0].sender_id == "wbRobot01"


def test_members_are_mapped_and_a_poster_who_left_is_not_one(peer, tmp_path):
    # GIVEN an IdMap for two staff members, and a poster no longer in the member list
    ids = IdMap({"zhangsan": "u-zhang", "lisi": "u-li"})
    records = [
        _text("m-1", "zhaoliu", T0, "我先退群了"),
        _text("m-2", "lisi", T0 + timedelta(minutes=1), "@张三 请看"),
    ]
    # WHEN pulled
    snapshot = _pull(peer, tmp_path, *records, ids=ids)
    assert snapshot.members is not None and snapshot.messages is not None
    # THEN members, owner, admins, senders and mentions carry directory ids; external contacts
    # are members like staff; the leaver's message stays but they are not a member
    assert {m.id: (m.display_name, m.role) for m in snapshot.members} == {
        "u-zhang": ("销售部+张三", "owner"),
        "u-li": ("销售部+李四", "admin"),
        "wangwu": ("王五", "member"),
        "wmExt01": ("林总", "member"),
    }
    assert (snapshot.group.owner_id, snapshot.group.admin_ids) == ("u-zhang", ["u-li"])
    assert [(m.sender_id, m.mentions) for m in snapshot.messages] == [
        ("zhaoliu", None),
        ("u-li", ("u-zhang",)),
    ]


def test_the_window_is_inclusive_and_later_records_are_ignored(peer, tmp_path):
    # GIVEN messages at since, at taken_at, just before since and just after taken_at
    records = [
        _text("at-since", "lisi", SINCE, "a"),
        _text("at-taken", "lisi", TAKEN_AT, "b"),
        _text("before", "lisi", SINCE - timedelta(milliseconds=1), "c"),
        _text("after", "lisi", TAKEN_AT + timedelta(milliseconds=1), "d"),
        record("f-late", "lisi", TAKEN_AT + timedelta(seconds=1), CHAT, "file", file_body("x.pdf", 1)),
    ]
    # WHEN pulled
    snapshot = _pull(peer, tmp_path, *records)
    assert snapshot.messages is not None
    # THEN only since <= sent_at <= taken_at are messages; files from after taken_at are not in
    assert [m.id for m in snapshot.messages] == ["at-since", "at-taken"]
    assert snapshot.files == []


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"msgtime": "yesterday"}, ("msgtime", "expected epoch milliseconds, got 'yesterday'")),
        ({"msgid": ""}, ("msgid", "expected a non-empty message id, got ''")),
        ({"text": {"content": 5}}, ("text.content", "a text message needs its content as a string")),
        ({"from": None}, ("from", "expected the sender's id, got None")),
    ],
    ids=["msgtime", "msgid", "content", "from"],
)
def test_a_bad_record_names_its_object_and_line(peer, tmp_path, bad, problem):
    # GIVEN a drop object whose second record is broken
    records = [_text("m-1", "lisi", T0, "ok"), {**_text("m-2", "lisi", T0, "ok"), **bad}]
    drops = _drops(tmp_path, *records)
    # WHEN pulled
    with pytest.raises(InputError) as caught:
        pull_snapshot(_request(peer, drops), _http(peer))
    # THEN the error names the object, the line and the field
    (found,) = caught.value.problems
    field, message = problem
    assert (found.path, found.message) == (f"{tmp_path / 'chatdata-0001.jsonl'}:2.{field}", message)


def test_a_bad_sha256_and_a_recall_without_target_are_refused(peer, tmp_path):
    records = [
        record("f-1", "lisi", T0, CHAT, "file", file_body("a.pdf", 1, "not-a-hash")),
        {**recall_record("r-1", "x", "lisi", T0, CHAT), "revoke": {}},
    ]
    with pytest.raises(InputError) as caught:
        _pull(peer, tmp_path, *records)
    assert [p.path.rsplit(".", 2)[-2:] for p in caught.value.problems] == [
        ["file", "sha256"],
        ["revoke", "pre_msgid"],
    ]


# --- the internal variant ---------------------------------------------------------------------


def test_internal_groups_come_from_the_archive_with_names_from_user_get(tmp_path):
    # GIVEN an internal room the archive knows, two of its three members in the directory
    room = ArchiveRoom(
        ROOM,
        "蓦然回首",
        "ZhangWenChao",
        1592361604,
        members=[("ZhangWenChao", 1592361605), ("xujinsheng", 1592377076), ("left", 0)],
    )
    users = {"ZhangWenChao": "张文超", "xujinsheng": "徐锦生"}
    with WeComPeer(rooms={ROOM: room}, users=users) as peer:
        # WHEN pulled with the archive's secret
        records = [_text("m-1", "xujinsheng", T0, "@张文超 请审批", roomid=ROOM)]
        snapshot = _pull(peer, tmp_path, *records, variant="internal", chat_id=ROOM)
        assert snapshot.members is not None and snapshot.messages is not None
        paths = [(r.path, r.arg("userid")) for r in peer.received]
    # THEN the room, its creator as owner, members named by user/get (a gone userid keeps its id)
    assert (snapshot.group.name, snapshot.group.owner_id, snapshot.group.created_by) == (
        "蓦然回首",
        "ZhangWenChao",
        "ZhangWenChao",
    )
    assert snapshot.group.created_at == datetime(2020, 6, 17, 2, 40, 4, tzinfo=UTC)
    assert [(m.id, m.display_name, m.role) for m in snapshot.members] == [
        ("ZhangWenChao", "张文超", "owner"),
        ("xujinsheng", "徐锦生", "member"),
        ("left", "left", "member"),
    ]
    assert snapshot.members[1].joined_at == datetime(2020, 6, 17, 6, 57, 56, tzinfo=UTC)
    assert snapshot.messages[0].mentions == ("ZhangWenChao",)
    # ... one token, one room call, one user/get per member
    assert paths == [
        (TOKEN_PATH, None),
        (INTERNAL_GROUP_PATH, None),
        (USER_PATH, "ZhangWenChao"),
        (USER_PATH, "xujinsheng"),
        (USER_PATH, "left"),
    ]


def test_the_internal_variant_from_a_snapshot_round_trips_members(tmp_path):
    original = load_snapshot(TENANT / "snapshots" / "project-xinghe.json")
    assert original.members is not None
    with WeComPeer.from_snapshot(original, variant="internal", chat_id=ROOM) as peer:
        records = archive_records(original, chat_id=ROOM)
        request = _request(
            peer, _drops(tmp_path, *records), variant="internal", chat_id=ROOM, taken_at=original.taken_at
        )
        pulled = pull_snapshot(request, _http(peer))
        assert pulled.members is not None
    assert {m.id: (m.display_name, m.joined_at) for m in pulled.members} == {
        m.id: (m.display_name, m.joined_at) for m in original.members
    }
    assert pulled.group.owner_id == original.group.owner_id


# --- failures, rate limits, secrets ------------------------------------------------------------


def test_a_frequency_limit_is_waited_out(peer, tmp_path):
    # GIVEN groupchat/get answers 45009 (api freq out of limit), then -1 (system busy)
    peer.script(CUSTOMER_GROUP_PATH, error_answer(45009), error_answer(-1))
    waits: list[float] = []
    # WHEN pulled
    http = _http(peer, waits)
    snapshot = pull_snapshot(_request(peer, _drops(tmp_path, _text("m-1", "lisi", T0, "hi"))), http)
    assert snapshot.members is not None
    # THEN it waited twice (WeCom gives no Retry-After: backoff) and then got the group
    assert len(waits) == 2 and all(0.5 <= w <= 1.25 for w in waits)
    assert len(peer.requests(CUSTOMER_GROUP_PATH)) == 3
    assert http.calls == 4
    assert len(snapshot.members) == 4


def test_a_persistent_frequency_limit_is_a_retryable_error(peer, tmp_path):
    # GIVEN groupchat/get answers 45009 every time
    peer.script(CUSTOMER_GROUP_PATH, *[error_answer(45009)] * 10)
    waits: list[float] = []
    # WHEN pulled with 2 retries
    with pytest.raises(PlatformError) as caught:
        pull_snapshot(_request(peer, _drops(tmp_path)), _http(peer, waits, max_retries=2))
    # THEN it gives up, retryable, naming the call and the errcode
    assert caught.value.retryable is True
    assert "POST /cgi-bin/externalcontact/groupchat/get: errcode 45009: api freq out of limit" in str(
        caught.value
    )
    assert len(waits) == 2


def test_a_refusal_half_way_fails_the_pull_with_the_platforms_code(tmp_path):
    # GIVEN an internal room whose second member is outside the archive app's visible range
    room = ArchiveRoom(ROOM, "研发群", "a", 1592361604, members=[("a", 1), ("b", 1), ("c", 1)])
    with WeComPeer(rooms={ROOM: room}, users={"a": "甲", "b": "乙", "c": "丙"}, invisible={"b"}) as peer:
        result = None
        # WHEN pulled
        with pytest.raises(PlatformError) as caught:
            result = _pull(peer, tmp_path, variant="internal", chat_id=ROOM)
        asked = [r.arg("userid") for r in peer.requests(USER_PATH)]
    # THEN nothing is returned; the error is final and carries WeCom's code, message and a hint
    assert result is None
    assert caught.value.retryable is False
    text = str(caught.value)
    assert "GET /cgi-bin/user/get: errcode 60011: no privilege to access/modify contact/party/agent" in text
    assert "outside the app's visible range" in text
    assert asked == ["a", "b"]


def test_the_wrong_apps_secret_is_refused_with_48002(peer, tmp_path):
    # GIVEN the customer-contact secret used for an internal room (which needs the archive's)
    peer.rooms[ROOM] = ArchiveRoom(ROOM, "研发群", "a")
    request = _request(
        peer, _drops(tmp_path), variant="internal", chat_id=ROOM, credentials=peer.credentials()
    )
    # WHEN pulled
    with pytest.raises(PlatformError) as caught:
        pull_snapshot(request, _http(peer))
    # THEN 48002 (api forbidden), not retryable, with what to grant
    assert caught.value.retryable is False
    assert "errcode 48002: api forbidden" in str(caught.value)
    assert "message-archive secret" in str(caught.value)


def test_an_unknown_chat_is_40050(peer, tmp_path):
    with pytest.raises(PlatformError) as caught:
        _pull(peer, tmp_path, chat_id="wrNoSuchChat")
    assert "errcode 40050: invalid group id" in str(caught.value)
    assert "check chat_id, and variant" in str(caught.value)


def test_an_expired_token_is_renewed_once(peer, tmp_path):
    # GIVEN the token expires right after it was handed out
    peer.script(CUSTOMER_GROUP_PATH, error_answer(42001))
    # WHEN pulled
    snapshot = _pull(peer, tmp_path)
    assert snapshot.members is not None
    # THEN a new token was fetched and used
    tokens = [r.arg("access_token") for r in peer.requests(CUSTOMER_GROUP_PATH)]
    assert len(peer.requests(TOKEN_PATH)) == 2
    assert len(set(tokens)) == 2
    assert len(snapshot.members) == 4
    # ... but a token refused again ends the pull
    peer.expire_tokens()
    peer.script(CUSTOMER_GROUP_PATH, error_answer(42001), error_answer(42001))
    with pytest.raises(PlatformError) as caught:
        _pull(peer, tmp_path / "again")
    assert "errcode 42001: access_token expired" in str(caught.value)


def test_secrets_and_tokens_never_appear_in_errors(peer, tmp_path):
    # GIVEN a wrong secret
    credentials = {"corp_id": peer.corp_id, "secret": "wrong-secret-Xy7Qp2"}
    with pytest.raises(PlatformError) as caught:
        pull_snapshot(_request(peer, _drops(tmp_path), credentials=credentials), _http(peer))
    # THEN 40001 with the hint, the secret nowhere (it travelled in the query string)
    assert "GET /cgi-bin/gettoken: errcode 40001: invalid credential" in str(caught.value)
    assert "wrong-secret-Xy7Qp2" not in str(caught.value)
    # GIVEN an error body that echoes the request back: the token the pull gets, and the secret
    token = f"tok-customer-{len(peer.tokens) + 1:04d}-Zq81mXv0"
    echo = {"errcode": 60011, "errmsg": f"no privilege for {token} / {peer.customer_secret}"}
    peer.script(CUSTOMER_GROUP_PATH, json_answer(echo))
    with pytest.raises(PlatformError) as caught:
        _pull(peer, tmp_path / "echo")
    # THEN both are masked
    assert token in peer.tokens
    assert str(caught.value).endswith(
        "errcode 60011: no privilege for *** / *** (outside the app's "
        "visible range (add the group owner / members to the app's visibility))"
    )


def test_missing_credentials_are_named(peer, tmp_path):
    request = _request(peer, _drops(tmp_path), credentials={"corp_id": peer.corp_id})
    with pytest.raises(PlatformError) as caught:
        pull_snapshot(request, _http(peer))
    assert "the credentials have no 'secret' (expected a JSON object with corp_id, secret)" in str(
        caught.value
    )
    assert peer.received == []


def test_an_unknown_variant_is_refused(peer, tmp_path):
    with pytest.raises(ValueError, match="unknown wecom variant 'scene'; one of customer, internal"):
        wecom.pull(_request(peer, _drops(tmp_path), variant="scene"), _http(peer))

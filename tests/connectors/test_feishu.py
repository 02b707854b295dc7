"""The Feishu source against the loopback Feishu peer, over real HTTP on 127.0.0.1: the sample
R&D group round trip (snapshot -> Feishu -> snapshot -> same audit), pagination, threads,
rate limits, token expiry, refusals half-way, secrets, id mapping and file hashing."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from groupaudit.connectors.base import IdMap, PullRequest, pull_snapshot
from groupaudit.connectors.feishu import PATH_MESSAGES, PATH_TOKEN, _open_to_user
from groupaudit.connectors.http import Http, PlatformError
from groupaudit.contracts import Message, Snapshot
from groupaudit.loading import load_snapshot
from groupaudit.local.peers.base import Request, json_answer
from groupaudit.local.peers.feishu import (
    FeishuPeer,
    FeishuUser,
    chat_rate_limited,
    feishu_error,
    message_rate_limited,
    rate_limited,
)
from groupaudit.ratelimits import FEISHU_RATE_LIMITED
from groupaudit.service import audit_snapshot, load_local_inputs
from kit import ROOT, TENANT

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
CHAT = "oc_5ad11d72b830411d72b836c20"
MEMBERS = f"/open-apis/im/v1/chats/{CHAT}/members"


# --- helpers -----------------------------------------------------------------------------------


def pull_request(
    peer: FeishuPeer,
    *,
    since: datetime = T0 - timedelta(days=30),
    taken_at: datetime = T0 + timedelta(hours=8),
    **kw,
) -> PullRequest:
    return PullRequest(
        platform="feishu",
        tenant_id="acme",
        group_id="grp-rd",
        chat_id=peer.chat_id,
        taken_at=taken_at,
        since=since,
        credentials={"app_id": peer.app_id, "app_secret": peer.app_secret},
        base_url=peer.url,
        kind="department",
        **kw,
    )


def http_for(peer: FeishuPeer, sleeps: list[float] | None = None, **kw) -> Http:
    """The source's Http, with the waits recorded instead of slept."""
    record = sleeps if sleeps is not None else []
    return Http("feishu", peer.url, secrets=[peer.app_secret], sleep=record.append, **kw)


def pull(peer: FeishuPeer, sleeps: list[float] | None = None, **kw) -> Snapshot:
    return pull_snapshot(pull_request(peer, **kw), http_for(peer, sleeps))


def by_id(snapshot: Snapshot) -> dict:
    return {m.id: m for m in snapshot.messages or ()}


def view(message: Message) -> tuple:
    """A message's facts, with the contract's defaults spelled out ([] = None = no mentions)."""
    return (
        message.id,
        message.sender_id,
        message.sent_at,
        message.type or "text",
        message.text,
        message.reply_to_id,
        message.thread_id,
        tuple(message.mentions or ()),
        bool(message.mention_all),
        message.file_id,
    )


@pytest.fixture
def peer():
    """A small group: owner 赵敏 (admin too), 钱七 (admin), 孙八, 周九; one bot admin."""
    peer = FeishuPeer(owner="u-head-rd", managers=["u-qian"], bot_managers=["cli_robot_ops"])
    peer.add_user("u-head-rd", "研发部+赵敏")
    peer.add_user("u-qian", "研发部+钱七")
    peer.add_user("u-sun", "研发部+孙八")
    peer.add_user("u-zhou", "研发部+周九")
    with peer:
        yield peer


def user(peer: FeishuPeer, user_id: str) -> FeishuUser:
    return next(u for u in peer.users if u.user_id == user_id)


def text(peer: FeishuPeer, who: str | FeishuUser, words: str, at: datetime, **kw) -> dict:
    sender = user(peer, who) if isinstance(who, str) and not who.startswith("cli_") else who
    return peer.post(sender, "text", {"text": words}, at=at, **kw)


# --- the sample group, there and back ----------------------------------------------------------


def test_rd_group_round_trips_through_feishu_and_audits_the_same():
    # GIVEN the sample R&D group held by Feishu, the server plan's bytes being the backed-up ones
    original = load_snapshot(TENANT / "snapshots" / "rd.json")
    assert original.members is not None and original.messages is not None and original.files is not None
    backup = (TENANT / "backups" / "服务器扩容方案 2026-11-13 赵敏.docx").read_bytes()
    peer = FeishuPeer.from_snapshot(original, contents={"f-rd-scale": backup}, chat_id="oc_rd")
    with peer:
        # WHEN the group is pulled back since it was created
        pulled = pull(peer, since=original.group.created_at, taken_at=original.taken_at)
        assert pulled.members is not None and pulled.files is not None

    # THEN the group, members, messages and files are the original's
    assert (pulled.group.id, pulled.group.name, pulled.group.kind) == ("grp-rd", "研发部工作群", "department")
    assert (pulled.group.owner_id, pulled.group.admin_ids) == ("u-head-rd", ["u-head-rd"])
    assert pulled.taken_at == original.taken_at
    assert [(m.id, m.display_name, m.role, m.joined_at, m.is_bot) for m in pulled.members] == [
        (m.id, m.display_name, m.role, m.joined_at, m.is_bot) for m in original.members
    ]
    pulled_messages = by_id(pulled)
    assert [view(pulled_messages[m.id]) for m in original.messages] == [view(m) for m in original.messages]
    # the platform's own additions: the "invited" system messages and one message per file
    extra = {i: m for i, m in pulled_messages.items() if i not in {m.id for m in original.messages}}
    assert {m.type for m in extra.values()} == {"system", "file"}
    assert sorted(m.file_id for m in extra.values() if m.file_id) == ["f-rd-api", "f-rd-duty", "f-rd-scale"]
    for file in original.files:
        got = next(f for f in pulled.files if f.id == file.id)
        content = peer.resources[file.id]
        assert (got.name, got.uploader_id, got.uploaded_at) == (file.name, file.uploader_id, file.uploaded_at)
        assert (got.size_bytes, got.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert next(f for f in pulled.files if f.id == "f-rd-scale").sha256 == original.files[2].sha256

    # AND the audit finds the same, minus what Feishu cannot carry (a file's expiry date)
    inputs = load_local_inputs(TENANT / "policy.yaml", TENANT / "directory.json", TENANT / "backups")

    def findings(snapshot: Snapshot) -> set[tuple[str, str]]:
        report = audit_snapshot(
            snapshot, policies=inputs.policies, directory=inputs.directory, backups=inputs.backups
        )
        return {(f.rule, f.subject_id) for f in report.findings}

    assert findings(original) - findings(pulled) == {("stale_file", "f-rd-duty")}  # expired: not carried
    assert findings(pulled) == {
        ("overdue_reply", "u-zhou"),
        ("stale_file", "f-rd-api"),
        ("off_hours_post", "u-wu"),  # 21:30 on a weekday, not marked urgent
    }


# --- pagination --------------------------------------------------------------------------------


def test_every_page_of_members_and_messages_is_followed(peer):
    # GIVEN pages of 3 members and 4 messages
    peer.member_page_size, peer.message_page_size = 3, 4
    for index in range(3):
        peer.add_user(f"u-{index}", f"新人{index}")
    for minute in range(10):
        text(peer, "u-sun", f"第{minute}条", T0 + timedelta(minutes=minute), message_id=f"om_{minute:02d}")

    snapshot = pull(peer)
    assert snapshot.members is not None and snapshot.messages is not None

    # THEN everything is there, read page after page with the token of the page before
    assert len(snapshot.members) == 7 + 1  # seven people and the bot admin
    assert [m.id for m in snapshot.messages] == [f"om_{minute:02d}" for minute in range(10)]
    listings = peer.requests(PATH_MESSAGES)
    assert [r.arg("page_size") for r in listings] == ["50"] * 3
    tokens = [r.arg("page_token") for r in listings]
    assert tokens[0] is None and len(set(tokens[1:])) == 2
    for id_type in ("open_id", "user_id"):
        reads = [r for r in peer.requests(MEMBERS) if r.arg("member_id_type") == id_type]
        assert [r.arg("page_size") for r in reads] == ["100"] * 3
        assert reads[0].arg("page_token") is None and all(r.arg("page_token") for r in reads[1:])


def test_messages_are_read_in_the_window_in_seconds():
    peer = FeishuPeer()
    sun = peer.add_user("u-sun", "孙八")
    since, taken_at = (
        datetime(2026, 11, 1, 0, 0, 0, 250_000, UTC),
        datetime(2026, 11, 20, 10, 0, 0, 750_000, UTC),
    )
    for name, moment in [
        ("before", since - timedelta(milliseconds=1)),
        ("first", since),
        ("last", taken_at),
        ("after", taken_at + timedelta(milliseconds=1)),
    ]:
        peer.post(sun, "text", {"text": name}, at=moment, message_id=f"om_{name}")
    with peer:
        snapshot = pull(peer, since=since, taken_at=taken_at)
        assert snapshot.messages is not None
        listing = peer.requests(PATH_MESSAGES)[0]

    # THEN Feishu is asked in whole seconds around the window, and the milliseconds decide
    assert (listing.arg("start_time"), listing.arg("end_time")) == (
        str(int(since.timestamp())),
        str(int(taken_at.timestamp()) + 1),
    )
    assert listing.arg("container_id_type") == "chat" and listing.arg("sort_type") == "ByCreateTimeAsc"
    assert [(m.id, m.sent_at) for m in snapshot.messages] == [("om_first", since), ("om_last", taken_at)]
    assert snapshot.messages[0].sent_at.tzinfo is not None


# --- what messages become ------------------------------------------------------------------------


def test_threads_quotes_recalls_edits_bots_and_system_events(peer):
    sun, zhou, qian = user(peer, "u-sun"), user(peer, "u-zhou"), user(peer, "u-qian")
    # a thread: the root is listed in the chat, the replies only in the thread container
    peer.post(sun, "text", {"text": "上线窗口？"}, at=T0, message_id="om_root", thread_id="omt_1")
    peer.post(
        zhou,
        "text",
        {"text": "周五"},
        at=T0 + timedelta(minutes=1),
        message_id="om_r1",
        root_id="om_root",
        parent_id="om_root",
        thread_id="omt_1",
    )
    peer.post(
        qian,
        "text",
        {"text": "同意"},
        at=T0 + timedelta(minutes=2),
        message_id="om_r2",
        root_id="om_root",
        parent_id="om_r1",
        thread_id="omt_1",
    )
    # a quoted reply in the main timeline
    text(
        peer,
        "u-qian",
        "收到",
        T0 + timedelta(minutes=3),
        message_id="om_quote",
        root_id="om_root",
        parent_id="om_root",
    )
    text(peer, "u-zhou", "说错了", T0 + timedelta(minutes=4), message_id="om_recalled", deleted=True)
    text(
        peer,
        "u-sun",
        "改过的话",
        T0 + timedelta(minutes=5),
        message_id="om_edited",
        updated_at=T0 + timedelta(hours=1),
    )
    text(peer, "cli_robot_deploy", "部署完成", T0 + timedelta(minutes=6), message_id="om_bot")
    invite = {
        "template": "{from_user} invited {to_chatters} to this chat.",
        "from_user": ["研发部+赵敏"],
        "to_chatters": ["研发部+周九"],
    }
    peer.post(None, "system", invite, at=T0 + timedelta(minutes=7), message_id="om_join")
    peer.post(qian, "video_chat", {"topic": "视频通话", "start_time": "1"}, at=T0 + timedelta(minutes=8))

    snapshot = pull(peer)
    assert snapshot.members is not None and snapshot.messages is not None
    messages = by_id(snapshot)

    assert [
        r.arg("container_id") for r in peer.requests(PATH_MESSAGES) if r.arg("container_id_type") == "thread"
    ] == ["omt_1"]
    assert all(
        r.arg("start_time") is None for r in peer.requests(PATH_MESSAGES) if r.arg("container_id") == "omt_1"
    )
    assert (messages["om_root"].thread_id, messages["om_root"].reply_to_id) == (None, None)
    assert (messages["om_r1"].thread_id, messages["om_r1"].reply_to_id) == ("om_root", "om_root")
    assert (messages["om_r2"].thread_id, messages["om_r2"].reply_to_id) == ("om_root", "om_r1")
    assert (messages["om_quote"].thread_id, messages["om_quote"].reply_to_id) == (None, "om_root")
    assert "om_recalled" not in messages
    assert (messages["om_edited"].text, messages["om_edited"].sent_at) == (
        "改过的话",
        T0 + timedelta(minutes=5),
    )
    assert messages["om_bot"].sender_id == "cli_robot_deploy"
    assert (messages["om_join"].type, messages["om_join"].sender_id) == ("system", "system")
    assert messages["om_join"].text == "研发部+赵敏 invited 研发部+周九 to this chat."
    assert [m.type for m in snapshot.messages if m.sender_id == "u-qian"] == ["text", "text", "system"]
    members = {m.id: m for m in snapshot.members}
    assert members["u-zhou"].joined_at == T0 + timedelta(minutes=7)
    assert (members["cli_robot_deploy"].is_bot, members["cli_robot_deploy"].role) == (True, "member")
    assert (members["cli_robot_ops"].is_bot, members["cli_robot_ops"].role) == (True, "admin")
    assert [(m.id, m.role) for m in snapshot.members if not m.is_bot] == [
        ("u-head-rd", "owner"),
        ("u-qian", "admin"),
        ("u-sun", "member"),
        ("u-zhou", "member"),
    ]
    assert snapshot.group.admin_ids == ["u-head-rd", "u-qian", "cli_robot_ops"]


def test_mentions_rich_text_and_message_types(peer):
    sun, zhou, qian = user(peer, "u-sun"), user(peer, "u-zhou"), user(peer, "u-qian")
    peer.post(
        sun,
        "text",
        {"text": "@_user_1 @_user_2 请看 @_all"},
        at=T0,
        message_id="om_text",
        mentions=[zhou, qian, "all"],
    )
    post = {
        "title": "周报",
        "content": [
            [{"tag": "text", "text": "进度 "}, {"tag": "at", "user_id": "@_user_1", "user_name": ""}],
            [{"tag": "img", "image_key": "img_1"}],
            [{"tag": "a", "text": "链接", "href": "https://example.com"}],
        ],
    }
    peer.post(
        qian, "post", {"zh_cn": post}, at=T0 + timedelta(minutes=1), message_id="om_post", mentions=[zhou]
    )
    kinds = {
        "image": {"image_key": "img_2"},
        "audio": {"file_key": "file_a", "duration": 2000},
        "media": {"file_key": "file_v", "image_key": "img_3", "file_name": "演示.mp4", "duration": 9},
        "sticker": {"file_key": "file_s"},
        "share_chat": {"chat_id": "oc_other"},
        "interactive": {"title": "告警", "elements": [[{"tag": "text", "text": "CPU 过高"}]]},
    }
    for minute, (msg_type, content) in enumerate(kinds.items(), start=2):
        peer.post(zhou, msg_type, content, at=T0 + timedelta(minutes=minute), message_id=f"om_{msg_type}")

    messages = by_id(pull(peer))

    assert messages["om_text"].text == "@研发部+周九 @研发部+钱七 请看 @所有人"
    assert (messages["om_text"].mentions, messages["om_text"].mention_all) == (("u-zhou", "u-qian"), True)
    assert messages["om_post"].text == "周报\n进度 @研发部+周九\n\n链接"
    assert (messages["om_post"].type, messages["om_post"].mentions) == ("text", ("u-zhou",))
    assert {i: messages[f"om_{i}"].type for i in kinds} == {
        "image": "image",
        "audio": "voice",
        "media": "video",
        "sticker": "image",
        "share_chat": "link",
        "interactive": "text",
    }
    assert (messages["om_media"].text, messages["om_interactive"].text) == ("演示.mp4", "告警 CPU 过高")


# --- ids -----------------------------------------------------------------------------------------


def test_senders_and_mentions_are_mapped_from_open_ids_to_employee_ids_then_the_idmap(peer):
    sun, zhou = user(peer, "u-sun"), user(peer, "u-zhou")
    peer.post(sun, "text", {"text": "@_user_1 在吗"}, at=T0, message_id="om_1", mentions=[zhou])
    gone = peer.add_user("u-gone", "已离职", member=False)
    peer.post(gone, "text", {"text": "再见"}, at=T0 + timedelta(minutes=1), message_id="om_2")

    snapshot = pull(peer, ids=IdMap({"u-sun": "E-SUN", "u-zhou": "E-ZHOU", "cli_robot_ops": "BOT-OPS"}))
    assert snapshot.members is not None

    message = by_id(snapshot)["om_1"]
    assert (message.sender_id, message.mentions) == ("E-SUN", ("E-ZHOU",))
    assert {m.id for m in snapshot.members} == {"u-head-rd", "u-qian", "E-SUN", "E-ZHOU", "BOT-OPS"}
    assert by_id(snapshot)["om_2"].sender_id == gone.open_id  # left the group: no user_id to pair with
    assert sun.open_id.startswith("ou_") and sun.open_id not in json.dumps([m.id for m in snapshot.members])


def test_variant_open_id_keeps_open_ids_and_needs_no_employee_id_scope(peer):
    peer.scopes.discard("contact:user.employee_id:readonly")
    sun = user(peer, "u-sun")
    peer.post(sun, "text", {"text": "hi"}, at=T0, message_id="om_1")

    snapshot = pull(peer, variant="open_id", ids=IdMap({sun.open_id: "E-SUN"}))

    assert by_id(snapshot)["om_1"].sender_id == "E-SUN"
    assert snapshot.group.owner_id == user(peer, "u-head-rd").open_id
    assert all(r.arg("member_id_type") == "open_id" for r in peer.requests(MEMBERS))


def test_employee_ids_without_their_scope_is_a_refusal_naming_the_scope(peer):
    peer.scopes.discard("contact:user.employee_id:readonly")
    with pytest.raises(PlatformError) as caught:
        pull(peer)
    assert caught.value.retryable is False
    assert "code 99991672" in str(caught.value) and "contact:user.employee_id:readonly" in str(caught.value)


# --- files ---------------------------------------------------------------------------------------


def test_files_are_hashed_through_ranged_downloads(peer):
    sun = user(peer, "u-sun")
    big = bytes(range(256)) * 1200  # 300 KiB: a probe and one more range
    peer.add_file(sun, "设计稿.pdf", big, at=T0, file_key="file_big", message_id="om_f1")
    peer.add_file(sun, "空.txt", b"", at=T0 + timedelta(minutes=1), file_key="file_empty")
    peer.add_file(sun, "撤回.pdf", b"x", at=T0 + timedelta(minutes=2), file_key="file_gone", deleted=True)
    peer.post(sun, "file", {"file_key": "file_lost", "file_name": "丢失.doc"}, at=T0 + timedelta(minutes=3))

    snapshot = pull(peer)
    assert snapshot.files is not None

    files = {f.id: f for f in snapshot.files}
    assert set(files) == {"file_big", "file_empty", "file_lost"}
    assert (files["file_big"].size_bytes, files["file_big"].sha256) == (
        len(big),
        hashlib.sha256(big).hexdigest(),
    )
    assert (files["file_big"].name, files["file_big"].uploader_id, files["file_big"].uploaded_at) == (
        "设计稿.pdf",
        "u-sun",
        T0,
    )
    assert files["file_empty"].sha256 == hashlib.sha256(b"").hexdigest()
    assert (files["file_lost"].size_bytes, files["file_lost"].sha256) == (None, None)  # 234003: no hash
    assert by_id(snapshot)["om_f1"].file_id == "file_big" and by_id(snapshot)["om_f1"].type == "file"
    ranges = [r.header("Range") for r in peer.requests("/open-apis/im/v1/messages/om_f1/resources/file_big")]
    assert ranges == ["bytes=0-131071", f"bytes=131072-{len(big) - 1}"]
    assert all(f.download_url is None for f in snapshot.files)


def test_files_above_the_download_limit_get_their_size_but_no_hash(peer):
    peer.add_file(
        user(peer, "u-sun"), "录像.mp4", b"v" * 5000, at=T0, file_key="file_video", message_id="om_v"
    )

    snapshot = pull(peer, max_download_bytes=4096)
    assert snapshot.files is not None

    assert (snapshot.files[0].size_bytes, snapshot.files[0].sha256) == (5000, None)
    assert [
        r.header("Range") for r in peer.requests("/open-apis/im/v1/messages/om_v/resources/file_video")
    ] == ["bytes=0-4095"]


def test_a_server_that_ignores_ranges_still_gets_the_file_hashed(peer):
    peer.honour_range = False
    peer.add_file(user(peer, "u-sun"), "a.txt", b"hello", at=T0, file_key="file_a")
    files = pull(peer).files
    assert files is not None and files[0].sha256 == hashlib.sha256(b"hello").hexdigest()


def test_no_download_at_all_when_the_limit_is_zero(peer):
    peer.add_file(user(peer, "u-sun"), "a.txt", b"hello", at=T0, file_key="file_a", message_id="om_a")
    snapshot = pull(peer, max_download_bytes=0)
    assert snapshot.files is not None
    assert (snapshot.files[0].sha256, peer.requests("/open-apis/im/v1/messages/om_a/resources/file_a")) == (
        None,
        [],
    )


# --- rate limits, tokens, refusals --------------------------------------------------------------


def test_the_rate_limit_code_is_waited_out_as_feishu_says(peer):
    sleeps: list[float] = []
    peer.script(PATH_MESSAGES, rate_limited(status=400, reset_s=3), rate_limited(status=200, reset_s=1.5))
    text(peer, "u-sun", "hi", T0, message_id="om_1")

    snapshot = pull(peer, sleeps)
    assert snapshot.messages is not None

    assert sleeps == [3.0, 1.5]
    assert [m.id for m in snapshot.messages] == ["om_1"]


def test_http_429_is_retried(peer):
    sleeps: list[float] = []
    peer.script(MEMBERS, rate_limited(status=429, reset_s=2))
    members = pull(peer, sleeps).members
    assert members is not None and len(members) == 5
    assert len(sleeps) == 1 and sleeps[0] > 0


def test_a_persistent_rate_limit_ends_in_a_retryable_error(peer):
    sleeps: list[float] = []
    peer.script(PATH_MESSAGES, *[rate_limited(status=400, reset_s=1)] * 10)
    with pytest.raises(PlatformError) as caught:
        pull(peer, sleeps)
    assert caught.value.retryable is True
    assert "99991400" in str(caught.value) and sleeps == [1.0] * 4


def test_an_expired_token_is_replaced_in_the_middle_of_the_pull(peer):
    peer.token_uses = 3
    peer.message_page_size = 1
    for minute in range(4):
        text(peer, "u-sun", "hi", T0 + timedelta(minutes=minute))

    snapshot = pull(peer)
    assert snapshot.messages is not None

    assert len(snapshot.messages) == 4
    assert len(peer.requests(PATH_TOKEN)) == len(peer.tokens_issued) >= 3


def test_a_token_rejected_again_after_a_refresh_is_an_error(peer):
    peer.token_uses = 0
    with pytest.raises(PlatformError) as caught:
        pull(peer)
    assert "99991663" in str(caught.value) and len(peer.tokens_issued) == 2


def test_a_refusal_on_page_two_fails_the_whole_pull(peer):
    # GIVEN messages over two pages, the second refused for a missing permission
    peer.message_page_size = 2
    for minute in range(3):
        text(peer, "u-sun", "hi", T0 + timedelta(minutes=minute))
    peer.fail_on(PATH_MESSAGES, feishu_error(230027, "Lack of necessary permissions."), after=1)

    with pytest.raises(PlatformError) as caught:
        pull(peer)

    assert caught.value.retryable is False
    assert "code 230027: Lack of necessary permissions." in str(caught.value)
    assert "im:message.group_msg" in str(caught.value)
    assert len(peer.requests(PATH_MESSAGES)) == 2


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda p: setattr(p, "bot_in_chat", False), "code 232011: Operator can NOT be out of the chat."),
        (lambda p: p.scopes.discard("im:message.group_msg"), "code 230027"),
        (lambda p: p.scopes.discard("im:chat:readonly"), "One of the following scopes is required: [im:chat"),
        (lambda p: setattr(p, "chat_id", "oc_other"), "code 232006"),
    ],
)
def test_documented_refusals_are_final_errors_with_feishus_words(peer, setup, expected):
    request = pull_request(peer)
    setup(peer)
    with pytest.raises(PlatformError) as caught:
        pull_snapshot(request, http_for(peer))
    assert caught.value.retryable is False and expected in str(caught.value)


def test_wrong_credentials_never_show_the_secret(peer):
    request = pull_request(peer)
    wrong = {"app_id": peer.app_id, "app_secret": "Wr0ng-" + peer.app_secret}
    waits: list[float] = []
    with pytest.raises(PlatformError) as caught:
        pull_snapshot(
            dataclasses.replace(request, credentials=wrong),
            Http("feishu", peer.url, secrets=wrong.values(), sleep=waits.append),
        )
    assert "code 10014: app secret invalid" in str(caught.value)
    assert wrong["app_secret"] not in str(caught.value) and peer.app_secret not in str(caught.value)


def test_tokens_echoed_by_the_platform_are_redacted(peer):
    class Echo(FeishuPeer):
        def _chat(self, request: Request, chat_id: str):
            return feishu_error(232010, f"bad operator {request.header('Authorization')} {self.app_secret}")

    echo = Echo(owner="u-head-rd")
    with echo, pytest.raises(PlatformError) as caught:
        pull(echo)
    message = str(caught.value)
    assert echo.tokens_issued and echo.tokens_issued[0] not in message and echo.app_secret not in message
    assert "bad operator Bearer *** ***" in message


def test_missing_credentials_and_unknown_variants_are_refused_before_any_call(peer):
    with pytest.raises(PlatformError, match="no 'app_secret'"):
        pull_snapshot(dataclasses.replace(pull_request(peer), credentials={"app_id": "cli_x"}))
    with pytest.raises(PlatformError, match="unknown variant 'union_id'"):
        pull(peer, variant="union_id")
    assert peer.requests(PATH_TOKEN) == []


def test_open_ids_pair_with_user_ids_by_order_else_by_unique_names():
    http = Http("feishu", "http://127.0.0.1:9")

    def members(*pairs: tuple[str, str]) -> list[dict]:
        return [{"member_id": member_id, "name": name} for member_id, name in pairs]

    by_open = members(("ou_a", "张三"), ("ou_b", "李四"), ("ou_c", "王五"))
    same_order = members(("u1", "张三"), ("u2", "李四"), ("u3", "王五"))
    shuffled = members(("u3", "王五"), ("u1", "张三"), ("u2", "李四"))
    assert _open_to_user(http, by_open, same_order) == {"ou_a": "u1", "ou_b": "u2", "ou_c": "u3"}
    assert _open_to_user(http, by_open, shuffled) == {"ou_a": "u1", "ou_b": "u2", "ou_c": "u3"}

    twins = members(("ou_a", "张伟"), ("ou_b", "张伟"), ("ou_c", "王五"))
    with pytest.raises(PlatformError, match="shared by several members") as caught:
        _open_to_user(http, twins, members(("u3", "王五"), ("u1", "张伟"), ("u2", "张伟")))
    assert caught.value.retryable is True
    with pytest.raises(PlatformError, match="changed while it was read"):
        _open_to_user(http, by_open, same_order[:2])


# --- Feishu's own example bodies (platform-samples/feishu, read in place) -----------------------

SAMPLES = ROOT.parent / "shared" / "data" / "platform-samples" / "feishu"
CHAT_PATH = f"/open-apis/im/v1/chats/{CHAT}"


def documented(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("path", "limited", "code"),
    [
        (CHAT_PATH, chat_rate_limited, 232019),
        (MEMBERS, chat_rate_limited, 232019),
        (PATH_MESSAGES, message_rate_limited, 230020),
    ],
    ids=["chat-get-232019", "members-232019", "messages-230020"],
)
def test_the_chat_and_message_apis_own_rate_limits_are_waited_out(peer, path, limited, code):
    # GIVEN a call answered once with its API's own rate-limit code (HTTP 400, no reset header)
    sleeps: list[float] = []
    peer.script(path, limited())
    text(peer, "u-sun", "hi", T0, message_id="om_1")
    # WHEN pulled
    snapshot = pull(peer, sleeps)
    assert snapshot.members is not None and snapshot.messages is not None
    # THEN it waited once (backoff: Feishu gives no reset time) and the pull completed
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 0.625
    assert [m.id for m in snapshot.messages] == ["om_1"] and len(snapshot.members) == 5
    assert code in FEISHU_RATE_LIMITED


def test_a_persistent_chat_rate_limit_is_retryable_not_final(peer):
    # GIVEN chat/get answers 232019 every time
    peer.script(CHAT_PATH, *[chat_rate_limited()] * 10)
    # WHEN pulled
    with pytest.raises(PlatformError) as caught:
        pull(peer, [])
    # THEN the pull gives up retryable (the group is tried again later), naming the code
    assert caught.value.retryable is True
    assert "code 232019: The request has been rate limited." in str(caught.value)


def test_the_documented_chat_answer_gives_name_owner_admins_and_no_creation_time(peer):
    # GIVEN chat/get answers with its documented example, once after a 232019
    peer.script(CHAT_PATH, chat_rate_limited(), json_answer(documented("im_v1_chat_get.doc_example.json")))
    # WHEN pulled (open_ids kept)
    since = T0 - timedelta(days=14)
    snapshot = pull(peer, [], variant="open_id", since=since)
    assert snapshot.members is not None
    # THEN the group is the example's: name, owner, the user manager and the bot manager as admins
    group = snapshot.group
    assert (group.name, group.owner_id) == ("测试群名称", "4d7a3c6g")
    assert group.admin_ids == ["4d7a3c6g", "ou_9204a37300b3700d61effaa439f34295", "cli_a3e157960e7294c"]
    assert [(m.id, m.role, m.is_bot) for m in snapshot.members if m.is_bot] == [
        ("cli_a3e157960e7294c", "admin", True)
    ]
    # ... with no creation time (the example has none), and messages from the window's start
    assert group.created_at is None
    assert snapshot.messages_since == since


def test_the_documented_member_page_is_followed_by_its_page_token(peer):
    # GIVEN the members API answers its documented example (has_more with a page_token), then
    # an empty last page; chat/get answers its example (which names that member as a manager)
    page = documented("im_v1_chat_members.doc_example.json")
    last = {"code": 0, "msg": "success", "data": {"items": [], "has_more": False, "member_total": 1}}
    peer.script(MEMBERS, json_answer(page), json_answer(last))
    peer.script(CHAT_PATH, json_answer(documented("im_v1_chat_get.doc_example.json")))
    # WHEN pulled (open_ids kept)
    snapshot = pull(peer, [], variant="open_id")
    assert snapshot.members is not None
    # THEN the example's member is in, named and an admin; the second page was asked by its token
    humans = [(m.id, m.display_name, m.role) for m in snapshot.members if not m.is_bot]
    assert humans == [("ou_9204a37300b3700d61effaa439f34295", "张三", "admin")]
    first, second = peer.requests(MEMBERS)
    assert first.arg("page_token") is None and second.arg("page_token") == page["data"]["page_token"]

"""Merging an incremental pull with the previous pull state, and when a state is built on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from groupaudit.connectors.base import IdMap, PullRequest
from groupaudit.connectors.incremental import (
    OVERLAPS,
    PullState,
    covered_since,
    decode_state,
    encode_state,
    merge,
    usable,
)
from groupaudit.contracts import File, Group, Member, Message, Snapshot

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _snapshot(messages, members, files=(), taken_at=T0) -> Snapshot:
    return Snapshot(
        schema_version=1,
        platform="feishu",
        taken_at=taken_at,
        group=Group(id="grp-rd", name="研发部"),
        tenant_id="acme",
        members=list(members),
        messages=list(messages),
        files=list(files),
    )


def _message(mid: str, days_ago: float, sender: str = "u-qian", **fields) -> Message:
    return Message(id=mid, sender_id=sender, sent_at=T0 - timedelta(days=days_ago), **fields)


def test_merge_keeps_older_messages_and_takes_the_reread_part_as_the_platform_says_now():
    joined = T0 - timedelta(days=100)
    previous = _snapshot(
        [
            _message("old-outside", 200),  # left the window
            _message("old", 20, file_id="f-old"),
            _message("bot-said", 19, sender="cli_bot"),
            _message("recalled-later", 1),  # in the re-read part: recalled since
            _message("edited-later", 0.5, text="v1"),
        ],
        [
            Member(id="u-qian", display_name="钱七", joined_at=joined),
            Member(id="cli_bot", display_name="机器人", is_bot=True),
        ],
        [File(id="f-old", name="方案.docx", uploaded_at=T0 - timedelta(days=20))],
    )
    reread_from = T0 - OVERLAPS["feishu"]
    now = T0 + timedelta(days=1)
    fetched = _snapshot(
        [_message("edited-later", 0.5, text="v2"), _message("new", -0.5)],
        [Member(id="u-qian", display_name="钱七"), Member(id="u-sun", display_name="孙八")],
        taken_at=now,
    )
    merged = merge(previous, fetched, window_since=now - timedelta(days=180), reread_from=reread_from)
    assert merged.members is not None and merged.messages is not None and merged.files is not None
    # messages: the kept older ones, then the re-read part as it is now (recall and edit seen)
    assert [(m.id, m.text) for m in merged.messages] == [
        ("old", None),
        ("bot-said", None),
        ("edited-later", "v2"),
        ("new", None),
    ]
    # members: as now, with the join time only the state knew, and the bot of a kept message
    assert [(m.id, m.joined_at) for m in merged.members] == [
        ("u-qian", joined),
        ("u-sun", None),
        ("cli_bot", None),
    ]
    # files: the one a kept message shares
    assert [f.id for f in merged.files] == ["f-old"]
    assert merged.taken_at == now


def _request(**fields) -> PullRequest:
    values = {
        "platform": "feishu",
        "tenant_id": "acme",
        "group_id": "grp-rd",
        "chat_id": "oc_1",
        "variant": "open_id",
        "taken_at": T0 + timedelta(days=1),
        "since": T0 + timedelta(days=1) - timedelta(days=180),
        "credentials": {},
        "ids": IdMap({"ou_1": "u-qian"}),
        **fields,
    }
    return PullRequest(**values)


def _state(**fields) -> PullState:
    values = {
        "version": 1,
        "platform": "feishu",
        "chat_id": "oc_1",
        "variant": "open_id",
        "ids_digest": IdMap({"ou_1": "u-qian"}).digest(),
        "covered_since": T0 - timedelta(days=180),
        "covered_until": T0,
        "snapshot": _snapshot([], []),
        **fields,
    }
    return PullState(**values)


def test_a_state_is_built_on_only_for_the_same_pull_covering_the_window():
    assert usable(_state(), _request()) is not None
    assert usable(decode_state(encode_state(_state())), _request()) is not None
    refused = [
        _request(chat_id="oc_2"),  # another chat
        _request(variant="user_id"),  # other ids (the state was pulled with open ids)
        _request(ids=IdMap({"ou_1": "u-sun"})),  # another id map
        _request(platform="dingtalk"),  # messages from drops: nothing to save
        _request(since=T0 - timedelta(days=200)),  # a longer window than the state covers
        _request(since=T0 - timedelta(days=1)),  # the re-read part would start before the window
        _request(taken_at=T0 - timedelta(days=1), since=T0 - timedelta(days=100)),  # a state from the future
    ]
    assert [usable(_state(), request) for request in refused] == [None] * len(refused)
    assert decode_state(b"{not json") is None and decode_state(None) is None


def test_the_cli_pull_builds_on_and_updates_a_state_file(tmp_path, capsys):
    # GIVEN the sample R&D group in a Feishu peer, and its app credentials in a file
    import json

    from groupaudit.cli import main
    from groupaudit.loading import load_snapshot
    from groupaudit.local.peers.feishu import FeishuPeer
    from kit import TENANT

    with FeishuPeer.from_snapshot(load_snapshot(TENANT / "snapshots" / "rd.json")) as peer:
        credentials = tmp_path / "feishu.json"
        credentials.write_text(json.dumps({"app_id": peer.app_id, "app_secret": peer.app_secret}))
        state = tmp_path / "state.json"
        argv = ["pull", "feishu", peer.chat_id, "--credentials", str(credentials), "--base-url", peer.url]
        argv += ["--variant", "open_id", "--group", "grp-rd", "--state", str(state)]
        # WHEN it is pulled twice, a day apart
        first = main([*argv, "--out", str(tmp_path / "1.json"), "--now", "2026-11-20T18:00:00+08:00"])
        first_err = capsys.readouterr().err
        second = main([*argv, "--out", str(tmp_path / "2.json"), "--now", "2026-11-21T18:00:00+08:00"])
        second_err = capsys.readouterr().err
    # THEN the first pull was whole and the second built on the state the first wrote
    assert (first, second) == (0, 0)
    assert f"pull: full; state written to {state}" in first_err
    assert f"pull: incremental; state written to {state}" in second_err
    written = decode_state(state.read_bytes())
    assert written is not None
    assert written.covered_until == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert load_snapshot(tmp_path / "2.json").messages == written.snapshot.messages
    # ... and each snapshot holds the messages from its own window's start (180 days back)
    starts = [load_snapshot(tmp_path / f"{n}.json").messages_since for n in (1, 2)]
    assert starts == [datetime(2026, 5, 24, 10, 0, tzinfo=UTC), datetime(2026, 5, 25, 10, 0, tzinfo=UTC)]


def test_merge_keeps_replies_to_old_threads_and_first_uploads():
    # GIVEN a state with a thread whose root is older than the re-read part and a reply inside
    # it, and a file first shared before the re-read part
    reread_from = T0 - OVERLAPS["feishu"]
    previous = _snapshot(
        [
            _message("root", 20, text="上线时间定了吗？"),
            _message("reply-in-overlap", 3, sender="u-sun", thread_id="root", reply_to_id="root"),
            _message("gone-reply", 2, sender="u-sun", thread_id="new-root", reply_to_id="new-root"),
            _message("new-root", 4),
            _message("shared-first", 20, file_id="f-1"),
        ],
        [Member(id="u-qian", display_name="钱七"), Member(id="u-sun", display_name="孙八")],
        [File(id="f-1", name="排期.xlsx", uploaded_at=T0 - timedelta(days=20), uploader_id="u-qian")],
    )
    now = T0 + timedelta(days=1)
    # WHEN Feishu's re-read shows neither the old thread (its root is outside the range) nor the
    # recalled reply of the new thread, and the file shared again by someone else
    fetched = _snapshot(
        [_message("new-root", 4), _message("shared-again", 1, sender="u-sun", file_id="f-1")],
        [Member(id="u-qian", display_name="钱七"), Member(id="u-sun", display_name="孙八")],
        [File(id="f-1", name="排期.xlsx", uploaded_at=T0 - timedelta(days=1), uploader_id="u-sun")],
        taken_at=now,
    )
    merged = merge(previous, fetched, window_since=now - timedelta(days=180), reread_from=reread_from)
    assert merged.messages is not None and merged.files is not None
    # THEN the old thread's reply is kept, the re-read thread is as Feishu shows it now
    assert [m.id for m in merged.messages] == [
        "root",
        "shared-first",
        "new-root",
        "reply-in-overlap",
        "shared-again",
    ]
    # AND the file keeps its first upload
    (file,) = merged.files
    assert (file.uploaded_at, file.uploader_id) == (T0 - timedelta(days=20), "u-qian")


def test_an_incremental_pull_covers_the_window_from_its_start_unless_the_state_starts_later():
    # GIVEN states covering from 180 days before T0: one whose snapshot held messages from then,
    # one whose snapshot held them only from 90 days before T0, one from before messages_since
    request = _request()
    whole = _state(
        snapshot=msgspec.structs.replace(_snapshot([], []), messages_since=T0 - timedelta(days=180))
    )
    later = _state(
        snapshot=msgspec.structs.replace(_snapshot([], []), messages_since=T0 - timedelta(days=90))
    )
    unmarked = _state()
    # WHEN a pull of the next day's 180 days builds on each
    starts = [covered_since(state, request) for state in (whole, later, unmarked)]
    # THEN the merged snapshot holds messages from the new window's start, or from the state's
    # later start (it holds nothing before), or from what the state was pulled to cover
    assert starts == [request.since, T0 - timedelta(days=90), request.since]

"""`groupaudit import slack-export`: a real Slack export (the 2016 sample beside the repo, read
unchanged) and small synthetic exports for what the sample does not hold (threads, edits,
deletions, mentions, `files` arrays, bots with bot_profile)."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from groupaudit.cli import main
from groupaudit.connectors import slack_export
from groupaudit.connectors.slack_export import import_slack_export
from kit import ROOT

SAMPLE = ROOT.parent / "shared" / "data" / "slack-export-sample"
CHANNEL_IDS = {"enrique": "C0JGLMMNX", "traveling-sailor": "C0JL6CGQ2"}
HUMANS = {
    "U0BMYT2FL": "abilinski",
    "U0BMS113R": "doubledeez",
    "U0BMQB6JE": "hamza",
    "U0BMM2FEH": "heroeshannibal",
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- helpers ----------------------------------------------------------------------------------


def _raw_messages(channel: str) -> list[dict]:
    """The channel's messages as the export holds them, read without the importer."""
    return [m for day in sorted((SAMPLE / channel).glob("*.json")) for m in json.loads(day.read_text())]


def _import_cli(capsys, source: Path, out: Path, *extra: str) -> dict[str, dict]:
    assert main(["import", "slack-export", str(source), "--out", str(out), *extra]) == 0
    capsys.readouterr()
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(out.glob("*.json"))}


def _ts(moment: str) -> Decimal:
    """An ISO timestamp back to Slack's ts, exactly (as epoch seconds with microseconds)."""
    parsed = datetime.fromisoformat(moment)
    assert parsed.utcoffset() == timedelta(0)
    return Decimal((parsed - EPOCH) // timedelta(microseconds=1)) / 10**6


def _zip_folder(folder: Path, target: Path, prefix: str = "", extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return target


@pytest.fixture(scope="module")
def sample_snapshots(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("slack-out")
    assert main(["import", "slack-export", str(SAMPLE), "--out", str(out)]) == 0
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(out.glob("*.json"))}


# --- the real sample --------------------------------------------------------------------------


def test_both_channels_become_snapshots_with_every_message(sample_snapshots):
    # GIVEN the sample export: 2 channels whose day files hold 158 messages, none edited or deleted
    counts = {channel: len(_raw_messages(channel)) for channel in CHANNEL_IDS}
    assert sum(counts.values()) == 158
    # WHEN imported
    # THEN each channel is one snapshot, group id = channel id, with every message of its files
    assert set(sample_snapshots) == set(CHANNEL_IDS)
    for channel, snapshot in sample_snapshots.items():
        assert (snapshot["platform"], snapshot["tenant_id"], snapshot["schema_version"]) == (
            "slack",
            "default",
            1,
        )
        assert (snapshot["group"]["id"], snapshot["group"]["name"]) == (CHANNEL_IDS[channel], channel)
        assert len(snapshot["messages"]) == counts[channel]
        assert [m["id"] for m in snapshot["messages"]] == [m["ts"] for m in _raw_messages(channel)]
    assert {c: len(s["messages"]) for c, s in sample_snapshots.items()} == {
        "enrique": 102,
        "traveling-sailor": 56,
    }


def test_the_four_users_are_human_members_and_the_creator_owns_the_channel(sample_snapshots):
    # GIVEN users.json with four people (one without a profile display_name) and channels
    # created by hamza
    for snapshot in sample_snapshots.values():
        # WHEN imported
        humans = {m["id"]: m for m in snapshot["members"] if not m["is_bot"]}
        # THEN the four are members with their display names (real_name when display_name is empty)
        assert {member_id: m["display_name"] for member_id, m in humans.items()} == HUMANS
        assert [m["id"] for m in snapshot["members"] if m.get("role") == "owner"] == ["U0BMQB6JE"]
        assert snapshot["group"]["owner_id"] == snapshot["group"]["created_by"] == "U0BMQB6JE"
        assert snapshot["group"]["kind"] == "other"
    assert (
        sample_snapshots["enrique"]["group"]["created_at"] == "2016-01-15T05:55:18Z"
    )  # created "1452837318"


def test_channel_joins_are_system_messages_and_set_joined_at(sample_snapshots):
    for channel, snapshot in sample_snapshots.items():
        # GIVEN the channel_join messages of the channel's files
        joins = {m["ts"]: m["user"] for m in _raw_messages(channel) if m.get("subtype") == "channel_join"}
        assert len(joins) == 4
        messages = {m["id"]: m for m in snapshot["messages"]}
        # THEN each is a system message from the joiner (never activity) ...
        assert {ts: messages[ts]["sender_id"] for ts in joins} == joins
        assert {messages[ts]["type"] for ts in joins} == {"system"}
        # ... and the member's joined_at is that ts
        joined = {m["id"]: _ts(m["joined_at"]) for m in snapshot["members"] if "joined_at" in m}
        assert joined == {user: Decimal(ts) for ts, user in joins.items()}


def test_file_shares_become_files_with_names_sizes_and_uploaders(sample_snapshots):
    # GIVEN traveling-sailor, where three files were shared (one of them commented on later)
    snapshot = sample_snapshots["traveling-sailor"]
    shares = [m for m in _raw_messages("traveling-sailor") if m.get("subtype") == "file_share"]
    # WHEN imported
    files = {f["id"]: f for f in snapshot["files"]}
    # THEN each shared file is a file of the group, named, sized, dated and owned as in the export
    assert {i: (f["name"], f["uploader_id"], f["size_bytes"]) for i, f in files.items()} == {
        "F0VNAKDE2": ("100_cities.js", "U0BMS113R", 4163),
        "F0VQ4C4BT": ("10_cities.js", "U0BMS113R", 478),
        "F0VRWTJ6S": ("cities1000.js", "U0BMQB6JE", 40474),
    }
    assert files["F0VNAKDE2"]["uploaded_at"] == "2016-03-27T04:27:46Z"  # file.timestamp 1459052866
    # ... the share messages are of type file and point at them
    messages = {m["id"]: m for m in snapshot["messages"]}
    assert {messages[s["ts"]]["file_id"]: messages[s["ts"]]["type"] for s in shares} == dict.fromkeys(
        files, "file"
    )
    # ... no hash (Slack gives none), and the URL without the export's ?t= token
    assert all("sha256" not in f for f in files.values())
    assert (
        files["F0VRWTJ6S"]["download_url"]
        == "https://files.slack.com/files-pri/T0BMHLSRH-F0VRWTJ6S/cities1000.js"
    )
    assert not any("?" in f["download_url"] for f in files.values())
    # ... and the comment on a file is a text message that refers to it, by the commenter
    (comment,) = [m for m in snapshot["messages"] if m["id"] == "1459106048.000018"]
    assert (comment["type"], comment["file_id"], comment["sender_id"]) == ("text", "F0VQ4C4BT", "U0BMS113R")
    assert sample_snapshots["enrique"]["files"] == []


def test_bot_messages_come_from_bot_members(sample_snapshots):
    for channel, snapshot in sample_snapshots.items():
        # GIVEN the channel's bot_message messages (GitHub integrations: a bot_id, no user)
        raw = Counter(m["bot_id"] for m in _raw_messages(channel) if m.get("subtype") == "bot_message")
        # WHEN imported
        bots = {m["id"]: m for m in snapshot["members"] if m["is_bot"]}
        sent = Counter(m["sender_id"] for m in snapshot["messages"] if m["sender_id"] in bots)
        # THEN each bot_id is the sender of its messages and a bot member, named by its bot_add
        assert sent == raw
        assert {b: m["display_name"] for b, m in bots.items()} == dict.fromkeys(raw, "github")
    assert set(
        Counter(m["bot_id"] for m in _raw_messages("enrique") if m.get("subtype") == "bot_message")
    ) == {
        "B0JL6RASU",
        "B0VJZKVHC",
    }


def test_timestamps_are_utc_and_equal_to_the_ts(sample_snapshots):
    for channel, snapshot in sample_snapshots.items():
        raw = {m["ts"] for m in _raw_messages(channel)}
        # THEN every sent_at is UTC and converts back to exactly its message's ts
        assert {_ts(m["sent_at"]) for m in snapshot["messages"]} == {Decimal(ts) for ts in raw}
        assert all(_ts(m["sent_at"]) == Decimal(m["id"]) for m in snapshot["messages"])
    # ... and taken_at, with no --taken-at, is the latest message of the whole export
    latest = max(Decimal(m["ts"]) for channel in CHANNEL_IDS for m in _raw_messages(channel))
    assert (
        {_ts(s["taken_at"]) for s in sample_snapshots.values()} == {latest} == {Decimal("1459254786.000027")}
    )


def test_cli_prints_one_line_per_snapshot_and_says_where_taken_at_came_from(capsys, tmp_path):
    # WHEN the sample is imported from the command line
    assert main(["import", "slack-export", str(SAMPLE), "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    # THEN stdout has one line per snapshot: channel, members, messages, files, path
    assert captured.out.splitlines() == [
        f"enrique\t6 members\t102 messages\t0 files\t{tmp_path / 'enrique.json'}",
        f"traveling-sailor\t5 members\t56 messages\t3 files\t{tmp_path / 'traveling-sailor.json'}",
    ]
    assert "taken_at 2016-03-29T12:33:06.000027+00:00 is the latest message in the export" in captured.err


def test_the_zipped_export_gives_identical_snapshots(capsys, tmp_path, sample_snapshots):
    # GIVEN the same export as Slack's zip, and re-zipped inside a top folder
    plain = _zip_folder(SAMPLE, tmp_path / "export.zip")
    wrapped = _zip_folder(SAMPLE, tmp_path / "wrapped.zip", prefix="slack-export/")
    # WHEN each is imported (read in place, nothing extracted)
    # THEN the snapshots are the folder's, field for field
    assert _import_cli(capsys, plain, tmp_path / "a") == sample_snapshots
    assert _import_cli(capsys, wrapped, tmp_path / "b") == sample_snapshots
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "export.zip", "wrapped.zip"]


def test_channel_option_writes_only_that_channel(capsys, tmp_path, sample_snapshots):
    # WHEN one channel is asked for
    written = _import_cli(capsys, SAMPLE, tmp_path, "--channel", "traveling-sailor")
    # THEN only it is written, and it is the same as in a full import (taken_at included)
    assert written == {"traveling-sailor": sample_snapshots["traveling-sailor"]}


def test_unknown_channel_is_refused_listing_the_available_ones(capsys, tmp_path):
    # WHEN a channel that is not in the export is asked for
    status = main(["import", "slack-export", str(SAMPLE), "--channel", "general", "--out", str(tmp_path)])
    # THEN status 2, no traceback, the available channels named, nothing written
    err = capsys.readouterr().err
    assert status == 2
    assert "--channel: no channel named 'general'; available: enrique, traveling-sailor" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_zip_with_a_parent_path_member_is_refused(capsys, tmp_path):
    # GIVEN the export zipped with an extra member escaping the folder
    archive = _zip_folder(SAMPLE, tmp_path / "evil.zip", extra={"../evil.json": b"[]"})
    out = tmp_path / "out"
    # WHEN imported
    status = main(["import", "slack-export", str(archive), "--out", str(out)])
    # THEN the whole archive is refused before anything is read, and the member is named
    assert status == 2
    assert (
        "../evil.json: unsafe member path (absolute or with '..'): archive refused" in capsys.readouterr().err
    )
    assert not out.exists()


def test_a_zip_expanding_beyond_the_limit_is_refused(capsys, tmp_path, monkeypatch):
    # GIVEN a limit on the uncompressed size smaller than the sample (a stand-in for 2 GiB)
    monkeypatch.setattr(slack_export, "MAX_UNCOMPRESSED_BYTES", 10_000)
    archive = _zip_folder(SAMPLE, tmp_path / "export.zip")
    # WHEN imported
    status = main(["import", "slack-export", str(archive), "--out", str(tmp_path / "out")])
    # THEN it is refused with the sizes
    assert status == 2
    assert "above the 10,000-byte limit: refused" in capsys.readouterr().err


def test_written_snapshots_audit_cleanly(capsys, tmp_path, sample_snapshots):
    _import_cli(capsys, SAMPLE, tmp_path)
    for channel, channel_id in CHANNEL_IDS.items():
        # WHEN each written snapshot is audited
        assert main(["audit", str(tmp_path / f"{channel}.json"), "--format", "json"]) == 0
        report = json.loads(capsys.readouterr().out)
        # THEN it is read without a problem, and no finding is about a bot
        assert report["group_id"] == channel_id
        bots = {m["id"] for m in sample_snapshots[channel]["members"] if m["is_bot"]}
        assert {f["subject_id"] for f in report["findings"]}.isdisjoint(bots)
        assert "inactive_member" in report["rules_run"]


def test_options_set_tenant_kind_and_taken_at(capsys, tmp_path):
    # WHEN imported with a tenant, a kind and a taken_at
    written = _import_cli(
        capsys,
        SAMPLE,
        tmp_path,
        "--channel",
        "C0JGLMMNX",
        "--tenant",
        "acme",
        "--kind",
        "project",
        "--taken-at",
        "2016-04-01T18:00:00+08:00",
    )
    # THEN the snapshot carries them as given (a channel may also be named by its id)
    snapshot = written["enrique"]
    assert (snapshot["tenant_id"], snapshot["group"]["kind"]) == ("acme", "project")
    assert snapshot["taken_at"] == "2016-04-01T18:00:00+08:00"


def test_a_folder_that_is_not_an_export_is_a_clear_error(capsys, tmp_path):
    # GIVEN a folder without users.json
    (tmp_path / "channels.json").write_text("[]")
    # WHEN imported
    status = main(["import", "slack-export", str(tmp_path), "--out", str(tmp_path / "out")])
    # THEN status 2 and what is missing
    assert status == 2
    assert "users.json: missing: not a Slack workspace export" in capsys.readouterr().err


# --- synthetic exports: what the 2016 sample does not hold -----------------------------------

USERS = [
    {"id": "U1", "name": "alice", "profile": {"display_name": "Alice", "real_name": "Alice A"}},
    {"id": "U2", "name": "bob", "profile": {"display_name": "", "real_name": "Bob B"}},
    {"id": "U3", "name": "carol", "profile": {}},
    {"id": "U4", "name": "dave", "deleted": True, "profile": {"display_name": "Dave"}},
    {"id": "U5", "name": "helper", "is_bot": True, "profile": {"real_name": "Helper", "bot_id": "B5"}},
]
TAKEN_AT = datetime(2024, 1, 1, tzinfo=UTC)


def _export(root: Path, messages: list[dict], *, members: tuple[str, ...] = ("U1", "U2", "U3", "U4")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "users.json").write_text(json.dumps(USERS))
    channel = {
        "id": "C1",
        "name": "general",
        "created": 1700000000,
        "creator": "U1",
        "members": list(members),
    }
    (root / "channels.json").write_text(json.dumps([channel]))
    (root / "general").mkdir(exist_ok=True)
    (root / "general" / "2023-11-14.json").write_text(json.dumps(messages))
    return root


def _snapshot(root: Path):
    (channel,) = import_slack_export(root, taken_at=TAKEN_AT).channels
    return channel


def _msg(ts: str, user: str = "U1", text: str = "hi", **extra) -> dict:
    return {"type": "message", "user": user, "text": text, "ts": ts, **extra}


def test_thread_replies_point_at_their_root(tmp_path):
    # GIVEN a root message with replies (thread_ts = the root's ts)
    root = _msg("1700000100.000100", text="who has the report?", thread_ts="1700000100.000100", reply_count=1)
    reply = _msg("1700000200.000200", "U2", "me", thread_ts="1700000100.000100", parent_user_id="U1")
    # WHEN imported
    messages = {m.id: m for m in _snapshot(_export(tmp_path, [root, reply])).snapshot.messages}
    # THEN the reply's thread_id and reply_to_id are the root; the root has neither
    assert (messages["1700000200.000200"].thread_id, messages["1700000200.000200"].reply_to_id) == (
        "1700000100.000100",
        "1700000100.000100",
    )
    assert (messages["1700000100.000100"].thread_id, messages["1700000100.000100"].reply_to_id) == (
        None,
        None,
    )


def test_edits_keep_the_latest_text_and_deletions_remove_the_message(tmp_path):
    # GIVEN a message edited in place (edited), one changed by a message_changed event, and one
    # deleted by a message_deleted event
    messages = [
        _msg("1700000100.000001", text="v2 of a", edited={"user": "U1", "ts": "1700000150.000000"}),
        _msg("1700000200.000002", text="draft"),
        _msg("1700000300.000003", text="oops, wrong channel"),
        {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "ts": "1700000400.000004",
            "message": _msg(
                "1700000200.000002", text="final <@U2>", edited={"user": "U1", "ts": "1700000400.0"}
            ),
            "previous_message": _msg("1700000200.000002", text="draft"),
        },
        {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "ts": "1700000500.000005",
            "deleted_ts": "1700000300.000003",
        },
    ]
    # WHEN imported
    channel = _snapshot(_export(tmp_path, messages))
    by_id = {m.id: m for m in channel.snapshot.messages}
    # THEN two messages remain, each with its latest text (mentions recomputed), at their first ts
    assert {i: (m.text, m.mentions) for i, m in by_id.items()} == {
        "1700000100.000001": ("v2 of a", None),
        "1700000200.000002": ("final <@U2>", ("U2",)),
    }
    # ... and the import says what it applied
    assert "1 edit(s) applied (message_changed): the snapshot holds the latest text" in channel.notes
    assert "1 deleted (recalled) message(s) removed (message_deleted / tombstone)" in channel.notes


def test_mentions_and_mention_all_are_extracted_and_the_text_unescaped(tmp_path):
    # GIVEN messages with user mentions (with and without a label), <!here> and <!channel>
    messages = [
        _msg("1700000100.000001", text="<@U2> &amp; <@U3|carol>: is 1 &lt; 2? cc <@U2>"),
        _msg("1700000200.000002", "U2", "<!here|here> deploy at 5"),
        _msg("1700000300.000003", "U3", "<!channel> lunch"),
    ]
    # WHEN imported
    m1, m2, m3 = _snapshot(_export(tmp_path, messages)).snapshot.messages
    # THEN mentions hold the member ids once each; @here/@channel set mention_all
    assert (m1.mentions, m1.mention_all) == (("U2", "U3"), None)
    assert m1.text == "<@U2> & <@U3|carol>: is 1 < 2? cc <@U2>"
    assert (m2.mentions, m2.mention_all, m3.mention_all) == (None, True, True)


def test_a_files_array_shares_every_file(tmp_path):
    # GIVEN a newer-format message sharing two files (one with a title only, no timestamp)
    files = [
        {
            "id": "F1",
            "name": "合同 2023.pdf",
            "title": "合同",
            "user": "U2",
            "size": 2048,
            "timestamp": 1700000090,
            "url_private": "https://files.slack.com/files-pri/T1-F1/contract.pdf?t=xoxe-secret",
        },
        {"id": "F2", "title": "notes", "user": "U2", "created": 1700000095},
        {"id": "F3", "mode": "tombstone"},
    ]
    message = _msg("1700000100.000001", "U2", "here you go", files=files, upload=True)
    # WHEN imported
    channel = _snapshot(_export(tmp_path, [message]))
    (shared,) = channel.snapshot.messages
    # THEN the message is a file message pointing at the first file; both live files are listed
    assert (shared.type, shared.file_id, shared.text) == ("file", "F1", "here you go")
    got = {
        f.id: (f.name, f.uploader_id, f.size_bytes, f.uploaded_at, f.download_url)
        for f in channel.snapshot.files
    }
    assert got == {
        "F1": (
            "合同 2023.pdf",
            "U2",
            2048,
            datetime(2023, 11, 14, 22, 14, 50, tzinfo=UTC),
            "https://files.slack.com/files-pri/T1-F1/contract.pdf",
        ),
        "F2": ("notes", "U2", None, datetime(2023, 11, 14, 22, 14, 55, tzinfo=UTC), None),
    }
    assert "1 deleted file(s) left out" in channel.notes
    # ... and the written JSON keeps non-ASCII names as UTF-8
    assert "合同 2023.pdf".encode() in channel.data


def test_bot_messages_with_a_bot_id_or_only_a_username_are_bots(tmp_path):
    # GIVEN an app's bot_message (bot_id + bot_profile), a legacy webhook (username only) and a
    # bot user's message (bot_id of a bot user in users.json)
    messages: list[dict] = [
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B9",
            "text": "build passed",
            "bot_profile": {"id": "B9", "name": "CI"},
            "ts": "1700000100.000001",
        },
        {
            "type": "message",
            "subtype": "bot_message",
            "username": "alerts",
            "text": "disk full",
            "ts": "1700000200.000002",
        },
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B5",
            "text": "reminder",
            "ts": "1700000300.000003",
        },
    ]
    # WHEN imported
    snapshot = _snapshot(_export(tmp_path, messages)).snapshot
    # THEN the senders are the bot_id, bot:<username> and the bot user, all bot members
    assert [m.sender_id for m in snapshot.messages] == ["B9", "bot:alerts", "U5"]
    bots = {m.id: m.display_name for m in snapshot.members if m.is_bot}
    assert bots == {"B9": "CI", "bot:alerts": "alerts", "U5": "Helper"}


def test_members_cover_posters_but_not_deactivated_or_departed_accounts(tmp_path):
    # GIVEN a deactivated member (U4) who posted, a poster missing from the list and from
    # users.json (U9, as in a shared channel), and U3 who posted then left
    messages = [
        _msg("1700000100.000001", "U4", "bye all"),
        _msg(
            "1700000200.000002",
            "U9",
            "hello from a shared channel",
            user_profile={"display_name": "", "real_name": "Guest Nine"},
        ),
        _msg("1700000300.000003", "U3", "see you"),
        _msg("1700000400.000004", "U3", "<@U3> has left the channel", subtype="channel_leave"),
        _msg("1700000500.000005", "U2", "<@U2> has joined the channel", subtype="channel_join"),
    ]
    # WHEN imported with U1, U2 and U4 listed as members
    channel = _snapshot(_export(tmp_path, messages, members=("U1", "U2", "U4")))
    members = {m.id: m for m in channel.snapshot.members}
    # THEN the deactivated and the departed are out, the unknown poster is in under their name
    assert {i: (m.display_name, m.role, m.is_bot) for i, m in members.items()} == {
        "U1": ("Alice", "owner", False),
        "U2": ("Bob B", None, False),
        "U9": ("Guest Nine", None, False),
    }
    assert members["U2"].joined_at == datetime(2023, 11, 14, 22, 21, 40, 5, tzinfo=UTC)
    # ... while every message stays (the leave and join as system messages)
    assert [m.type for m in channel.snapshot.messages] == ["text", "text", "text", "system", "system"]
    assert "1 deactivated account(s) left out of the members (their messages stay)" in channel.notes


def test_a_repeated_ts_gets_a_deterministic_suffix(tmp_path):
    # GIVEN two messages with the same ts
    messages = [_msg("1700000100.000001", text="first"), _msg("1700000100.000001", "U2", "second")]
    # WHEN imported
    channel = _snapshot(_export(tmp_path, messages))
    # THEN both are kept, the second as ts-2, and the import says so
    assert [(m.id, m.text) for m in channel.snapshot.messages] == [
        ("1700000100.000001", "first"),
        ("1700000100.000001-2", "second"),
    ]
    assert "1 message(s) with a repeated ts given the id ts-2, ts-3... in file order" in channel.notes


def test_a_broken_day_file_is_named(capsys, tmp_path):
    # GIVEN a day file that is not JSON
    root = _export(tmp_path / "export", [])
    (root / "general" / "2023-11-15.json").write_text("[{")
    # WHEN imported
    status = main(["import", "slack-export", str(root), "--out", str(tmp_path / "out")])
    # THEN status 2, the file named, nothing written
    assert status == 2
    assert "general/2023-11-15.json: not valid JSON" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("taken_at", [[], ["--taken-at", "2024-01-01T00:00:00Z"]], ids=["latest", "given"])
def test_a_message_without_a_valid_ts_is_named(capsys, tmp_path, taken_at):
    # GIVEN a message whose ts is not Slack's
    root = _export(tmp_path / "export", [_msg("1700000100.000001"), _msg("yesterday")])
    # WHEN imported, whether taken_at is looked up in the export or given
    status = main(["import", "slack-export", str(root), "--out", str(tmp_path / "out"), *taken_at])
    # THEN status 2 with the file, the record and the field
    assert status == 2
    assert "general/2023-11-14.json[1].ts: expected a Slack ts like '1452837318.000002', got 'yesterday'" in (
        capsys.readouterr().err
    )


# --- from when an export holds messages, names, members without a list, huddles, DMs ---------


def test_the_sample_holds_each_channels_whole_history_from_its_creation(sample_snapshots):
    # GIVEN the sample, whose first day file of each channel (in the workspace's zone, which the
    # export does not state) holds the channel's creation
    for channel, snapshot in sample_snapshots.items():
        # WHEN imported
        # THEN the snapshot holds the messages from the channel's creation on: its whole history
        assert snapshot["messages_since"] == snapshot["group"]["created_at"], channel
    assert sample_snapshots["traveling-sailor"]["messages_since"] == "2016-01-17T00:00:22Z"


def _day(root: Path, day: str, messages: list[dict]) -> None:
    (root / "general" / f"{day}.json").write_text(json.dumps(messages))


def test_a_date_limited_export_holds_messages_from_its_first_days_latest_start(tmp_path):
    # GIVEN a channel created in 2023-11 whose export starts at its 2023-11-20 day file (an export
    # limited to a date range): first message at 22:00 UTC, and one at 03:00 UTC
    late = _export(tmp_path / "late", [])
    (late / "general" / "2023-11-14.json").unlink()
    _day(late, "2023-11-20", [_msg("1700517600.000001", text="late in the UTC day")])  # 22:00Z
    early = _export(tmp_path / "early", [])
    (early / "general" / "2023-11-14.json").unlink()
    _day(early, "2023-11-20", [_msg("1700449200.000001", text="early in the UTC day")])  # 03:00Z
    # WHEN imported
    late_since = _snapshot(late).snapshot.messages_since
    early_since = _snapshot(early).snapshot.messages_since
    # THEN it holds the messages from the day's start at its latest (00:00 at UTC-12), or from the
    # first message when that is earlier: never from a moment it may not cover
    assert late_since == datetime(2023, 11, 20, 12, 0, tzinfo=UTC)
    assert early_since == datetime(2023, 11, 20, 3, 0, 0, 1, tzinfo=UTC)


def test_a_channel_without_day_files_holds_the_messages_of_no_period(tmp_path):
    # GIVEN a channel with no day file at all
    root = _export(tmp_path, [])
    (root / "general" / "2023-11-14.json").unlink()
    # WHEN imported with --taken-at
    channel = _snapshot(root)
    # THEN nothing proves any period: no member's silence can be claimed
    assert channel.snapshot.messages == [] and channel.snapshot.messages_since == TAKEN_AT


def test_a_poster_missing_from_users_json_is_named_by_the_latest_profile_whatever_comes_first(tmp_path):
    # GIVEN U9 (not in users.json) whose first record is a join without user_profile, then two
    # messages in later day files whose user_profile changed; and U1 (in users.json) with a profile
    root = _export(
        tmp_path,
        [_msg("1700000100.000001", "U9", "<@U9> has joined the channel", subtype="channel_join")],
        members=("U1", "U9"),
    )
    _day(root, "2023-11-15", [_msg("1700050000.000001", "U9", "hi", user_profile={"real_name": "Guest"})])
    _day(
        root,
        "2023-11-16",
        [
            _msg("1700140000.000001", "U9", "again", user_profile={"display_name": "Guest Nine"}),
            _msg("1700140001.000001", "U1", "yo", user_profile={"display_name": "Not Alice"}),
        ],
    )
    # WHEN imported
    names = {m.id: m.display_name for m in _snapshot(root).snapshot.members}
    # THEN users.json names whom it lists; the others take the latest profile seen, not their id
    assert names == {"U1": "Alice", "U9": "Guest Nine"}


def test_members_null_are_derived_from_who_posted_or_joined_and_said_so(tmp_path, capsys):
    # GIVEN a channel whose channels.json entry has "members": null: U2 joined and never posted,
    # U3 posted, U1 joined then left
    messages = [
        _msg("1700000100.000001", "U2", "<@U2> has joined the channel", subtype="channel_join"),
        _msg("1700000200.000002", "U3", "hello"),
        _msg("1700000300.000003", "U1", "<@U1> has joined the channel", subtype="channel_join"),
        _msg("1700000400.000004", "U1", "<@U1> has left the channel", subtype="channel_leave"),
    ]
    root = _export(tmp_path / "export", messages)
    (channel,) = json.loads((root / "channels.json").read_text())
    (root / "channels.json").write_text(json.dumps([{**channel, "members": None}]))
    # WHEN imported
    imported = _snapshot(root)
    # THEN the members are who joined or posted and has not left since ...
    assert sorted(m.id for m in imported.snapshot.members) == ["U2", "U3"]
    # ... and the import says the list was missing and how members were derived
    assert "the channel list gives no members for it (members: null or absent)" in imported.notes
    assert (
        "2 member(s) derived from who posted or joined in the export and has not left since: "
        "anyone who did neither is missing"
    ) in imported.notes
    # ... which the command line prints
    assert main(["import", "slack-export", str(root), "--out", str(tmp_path / "out")]) == 0
    assert "note: general: the channel list gives no members for it" in capsys.readouterr().err


def test_huddle_and_canvas_records_are_system_not_activity(tmp_path):
    # GIVEN Slack's record of a huddle (subtype huddle_thread, with its room), one whose user is
    # the person who started it, and a canvas-updated notice
    room = {"id": "R1", "call_family": "huddle", "created_by": "U2", "participant_history": ["U2", "U3"]}
    messages = [
        _msg("1700000100.000001", "USLACKBOT", "", subtype="huddle_thread", room=room),
        _msg("1700000200.000002", "U3", "", subtype="huddle_thread", room=room),
        _msg("1700000300.000003", "U2", "canvas updated", subtype="channel_canvas_updated"),
        _msg("1700000400.000004", "U2", "notes from the call", thread_ts="1700000100.000001"),
    ]
    # WHEN imported
    by_id = {m.id: m for m in _snapshot(_export(tmp_path, messages)).snapshot.messages}
    # THEN the records are system messages (never activity); the reply in the huddle's thread
    # is what U2 said
    assert {i: m.type for i, m in by_id.items()} == {
        "1700000100.000001": "system",
        "1700000200.000002": "system",
        "1700000300.000003": "system",
        "1700000400.000004": "text",
    }


def _dm_only(root: Path, *, with_channels: bool) -> Path:
    root.mkdir(parents=True)
    (root / "users.json").write_text(json.dumps(USERS))
    if with_channels:
        (root / "channels.json").write_text("[]")
    dms = [{"id": "D0123ABCD", "created": 1700000000, "members": ["U1", "U2"]}]
    (root / "dms.json").write_text(json.dumps(dms))
    (root / "D0123ABCD").mkdir()
    (root / "D0123ABCD" / "2023-11-14.json").write_text(json.dumps([_msg("1700000100.000001")]))
    return root


@pytest.mark.parametrize("with_channels", [True, False], ids=["empty-channels-json", "no-channels-json"])
def test_a_dm_only_export_says_it_holds_direct_messages_not_groups(capsys, tmp_path, with_channels):
    # GIVEN an export of one 1:1 direct message conversation (dms.json and its folder)
    root = _dm_only(tmp_path / "export", with_channels=with_channels)
    # WHEN imported
    status = main(["import", "slack-export", str(root), "--out", str(tmp_path / "out")])
    # THEN status 2, naming what it holds: a DM, which is not a group and is not imported
    assert status == 2
    err = capsys.readouterr().err
    assert (
        "it holds 1 direct message conversation(s) (dms.json: D0123ABCD): 1:1 chats are not groups "
        "and are not imported"
    ) in err
    assert "holds no messages" not in err


def test_direct_messages_beside_channels_are_named_as_not_imported(capsys, tmp_path):
    # GIVEN an export with a channel and a DM
    root = _export(tmp_path / "export", [_msg("1700000100.000001")])
    (root / "dms.json").write_text(json.dumps([{"id": "D0123ABCD", "members": ["U1", "U2"]}]))
    (root / "D0123ABCD").mkdir()
    (root / "D0123ABCD" / "2023-11-14.json").write_text(json.dumps([_msg("1700000200.000001")]))
    # WHEN imported
    result = import_slack_export(root, taken_at=TAKEN_AT)
    # THEN only the channel is a snapshot, and the DM is named as not imported
    assert [c.snapshot.group.id for c in result.channels] == ["C1"]
    assert result.notes == (
        "1 direct message conversation(s) not imported (dms.json): 1:1 chats are not groups",
    )
    # ... which the command line says
    assert main(["import", "slack-export", str(root), "--out", str(tmp_path / "out")]) == 0
    assert "note: 1 direct message conversation(s) not imported (dms.json)" in capsys.readouterr().err

"""The ``slack`` source (Slack's Web API) against the loopback Slack peer, over real HTTP:
the sample tenant's snapshots round-tripped (same findings), the real 2016 export served by
the peer (same snapshot as the export importer), pagination, rate limits, refusals, secrets,
and the message kinds (edits, deleted roots, threads, bots, system events, files)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from groupaudit.connectors import slack_api
from groupaudit.connectors.base import IdMap, PullRequest, pull_snapshot
from groupaudit.connectors.http import Http, PlatformError
from groupaudit.connectors.slack_export import import_slack_export
from groupaudit.contracts import Message, Snapshot
from groupaudit.loading import load_snapshot
from groupaudit.local.peers.slack import (
    BOT_USER_ID,
    SCOPES,
    SIGN_IN_PAGE,
    TEAM_ID,
    TOKEN,
    SlackPeer,
    slack_error,
    ts_of,
)
from groupaudit.service import audit_snapshot, load_local_inputs
from kit import ROOT, TENANT

SAMPLE_EXPORT = ROOT.parent / "shared" / "data" / "slack-export-sample"
SNAPSHOTS = sorted(path.name for path in (TENANT / "snapshots").glob("*.json"))
REPLACE = msgspec.structs.replace


def _request(peer: SlackPeer, **kw) -> PullRequest:
    fields = {
        "platform": "slack",
        "tenant_id": "acme",
        "group_id": "grp-x",
        "chat_id": "C0PROJ",
        "taken_at": TAKEN_AT,
        "since": SINCE,
        "credentials": {"token": TOKEN},
        "base_url": peer.api_url,
        "kind": "project",
        **kw,
    }
    return PullRequest(**fields)


def _http(peer: SlackPeer, waits: list[float] | None = None, **kw) -> Http:
    return Http("slack", peer.api_url, sleep=(waits if waits is not None else []).append, **kw)


def _cursor(offset: int) -> str:
    """The peer's opaque cursor for the page starting at ``offset``."""
    return base64.b64encode(f"next:{offset}".encode()).decode()


# --- round trip of the sample tenant ---------------------------------------------------------


def _sample(name: str) -> Snapshot:
    return REPLACE(load_snapshot(TENANT / "snapshots" / name), platform="slack")


def _people(snapshot: Snapshot) -> list[str]:
    messages = snapshot.messages or []
    return sorted(
        {m.id for m in snapshot.members or ()}
        | {m.sender_id for m in messages}
        | {u for m in messages for u in m.mentions or ()}
        | {f.uploader_id for f in snapshot.files or () if f.uploader_id}
        | ({snapshot.group.owner_id} if snapshot.group.owner_id else set())
    )


def _round_trip(snapshot: Snapshot, ids: IdMap | None = None) -> tuple[Snapshot, SlackPeer]:
    backups = {path.name: path.read_bytes() for path in (TENANT / "backups").iterdir()}
    contents = {f.id: backups[f.name] for f in snapshot.files or () if f.name in backups}
    peer = SlackPeer.from_snapshot(snapshot, ids=ids, contents=contents, page_size=3)
    with peer:
        request = _request(
            peer,
            tenant_id=snapshot.tenant_id,
            group_id=snapshot.group.id,
            chat_id=snapshot.group.id,
            taken_at=snapshot.taken_at,
            since=min(m.sent_at for m in snapshot.messages or ()),
            kind=snapshot.group.kind,
            ids=ids or IdMap(),
        )
        return pull_snapshot(request), peer


def _what_slack_carries(snapshot: Snapshot) -> Snapshot:
    """The snapshot without what Slack has no field for: join times before the window, admins,
    file access/update/expiry times, and the registry's exemptions."""
    group = snapshot.group
    return REPLACE(
        snapshot,
        group=REPLACE(group, admin_ids=None, exempt_member_ids=None, allowed_external_ids=None),
        members=[
            REPLACE(m, joined_at=None, role="owner" if m.id == group.owner_id else None)
            for m in snapshot.members or ()
        ],
        files=[
            REPLACE(f, last_accessed_at=None, updated_at=None, expires_at=None) for f in snapshot.files or ()
        ],
    )


@pytest.fixture(scope="module")
def tenant_inputs():
    return load_local_inputs(TENANT / "policy.yaml", TENANT / "directory.json", TENANT / "backups")


def _findings(snapshot: Snapshot, inputs) -> list[tuple[str, str]]:
    report = audit_snapshot(
        snapshot,
        policies=inputs.policies,
        directory=inputs.directory,
        backups=inputs.backups,
        fetch_hashes=False,
    )
    return sorted((f.rule, f.subject_id) for f in report.findings)


def test_the_weekly_meeting_group_comes_back_through_the_api_as_it_went_in(tenant_inputs):
    # GIVEN the sample tenant's Slack group (its minutes file holding the backed-up bytes)
    original = load_snapshot(TENANT / "snapshots" / "meeting-weekly.json")
    assert original.members is not None and original.messages is not None and original.files is not None
    # WHEN it is served by the Slack peer and pulled back
    pulled, _ = _round_trip(original)
    assert pulled.members is not None and pulled.messages is not None and pulled.files is not None
    # THEN the group is the same (Slack has no channel admins) ...
    assert (pulled.group.id, pulled.group.name, pulled.group.kind) == ("grp-weekly", "周例会群", "meeting")
    assert pulled.group.owner_id == pulled.group.created_by == "u-admin-head"
    assert pulled.group.created_at == original.group.created_at
    assert pulled.group.admin_ids is None
    # ... with the same members and names, the owner as owner
    assert [(m.id, m.display_name, m.is_bot) for m in pulled.members] == [
        (m.id, m.display_name, False) for m in original.members
    ]
    assert [m.id for m in pulled.members if m.role == "owner"] == ["u-admin-head"]
    # ... the same messages: id = ts of sent_at, same senders, times, kinds and text
    ts = {m.id: ts_of(m.sent_at) for m in original.messages}
    by_id = {m.id: m for m in pulled.messages}
    assert set(by_id) == set(ts.values())
    for message in original.messages:
        got = by_id[ts[message.id]]
        assert (got.sender_id, got.sent_at, got.type, got.text, got.file_id) == (
            message.sender_id,
            message.sent_at,
            message.type,
            message.text,
            message.file_id,
        )
        assert tuple(got.mentions or ()) == tuple(message.mentions or ())
        # a reply is a thread reply on Slack: thread_id = reply_to_id = the replied message
        expected_parent = ts.get(message.reply_to_id or "")
        assert (got.reply_to_id, got.thread_id) == (expected_parent, expected_parent)
    # ... and the same file, hashed from its bytes (the peer's size is the bytes' length)
    (file,) = pulled.files
    (before,) = original.files
    assert (file.id, file.name, file.uploader_id, file.uploaded_at, file.sha256) == (
        before.id,
        before.name,
        before.uploader_id,
        before.uploaded_at,
        before.sha256,
    )
    assert file.size_bytes == 32
    # ... so the audit finds the same things
    assert _findings(pulled, tenant_inputs) == _findings(original, tenant_inputs)


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_every_sample_group_gives_the_same_findings_with_slack_ids_mapped_back(name, tenant_inputs):
    # GIVEN a sample group as Slack would hold it, its people under Slack-style user ids
    original = _sample(name)
    assert original.messages is not None
    ids = IdMap({f"U{n:06d}": person for n, person in enumerate(_people(original))})
    # WHEN served by the peer and pulled back through the tenant's id map
    pulled, peer = _round_trip(original, ids)
    assert pulled.messages is not None
    # THEN the peer held only Slack ids ...
    assert peer.users and all(re.fullmatch(r"U\d{6}", user_id) for user_id in peer.users)
    # ... every message came back, under directory ids again
    assert len(pulled.messages) == len(original.messages)
    assert {m.sender_id for m in pulled.messages} == {m.sender_id for m in original.messages}
    assert sorted(u for m in pulled.messages for u in m.mentions or ()) == sorted(
        u for m in original.messages for u in m.mentions or ()
    )
    # ... holding the messages from the pull's window start (its first message) on
    assert pulled.messages_since == min(m.sent_at for m in original.messages)
    # ... and the audit finds what it finds in the group over that window, less what Slack
    # cannot carry
    carried = REPLACE(_what_slack_carries(original), messages_since=pulled.messages_since)
    assert _findings(pulled, tenant_inputs) == _findings(carried, tenant_inputs)


# --- the real export, served by the peer ------------------------------------------------------


def _peer_from_export(channel_name: str, **kw) -> tuple[SlackPeer, str]:
    """The Slack state an export was taken from: its users, the channel, every message."""
    peer = SlackPeer(**kw)
    for user in json.loads((SAMPLE_EXPORT / "users.json").read_text(encoding="utf-8")):
        peer.users[user["id"]] = user
    channels = json.loads((SAMPLE_EXPORT / "channels.json").read_text(encoding="utf-8"))
    channel = next(c for c in channels if c["name"] == channel_name)
    peer.add_channel(
        channel["id"],
        channel["name"],
        members=channel["members"],
        creator=channel["creator"],
        created=int(channel["created"]),
    )
    for day in sorted((SAMPLE_EXPORT / channel_name).glob("*.json")):
        for message in json.loads(day.read_text(encoding="utf-8")):
            peer.post(channel["id"], message)
    return peer, channel["id"]


@pytest.mark.parametrize("users_info_max", [100, 0], ids=["users.info", "users.list"])
@pytest.mark.parametrize("channel_name", ["traveling-sailor", "enrique"])
def test_the_api_gives_the_snapshot_the_export_gives(channel_name, users_info_max, monkeypatch):
    # GIVEN the real 2016 export, and the peer holding the same users, channel and messages
    (exported,) = import_slack_export(SAMPLE_EXPORT, channel=channel_name).channels
    expected = exported.snapshot
    assert expected.files is not None
    peer, channel_id = _peer_from_export(channel_name, page_size=20)
    monkeypatch.setattr(slack_api, "USERS_INFO_MAX", users_info_max)
    # WHEN the channel is pulled over the API up to the export's last message
    with peer:
        request = _request(
            peer,
            tenant_id="default",
            group_id=channel_id,
            chat_id=channel_id,
            taken_at=expected.taken_at,
            since=datetime(2016, 1, 1, tzinfo=UTC),
            kind="other",
        )
        pulled = pull_snapshot(request)
        assert pulled.files is not None
        file_urls = f"{peer.url}/files-pri/{TEAM_ID}-"
    # THEN it is the export's snapshot, except where the files are fetched from (the peer has
    # no bytes for them: 404, so no hash either)
    assert pulled.group == expected.group
    assert pulled.members == expected.members
    assert pulled.messages == expected.messages
    assert {f.id: REPLACE(f, download_url=None) for f in pulled.files} == {
        f.id: REPLACE(f, download_url=None) for f in expected.files
    }
    assert all(f.download_url is not None and f.download_url.startswith(file_urls) for f in pulled.files)
    # ... having asked for the users one by one, or listed them all once
    info_calls, list_calls = len(peer.requests("/api/users.info")), len(peer.requests("/api/users.list"))
    assert (info_calls > 0, list_calls > 0) == ((True, False) if users_info_max else (False, True))


# --- a channel with every kind of message ----------------------------------------------------

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
TAKEN_AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
IDS = IdMap({"U01ALICE": "e-alice", "U02BOB": "e-bob"})
HELLO = b"hello, group"
BIG = b"x" * 2000


def _at(day: int, hour: int = 9, minute: int = 0, micro: int = 0, month: int = 11) -> str:
    return ts_of(datetime(2026, month, day, hour, minute, tzinfo=UTC) + timedelta(microseconds=micro))


def _seed(peer: SlackPeer) -> None:
    peer.add_user("U01ALICE", "Alice Wang", display_name="alice")
    peer.add_user("U02BOB", "Bob Li")
    peer.add_user("U03GONE", "Carol Gone", deleted=True)
    peer.add_user("U04DEPLOY", "deploy", display_name="Deploy Bot", is_bot=True, bot_id="B04DEPLOY")
    peer.add_user("U05NEW", "Dan New")
    peer.add_channel(
        "C0PROJ",
        "proj-x",
        members=["U01ALICE", "U02BOB", "U03GONE", "U04DEPLOY", "U05NEW"],
        creator="U01ALICE",
        created=1_790_000_000,
    )
    peer.add_file(
        "F1HELLO", "plan.docx", user="U02BOB", created=1_794_128_400, channels=["C0PROJ"], content=HELLO
    )
    peer.add_file(
        "F2BIG", "video.mp4", user="U02BOB", created=1_794_128_400, channels=["C0PROJ"], content=BIG
    )
    peer.add_file("F3NOSIZE", "notes.txt", user="U01ALICE", created=1_792_000_000, channels=["C0PROJ"])
    peer.add_file(
        "F5SIGNIN", "sheet.xlsx", user="U01ALICE", created=1_794_128_400, channels=["C0PROJ"], content=HELLO
    )
    post = lambda message: peer.post("C0PROJ", message)  # noqa: E731
    # before the window: a root (in the lookback) whose thread is still active, one reply before
    post({"ts": _at(25, month=10), "user": "U02BOB", "text": "old question"})
    post({"ts": _at(26, month=10), "user": "U01ALICE", "text": "old answer", "thread_ts": _at(25, month=10)})
    post({"ts": _at(2), "user": "U01ALICE", "text": "late answer", "thread_ts": _at(25, month=10)})
    post({"ts": ts_of(SINCE - timedelta(microseconds=1)), "user": "U02BOB", "text": "just before"})
    # the window
    post({"ts": ts_of(SINCE), "user": "U02BOB", "text": "first of the window"})
    post({"ts": _at(3), "user": "U01ALICE", "text": "<@U02BOB> can you review &lt;draft&gt;?"})
    post({"ts": _at(3, 10), "user": "U02BOB", "text": "on it", "thread_ts": _at(3)})
    post({"ts": _at(21, 8), "user": "U02BOB", "text": "after the pull", "thread_ts": _at(3)})
    post(
        {
            "ts": _at(4),
            "user": "U01ALICE",
            "text": "final text",
            "edited": {"user": "U01ALICE", "ts": _at(5)},
        }
    )
    post(
        {
            "ts": _at(5),
            "subtype": "tombstone",
            "user": "USLACKBOT",
            "text": "This message was deleted.",
            "hidden": True,
        }
    )
    post({"ts": _at(5, 10), "user": "U02BOB", "text": "reply to a deleted root", "thread_ts": _at(5)})
    post({"ts": _at(6), "user": "U04DEPLOY", "bot_id": "B04DEPLOY", "text": "deployed v2"})
    post(
        {
            "ts": _at(6, 10),
            "subtype": "bot_message",
            "bot_id": "B0LEGACY",
            "username": "jenkins",
            "text": "build ok",
        }
    )
    post(
        {
            "ts": _at(7),
            "subtype": "channel_join",
            "user": "U05NEW",
            "text": "<@U05NEW> has joined the channel",
        }
    )
    post({"ts": _at(8), "user": "U02BOB", "text": "<!here> the plan", "files": ["F1HELLO", "F2BIG"]})
    post({"ts": _at(9), "user": "U01ALICE", "text": "sheet", "files": ["F5SIGNIN"]})
    post(
        {
            "ts": _at(10),
            "user": "U09EXT",
            "text": "hello from outside",
            "user_profile": {"display_name": "Erin (partner)", "real_name": "Erin"},
        }
    )
    post({"ts": ts_of(TAKEN_AT), "user": "U01ALICE", "text": "last of the window"})
    post({"ts": ts_of(TAKEN_AT + timedelta(microseconds=1)), "user": "U01ALICE", "text": "too late"})


@pytest.fixture(scope="module")
def scenario():
    """The channel pulled once (pages of 3); an external file's URL is another peer's."""
    with SlackPeer(page_size=3) as peer, SlackPeer() as elsewhere:
        _seed(peer)
        peer.script(
            f"/files-pri/{TEAM_ID}-F5SIGNIN/download/sheet.xlsx",
            (200, {"Content-Type": "text/html; charset=utf-8"}, SIGN_IN_PAGE),
        )
        peer.add_file(
            "F4EXT",
            "drive.gdoc",
            user="U01ALICE",
            created=1_794_128_400,
            channels=["C0PROJ"],
            size=len(HELLO),
            external_url=f"{elsewhere.url}/steal",
        )
        request = _request(peer, ids=IDS, max_download_bytes=1000)
        snapshot = pull_snapshot(request, _http(peer))
        yield snapshot, peer, elsewhere


def _messages(snapshot: Snapshot) -> dict[str, Message]:
    assert snapshot.messages is not None, "a pulled snapshot lists its messages"
    return {m.id: m for m in snapshot.messages}


def test_only_messages_between_since_and_taken_at_are_kept(scenario):
    snapshot, peer, _ = scenario
    # GIVEN messages just before `since`, exactly at `since` and `taken_at`, and just after
    ids = set(_messages(snapshot))
    # THEN the bounds are in, the rest out (a reply after taken_at too)
    assert ts_of(SINCE) in ids and ts_of(TAKEN_AT) in ids
    assert ts_of(SINCE - timedelta(microseconds=1)) not in ids
    assert ts_of(TAKEN_AT + timedelta(microseconds=1)) not in ids
    assert _at(21, 8) not in ids
    # ... history was asked from the thread lookback to taken_at, bounds included, as ts
    first = peer.requests("/api/conversations.history")[0]
    assert (first.arg("oldest"), first.arg("latest"), first.arg("inclusive")) == (
        ts_of(SINCE - slack_api.THREAD_LOOKBACK),
        ts_of(TAKEN_AT),
        "true",
    )


def test_timestamps_are_exact_aware_utc_datetimes(scenario):
    snapshot, _, _ = scenario
    message = _messages(snapshot)[ts_of(SINCE)]
    assert message.sent_at == SINCE and message.sent_at.tzinfo is not None
    assert snapshot.group.created_at == datetime(2026, 9, 21, 14, 13, 20, tzinfo=UTC)  # created 1790000000
    assert snapshot.taken_at == TAKEN_AT


def test_a_reply_in_the_window_to_an_older_thread_is_found(scenario):
    snapshot, peer, _ = scenario
    messages = _messages(snapshot)
    # GIVEN a root before the window whose thread got a reply inside it
    late = messages[_at(2)]
    # THEN the reply is there, pointing at its (absent) root; the root and the older reply are not
    assert (late.thread_id, late.reply_to_id, late.text) == (
        _at(25, month=10),
        _at(25, month=10),
        "late answer",
    )
    assert _at(25, month=10) not in messages and _at(26, month=10) not in messages
    # ... and only active threads were opened: the old one, the review and the deleted root
    assert sorted(
        r.arg("ts") for r in peer.requests("/api/conversations.replies") if not r.arg("cursor")
    ) == sorted([_at(25, month=10), _at(3), _at(5)])


def test_thread_replies_point_at_their_root(scenario):
    snapshot, _, _ = scenario
    reply = _messages(snapshot)[_at(3, 10)]
    assert (reply.thread_id, reply.reply_to_id, reply.sender_id) == (_at(3), _at(3), "e-bob")
    root = _messages(snapshot)[_at(3)]
    assert (root.thread_id, root.reply_to_id) == (None, None)


def test_mentions_are_read_from_the_markup_and_mapped_to_directory_ids(scenario):
    snapshot, _, _ = scenario
    review = _messages(snapshot)[_at(3)]
    assert (review.sender_id, review.mentions, review.text) == (
        "e-alice",
        ("e-bob",),
        "<@U02BOB> can you review <draft>?",
    )
    assert _messages(snapshot)[_at(8)].mention_all is True


def test_an_edited_message_keeps_its_latest_text_and_first_time(scenario):
    snapshot, _, _ = scenario
    edited = _messages(snapshot)[_at(4)]
    assert (edited.text, edited.sent_at) == ("final text", datetime(2026, 11, 4, 9, tzinfo=UTC))


def test_a_deleted_thread_root_is_left_out_and_its_replies_stay(scenario):
    snapshot, _, _ = scenario
    messages = _messages(snapshot)
    assert _at(5) not in messages
    assert messages[_at(5, 10)].thread_id == _at(5)


def test_bots_are_members_marked_as_bots_and_send_their_messages(scenario):
    snapshot, _, _ = scenario
    members = {m.id: m for m in snapshot.members}
    messages = _messages(snapshot)
    # GIVEN an app's bot user posting, and a legacy integration known only by its bot_id
    assert messages[_at(6)].sender_id == "U04DEPLOY"
    assert messages[_at(6, 10)].sender_id == "B0LEGACY"
    # THEN both are bot members, named by their profile or the message's username
    assert (members["U04DEPLOY"].is_bot, members["U04DEPLOY"].display_name) == (True, "Deploy Bot")
    assert (members["B0LEGACY"].is_bot, members["B0LEGACY"].display_name) == (True, "jenkins")


def test_members_are_the_channel_less_the_deactivated_and_the_auditor(scenario):
    snapshot, _, _ = scenario
    members = {m.id: m for m in snapshot.members}
    # THEN directory ids where the map has one, Slack ids otherwise; the creator owns the group
    assert set(members) == {"e-alice", "e-bob", "U04DEPLOY", "U05NEW", "B0LEGACY", "U09EXT"}
    assert BOT_USER_ID not in members and "U03GONE" not in members
    assert (members["e-alice"].display_name, members["e-alice"].role) == ("alice", "owner")
    assert members["e-bob"].display_name == "Bob Li"  # no display_name: the real name
    assert snapshot.group.owner_id == snapshot.group.created_by == "e-alice"
    # ... a poster Slack does not know (users.info: user_not_found) is named by the message
    assert (members["U09EXT"].display_name, members["U09EXT"].is_bot) == ("Erin (partner)", False)


def test_a_join_is_a_system_message_and_dates_the_member(scenario):
    snapshot, _, _ = scenario
    join = _messages(snapshot)[_at(7)]
    assert (join.type, join.sender_id) == ("system", "U05NEW")
    member = next(m for m in snapshot.members if m.id == "U05NEW")
    assert member.joined_at == datetime(2026, 11, 7, 9, tzinfo=UTC)


def test_files_are_hashed_only_when_small_known_and_on_slack(scenario):
    snapshot, peer, elsewhere = scenario
    files = {f.id: f for f in snapshot.files}
    share = _messages(snapshot)[_at(8)]
    # GIVEN a shared message with two files, a file of unknown size, an external one, one whose
    # download answers Slack's sign-in page
    assert (share.type, share.file_id) == ("file", "F1HELLO")
    # THEN the small one is hashed from its bytes; the rest have no hash
    assert files["F1HELLO"].sha256 == hashlib.sha256(HELLO).hexdigest()
    assert (files["F1HELLO"].size_bytes, files["F1HELLO"].uploader_id) == (len(HELLO), "e-bob")
    assert {i: f.sha256 for i, f in files.items() if i != "F1HELLO"} == dict.fromkeys(
        ["F2BIG", "F3NOSIZE", "F4EXT", "F5SIGNIN"]
    )
    # ... only F1 and F5 were downloaded, each with the token; nothing went to the other host
    downloads = [r for r in peer.received if r.path.startswith("/files-pri/")]
    assert sorted(r.path.split("/")[2] for r in downloads) == [f"{TEAM_ID}-F1HELLO", f"{TEAM_ID}-F5SIGNIN"]
    assert all(r.header("Authorization") == f"Bearer {TOKEN}" for r in downloads)
    assert elsewhere.received == []
    # ... and no URL kept carries a token
    assert all(f.download_url is None or "?" not in f.download_url for f in files.values())


def test_the_token_travels_only_in_the_authorization_header(scenario):
    _, peer, _ = scenario
    for request in peer.received:
        assert request.header("Authorization") == f"Bearer {TOKEN}"
        assert TOKEN not in request.path and all(TOKEN not in v for vs in request.query.values() for v in vs)


# --- pagination -------------------------------------------------------------------------------


def _busy_channel(page_size: int, messages: int = 7, members: int = 5) -> SlackPeer:
    peer = SlackPeer(page_size=page_size)
    people = [f"U{n:04d}" for n in range(members)]
    for person in people:
        peer.add_user(person, f"Person {person}")
    peer.add_channel("C0PROJ", "busy", members=people, creator=people[0])
    for n in range(messages):
        peer.post("C0PROJ", {"ts": _at(3, minute=n), "user": people[n % members], "text": f"m{n}"})
    for n in range(5):
        peer.add_file(f"F{n}", f"f{n}.txt", user=people[0], created=1_794_128_400 + n, channels=["C0PROJ"])
    return peer


def test_every_page_of_every_list_is_followed_by_its_cursor(monkeypatch):
    # GIVEN 7 messages, 5 members (+ the auditor), 5 users and 5 files, served 2 at a time
    monkeypatch.setattr(slack_api, "USERS_INFO_MAX", 0)  # users.list, paginated too
    with _busy_channel(page_size=2) as peer:
        snapshot = pull_snapshot(_request(peer))
        assert snapshot.members is not None and snapshot.messages is not None and snapshot.files is not None
    # THEN every message, member and file is in the snapshot
    assert len(snapshot.messages) == 7 and len(snapshot.members) == 5 and len(snapshot.files) == 5
    # ... history was read newest first in 4 pages, each asking for the cursor the last gave
    history = peer.requests("/api/conversations.history")
    assert [r.arg("cursor") for r in history] == [None, _cursor(2), _cursor(4), _cursor(6)]
    assert all(r.arg("limit") == str(slack_api.PAGE_LIMIT) for r in history)
    assert [r.arg("cursor") for r in peer.requests("/api/conversations.members")] == [
        None,
        _cursor(2),
        _cursor(4),
    ]
    assert [r.arg("cursor") for r in peer.requests("/api/users.list")] == [None, _cursor(2), _cursor(4)]
    # ... and files.list page by page up to paging.pages
    assert [r.arg("page") for r in peer.requests("/api/files.list")] == ["1", "2", "3"]


def test_a_thread_longer_than_a_page_is_read_whole():
    with _busy_channel(page_size=2, messages=1) as peer:
        root = _at(3)
        for n in range(5):
            peer.post("C0PROJ", {"ts": _at(4, minute=n), "user": "U0001", "text": f"r{n}", "thread_ts": root})
        snapshot = pull_snapshot(_request(peer))
        assert snapshot.messages is not None
    replies = [m for m in snapshot.messages if m.thread_id == root]
    assert [m.text for m in replies] == [f"r{n}" for n in range(5)]
    assert [r.arg("cursor") for r in peer.requests("/api/conversations.replies")] == [
        None,
        _cursor(2),
        _cursor(4),
    ]


# --- rate limits ------------------------------------------------------------------------------


def test_a_429_is_waited_out_for_as_long_as_retry_after_says():
    waits: list[float] = []
    with _busy_channel(page_size=50) as peer:
        # GIVEN history answering HTTP 429 ratelimited, Retry-After: 7, twice
        peer.rate_limit("conversations.history", times=2, retry_after_s=7)
        # WHEN pulled
        snapshot = pull_snapshot(_request(peer), _http(peer, waits))
        assert snapshot.messages is not None
    # THEN the pull waited 7 s twice and then got everything
    assert waits == [7.0, 7.0]
    assert len(snapshot.messages) == 7
    assert len(peer.requests("/api/conversations.history")) == 3


def test_ratelimited_in_a_200_body_is_retried_too():
    waits: list[float] = []
    with _busy_channel(page_size=50) as peer:
        peer.script("/api/users.info", slack_error("ratelimited"))
        snapshot = pull_snapshot(_request(peer), _http(peer, waits))
        assert snapshot.members is not None
    assert len(waits) == 1 and 0 < waits[0] <= 1  # no Retry-After: a short backoff
    assert len(snapshot.members) == 5


def test_a_rate_limit_that_does_not_end_fails_the_pull_as_retryable():
    waits: list[float] = []
    with _busy_channel(page_size=50) as peer:
        peer.rate_limit("conversations.members", times=10, retry_after_s=2)
        with pytest.raises(PlatformError) as caught:
            pull_snapshot(_request(peer), _http(peer, waits, max_retries=2))
    assert caught.value.retryable is True
    assert "conversations.members" in str(caught.value) and "429" in str(caught.value)
    assert waits == [2.0, 2.0]
    assert peer.requests("/api/conversations.history") == []  # nothing read after it


# --- refusals and secrets ---------------------------------------------------------------------


def test_a_refusal_half_way_ends_the_pull_with_slacks_code_and_no_snapshot():
    # GIVEN history pages of 2, the second answering not_in_channel (the app was removed)
    with _busy_channel(page_size=2) as peer:
        peer.refuse("conversations.history", "not_in_channel", after=1)
        # WHEN pulled
        with pytest.raises(PlatformError) as caught:
            pull_snapshot(_request(peer))
    # THEN the pull fails for good, naming the method and Slack's code, and reads nothing more
    assert caught.value.retryable is False
    assert "conversations.history: not_in_channel" in str(caught.value)
    assert len(peer.requests("/api/conversations.history")) == 2
    assert peer.requests("/api/files.list") == [] and peer.requests("/api/users.info") == []


def test_a_missing_scope_is_named():
    with _busy_channel(page_size=50) as peer:
        peer.scopes = SCOPES - {"files:read"}
        with pytest.raises(PlatformError) as caught:
            pull_snapshot(_request(peer))
    assert caught.value.retryable is False
    assert "files.list: missing_scope (needed: files:read;" in str(caught.value)


def test_a_wrong_token_is_refused_and_never_shown():
    wrong = "xoxb-9999-8888-wrongWrongWrong"
    with _busy_channel(page_size=50) as peer, pytest.raises(PlatformError) as caught:
        pull_snapshot(_request(peer, credentials={"token": wrong}))
    assert caught.value.retryable is False
    assert "auth.test: invalid_auth" in str(caught.value)
    assert wrong not in str(caught.value)


def test_the_token_is_redacted_even_when_slack_echoes_it():
    # GIVEN an Http built without secrets, and an error text that repeats the token
    with _busy_channel(page_size=50) as peer:
        peer.script("/api/conversations.info", slack_error(f"invalid_auth for {TOKEN}"))
        with pytest.raises(PlatformError) as caught:
            pull_snapshot(_request(peer), Http("slack", peer.api_url))
    # THEN the source registered it: the text shows *** instead
    assert TOKEN not in str(caught.value) and "***" in str(caught.value)


def test_no_token_in_the_secret_is_a_clear_error():
    with _busy_channel(page_size=50) as peer, pytest.raises(PlatformError) as caught:
        pull_snapshot(_request(peer, credentials={"bot_token": TOKEN}))
    assert "the credentials have no 'token'" in str(caught.value)
    assert peer.received == []


def test_a_direct_message_is_not_a_group():
    with _busy_channel(page_size=50) as peer:
        peer.channels["C0PROJ"]["is_im"] = True
        with pytest.raises(PlatformError) as caught:
            pull_snapshot(_request(peer))
    assert "1:1 direct message" in str(caught.value) and caught.value.retryable is False


def test_the_peer_refuses_history_of_a_channel_the_app_is_not_in():
    with SlackPeer() as peer:
        peer.add_channel("C0PROJ", "private", members=["U0001"], with_bot=False, is_private=True)
        with pytest.raises(PlatformError) as caught:
            pull_snapshot(_request(peer))
    assert "conversations.history: not_in_channel (invite the app" in str(caught.value)


def test_ts_vectors_from_slacks_documentation():
    # Slack's documented ts "1452837318.000002" is 2016-01-15 05:55:18.000002 UTC, exactly
    moment = datetime(2016, 1, 15, 5, 55, 18, 2, tzinfo=UTC)
    assert ts_of(moment) == "1452837318.000002"
    assert slack_api._ts(moment) == "1452837318.000002"
    assert slack_api._key(moment) == (1452837318, 2)

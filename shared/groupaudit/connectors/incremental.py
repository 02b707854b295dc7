"""Incremental pulls: read from the platform only what is new since the last pull.

A daily audit looks back months (``lookback_days``), and Slack and Feishu ration their
history methods (Slack about 50 calls a minute, one per thread with replies): pulling the
whole window every day does not fit a function's time for a busy channel
(docs/BENCHMARKS.md, "Platform pulls"). So after each pull the worker keeps a *pull state*
(``pulls/{tenant}/{group}.json``): the snapshot it pulled, the window it covers, and what it
was pulled with (platform, chat, id map). The next pull asks the platform only for the
messages from ``covered_until - OVERLAPS[platform]`` on (two days for Slack, whose source
also looks 14 days further back for thread roots with new replies; fourteen for Feishu, which
shows a thread only through its root), and merges:

- messages: the state's messages inside the new window and before the re-read part, then
  everything re-read (the overlap is read again whole, so an edit or a recall there is seen),
  and the state's replies in the re-read part to threads whose root was not re-read (the
  platform may not show those threads again);
- members, group: as the platform says now (a ``joined_at`` only the state knew is kept;
  bots that posted in the kept messages stay members);
- files: the platform's (a file the state hashed is not downloaded again), plus the state's
  files that kept messages share (Feishu lists files only through the messages sharing them);
  a file first shared before the re-read part keeps that first upload's time and uploader;
- messages_since: the earliest start the merge truly covers (:func:`covered_since`): the new
  window's start, or the state's own start when that is later.

A state is only used when it was pulled from the same platform, chat and variant with the
same id map, and it covers the new window's start; anything else makes a full pull. What an
incremental pull cannot see: an edit or a recall of a message older than the overlap, a new
reply in a thread whose root is older than about 14 days (16 for Slack). Such changes leave
the window with time.

``groupaudit pull ... --state FILE`` reads and writes the same state, so the first pull of a
channel too busy for one invocation can be made from a machine without time limits and
uploaded to ``pulls/{tenant}/{group}.json``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import msgspec

from groupaudit.connectors.base import PullRequest, finish_snapshot, pull_snapshot
from groupaudit.connectors.http import Http
from groupaudit.contracts import Snapshot, Timestamp
from groupaudit.loading import nested_deeper_than

STATE_VERSION = 1
# How much of the previous pull is read again. Slack's source also looks 14 days further back
# for thread roots whose replies are still coming; Feishu lists a thread only through its root
# in the time range, so its overlap is those 14 days itself.
OVERLAPS: dict[str, timedelta] = {"slack": timedelta(days=2), "feishu": timedelta(days=14)}
INCREMENTAL_PLATFORMS = frozenset(OVERLAPS)


class PullState(msgspec.Struct, kw_only=True):
    version: int
    platform: str
    chat_id: str
    variant: str | None = None
    ids_digest: str
    covered_since: Timestamp
    covered_until: Timestamp
    snapshot: Snapshot


def decode_state(data: bytes | None) -> PullState | None:
    """The state, or None when there is none or it cannot be read (a full pull then)."""
    if not data or nested_deeper_than(data):
        return None
    try:
        state = msgspec.json.decode(data, type=PullState)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return state if state.version == STATE_VERSION else None


def encode_state(state: PullState) -> bytes:
    return msgspec.json.encode(state)


def usable(state: PullState | None, request: PullRequest) -> PullState | None:
    """The state if an incremental pull may build on it for ``request``."""
    if state is None or request.platform not in INCREMENTAL_PLATFORMS:
        return None
    if (state.platform, state.chat_id, state.variant, state.ids_digest) != (
        request.platform,
        request.chat_id,
        request.variant,
        request.ids.digest(),
    ):
        return None
    if state.snapshot.group.id != request.group_id or state.covered_since > request.since:
        return None
    if (
        state.covered_until - OVERLAPS[request.platform] <= request.since
        or state.covered_until > request.taken_at
    ):
        return None
    return state


def pull(
    request: PullRequest, http: Http | None, state: PullState | None
) -> tuple[Snapshot, PullState, bool]:
    """(snapshot of ``request``'s window, the new state, whether it was incremental)."""
    base = usable(state, request)
    if base is None:
        snapshot = pull_snapshot(request, http)
        incremental = False
    else:
        reread_from = base.covered_until - OVERLAPS[request.platform]
        known = {f.id: (f.size_bytes, f.sha256) for f in base.snapshot.files or () if f.sha256}
        fetched = pull_snapshot(dataclasses.replace(request, since=reread_from, known_files=known), http)
        merged = merge(base.snapshot, fetched, window_since=request.since, reread_from=reread_from)
        merged = msgspec.structs.replace(merged, messages_since=covered_since(base, request))
        snapshot = finish_snapshot(merged, request.platform)
        incremental = True
    new_state = PullState(
        version=STATE_VERSION,
        platform=request.platform,
        chat_id=request.chat_id,
        variant=request.variant,
        ids_digest=request.ids.digest(),
        covered_since=request.since,
        covered_until=request.taken_at,
        snapshot=snapshot,
    )
    return snapshot, new_state, incremental


def covered_since(state: PullState, request: PullRequest) -> datetime:
    """The earliest moment from which an incremental pull's merged messages are whole: the
    window's start, unless the state itself held messages only from later (its snapshot's
    ``messages_since``, else the start of the window it was pulled for). The re-read part
    overlaps the state's end, so the two leave no gap."""
    held = state.snapshot.messages_since or state.covered_since
    return max(request.since, held)


def merge(
    previous: Snapshot, fetched: Snapshot, *, window_since: datetime, reread_from: datetime
) -> Snapshot:
    """The window's snapshot from the previous one's older messages and the re-read part."""
    fresh = list(fetched.messages or ())
    fresh_ids = {m.id for m in fresh}
    # A reply in the re-read part to a thread whose root was not re-read is one the platform
    # may not have shown again (Feishu lists a thread only through its root): keep the state's.
    kept = [
        m
        for m in previous.messages or ()
        if m.id not in fresh_ids
        and window_since <= m.sent_at
        and (m.sent_at < reread_from or (m.thread_id is not None and m.thread_id not in fresh_ids))
    ]
    messages = sorted([*kept, *fresh], key=lambda m: m.sent_at)

    previous_members = {m.id: m for m in previous.members or ()}
    members = []
    for member in fetched.members or ():
        known = previous_members.get(member.id)
        if member.joined_at is None and known is not None and known.joined_at is not None:
            members.append(msgspec.structs.replace(member, joined_at=known.joined_at))
        else:
            members.append(member)
    present = {m.id for m in members}
    kept_senders = {m.sender_id for m in kept}
    for member_id in sorted(kept_senders - present):
        known = previous_members.get(member_id)
        if known is not None and known.is_bot:
            members.append(known)

    # a file first shared before the re-read part keeps that first upload (time, uploader)
    previous_files = {f.id: f for f in previous.files or ()}
    files = []
    for file in fetched.files or ():
        earlier = previous_files.get(file.id)
        if earlier is not None and earlier.uploaded_at < file.uploaded_at:
            files.append(
                msgspec.structs.replace(
                    file, uploaded_at=earlier.uploaded_at, uploader_id=earlier.uploader_id
                )
            )
        else:
            files.append(file)
    listed = {f.id for f in files}
    shared = {m.file_id for m in kept if m.file_id}
    files += [f for f in previous.files or () if f.id in shared and f.id not in listed]
    return msgspec.structs.replace(fetched, messages=messages, members=members, files=files)

"""Slack's standard workspace export (a folder or the .zip Slack hands out) -> group snapshots.

The export holds ``users.json`` (``org_users.json`` on Enterprise Grid), ``channels.json``
(public channels) and, in a full export, ``groups.json`` (private channels) and ``mpims.json``
(group DMs), plus one folder per conversation with a ``YYYY-MM-DD.json`` array of messages per
day. Each conversation becomes one snapshot. ``dms.json`` (1:1 direct messages) is not
imported: a DM is not a group; the import names the DMs it leaves out, and an export holding
only DMs is refused saying so. A zip is read in place (no extraction); members with absolute paths or
``..`` and archives above :data:`MAX_UNCOMPRESSED_BYTES` are refused.

The mapping (documented for users in ``docs/platforms/slack.md``):

- group: id = channel id, name = channel name, owner_id = created_by = ``creator``,
  created_at = ``created`` (epoch seconds, UTC), kind = ``--kind`` or ``other``.
- members: the channel's ``members`` list, plus anyone who posted and is missing from it
  (unless their last join/leave event there is a leave), plus every bot that posted, marked
  ``is_bot``. Without a list (``members`` null or absent) the members are who posted or
  joined and has not left since, and the import says so (a note). Deactivated accounts
  (``deleted: true``) are left out of the members: they can no longer read the channel; their
  messages stay. ``joined_at`` = their last ``channel_join``. display_name: users.json's
  (profile display name, else real name, else name); for someone users.json does not list,
  the latest ``user_profile`` their messages carry, else the id.
- messages: id = ``ts`` (a repeated ``ts`` gets ``-2``, ``-3``... in file order, noted);
  sent_at = ``ts`` as an aware UTC datetime to the microsecond; join/leave/topic/rename/bot-add
  and similar subtypes, and Slack's records of calls and huddles (``huddle_thread``: the
  huddle itself is not in an export) and canvas edits, are ``system``, messages that share
  files are ``file``, the rest
  ``text``; thread replies get thread_id = reply_to_id = ``thread_ts``; ``<@U…>`` goes to
  ``mentions`` and ``<!channel>``/``<!here>``/``<!everyone>`` to ``mention_all``.
  ``message_changed`` replaces the original's content (the export's text is already the
  latest; ``edited`` only marks it), ``message_deleted`` and ``tombstone`` remove the original
  (a recalled message no longer exists on the platform, nobody can read or answer it).
- messages_since: from when the export provably holds every message (:func:`export_coverage`):
  the channel's ``created`` when the first day file may hold it (the whole history), else the
  first day file's date at its latest start (00:00 at UTC-12; the export does not state its
  zone) or its first message when earlier; ``taken_at`` for a conversation without day files.
- files: from ``file`` (2016 exports) or ``files`` (newer); no sha256 (Slack gives none);
  download_url = ``url_private`` without its query string (the export's ``?t=`` token is
  dropped): fetching it needs a token with ``files:read``.

The Web API source (:mod:`groupaudit.connectors.slack_api`) maps the same message, user and
file objects with :func:`index_users`, :func:`apply_events` and :class:`ChannelMapping`.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec

from groupaudit.connectors.skeleton import epoch
from groupaudit.contracts import (
    SCHEMA_VERSION,
    File,
    Group,
    GroupKind,
    Member,
    Message,
    MessageType,
    Snapshot,
)
from groupaudit.errors import InputError, Problem
from groupaudit.loading import check_json_depth, decode_snapshot

MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
MAX_PROBLEMS = 50
SLACKBOT = "USLACKBOT"
USERS_FILES = ("users.json", "org_users.json")
CONVERSATION_FILES = ("channels.json", "groups.json", "mpims.json")

# Subtypes that record an event, not something a person said: never activity.
SYSTEM_SUBTYPES = frozenset(
    {
        *(
            f"{prefix}_{event}"
            for prefix in ("channel", "group")
            for event in ("join", "leave", "topic", "purpose", "name", "archive", "unarchive")
        ),
        "channel_convert_to_private",
        "channel_convert_to_public",
        "channel_posting_permissions",
        "bot_add",
        "bot_remove",
        "bot_enable",
        "bot_disable",
        "pinned_item",
        "unpinned_item",
        "reminder_add",
        "app_conversation_join",
        # calls and huddles: Slack posts a record of the call (a huddle's, by Slackbot, with its
        # `room`); the call itself is not in the export (huddles are invisible in exports)
        "sh_room_created",
        "huddle_thread",
        # a canvas edited: Slack's notice of it, not something said in the channel
        "channel_canvas_updated",
        "tabbed_canvas_updated",
    }
)
JOIN_SUBTYPES = frozenset({"channel_join", "group_join"})
LEAVE_SUBTYPES = frozenset({"channel_leave", "group_leave"})
# Messages that carry a file without sharing it: a comment on it, a link to it.
FILE_REFERENCE_SUBTYPES = frozenset({"file_comment", "file_mention"})

_DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_TS = re.compile(r"^(\d{1,12})(?:\.(\d{1,6}))?$")
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_MENTION_ALL = re.compile(r"<!(?:channel|here|everyone)(?:\|[^>]*)?>")
_BOT_ADDED = re.compile(r"/services/(B[A-Z0-9]+)\|([^>]+)>")
_UNSAFE_MEMBER = re.compile(r"^(?:[/\\]|[A-Za-z]:)")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TsKey = tuple[int, int]  # (seconds, microseconds): sorts and converts exactly, unlike a float


# --- the result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedChannel:
    """One conversation's snapshot, already validated, and the JSON to write."""

    snapshot: Snapshot
    data: bytes
    file_name: str
    source: str  # channels.json, groups.json or mpims.json
    notes: tuple[str, ...]


@dataclass(frozen=True)
class SlackImport:
    channels: tuple[ImportedChannel, ...]
    taken_at: datetime
    taken_at_from_export: bool  # True: the latest message time in the export, not --taken-at
    notes: tuple[str, ...] = ()  # about the export as a whole (what was not imported, and why)


# --- reading the export: a folder or a zip ----------------------------------------------------


@dataclass(frozen=True)
class _Export:
    """The export's JSON documents by relative POSIX path, read on demand."""

    label: str
    read: Callable[[str], bytes]
    top: frozenset[str]  # top-level .json files
    days: Mapping[str, list[str]]  # folder -> its YYYY-MM-DD.json paths, in date order

    @classmethod
    def build(cls, label: str, paths: list[str], read: Callable[[str], bytes]) -> _Export:
        top: set[str] = set()
        days: dict[str, list[str]] = {}
        for path in paths:
            parts = path.split("/")
            if len(parts) == 1:
                top.add(path)
            elif len(parts) == 2 and _DAY_FILE.match(parts[1]):
                days.setdefault(parts[0], []).append(path)
        for files in days.values():
            files.sort()
        return cls(label, read, frozenset(top), days)

    def json(self, path: str) -> Any:
        try:
            data = self.read(path)
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError) as exc:
            raise InputError(self.label, [Problem(path, f"cannot read: {exc}")]) from None
        check_json_depth(data, f"{self.label} {path}")
        try:
            return msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise InputError(self.label, [Problem(path, f"not valid JSON: {exc}")]) from None


@contextmanager
def _open_export(path: Path) -> Iterator[_Export]:
    label = str(path)
    if path.is_dir():
        paths = [p.relative_to(path).as_posix() for p in (*path.glob("*.json"), *path.glob("*/*.json"))]
        yield _Export.build(label, paths, lambda rel: (path / rel).read_bytes())
        return
    if not path.is_file():
        raise InputError(label, [Problem("", "Slack export not found (expected a folder or a .zip)")])
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(label, [Problem("", f"not a folder nor a readable .zip archive: {exc}")]) from None
    with archive:
        yield _zip_export(archive, label)


def _zip_export(archive: zipfile.ZipFile, label: str) -> _Export:
    """Check every member before reading any: no absolute paths, no '..', a sane total size."""
    problems: list[Problem] = []
    total = 0
    names: list[str] = []
    for info in archive.infolist():
        name = info.filename
        if _UNSAFE_MEMBER.match(name) or ".." in re.split(r"[/\\]", name):
            problems.append(Problem(name, "unsafe member path (absolute or with '..'): archive refused"))
            continue
        total += info.file_size
        if not info.is_dir() and name.endswith(".json"):
            names.append(name)
    if problems:
        raise InputError(label, problems[:MAX_PROBLEMS])
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError(
            label,
            [
                Problem(
                    "",
                    f"archive expands to {total:,} bytes, above the {MAX_UNCOMPRESSED_BYTES:,}-byte limit: "
                    "refused (export a shorter date range, or unzip it and pass the folder)",
                )
            ],
        )
    # Exports re-zipped by hand often wrap everything in one folder: read from where the
    # metadata files are.
    prefix = ""
    if not any(name in (*USERS_FILES, *CONVERSATION_FILES) for name in names):
        roots = {
            name.rsplit("/", 1)[0] + "/"
            for name in names
            if name.count("/") == 1 and name.rsplit("/", 1)[1] in (*USERS_FILES, *CONVERSATION_FILES)
        }
        if len(roots) == 1:
            prefix = roots.pop()
    relative = [name[len(prefix) :] for name in names if name.startswith(prefix)]
    return _Export.build(label, relative, lambda rel: archive.read(prefix + rel))


# --- users and conversations ------------------------------------------------------------------


@dataclass(frozen=True)
class SlackUser:
    id: str
    display_name: str
    is_bot: bool
    deleted: bool


@dataclass(frozen=True)
class Conversation:
    id: str
    name: str
    source: str
    creator: str | None
    created: datetime | None
    members: tuple[str, ...]
    folder: str | None
    members_listed: bool = True  # False: channels.json gave no member list (absent or null)


def _display_name(record: Mapping[str, Any]) -> str | None:
    profile = record.get("profile")
    profile = profile if isinstance(profile, dict) else {}
    for value in (
        profile.get("display_name"),
        profile.get("real_name"),
        record.get("display_name"),
        record.get("real_name"),
        record.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _read_users(export: _Export) -> tuple[dict[str, SlackUser], dict[str, str]]:
    """Users by id, and the bot users by the bot_id their messages carry."""
    source = next((name for name in USERS_FILES if name in export.top), None)
    if source is None:
        raise InputError(
            export.label,
            [
                Problem(
                    "users.json", "missing: not a Slack workspace export (no users.json or org_users.json)"
                )
            ],
        )
    document = export.json(source)
    if not isinstance(document, list):
        raise InputError(export.label, [Problem(source, "expected a JSON array of users")])
    problems: list[Problem] = []
    users, bot_users = index_users(document, source, problems)
    if problems:
        raise InputError(export.label, problems[:MAX_PROBLEMS])
    return users, bot_users


def index_users(
    records: Iterable[Any], source: str, problems: list[Problem]
) -> tuple[dict[str, SlackUser], dict[str, str]]:
    """Slack user objects (users.json, or users.list / users.info of the Web API) -> the users
    by id, and the bot users by the ``bot_id`` their messages carry. A record without an id is
    a problem, named ``source[index].id``."""
    users: dict[str, SlackUser] = {}
    bot_users: dict[str, str] = {}
    for index, record in enumerate(records):
        user_id = record.get("id") if isinstance(record, dict) else None
        if not isinstance(user_id, str) or not user_id:
            problems.append(Problem(f"{source}[{index}].id", "expected a non-empty user id"))
            continue
        is_bot = record.get("is_bot") is True or user_id == SLACKBOT
        users[user_id] = SlackUser(
            id=user_id,
            display_name=_display_name(record) or user_id,
            is_bot=is_bot,
            deleted=record.get("deleted") is True,
        )
        profile = record.get("profile")
        bot_id = profile.get("bot_id") if isinstance(profile, dict) else None
        if is_bot and isinstance(bot_id, str) and bot_id:
            bot_users[bot_id] = user_id
    return users, bot_users


def direct_messages(export: _Export) -> list[str]:
    """The ids of the 1:1 direct-message conversations the export holds (``dms.json``, else
    their ``D…`` folders): never imported, a DM is not a group."""
    ids: list[str] = []
    if "dms.json" in export.top:
        document = export.json("dms.json")
        for record in document if isinstance(document, list) else ():
            dm_id = record.get("id") if isinstance(record, dict) else None
            if isinstance(dm_id, str) and dm_id:
                ids.append(dm_id)
    ids += [folder for folder in export.days if re.fullmatch(r"D[A-Z0-9]{6,}", folder)]
    return list(dict.fromkeys(ids))


def _what_it_holds(export: _Export, conversations: list[Conversation]) -> str:
    """What an export with no group to import holds, in words."""
    dms = direct_messages(export)
    listed = ", ".join(f"{c.source}: {c.name}" for c in conversations[:5])
    more = f" and {len(conversations) - 5} more" if len(conversations) > 5 else ""
    parts = [
        f"its channels, private channels and group DMs ({listed}{more}) have no day files"
        if conversations
        else "it lists no channel, private channel or group DM (channels.json, groups.json, mpims.json)"
    ]
    if dms:
        shown = ", ".join(dms[:5]) + (f" and {len(dms) - 5} more" if len(dms) > 5 else "")
        parts.append(
            f"it holds {len(dms)} direct message conversation(s) (dms.json: {shown}): 1:1 chats are "
            "not groups and are not imported"
        )
    return "; ".join(parts)


def _read_conversations(export: _Export) -> list[Conversation]:
    sources = [name for name in CONVERSATION_FILES if name in export.top]
    if not sources:
        raise InputError(
            export.label,
            [Problem("channels.json", f"missing: nothing to import: {_what_it_holds(export, [])}")],
        )
    conversations: list[Conversation] = []
    seen: set[str] = set()
    problems: list[Problem] = []
    for source in sources:
        document = export.json(source)
        if not isinstance(document, list):
            problems.append(Problem(source, "expected a JSON array of channels"))
            continue
        for index, record in enumerate(document):
            where = f"{source}[{index}]"
            conversation = _conversation(record, source, where, export, problems)
            if conversation is None:
                continue
            if conversation.id in seen:
                problems.append(Problem(f"{where}.id", "channel listed twice", conversation.id))
                continue
            seen.add(conversation.id)
            conversations.append(conversation)
    if problems:
        raise InputError(export.label, problems[:MAX_PROBLEMS])
    return conversations


def _conversation(
    record: Any, source: str, where: str, export: _Export, problems: list[Problem]
) -> Conversation | None:
    if not isinstance(record, dict):
        problems.append(Problem(where, "expected a channel object"))
        return None
    channel_id = record.get("id")
    if not isinstance(channel_id, str) or not channel_id:
        problems.append(Problem(f"{where}.id", "expected a non-empty channel id"))
        return None
    name = record.get("name")
    name = name if isinstance(name, str) and name else channel_id
    members = record.get("members")
    listed = members is not None
    members = members if listed else []
    if not isinstance(members, list) or not all(isinstance(m, str) and m for m in members):
        problems.append(Problem(f"{where}.members", "expected an array of user ids", channel_id))
        return None
    created = record.get("created")
    created_at = _epoch(created)
    if created not in (None, "", 0, "0") and created_at is None:
        problems.append(Problem(f"{where}.created", f"expected epoch seconds, got {created!r}", channel_id))
    creator = record.get("creator")
    folder = next((f for f in (name, channel_id) if f in export.days), None)
    return Conversation(
        id=channel_id,
        name=name,
        source=source,
        creator=creator if isinstance(creator, str) and creator else None,
        created=created_at,
        members=tuple(dict.fromkeys(members)),
        folder=folder,
        members_listed=listed,
    )


# --- timestamps -------------------------------------------------------------------------------


def ts_key(value: Any) -> TsKey | None:
    """Slack's ``ts`` ("1452837318.000002": epoch seconds and microseconds) as exact integers."""
    if not isinstance(value, str):
        return None
    match = _TS.match(value)
    if match is None:
        return None
    return int(match.group(1)), int((match.group(2) or "0").ljust(6, "0"))


def _at(key: TsKey) -> datetime:
    return _EPOCH + timedelta(seconds=key[0], microseconds=key[1])


def _epoch(value: Any) -> datetime | None:
    """Whole epoch seconds (a number or a digit string, as Slack writes both); 0 means unknown."""
    return None if isinstance(value, str) and not value.isdigit() else epoch(value, whole=True)


def _latest_message_time(export: _Export, conversations: list[Conversation]) -> datetime:
    """The latest ``ts`` of any conversation: only the newest day files need reading."""
    by_day: dict[str, list[str]] = {}
    for conversation in conversations:
        for path in export.days.get(conversation.folder or "", ()):
            by_day.setdefault(path.rsplit("/", 1)[1], []).append(path)
    for day in sorted(by_day, reverse=True):
        keys = [
            _message_ts(event, f"{path}[{index}]", export)
            for path in by_day[day]
            for index, event in enumerate(_events(export, path))
        ]
        if any(key is not None for key in keys):
            return _at(max(key for key in keys if key is not None))
    raise InputError(
        export.label,
        [
            Problem(
                "--taken-at",
                f"no messages to date the snapshots by: {_what_it_holds(export, conversations)}; "
                "pass --taken-at to import the channels without messages",
            )
        ],
    )


# Day files are named by the date in the workspace's time zone, which the export does not
# state; UTC-12 is the latest any zone starts a day.
LATEST_DAY_START = timedelta(hours=12)


def export_coverage(export: _Export, conversation: Conversation, taken_at: datetime) -> datetime:
    """From when the export provably holds every message of the conversation.

    A standard export holds a conversation's whole history, unless it was limited to a date
    range; either way it holds everything from the start of its first day file's date on (that
    date is inside the range). The date is the workspace's, in a zone the export does not
    name, so the start of that day is taken at its latest (00:00 at UTC-12, i.e. 12:00 UTC), or
    at the first message's ts when earlier. Nothing was said before the channel's ``created``:
    when that is later, the snapshot holds the whole history from the channel's creation. A
    conversation without day files proves no period: ``taken_at`` (no silence is claimed)."""
    paths = export.days.get(conversation.folder or "", ())
    if not paths:
        return taken_at
    first_day = datetime.strptime(paths[0].rsplit("/", 1)[1][:10], "%Y-%m-%d").replace(tzinfo=UTC)
    start = first_day + LATEST_DAY_START
    keys = [
        key
        for index, event in enumerate(_events(export, paths[0]))
        if (key := _message_ts(event, f"{paths[0]}[{index}]", export)) is not None
    ]
    if keys:
        start = min(start, _at(min(keys)))
    if conversation.created is not None:
        start = max(start, conversation.created)
    return min(start, taken_at)


def _message_ts(event: Any, where: str, export: _Export) -> TsKey | None:
    """A message's ts as a key; None for what is not a message."""
    if not isinstance(event, dict) or "ts" not in event:
        return None
    key = ts_key(event["ts"])
    if key is None:
        raise InputError(export.label, [_bad_ts(where, event["ts"])])
    return key


def _bad_ts(where: str, ts: Any) -> Problem:
    return Problem(f"{where}.ts", f"expected a Slack ts like '1452837318.000002', got {ts!r}")


def _events(export: _Export, path: str) -> list[Any]:
    events = export.json(path)
    if not isinstance(events, list):
        raise InputError(export.label, [Problem(path, "expected a JSON array of messages")])
    return events


# --- one conversation -------------------------------------------------------------------------


@dataclass
class Record:
    id: str
    key: TsKey
    raw: dict[str, Any]
    alive: bool = True


@dataclass
class MappingLog:
    """What the import did that a reader of the snapshot would not guess: said once, counted."""

    counts: Counter[str] = field(default_factory=Counter)

    def notes(self) -> tuple[str, ...]:
        texts = {
            "edited": "{n} edit(s) applied (message_changed): the snapshot holds the latest text",
            "edit_orphan": "{n} edit(s) of messages older than the export kept as the messages themselves",
            "deleted": "{n} deleted (recalled) message(s) removed (message_deleted / tombstone)",
            "delete_orphan": "{n} deletion(s) of messages not in the export ignored",
            "hidden": "{n} hidden event(s) skipped",
            "duplicate": "{n} message(s) with a repeated ts given the id ts-2, ts-3... in file order",
            "no_sender": "{n} message(s) with no user, bot or username skipped",
            "deactivated": "{n} deactivated account(s) left out of the members (their messages stay)",
            "unknown_user": "{n} poster(s) missing from users.json added, named by the message or id",
            "file_tombstone": "{n} deleted file(s) left out",
            "members_unlisted": "the channel list gives no members for it (members: null or absent)",
            "members_derived": "{n} member(s) derived from who posted or joined in the export and has not "
            "left since: anyone who did neither is missing",
        }
        return tuple(texts[key].format(n=n) for key, n in self.counts.items() if n)


def _records(export: _Export, conversation: Conversation, log: MappingLog) -> list[Record]:
    """The conversation's messages as they stand now: edits applied, deletions removed."""
    events = (
        (f"{path}[{index}]", event)
        for path in export.days.get(conversation.folder or "", ())
        for index, event in enumerate(_events(export, path))
    )
    problems: list[Problem] = []
    records = apply_events(events, log, problems)
    if problems:
        raise InputError(export.label, problems[:MAX_PROBLEMS])
    return records


def apply_events(events: Iterable[tuple[str, Any]], log: MappingLog, problems: list[Problem]) -> list[Record]:
    """Message objects in the order they happened, each with where it was read -> the messages
    as they stand now, by time: edits (``message_changed``) applied, deletions
    (``message_deleted``, ``tombstone``) and hidden events removed, a repeated ``ts`` given the
    id ``ts-2``, ``ts-3``... A message with an unreadable ``ts`` is a problem."""
    records: list[Record] = []
    by_ts: dict[str, Record] = {}
    repeats: Counter[str] = Counter()
    for where, entry in events:
        event = entry
        if not isinstance(event, dict):
            problems.append(Problem(where, "expected a message object"))
            continue
        subtype = event.get("subtype")
        if subtype in ("message_changed", "message_replied"):
            inner = event.get("message")
            inner_ts = inner.get("ts") if isinstance(inner, dict) else None
            original = by_ts.get(inner_ts) if isinstance(inner_ts, str) else None
            if original is not None and isinstance(inner, dict):
                original.raw = {**original.raw, **inner}
                log.counts["edited"] += subtype == "message_changed"
                continue
            if not isinstance(inner, dict):
                log.counts["hidden"] += 1
                continue
            log.counts["edit_orphan"] += 1
            event = inner
        elif subtype in ("message_deleted", "tombstone"):
            previous = event.get("previous_message")
            previous_ts = previous.get("ts") if isinstance(previous, dict) else None
            deleted_ts = event.get("deleted_ts") or previous_ts or event.get("ts")
            original = by_ts.pop(deleted_ts, None) if isinstance(deleted_ts, str) else None
            if original is not None:
                original.alive = False
            log.counts["deleted" if original is not None or subtype == "tombstone" else "delete_orphan"] += 1
            continue
        elif event.get("hidden") is True or event.get("type", "message") != "message":
            log.counts["hidden"] += 1
            continue
        ts = event.get("ts")
        key = ts_key(ts)
        if key is None or not isinstance(ts, str):  # ts_key reads strings only
            problems.append(_bad_ts(where, ts))
            continue
        repeats[ts] += 1
        message_id = ts if repeats[ts] == 1 else f"{ts}-{repeats[ts]}"
        log.counts["duplicate"] += repeats[ts] > 1
        record = Record(message_id, key, event)
        by_ts.setdefault(ts, record)
        records.append(record)
    return sorted((record for record in records if record.alive), key=lambda record: record.key)


def _file_objects(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    files = raw.get("files")
    if isinstance(files, list):
        return [f for f in files if isinstance(f, dict)]
    single = raw.get("file")
    return [single] if isinstance(single, dict) else []


def _plain_text(raw: Mapping[str, Any]) -> str | None:
    """The text as written, Slack's three HTML escapes undone; a bot's attachment fallback when
    the message itself has no text."""
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        attachments = raw.get("attachments")
        fallbacks = [
            a.get("fallback") or a.get("text")
            for a in (attachments if isinstance(attachments, list) else ())
            if isinstance(a, dict)
        ]
        text = "\n".join(f for f in fallbacks if isinstance(f, str) and f)
    if not text:
        return None
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _download_url(raw: Mapping[str, Any]) -> str | None:
    url = raw.get("url_private") or raw.get("url_private_download")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))  # never keep the ?t= token


class ChannelMapping:
    """Maps one conversation's records onto a snapshot."""

    def __init__(
        self,
        conversation: Conversation,
        users: Mapping[str, SlackUser],
        bot_users: Mapping[str, str],
        log: MappingLog,
    ) -> None:
        self.conversation = conversation
        self.users = users
        self.bot_users = bot_users
        self.log = log
        self.bots: dict[str, str] = {}  # bot sender id -> display name
        self.bot_labels: dict[str, str] = {}  # bot_id -> name found in the channel's bot_add events
        # sender not in users.json -> the name of the latest user_profile their messages carry
        self.unknown: dict[str, str] = {}
        self.files: dict[str, File] = {}

    def sender(self, raw: Mapping[str, Any]) -> tuple[str, bool] | None:
        """(sender id, is a bot): the user, else the bot (by its bot user, its bot_id or
        ``bot:<username>``), else the commenter of a file comment."""
        user, bot_id, username = raw.get("user"), raw.get("bot_id"), raw.get("username")
        user = user if isinstance(user, str) and user else None
        bot_id = bot_id if isinstance(bot_id, str) and bot_id else None
        username = username if isinstance(username, str) and username else None
        if raw.get("subtype") == "bot_message" or (user is None and bot_id is not None):
            if bot_id is not None:
                sender = self.bot_users.get(bot_id, bot_id)
            elif user is not None:
                sender = user
            elif username is not None:
                sender = f"bot:{username}"
            else:
                return None
            known = self.users.get(sender)
            return sender, known.is_bot if known is not None else True
        if user is not None:
            known = self.users.get(user)
            return user, known.is_bot if known is not None else False
        comment = raw.get("comment")
        commenter = comment.get("user") if isinstance(comment, dict) else None
        if isinstance(commenter, str) and commenter:
            known = self.users.get(commenter)
            return commenter, known.is_bot if known is not None else False
        return None

    def bot_name(self, sender: str, raw: Mapping[str, Any]) -> str:
        profile = raw.get("bot_profile")
        for value in (
            profile.get("name") if isinstance(profile, dict) else None,
            raw.get("username"),
            self.bot_labels.get(raw.get("bot_id") or ""),
        ):
            if isinstance(value, str) and value.strip():
                return value.strip()
        return sender.removeprefix("bot:")

    def file(self, raw: Mapping[str, Any], sender: str, sent_at: datetime) -> str | None:
        """Record the message's files; return the first one's id (the contract's one file_id)."""
        first = None
        for item in _file_objects(raw):
            file_id = self.add_file(item, sender, sent_at)
            first = first or file_id
        return first

    def add_file(self, item: Mapping[str, Any], sender: str | None, sent_at: datetime) -> str | None:
        """Record one Slack file object (the first version seen of each id wins); return its id,
        None for a deleted file (``mode: tombstone``) or one without an id."""
        file_id = item.get("id")
        if not isinstance(file_id, str) or not file_id:
            return None
        if item.get("mode") == "tombstone":
            self.log.counts["file_tombstone"] += 1
            return None
        if file_id in self.files:
            return file_id
        name = next((v for v in (item.get("name"), item.get("title")) if isinstance(v, str) and v), file_id)
        uploader = item.get("user")
        size = item.get("size")
        pinned_to = item.get("pinned_to")
        self.files[file_id] = File(
            id=file_id,
            name=name,
            uploaded_at=_epoch(item.get("timestamp")) or _epoch(item.get("created")) or sent_at,
            uploader_id=uploader if isinstance(uploader, str) and uploader else sender,
            size_bytes=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
            important=True if isinstance(pinned_to, list) and self.conversation.id in pinned_to else None,
            download_url=_download_url(item),
        )
        return file_id

    def message(self, record: Record) -> Message | None:
        raw = record.raw
        found = self.sender(raw)
        if found is None:
            self.log.counts["no_sender"] += 1
            return None
        sender, is_bot = found
        if is_bot:
            self.bots.setdefault(sender, self.bot_name(sender, raw))
        elif sender not in self.users:
            # users.json names everyone it lists; others are named by the latest user_profile
            # seen (records come in ts order), whatever file or message type came first
            profile = raw.get("user_profile")
            name = _display_name(profile) if isinstance(profile, dict) else None
            if name:
                self.unknown[sender] = name
        sent_at = _at(record.key)
        subtype = raw.get("subtype")
        system = subtype in SYSTEM_SUBTYPES
        file_id = None if system else self.file(raw, sender, sent_at)
        if system:
            kind: MessageType = "system"
        elif file_id is not None and subtype not in FILE_REFERENCE_SUBTYPES:
            kind = "file"
        else:
            kind = "text"
        text: str = raw["text"] if isinstance(raw.get("text"), str) else ""
        mentions = tuple(dict.fromkeys(m for m in _USER_MENTION.findall(text) if m != sender))
        thread_ts = raw.get("thread_ts")
        in_thread = (
            isinstance(thread_ts, str) and ts_key(thread_ts) is not None and thread_ts != raw.get("ts")
        )
        return Message(
            id=record.id,
            sender_id=sender,
            sent_at=sent_at,
            type=kind,
            text=_plain_text(raw),
            reply_to_id=thread_ts if in_thread else None,
            thread_id=thread_ts if in_thread else None,
            mentions=mentions or None,
            mention_all=True if _MENTION_ALL.search(text) else None,
            file_id=file_id,
        )

    def members(self, records: list[Record], messages: list[Message]) -> list[Member]:
        last_event, joined = _membership_events(records)
        creator = self.conversation.creator
        out: dict[str, Member] = {}
        deactivated: set[str] = set()

        def add(member_id: str, display_name: str, is_bot: bool) -> None:
            out[member_id] = Member(
                id=member_id,
                display_name=display_name,
                role="owner" if member_id == creator else None,
                joined_at=_at(joined[member_id]) if member_id in joined else None,
                is_bot=is_bot,
            )

        def admit(member_id: str) -> None:
            """A listed or joined member: set aside if deactivated, else added under their name."""
            user = self.users.get(member_id)
            if user is not None and user.deleted:
                deactivated.add(member_id)
            elif user is not None:
                add(member_id, user.display_name, user.is_bot)
            else:
                add(member_id, self.unknown.get(member_id, member_id), False)

        for member_id in self.conversation.members:
            admit(member_id)
        for message in messages:
            sender = message.sender_id
            if sender in out or sender in deactivated:
                continue
            user = self.users.get(sender)
            if sender in self.bots:
                add(sender, user.display_name if user is not None else self.bots[sender], True)
            elif user is not None and user.deleted:
                deactivated.add(sender)
            elif last_event.get(sender, ((0, 0), ""))[1] in LEAVE_SUBTYPES:
                continue  # posted, then left: not in the group any more
            elif user is not None:
                add(sender, user.display_name, user.is_bot)
            else:
                self.log.counts["unknown_user"] += 1
                add(sender, self.unknown.get(sender, sender), False)
        if not self.conversation.members_listed:
            # No member list: who joined and has not left since is a member too.
            for member_id, (_, subtype) in sorted(last_event.items()):
                if subtype in JOIN_SUBTYPES and member_id not in out and member_id not in deactivated:
                    admit(member_id)
            self.log.counts["members_derived"] += len(out)
            self.log.counts["members_unlisted"] += 1
        self.log.counts["deactivated"] += len(deactivated)
        return list(out.values())

    def snapshot(
        self,
        records: list[Record],
        *,
        tenant_id: str,
        taken_at: datetime,
        kind: GroupKind,
        messages_since: datetime | None = None,
    ) -> Snapshot:
        for record in records:
            if record.raw.get("subtype") in ("bot_add", "bot_remove") and isinstance(
                record.raw.get("text"), str
            ):
                for bot_id, label in _BOT_ADDED.findall(record.raw["text"]):
                    self.bot_labels.setdefault(bot_id, label)
        messages = [m for m in map(self.message, records) if m is not None]
        conversation = self.conversation
        return Snapshot(
            schema_version=SCHEMA_VERSION,
            platform="slack",
            tenant_id=tenant_id,
            taken_at=taken_at,
            messages_since=messages_since,
            group=Group(
                id=conversation.id,
                name=conversation.name,
                kind=kind,
                owner_id=conversation.creator,
                created_by=conversation.creator,
                created_at=conversation.created,
            ),
            members=self.members(records, messages),
            messages=messages,
            files=list(self.files.values()),
        )


# --- the entry points -------------------------------------------------------------------------


def import_slack_export(
    path: str | Path,
    *,
    channel: str | None = None,
    tenant_id: str = "default",
    taken_at: datetime | None = None,
    kind: GroupKind | None = None,
) -> SlackImport:
    """Read an export (folder or .zip) into validated snapshots, one per channel (or the one
    named ``channel``, by name or id). Nothing is written; see :func:`write_snapshots`."""
    if taken_at is not None and taken_at.tzinfo is None:
        raise InputError("--taken-at", [Problem("", "timestamp has no UTC offset")])
    with _open_export(Path(path)) as export:
        users, bot_users = _read_users(export)
        conversations = _read_conversations(export)
        selected = conversations
        if channel is not None:
            selected = [c for c in conversations if channel in (c.name, c.id)]
            if not selected:
                available = ", ".join(sorted(c.name for c in conversations)) or "none"
                raise InputError(
                    export.label,
                    [Problem("--channel", f"no channel named {channel!r}; available: {available}")],
                )
        moment = taken_at or _latest_message_time(export, conversations)
        dms = direct_messages(export)
        names = _file_names(conversations)
        imported = []
        for conversation in selected:
            log = MappingLog()
            records = _records(export, conversation, log)
            snapshot = ChannelMapping(conversation, users, bot_users, log).snapshot(
                records,
                tenant_id=tenant_id,
                taken_at=moment,
                kind=kind or "other",
                messages_since=export_coverage(export, conversation, moment),
            )
            data = msgspec.json.format(msgspec.json.encode(snapshot), indent=2) + b"\n"
            # Never hand out what `groupaudit audit` would refuse.
            checked = decode_snapshot(data, f"{export.label} (channel {conversation.name})")
            imported.append(
                ImportedChannel(checked, data, names[conversation.id], conversation.source, log.notes())
            )
    notes = (
        (f"{len(dms)} direct message conversation(s) not imported (dms.json): 1:1 chats are not groups",)
        if dms
        else ()
    )
    return SlackImport(tuple(imported), moment, taken_at is None, notes)


def _file_names(conversations: list[Conversation]) -> dict[str, str]:
    """``<channel name>.json``; the id instead when the name is unusable as a file name, and
    ``<name>-<id>.json`` when two conversations share a name."""
    counts = Counter(c.name for c in conversations)
    out = {}
    for c in conversations:
        stem = c.name
        if not stem or stem in (".", "..") or re.search(r"[/\\\x00]", stem):
            stem = c.id
        elif counts[c.name] > 1:
            stem = f"{c.name}-{c.id}"
        out[c.id] = f"{stem}.json"
    return out


def write_snapshots(result: SlackImport, out_dir: str | Path) -> list[Path]:
    """Write each (already validated) snapshot to ``out_dir/<channel name>.json``."""
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputError(str(folder), [Problem("--out", "exists and is not a directory")]) from None
    except OSError as exc:
        raise InputError(str(folder), [Problem("--out", f"cannot create: {exc.strerror}")]) from None
    written = []
    for channel in result.channels:
        target = folder / channel.file_name
        partial = target.with_name(f".{target.name}.partial")
        try:
            partial.write_bytes(channel.data)
            partial.replace(target)
        except OSError as exc:
            raise InputError(str(target), [Problem("", f"cannot write: {exc.strerror}")]) from None
        written.append(target)
    return written


def _membership_events(records: list[Record]) -> tuple[dict[str, tuple[TsKey, str]], dict[str, TsKey]]:
    """Each user's last join or leave event (its key and subtype), and their last join's key."""
    last_event: dict[str, tuple[TsKey, str]] = {}
    joined: dict[str, TsKey] = {}
    for record in records:
        subtype, user = record.raw.get("subtype"), record.raw.get("user")
        if subtype in JOIN_SUBTYPES | LEAVE_SUBTYPES and isinstance(user, str):
            if user not in last_event or record.key >= last_event[user][0]:
                last_event[user] = (record.key, subtype)
            if subtype in JOIN_SUBTYPES:
                joined[user] = max(joined.get(user, record.key), record.key)
    return last_event, joined

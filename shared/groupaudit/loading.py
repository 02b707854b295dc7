"""Reading snapshots and directories: one fast pass, and a thorough one only when it fails.

The fast path decodes the JSON bytes straight into the contract structs (msgspec, in C). When
that fails, msgspec names only the first problem, so a second, slow pass walks the document
record by record and reports every problem with its field path and the record's id; nothing is
partially accepted.

Before either pass, and before any other parser sees an input (the policy's YAML, the API's
request bodies, the worker's tenant files), :func:`check_json_depth` / :func:`load_yaml`
refuse a document nested deeper than ``MAX_DEPTH`` (64) arrays and objects: parsers and
validators recurse, and a few kilobytes of ``[[[[…`` would otherwise exhaust the stack. The
contracts themselves are at most five levels deep.

Beyond the types, a snapshot's records must be able to exist: ids are unique, a file's size
fits 64 bits, and no message replies to itself or, through other replies, to itself again
(``m1 → m2 → m1``): a platform only lets a message answer one sent before it, so a reply cycle
is a corrupt snapshot, refused naming the messages. A reply to a message the snapshot does not
hold (sent before ``messages_since``) and a mention of someone who is not a member are
tolerated: the rules charge only members (docs/RELIABILITY.md, "Probes").
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import yaml

from groupaudit.contracts import Directory, File, Group, Member, Message, Person, Snapshot
from groupaudit.errors import InputError, Problem
from groupaudit.perf import gc_paused

MAX_PROBLEMS = 50
_ID, _REPLY_TO, _MENTIONS = attrgetter("id"), attrgetter("reply_to_id"), attrgetter("mentions")
_T = TypeVar("_T")
MAX_DEPTH = 64  # arrays and objects (YAML sequences and mappings) inside one another

_MSGSPEC_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_TZ_HINT = "timestamp has no UTC offset; write it with one, e.g. 2026-11-20T09:15:00+08:00 or ...Z"


def read_bytes(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), [Problem("", f"{what} file not found")]) from None
    except IsADirectoryError:
        raise InputError(
            str(path), [Problem("", f"{what} path is a directory, expected a JSON file")]
        ) from None
    except OSError as exc:
        raise InputError(str(path), [Problem("", f"cannot read {what}: {exc.strerror}")]) from None


# --- nesting --------------------------------------------------------------------------------

_JSON_KEEP = b'"[]{}'
_JSON_DROP = bytes(byte for byte in range(256) if byte not in _JSON_KEEP)
_ESCAPES_DROP = bytes(byte for byte in range(256) if byte not in _JSON_KEEP + b"\\/bfnrtu")
_CURLY_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_JSON_STRING = re.compile(rb'"[^"]*"')
_DEPTH_CHUNK = 64 << 20


def nested_deeper_than(data: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text ``data`` nests arrays and objects more than ``limit`` deep.

    Never recurses and never builds the document: escapes are dropped, then everything but
    quotes and brackets, then the strings (what is left of them), and finally ``[]`` pairs are
    taken away ``limit`` times; a pair still left lies deeper. Text that is not JSON gives
    some answer, and its parser then names what is wrong."""
    pieces = []
    start, size = 0, len(data)
    while start < size:
        end = min(start + _DEPTH_CHUNK, size)
        while end < size and data[end - 1] == 0x5C:  # a backslash: keep its escaped byte with it
            end += 1
        chunk = data[start:end] if start or end < size else data
        if b"\\" in chunk:
            # Escapes first, on the much shorter text of what they can affect: quotes, brackets,
            # backslashes and the bytes an escape's backslash can stand before (never dropped,
            # so each backslash keeps its neighbour); then the rest of the escapes.
            chunk = chunk.translate(None, _ESCAPES_DROP).replace(b"\\\\", b"").replace(b'\\"', b"")
        # Dropping two adjacent quotes never moves a bracket into or out of a string.
        pieces.append(chunk.translate(None, _JSON_DROP).replace(b'""', b""))
        start = end
    skeleton = b"".join(pieces)
    if b'"' in skeleton:  # some string holds brackets
        skeleton = _JSON_STRING.sub(b"", skeleton)
    skeleton = skeleton.translate(_CURLY_AS_SQUARE)
    for _ in range(limit):
        reduced = skeleton.replace(b"[]", b"")
        if len(reduced) == len(skeleton):
            return False
        skeleton = reduced
    return b"[]" in skeleton


def _too_deep(limit: int) -> Problem:
    return Problem("", f"nested deeper than {limit} levels of arrays and objects; refused unread")


def check_json_depth(data: bytes, source: str, limit: int = MAX_DEPTH) -> None:
    """``InputError`` when ``data`` nests deeper than ``limit`` (see :func:`nested_deeper_than`)."""
    if nested_deeper_than(data, limit):
        raise InputError(source, [_too_deep(limit)])


def decode_json(data: bytes, source: str, what: str = "document") -> Any:
    """A JSON document of any shape, its nesting checked first; ``InputError`` names what is wrong."""
    check_json_depth(data, source)
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise InputError(source, [Problem("", f"{what} is not UTF-8 text (byte {exc.start})")]) from None
    except ValueError as exc:
        raise InputError(source, [Problem("", f"{what} is not valid JSON: {exc}")]) from None


def yaml_nested_deeper_than(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether a YAML stream nests sequences and mappings more than ``limit`` deep, an alias
    counting as the node it names (an alias inside its own anchor is infinitely deep).

    Reads the parser's events, which does not recurse; ``yaml.YAMLError`` for text that is not
    YAML, as the loader would."""
    heights: dict[str, int] = {}  # anchor -> levels of the node it names
    stack: list[list[Any]] = []  # open collections: [anchor, deepest child so far]
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 0])
            if len(stack) > limit:
                return True
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, child = stack.pop()
            height = child + 1
            if anchor is not None:
                heights[anchor] = height
        elif isinstance(event, yaml.AliasEvent):
            if any(anchor == event.anchor for anchor, _ in stack):
                return True  # the node contains itself
            height = heights.get(event.anchor, 0)  # an unknown anchor: the loader names it
            if len(stack) + height > limit:
                return True
        elif isinstance(event, yaml.ScalarEvent):
            height = 0
            if event.anchor is not None:
                heights[event.anchor] = 0
        else:
            continue
        if stack:
            stack[-1][1] = max(stack[-1][1], height)
    return False


def load_yaml(text: str | bytes, source: str, limit: int = MAX_DEPTH) -> Any:
    """``yaml.safe_load`` of ``text`` once its nesting is checked (``InputError`` when too
    deep); ``yaml.YAMLError`` as ``safe_load`` raises it."""
    if yaml_nested_deeper_than(text, limit):
        raise InputError(source, [_too_deep(limit)])
    return yaml.safe_load(text)


# --- snapshots and directories ------------------------------------------------------------


def _decode_typed(
    data: bytes, source: str, type_: type[_T], containers: Callable[[_T], tuple[int, int]]
) -> _T:
    """``data`` decoded into ``type_``, refused as :func:`check_json_depth` refuses it when it
    nests deeper than ``MAX_DEPTH``, without a pass of the nesting guard in the common case.

    The contracts are at most five levels deep and msgspec itself bounds its recursion (a
    ``RecursionError``, never a crash), so the typed decode runs first. Then, when the text
    has exactly as many ``{`` and ``[`` bytes as the decoded records have objects and arrays
    (``containers``, counted by :func:`_openers`), no byte is left for an unknown field's
    containers nor for brackets inside strings: the document nests no deeper than the
    contracts (one pass in C, a quarter of the guard's time). Otherwise the full guard
    decides, as it did before the decode. A decode that fails runs the guard first as well,
    before the thorough pass parses the document again."""
    try:
        with gc_paused():
            decoded = msgspec.json.decode(data, type=type_)
    except (msgspec.DecodeError, RecursionError):
        check_json_depth(data, source)
        raise InputError(source, _diagnose(data, _SECTIONS[type_], type_)) from None
    if sum(containers(decoded)) != _openers(data):
        check_json_depth(data, source)
    return decoded


_NOT_OPENERS = bytes(byte for byte in range(256) if byte not in b"{[")


def _openers(data: bytes) -> int:
    """How many ``{`` and ``[`` bytes ``data`` holds: one C pass that keeps only those (faster
    than counting each). Every decoded object or array has its own, so equal sums mean equal
    counts of each."""
    return len(data.translate(None, _NOT_OPENERS))


def _snapshot_containers(snapshot: Snapshot) -> tuple[int, int]:
    """The objects and arrays of a decoded snapshot: itself, its group and records, the lists."""
    group, members, messages, files = snapshot.group, snapshot.members, snapshot.messages, snapshot.files
    lists = (group.admin_ids, group.exempt_member_ids, group.allowed_external_ids, members, messages, files)
    objects = 2 + len(members or ()) + len(messages or ()) + len(files or ())
    mentions = list(map(_MENTIONS, messages or ()))
    return objects, 6 - lists.count(None) + len(mentions) - mentions.count(None)


def _directory_containers(directory: Directory) -> tuple[int, int]:
    """The objects and arrays of a decoded directory: itself, its people and departments, the lists."""
    lists = (directory.people, directory.departments, directory.leader_ids)
    objects = 1 + len(directory.people) + len(directory.departments or ())
    return objects, 3 - lists.count(None)


def decode_snapshot(data: bytes, source: str = "snapshot") -> Snapshot:
    snapshot = _decode_typed(data, source, Snapshot, _snapshot_containers)
    problems = list(_duplicate_ids(snapshot)) or _reply_cycles(snapshot) + _impossible_sizes(snapshot)
    if problems:
        raise InputError(source, problems)
    return snapshot


def decode_directory(data: bytes, source: str = "directory") -> Directory:
    directory = _decode_typed(data, source, Directory, _directory_containers)
    problems = _duplicates("people", (p.id for p in directory.people))
    if problems:
        raise InputError(source, problems)
    return directory


def load_snapshot(path: str | Path) -> Snapshot:
    return decode_snapshot(read_bytes(path, "snapshot"), str(path))


def load_directory(path: str | Path) -> Directory:
    return decode_directory(read_bytes(path, "directory"), str(path))


# --- the thorough pass -------------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    """A field whose records are validated one by one, so each problem names its record:
    a list of records, or one record (``placeholder`` then stands in for it afterwards)."""

    field: str
    item_type: type
    placeholder: dict[str, Any] | None = None


_SNAPSHOT_SECTIONS = (
    _Section("group", Group, placeholder={"id": "-", "name": "-"}),
    _Section("members", Member),
    _Section("messages", Message),
    _Section("files", File),
)
_DIRECTORY_SECTIONS = (_Section("people", Person),)
_SECTIONS: dict[type, tuple[_Section, ...]] = {Snapshot: _SNAPSHOT_SECTIONS, Directory: _DIRECTORY_SECTIONS}


def _diagnose(data: bytes, sections: tuple[_Section, ...], root_type: type) -> list[Problem]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Problem("", f"not UTF-8 text (byte {exc.start}): {exc.reason}")]
    if text.startswith("\ufeff"):
        return [Problem("", "starts with a byte order mark (BOM): save the file as UTF-8 without BOM")]
    try:
        document = json.loads(text, parse_constant=_not_a_json_number)
    except json.JSONDecodeError as exc:
        return [Problem("", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
    except _NotJson as exc:
        return [Problem("", str(exc))]
    if not isinstance(document, dict):
        return [Problem("", f"expected a JSON object at the top level, got {_json_type(document)}")]

    problems: list[Problem] = []
    shell = dict(document)
    for section in sections:
        value = shell.get(section.field)
        if section.placeholder is not None:
            if isinstance(value, dict):
                problems.extend(_check(value, section.item_type, section.field, _record_id(value)))
                shell[section.field] = section.placeholder
            continue
        if not isinstance(value, list):
            continue  # absent, null or of the wrong type: the header check below names it
        shell[section.field] = []
        for index, item in enumerate(value):
            if len(problems) >= MAX_PROBLEMS:
                break
            problems.extend(_check(item, section.item_type, f"{section.field}[{index}]", _record_id(item)))
        problems.extend(_duplicates(section.field, filter(None, map(_record_id, value))))
    # Everything but the big arrays: the header, the group, the departments...
    problems[:0] = _check(shell, root_type, "", None)
    if not problems:  # msgspec refused it, so something is wrong; never pass silently.
        try:
            msgspec.json.decode(data, type=root_type)
        except msgspec.DecodeError as exc:
            problems.append(_problem_from(exc, "", None))
    return problems[:MAX_PROBLEMS]


class _NotJson(ValueError):
    """What Python's json module reads but JSON is not."""


def _not_a_json_number(word: str) -> Any:
    raise _NotJson(f"invalid JSON: {word} is not a JSON number (write a number, or null)")


def _check(value: Any, type_: type, prefix: str, record_id: str | None) -> list[Problem]:
    """All problems of one record: msgspec stops at the first, so retry without each bad field."""
    problems: list[Problem] = []
    candidate = value
    removed: set[str] = set()
    for _ in range(20):
        try:
            msgspec.convert(candidate, type_)
            return problems
        except msgspec.ValidationError as exc:
            field = _top_field(str(exc))
            missing = _MISSING.search(str(exc))
            if missing and missing.group(1) in removed:
                return problems  # we removed a bad required field ourselves: already reported
            problems.append(_problem_from(exc, prefix, record_id))
            if not isinstance(candidate, dict) or field is None or field not in candidate:
                return problems
            candidate = dict(candidate)
            del candidate[field]
            removed.add(field)
    return problems


def _problem_from(exc: msgspec.MsgspecError, prefix: str, record_id: str | None) -> Problem:
    text = str(exc)
    match = _MSGSPEC_PATH.search(text)
    path = match.group("path") if match else ""
    message = text[: match.start()] if match else text
    if "with a timezone component" in message:
        message = _TZ_HINT
    message = message.replace("`", "'")
    location = prefix + path if prefix else path.lstrip(".")
    return Problem(location.lstrip("."), message, record_id)


def _top_field(text: str) -> str | None:
    match = _MSGSPEC_PATH.search(text)
    if not match:
        return None
    first = re.match(r"\.([^.\[]+)", match.group("path"))
    return first.group(1) if first else None


def _record_id(item: Any) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
        return item["id"]
    return None


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _duplicates(field: str, ids: Iterable[str]) -> list[Problem]:
    counts = Counter(ids)
    return [
        Problem(f"{field}[].id", f"duplicate id (appears {n} times); ids must be unique", record_id)
        for record_id, n in counts.items()
        if n > 1
    ][:MAX_PROBLEMS]


MAX_FILE_BYTES = 2**63 - 1  # what a signed 64-bit size holds; DynamoDB and every platform stay below


def _impossible_sizes(snapshot: Snapshot) -> list[Problem]:
    return [
        Problem(
            f"files[{n}].size_bytes", f"{f.size_bytes} bytes is no file size (at most {MAX_FILE_BYTES})", f.id
        )
        for n, f in enumerate(snapshot.files or ())
        if f.size_bytes is not None and f.size_bytes > MAX_FILE_BYTES
    ][:MAX_PROBLEMS]


def _reply_cycles(snapshot: Snapshot) -> list[Problem]:
    """Messages that reply to themselves, and each cycle of replies, once (named by its first
    message in the snapshot's order)."""
    messages = snapshot.messages or ()
    targets = list(map(_REPLY_TO, messages))  # in C: a million messages in 0.1 s, not 1 s
    replies = dict(compress(zip(map(_ID, messages), targets, strict=True), targets))
    if not replies:
        return []
    index: dict[str, int] = {}  # snapshot position of the messages that reply, on the first cycle
    problems: list[Problem] = []
    done: set[str] = set()
    for start, target in replies.items():
        if target not in replies or start in done:
            continue  # a reply to a message that replies to nothing ends there (most do)
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        while current is not None and current in replies and current not in done:
            if current in on_path:
                if not index:
                    index = {m.id: n for n, m in enumerate(messages) if m.id in replies}
                cycle = path[path.index(current) :]
                first = min(cycle, key=index.__getitem__)
                if len(cycle) == 1:
                    message = "the message replies to itself (reply_to_id is its own id)"
                else:
                    turn = cycle.index(first)
                    ring = [*cycle[turn:], *cycle[:turn], first]
                    message = (
                        "replies form a cycle: " + " → ".join(ring) + "; a message answers an earlier one"
                    )
                problems.append(Problem(f"messages[{index[first]}].reply_to_id", message, first))
                break
            path.append(current)
            on_path.add(current)
            current = replies[current]
        done.update(path)
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def _duplicate_ids(snapshot: Snapshot) -> Iterable[Problem]:
    for field in ("members", "messages", "files"):
        records = getattr(snapshot, field) or ()
        ids = list(map(_ID, records))
        if len(set(ids)) != len(ids):
            yield from _duplicates(field, ids)

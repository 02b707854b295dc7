"""Reading snapshots and directories: one fast pass, and a thorough one only when it fails.

The fast path decodes the JSON bytes straight into the contract structs (msgspec, in C). When
that fails, msgspec names only the first problem, so a second, slow pass walks the document
record by record and reports every problem with its field path and the record's id; nothing is
partially accepted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from groupaudit.contracts import Directory, File, Group, Member, Message, Person, Snapshot
from groupaudit.errors import InputError, Problem
from groupaudit.perf import gc_paused

MAX_PROBLEMS = 50

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


def decode_snapshot(data: bytes, source: str = "snapshot") -> Snapshot:
    try:
        with gc_paused():
            snapshot = msgspec.json.decode(data, type=Snapshot)
    except msgspec.DecodeError:
        raise InputError(source, _diagnose(data, _SNAPSHOT_SECTIONS, Snapshot)) from None
    problems = list(_duplicate_ids(snapshot))
    if problems:
        raise InputError(source, problems)
    return snapshot


def decode_directory(data: bytes, source: str = "directory") -> Directory:
    try:
        directory = msgspec.json.decode(data, type=Directory)
    except msgspec.DecodeError:
        raise InputError(source, _diagnose(data, _DIRECTORY_SECTIONS, Directory)) from None
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


def _diagnose(data: bytes, sections: tuple[_Section, ...], root_type: type) -> list[Problem]:
    try:
        document = json.loads(data)
    except UnicodeDecodeError as exc:
        return [Problem("", f"not UTF-8 text (byte {exc.start}): {exc.reason}")]
    except json.JSONDecodeError as exc:
        return [Problem("", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
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


def _duplicate_ids(snapshot: Snapshot) -> Iterable[Problem]:
    for field in ("members", "messages", "files"):
        records = getattr(snapshot, field) or ()
        ids = [r.id for r in records]
        if len(set(ids)) != len(ids):
            yield from _duplicates(field, ids)

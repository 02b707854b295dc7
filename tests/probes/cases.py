"""The probe battery's bad inputs: malformed snapshots, policies and directories, each a case id
with the words its error must contain (the field named, or the problem said).

Every case is built from the sample tenant's real files (events/sample-tenant) by one change,
so the rest of the document is valid and the error can only come from that change. The same
cases go through the command line (``groupaudit audit``) and through the worker (the snapshot or
the tenant's policy/directory in S3), see test_bad_inputs.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kit import TENANT

SNAPSHOT = json.loads((TENANT / "snapshots" / "sales.json").read_text(encoding="utf-8"))
POLICY = (TENANT / "policy.yaml").read_text(encoding="utf-8")
DIRECTORY = json.loads((TENANT / "directory.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class BadInput:
    id: str
    target: str  # snapshot | policy | directory
    data: bytes
    expect: tuple[str, ...]  # each must appear in the error


def _dump(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def _snapshot(change: Callable[[dict], Any]) -> bytes:
    document = copy.deepcopy(SNAPSHOT)
    change(document)
    return _dump(document)


def _directory(change: Callable[[dict], Any]) -> bytes:
    document = copy.deepcopy(DIRECTORY)
    change(document)
    return _dump(document)


def _set(path: str, value: Any) -> Callable[[dict], None]:
    """Set ``path`` (dots; numbers index lists) to ``value``."""

    def change(document: dict) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


def _drop(path: str) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[last]

    return change


def _append(field: str, record: Callable[[dict], dict]) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        document[field].append(record(document))

    return change


def _alias_chain(links: int) -> bytes:
    """YAML whose aliases nest ``links`` levels (each list holds the one before twice)."""
    lines = ["a0: &a0 [1]"] + [f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}]" for n in range(1, links + 1)]
    return ("\n".join(lines) + "\n").encode()


def _deep(levels: int) -> bytes:
    return ("[" * levels + "]" * levels).encode()


def _cases() -> list[BadInput]:
    s, p, d = "snapshot", "policy", "directory"
    m0 = "messages.0"
    cases = [
        # --- not a JSON document at all
        BadInput("snapshot-empty-file", s, b"", ("invalid JSON",)),
        BadInput("snapshot-whitespace-only", s, b"  \n\t ", ("invalid JSON",)),
        BadInput("snapshot-binary", s, bytes(range(256)) * 4, ("not UTF-8",)),
        BadInput("snapshot-bad-utf8", s, _snapshot(lambda _: None)[:-2] + b"\xff\xfe}", ("not UTF-8",)),
        BadInput("snapshot-utf8-bom", s, b"\xef\xbb\xbf" + _snapshot(lambda _: None), ("BOM",)),
        BadInput("snapshot-utf16", s, _snapshot(lambda _: None).decode().encode("utf-16"), ("UTF-8",)),
        BadInput("snapshot-truncated", s, _snapshot(lambda _: None)[:-40], ("invalid JSON",)),
        BadInput("snapshot-trailing-garbage", s, _snapshot(lambda _: None) + b"{}", ("invalid JSON",)),
        BadInput("snapshot-top-level-array", s, b"[]", ("expected a JSON object",)),
        BadInput("snapshot-top-level-string", s, b'"snapshot"', ("expected a JSON object",)),
        BadInput("snapshot-top-level-null", s, b"null", ("expected a JSON object",)),
        BadInput("snapshot-nan", s, _snapshot(_set("files.0.size_bytes", float("nan"))), ("NaN",)),
        BadInput("snapshot-infinity", s, _snapshot(_set("files.0.size_bytes", float("inf"))), ("Infinity",)),
        BadInput("snapshot-deep-nesting", s, _deep(2000), ("nested",)),
        BadInput(
            "snapshot-deep-in-a-field",
            s,
            _snapshot(_set(f"{m0}.text", "x")).replace(b'"x"', _deep(100)),
            ("nested",),
        ),
        BadInput("snapshot-comments", s, b"// a comment\n" + _snapshot(lambda _: None), ("invalid JSON",)),
        BadInput("snapshot-single-quotes", s, b"{'schema_version': 1}", ("invalid JSON",)),
        # --- the header
        BadInput("snapshot-no-schema-version", s, _snapshot(_drop("schema_version")), ("schema_version",)),
        BadInput("snapshot-schema-version-2", s, _snapshot(_set("schema_version", 2)), ("schema_version",)),
        BadInput(
            "snapshot-schema-version-string", s, _snapshot(_set("schema_version", "1")), ("schema_version",)
        ),
        BadInput("snapshot-unknown-platform", s, _snapshot(_set("platform", "icq")), ("platform",)),
        BadInput("snapshot-platform-number", s, _snapshot(_set("platform", 7)), ("platform",)),
        BadInput("snapshot-no-taken-at", s, _snapshot(_drop("taken_at")), ("taken_at",)),
        BadInput("snapshot-taken-at-not-a-time", s, _snapshot(_set("taken_at", "yesterday")), ("taken_at",)),
        BadInput(
            "snapshot-taken-at-no-offset",
            s,
            _snapshot(_set("taken_at", "2026-11-20T10:00:00")),
            ("taken_at", "UTC offset"),
        ),
        BadInput(
            "snapshot-taken-at-year-9999",
            s,
            _snapshot(_set("taken_at", "9999-12-31T23:59:59+08:00")),
            ("taken_at", "outside the supported audit times"),
        ),
        BadInput(
            "snapshot-taken-at-year-1",
            s,
            _snapshot(_set("taken_at", "0001-01-01T00:00:00-08:00")),
            ("taken_at", "outside the supported audit times"),
        ),
        BadInput(
            "snapshot-taken-at-future",
            s,
            _snapshot(_set("taken_at", "2999-01-01T00:00:00+00:00")),
            ("taken_at", "cannot be taken in the future"),
        ),
        BadInput("snapshot-taken-at-number", s, _snapshot(_set("taken_at", 1767225600)), ("taken_at",)),
        BadInput(
            "snapshot-messages-since-bad", s, _snapshot(_set("messages_since", "soon")), ("messages_since",)
        ),
        BadInput("snapshot-tenant-number", s, _snapshot(_set("tenant_id", 42)), ("tenant_id",)),
        # --- the group
        BadInput("snapshot-no-group", s, _snapshot(_drop("group")), ("group",)),
        BadInput("snapshot-group-is-list", s, _snapshot(_set("group", [])), ("group",)),
        BadInput("snapshot-group-no-id", s, _snapshot(_drop("group.id")), ("group", "id")),
        BadInput("snapshot-group-id-number", s, _snapshot(_set("group.id", 12)), ("group.id",)),
        BadInput("snapshot-group-no-name", s, _snapshot(_drop("group.name")), ("group", "name")),
        BadInput("snapshot-group-unknown-kind", s, _snapshot(_set("group.kind", "party")), ("group.kind",)),
        BadInput(
            "snapshot-group-admins-string",
            s,
            _snapshot(_set("group.admin_ids", "u-head-sales")),
            ("group.admin_ids",),
        ),
        BadInput(
            "snapshot-group-created-at-bad",
            s,
            _snapshot(_set("group.created_at", "2025-13-01")),
            ("group.created_at",),
        ),
        # --- members
        BadInput("snapshot-members-object", s, _snapshot(_set("members", {})), ("members",)),
        BadInput("snapshot-member-no-id", s, _snapshot(_drop("members.1.id")), ("members[1]", "id")),
        BadInput("snapshot-member-id-null", s, _snapshot(_set("members.1.id", None)), ("members[1].id",)),
        BadInput(
            "snapshot-member-no-name",
            s,
            _snapshot(_drop("members.1.display_name")),
            ("members[1]", "display_name"),
        ),
        BadInput(
            "snapshot-member-unknown-role", s, _snapshot(_set("members.1.role", "king")), ("members[1].role",)
        ),
        BadInput(
            "snapshot-member-bot-string", s, _snapshot(_set("members.1.is_bot", "no")), ("members[1].is_bot",)
        ),
        BadInput(
            "snapshot-member-joined-bad",
            s,
            _snapshot(_set("members.1.joined_at", "last year")),
            ("members[1].joined_at",),
        ),
        BadInput(
            "snapshot-member-duplicate-id",
            s,
            _snapshot(_set("members.2.id", SNAPSHOT["members"][1]["id"])),
            ("members[].id", "duplicate id"),
        ),
        BadInput("snapshot-member-is-string", s, _snapshot(_set("members.1", "u-zhang")), ("members[1]",)),
        # --- messages
        BadInput("snapshot-messages-string", s, _snapshot(_set("messages", "none")), ("messages",)),
        BadInput("snapshot-message-no-id", s, _snapshot(_drop(f"{m0}.id")), ("messages[0]", "id")),
        BadInput(
            "snapshot-message-no-sender", s, _snapshot(_drop(f"{m0}.sender_id")), ("messages[0]", "sender_id")
        ),
        BadInput(
            "snapshot-message-no-sent-at", s, _snapshot(_drop(f"{m0}.sent_at")), ("messages[0]", "sent_at")
        ),
        BadInput(
            "snapshot-message-sent-at-no-offset",
            s,
            _snapshot(_set(f"{m0}.sent_at", "2026-11-16T09:05:00")),
            ("messages[0].sent_at", "UTC offset"),
        ),
        BadInput(
            "snapshot-message-sent-at-number",
            s,
            _snapshot(_set(f"{m0}.sent_at", 1e300)),
            ("messages[0].sent_at",),
        ),
        BadInput(
            "snapshot-message-unknown-type",
            s,
            _snapshot(_set(f"{m0}.type", "hologram")),
            ("messages[0].type",),
        ),
        BadInput(
            "snapshot-message-text-number", s, _snapshot(_set(f"{m0}.text", 3.14)), ("messages[0].text",)
        ),
        BadInput(
            "snapshot-message-mentions-string",
            s,
            _snapshot(_set(f"{m0}.mentions", "u-zhang")),
            ("messages[0].mentions",),
        ),
        BadInput(
            "snapshot-message-mention-number",
            s,
            _snapshot(_set(f"{m0}.mentions", [7])),
            ("messages[0].mentions",),
        ),
        BadInput(
            "snapshot-message-urgent-string",
            s,
            _snapshot(_set(f"{m0}.urgent", "yes")),
            ("messages[0].urgent",),
        ),
        BadInput(
            "snapshot-message-duplicate-id",
            s,
            _snapshot(_set("messages.1.id", SNAPSHOT["messages"][0]["id"])),
            ("messages[].id", "duplicate id"),
        ),
        BadInput(
            "snapshot-message-replies-to-itself",
            s,
            _snapshot(_set(f"{m0}.reply_to_id", SNAPSHOT["messages"][0]["id"])),
            ("messages[0].reply_to_id", "replies to itself"),
        ),
        BadInput(
            "snapshot-reply-cycle",
            s,
            _snapshot(
                lambda doc: (
                    _set(f"{m0}.reply_to_id", doc["messages"][1]["id"])(doc),
                    _set("messages.1.reply_to_id", doc["messages"][0]["id"])(doc),
                )
            ),
            ("messages[0].reply_to_id", "replies form a cycle"),
        ),
        BadInput("snapshot-message-null", s, _snapshot(_set("messages.0", None)), ("messages[0]",)),
        # --- files
        BadInput("snapshot-file-no-name", s, _snapshot(_drop("files.0.name")), ("files[0]", "name")),
        BadInput(
            "snapshot-file-no-uploaded-at",
            s,
            _snapshot(_drop("files.0.uploaded_at")),
            ("files[0]", "uploaded_at"),
        ),
        BadInput(
            "snapshot-file-size-negative",
            s,
            _snapshot(_set("files.0.size_bytes", -1)),
            ("files[0].size_bytes",),
        ),
        BadInput(
            "snapshot-file-size-huge",
            s,
            _snapshot(_set("files.0.size_bytes", 10**30)),
            ("files[0].size_bytes",),
        ),
        BadInput(
            "snapshot-file-size-float",
            s,
            _snapshot(_set("files.0.size_bytes", 1.5)),
            ("files[0].size_bytes",),
        ),
        BadInput(
            "snapshot-file-sha256-short", s, _snapshot(_set("files.0.sha256", "abc")), ("files[0].sha256",)
        ),
        BadInput(
            "snapshot-file-sha256-upper", s, _snapshot(_set("files.0.sha256", "A" * 64)), ("files[0].sha256",)
        ),
        BadInput(
            "snapshot-file-important-string",
            s,
            _snapshot(_set("files.0.important", "yes")),
            ("files[0].important",),
        ),
        BadInput(
            "snapshot-file-duplicate-id",
            s,
            _snapshot(_set("files.1.id", SNAPSHOT["files"][0]["id"])),
            ("files[].id", "duplicate id"),
        ),
        BadInput(
            "snapshot-file-expires-bad",
            s,
            _snapshot(_set("files.0.expires_at", "never")),
            ("files[0].expires_at",),
        ),
        # --- policies (YAML)
        BadInput("policy-empty-mapping-list", p, b"- a\n- b\n", ("expected a mapping",)),
        BadInput("policy-invalid-yaml", p, b"defaults: [unclosed\n", ("line 2, column 1",)),
        BadInput("policy-tab-indent", p, b"defaults:\n\trules: {}\n", ("line 2, column 1",)),
        BadInput("policy-binary", p, bytes(range(256)), ("policy",)),
        BadInput("policy-version-2", p, b"version: 2\n", ("version",)),
        BadInput("policy-unknown-top-key", p, b"defaultz: {}\n", ("defaultz", "unknown key")),
        BadInput(
            "policy-unknown-rule",
            p,
            b"defaults:\n  rules:\n    no_such_rule: {}\n",
            ("defaults.rules.no_such_rule",),
        ),
        BadInput(
            "policy-days-huge",
            p,
            b"defaults:\n  rules:\n    inactive_member:\n      inactive_days: 99999999999999999999\n",
            ("defaults.rules.inactive_member.inactive_days", "3660"),
        ),
        BadInput(
            "policy-typo-key",
            p,
            b"defaults:\n  rules:\n    inactive_member:\n      inactive_dayz: 3\n",
            ("inactive_dayz", "did you mean"),
        ),
        BadInput(
            "policy-days-string",
            p,
            b"defaults:\n  rules:\n    inactive_member:\n      inactive_days: many\n",
            ("defaults.rules.inactive_member.inactive_days",),
        ),
        BadInput(
            "policy-days-negative",
            p,
            b"defaults:\n  rules:\n    inactive_member:\n      inactive_days: -5\n",
            ("defaults.rules.inactive_member.inactive_days",),
        ),
        BadInput(
            "policy-days-nan",
            p,
            b"defaults:\n  rules:\n    inactive_member:\n      inactive_days: .nan\n",
            ("defaults.rules.inactive_member.inactive_days",),
        ),
        BadInput(
            "policy-unknown-profile", p, b"profiles:\n  party: {}\n", ("profiles.party", "unknown group kind")
        ),
        BadInput(
            "policy-bad-timezone",
            p,
            b"defaults:\n  calendar:\n    timezone: Mars/Olympus\n",
            ("defaults.calendar.timezone",),
        ),
        BadInput(
            "policy-alias-bomb",
            p,
            _alias_chain(70),
            ("nested",),
        ),
        BadInput("policy-deep-nesting", p, b"defaults: " + _deep(200), ("nested",)),
        BadInput("policy-group-layer-list", p, b"groups:\n  grp-sales: [1, 2]\n", ("groups.grp-sales",)),
        # --- directories
        BadInput("directory-empty", d, b"", ("invalid JSON",)),
        BadInput("directory-not-object", d, b"[]", ("expected a JSON object",)),
        BadInput("directory-person-no-id", d, _directory(_drop("people.0.id")), ("people[0]", "id")),
        BadInput(
            "directory-person-bad-status",
            d,
            _directory(_set("people.0.status", "retired")),
            ("people[0].status",),
        ),
        BadInput(
            "directory-person-hired-bad",
            d,
            _directory(_set("people.0.hired_at", "2025-02-30")),
            ("people[0].hired_at",),
        ),
        BadInput(
            "directory-duplicate-person",
            d,
            _directory(_set("people.1.id", DIRECTORY["people"][0]["id"])),
            ("people[].id", "duplicate id"),
        ),
        BadInput("directory-deep", d, _deep(500), ("nested",)),
    ]
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), "case ids are unique"
    return cases


BAD_INPUTS = _cases()


def _tolerated() -> list[BadInput]:
    """Odd inputs that are documented tolerances, not errors: each audits, and finds nothing the
    unchanged input does not (``expect`` is empty). Unknown fields are ignored (SNAPSHOT_FORMAT.md:
    forward compatibility); a mention of a non-member and a reply to a message the snapshot does
    not hold charge nobody."""
    s = "snapshot"
    m0 = "messages.0"
    return [
        BadInput("snapshot-unknown-top-key", s, _snapshot(_set("memberz", [])), ()),
        BadInput("snapshot-group-unknown-key", s, _snapshot(_set("group.colour", "red")), ()),
        BadInput("snapshot-message-unknown-key", s, _snapshot(_set(f"{m0}.likes", 3)), ()),
        BadInput("snapshot-mention-of-a-non-member", s, _snapshot(_set(f"{m0}.mentions", ["u-ghost"])), ()),
        BadInput("snapshot-reply-outside-snapshot", s, _snapshot(_set(f"{m0}.reply_to_id", "m-gone")), ()),
    ]


TOLERATED = _tolerated()

"""The public interchange formats: group snapshot, directory and findings.

These structs read exactly what ``SNAPSHOT_FORMAT.md`` specifies. They are msgspec structs,
not pydantic models, because a snapshot may hold a million messages: msgspec decodes and
validates straight from JSON bytes into compact, GC-untracked objects, which is what keeps a
full audit within 1.5x the time and below the memory of a bare ``json.loads``.

Optional fields may be absent or ``null``; the engine reads them with their documented
defaults (``m.type or "text"``, ``m.mentions or ()``), so ``None`` is accepted everywhere an
optional field is. Unknown fields are ignored (forward compatibility).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal, get_args

import msgspec

SCHEMA_VERSION: Final = 1

Id = Annotated[str, msgspec.Meta(min_length=1, description="non-empty identifier")]
Timestamp = Annotated[
    datetime,
    msgspec.Meta(tz=True, description="ISO 8601 timestamp with a UTC offset (+08:00 or Z)"),
]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$", description="lowercase hex SHA-256")]

Platform = Literal["dingtalk", "wecom", "feishu", "slack", "generic"]
GroupKind = Literal[
    "company", "management", "department", "project", "temporary", "meeting", "operations", "other"
]
GROUP_KINDS: tuple[str, ...] = get_args(GroupKind)
MemberRole = Literal["owner", "admin", "member"]
MessageType = Literal["text", "image", "file", "voice", "video", "link", "notice", "system"]
Severity = Literal["info", "warning", "violation", "red_line"]
SEVERITIES: tuple[str, ...] = get_args(Severity)


class Group(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: Id
    name: str
    kind: GroupKind | None = None
    department: str | None = None
    owner_id: str | None = None
    admin_ids: list[str] | None = None
    created_by: str | None = None
    created_at: Timestamp | None = None
    exempt_member_ids: list[str] | None = None
    allowed_external_ids: list[str] | None = None

    @property
    def effective_kind(self) -> str:
        return self.kind or "other"


class Member(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    id: Id
    display_name: str
    role: MemberRole | None = None
    joined_at: Timestamp | None = None
    is_bot: bool | None = None


class Message(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    id: Id
    sender_id: Id
    sent_at: Timestamp
    type: MessageType | None = None
    text: str | None = None
    reply_to_id: str | None = None
    thread_id: str | None = None
    mentions: tuple[str, ...] | None = None
    mention_all: bool | None = None
    file_id: str | None = None
    urgent: bool | None = None


class File(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    id: Id
    name: str
    uploaded_at: Timestamp
    uploader_id: str | None = None
    updated_at: Timestamp | None = None
    last_accessed_at: Timestamp | None = None
    size_bytes: Annotated[int, msgspec.Meta(ge=0)] | None = None
    sha256: Sha256 | None = None
    expires_at: Timestamp | None = None
    important: bool | None = None
    folder: str | None = None
    download_url: str | None = None


class Snapshot(msgspec.Struct, kw_only=True, omit_defaults=True):
    schema_version: Literal[1]
    platform: Platform
    taken_at: Timestamp
    group: Group
    tenant_id: str | None = None
    # The start of the period whose messages the snapshot holds (a pull's lookback, an
    # export's first day); None = the group's whole history. No rule claims an absence
    # (silence, a missing answer) before it.
    messages_since: Timestamp | None = None
    members: list[Member] | None = None
    messages: list[Message] | None = None
    files: list[File] | None = None

    @property
    def tenant(self) -> str:
        return self.tenant_id or "default"


class Person(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    id: Id
    name: str
    department: str | None = None
    title: str | None = None
    status: Literal["active", "departed"] | None = None
    hired_at: date | None = None
    left_at: date | None = None


class Department(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: Annotated[str, msgspec.Meta(min_length=1)]
    head_id: str | None = None


class Directory(msgspec.Struct, kw_only=True, omit_defaults=True):
    schema_version: Literal[1]
    people: list[Person]
    tenant_id: str | None = None
    departments: list[Department] | None = None
    leader_ids: list[str] | None = None
    admin_center_department: str | None = None


class Finding(msgspec.Struct, kw_only=True):
    """One fact the audit found, with the evidence a person can check."""

    id: str
    rule: str
    kind: str | None
    severity: Severity
    subject_id: str
    message_id: str | None
    file_id: str | None
    detected_at: datetime
    policy_ref: str
    summary: str
    evidence: dict[str, Any]


class SkippedRule(msgspec.Struct, kw_only=True):
    rule: str
    reason: str


class ReportNote(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Something the reader of a report must know about how it was made (not a finding)."""

    code: Literal["calendar_unconfirmed"]
    message: str
    years: (
        Annotated[list[int], msgspec.Meta(description="calendar_unconfirmed: the years, ascending")] | None
    ) = None


class Report(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The findings object that ``groupaudit audit --format json`` prints."""

    audit_id: str
    tenant_id: str
    group_id: str
    audited_at: datetime
    rules_run: list[str]
    rules_skipped: list[SkippedRule]
    findings: list[Finding]
    # Every field above is always present: omit_defaults omits only this one when empty.
    notes: (
        Annotated[
            list[ReportNote],
            msgspec.Meta(
                description="absent when there is nothing to note; e.g. calendar_unconfirmed: "
                "business time ran over a year without a confirmed holiday arrangement"
            ),
        ]
        | None
    ) = None


@dataclass(frozen=True)
class BackupIndex:
    """What the backup store holds, as content hashes, and where it is (for the evidence). Not
    an interchange format: an input of the audit beside the snapshot and the directory, built
    by the backup adapters (``adapters.backups``, ``adapters.s3``) and read by the engine."""

    hashes: frozenset[str]
    location: str

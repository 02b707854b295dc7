"""What a rule reads: the audit's context and the policy, as the rules see them.

The engine builds the context (``groupaudit.engine.AuditContext``, which computes its indexes
once per audit) and passes it to each rule's check; a rule types its ``ctx`` with the protocol
of the same name here, so the rules import nothing of the engine or of the policy module, and
the engine and the policy import the rules (their registry, their config models) in one
direction only. mypy checks that the engine's context is one of these where it hands it to a
rule: a member the engine adds for the rules is declared here too.

The policy's sections that several rules share, ``files`` and ``names``, are defined here, where
the rules and the policy (which assembles them with the calendar and each rule's settings) both
find them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, time
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from groupaudit.businesstime import BusinessCalendar
from groupaudit.contracts import BackupIndex, Directory, Member, Message, Person, Snapshot

# A timeline entry: (sent_at as POSIX seconds, message id, the message).
Entry = tuple[float, str, Message]

DOCUMENT_EXTENSIONS = (
    "doc", "docx", "xls", "xlsx", "ppt", "pptx", "pdf", "wps", "et", "dps", "odt", "ods", "odp", "rtf",
)  # fmt: skip

DEFAULT_VERSION_MARKERS = (
    r"(?<![a-z0-9])v\d+(?:\.\d+)*(?![a-z0-9])",  # v2, V3, v1.2
    r"第\s*[0-9一二三四五六七八九十]+\s*版",  # 第2版
    r"[(（]\s*\d{1,2}\s*[)）]",  # (1), （2）
    r"副本",
    r"最终版",
    r"终稿",
    r"定稿",
    r"修订版",
    r"修改版",
    r"最新版",
    r"(?<![a-z])(?:final|copy)(?![a-z])",
)

DEFAULT_SEPARATORS = ("+", "＋", "-", "—", "_", "·")


class FilesConfig(BaseModel):
    """What the file rules share (policy section ``files``): what makes a file important and
    which extensions are office/PDF documents."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    important_name_patterns: tuple[str, ...] = Field(
        ("合同", "制度", "纪要", "报告", "方案", "财务", "报表", "预算", "协议", "发票"),
        description="a file whose name contains one of these is important",
    )
    important_min_bytes: int = Field(
        5 * 1024 * 1024, ge=0, description="an office/PDF document larger than this is important"
    )
    document_extensions: tuple[str, ...] = Field(
        DOCUMENT_EXTENSIONS, description="extensions counted as office/PDF documents"
    )
    version_markers: tuple[str, ...] = Field(
        DEFAULT_VERSION_MARKERS,
        description="regular expressions removed from a name to find the title it is a version of",
    )

    @field_validator("version_markers")
    @classmethod
    def _valid_patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
        return value


class NamesConfig(BaseModel):
    """Display names in the 部门+姓名 form (policy section ``names``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    separators: tuple[str, ...] = Field(
        DEFAULT_SEPARATORS,
        description="what separates the department part from the name part of a display name "
        "(the first one in the name splits it)",
    )

    @field_validator("separators")
    @classmethod
    def _some_separator(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(not separator for separator in value):
            raise ValueError("list at least one separator, none of them empty")
        return value


class CalendarView(Protocol):
    """The policy's ``calendar`` section as a rule reads it."""

    @property
    def periods(self) -> list[tuple[time, time]]: ...


class PolicyView(Protocol):
    """A group's effective policy (``groupaudit.policy.Policy``) as a rule reads it: the shared
    sections, the calendar, and any rule's settings by id."""

    @property
    def files(self) -> FilesConfig: ...
    @property
    def names(self) -> NamesConfig: ...
    @property
    def calendar(self) -> CalendarView: ...
    @property
    def business_calendar(self) -> BusinessCalendar: ...
    def rule(self, rule_id: str) -> Any: ...


class AuditContext(Protocol):
    """One audit as a rule reads it (``groupaudit.engine.AuditContext`` says how each is made):
    the inputs, the time, and the indexes of members, messages and the directory."""

    # the inputs and the moment of the audit
    @property
    def snapshot(self) -> Snapshot: ...
    @property
    def policy(self) -> PolicyView: ...
    @property
    def now(self) -> datetime: ...
    @property
    def directory(self) -> Directory | None: ...
    @property
    def backups(self) -> BackupIndex | None: ...
    @property
    def fetched_hashes(self) -> Mapping[str, str]: ...
    @property
    def first_notified(self) -> Mapping[str, datetime]: ...
    @property
    def lang(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def group_id(self) -> str: ...
    @property
    def tz(self) -> ZoneInfo: ...
    @property
    def now_ts(self) -> float: ...

    # the members
    @property
    def members(self) -> dict[str, Member]: ...
    @property
    def bots(self) -> frozenset[str]: ...
    def name(self, member_id: str | None) -> str: ...

    # the message timeline
    @property
    def timeline(self) -> list[Entry]: ...
    @property
    def stamps(self) -> list[float]: ...
    @property
    def last_message(self) -> dict[str, Entry]: ...
    @property
    def senders(self) -> Iterable[str]: ...
    def messages_of(self, sender_id: str) -> list[Entry]: ...
    def first_message_of_after(self, sender_id: str, ts: float, exclude_id: str) -> Entry | None: ...

    # the directory
    @property
    def people(self) -> dict[str, Person]: ...
    @property
    def department_heads(self) -> dict[str, str]: ...
    @property
    def heads(self) -> frozenset[str]: ...
    @property
    def leaders(self) -> frozenset[str]: ...
    @property
    def admin_center_head(self) -> str | None: ...
    def head_of(self, person_id: str) -> str | None: ...

    # the files
    def file_hash(self, file_id: str, declared: str | None) -> str | None: ...

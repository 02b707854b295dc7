"""What the file rules share: which files are important (the policy's ``files`` section),
whether a backup holds them, and the title of a file once version markers are taken off."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from groupaudit.contracts import File

if TYPE_CHECKING:
    from groupaudit.engine import AuditContext

BackupState = Literal["backed_up", "missing", "unverifiable", "unknown"]

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


def importance(file: File, config: FilesConfig) -> list[str]:
    """Why a file is important (empty when it is not)."""
    reasons = []
    if file.important:
        reasons.append("flagged important on the platform")
    for pattern in config.important_name_patterns:
        if pattern in file.name:
            reasons.append(f"name contains {pattern!r}")
            break
    extension = split_name(file.name)[1]
    if (
        extension in config.document_extensions
        and file.size_bytes is not None
        and file.size_bytes > config.important_min_bytes
    ):
        reasons.append(f"{extension} document larger than {config.important_min_bytes} bytes")
    return reasons


def backup_state(ctx: AuditContext, file: File) -> tuple[BackupState, str | None]:
    """Is there a copy with the same SHA-256 in the backup store? (state, the hash checked)"""
    digest = ctx.file_hash(file.id, file.sha256)
    if ctx.backups is None:
        return "unknown", digest
    if digest is None:
        return "unverifiable", None
    return ("backed_up" if digest in ctx.backups.hashes else "missing"), digest


def split_name(name: str) -> tuple[str, str]:
    """("方案 v2", "docx") from "方案 v2.docx"; the extension is lower-case, "" when none."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and 0 < len(extension) <= 5 and extension.isalnum():
        return stem, extension.lower()
    return name, ""


_SEPARATORS = re.compile(r"[\s_\-—–·.+,，、()（）\[\]【】《》]+")


@lru_cache(maxsize=64)
def marker_regex(markers: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{m})" for m in markers), re.IGNORECASE)


def normalised_title(name: str, markers: tuple[str, ...]) -> tuple[str, str]:
    """The title a file is a version of: version markers and separators removed, lower-case.

    Dates stay: ``周报 2026-11-13`` and ``周报 2026-11-20`` are two reports, not two versions.
    """
    stem, extension = split_name(name)
    bare = marker_regex(markers).sub(" ", stem)
    return strip_separators(bare).lower(), extension


def strip_separators(text: str) -> str:
    """The text without the separators and brackets of file names."""
    return _SEPARATORS.sub("", text)

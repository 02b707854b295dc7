"""What the file rules share: which files are important (by the policy's ``files`` section,
``rules/context.FilesConfig``), whether a backup holds them, and the title of a file once
version markers are taken off."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from groupaudit.contracts import File
from groupaudit.rules.context import AuditContext, FilesConfig

BackupState = Literal["backed_up", "missing", "unverifiable", "unknown"]


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

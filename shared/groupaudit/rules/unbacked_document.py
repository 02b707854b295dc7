"""unbacked_document: important documents with no verified backup ``backup_within_hours`` after
upload. Backed up means: the backup store holds an object with the same SHA-256."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import Finding
from groupaudit.rules.base import RuleConfig, RuleSpec, SeverityName, local_iso, make_finding
from groupaudit.rules.documents import backup_state, importance

if TYPE_CHECKING:
    from groupaudit.engine import AuditContext

HOUR = 3600.0


class UnbackedDocumentConfig(RuleConfig):
    severity: SeverityName = "warning"
    important_name_patterns: tuple[str, ...] = Field(
        ("合同", "制度", "纪要", "报告", "方案", "财务", "报表", "预算", "协议", "发票"),
        description="a file whose name contains one of these is important",
    )
    important_min_bytes: int = Field(
        5 * 1024 * 1024, ge=0, description="an office/PDF document larger than this is important"
    )
    document_extensions: tuple[str, ...] = Field(
        ("doc", "docx", "xls", "xlsx", "ppt", "pptx", "pdf", "wps", "et", "dps", "odt", "ods", "odp", "rtf"),
        description="extensions counted as office/PDF documents",
    )
    backup_within_hours: float = Field(24, ge=0, description="hours after upload before a backup is due")


def check(ctx: AuditContext, config: UnbackedDocumentConfig) -> Iterator[Finding]:
    grace = config.backup_within_hours * HOUR
    for file in ctx.snapshot.files or ():
        reasons = importance(file, config)
        if not reasons:
            continue
        changed = max(file.uploaded_at, file.updated_at or file.uploaded_at)
        due_ts = changed.timestamp() + grace
        if ctx.now_ts <= due_ts:
            continue  # still within the time allowed for a backup (or uploaded after `now`)
        state, digest = backup_state(ctx, file)
        if state == "backed_up":
            continue
        kind = "unverifiable" if state == "unverifiable" else "unbacked"
        if ctx.lang == "en":
            what = (
                "has no hash, so its backup cannot be verified" if kind == "unverifiable" else "has no backup"
            )
            summary = f"Important file {file.name} {what}; back it up"
        else:
            what = "缺少哈希，无法核验备份" if kind == "unverifiable" else "尚无备份"
            summary = f"重要文件《{file.name}》{what}，请及时备份"
        yield make_finding(
            ctx,
            rule=RULE,
            config=config,
            key=(file.id, digest),
            kind=kind,
            subject_id=file.id,
            file_id=file.id,
            summary=summary,
            evidence={
                "file_name": file.name,
                "important_because": reasons,
                "sha256": digest,
                "uploaded_at": local_iso(ctx, file.uploaded_at),
                "updated_at": local_iso(ctx, file.updated_at),
                "backup_due_at": local_iso(ctx, due_ts),
                "backup_store": ctx.backups.location if ctx.backups else None,
                "uploader_id": file.uploader_id,
                "remedy": "copy the file into the backup store and verify its SHA-256",
            },
        )


RULE = RuleSpec(
    id="unbacked_document",
    title_zh="重要文件未备份",
    title_en="Important documents without a verified backup",
    policy_ref="000 五(三)2; 001 六 存储规范2, 八.4; 002 三(四)2",
    config=UnbackedDocumentConfig,
    check=check,
    needs_backups=True,
)

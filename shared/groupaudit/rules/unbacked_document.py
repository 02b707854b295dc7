"""unbacked_document: important documents with no verified backup ``backup_within_hours`` after
upload. Backed up means: the backup store holds an object with the same SHA-256.

Which files are important is the policy's `files` section (shared with `stale_file`): flagged
important on the platform, a name containing one of `files.important_name_patterns`, or an
office/PDF document larger than `files.important_min_bytes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import Finding
from groupaudit.rules.base import (
    MAX_DAYS,
    Example,
    Expected,
    RuleConfig,
    RuleSpec,
    SeverityName,
    Summary,
    local_iso,
    make_finding,
    mention_uploader,
)
from groupaudit.rules.documents import backup_state, importance

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext

HOUR = 3600.0


class UnbackedDocumentConfig(RuleConfig):
    severity: SeverityName = "warning"
    backup_within_hours: float = Field(
        24, ge=0, le=MAX_DAYS * 24, description="hours after upload before a backup is due"
    )


def check(ctx: AuditContext, config: UnbackedDocumentConfig) -> Iterator[Finding]:
    grace = config.backup_within_hours * HOUR
    files_config = ctx.policy.files
    for file in ctx.snapshot.files or ():
        reasons = importance(file, files_config)
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
        yield make_finding(
            ctx,
            rule=RULE,
            config=config,
            key=(file.id, digest),
            kind=kind,
            subject_id=file.id,
            file_id=file.id,
            summary=RULE.summary(ctx, kind, file=file.name),
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


_CONTRACT = {"id": "f-contract", "name": "销售合同 2026-11-02 张三.pdf", "uploader_id": "u-zhang"}

RULE = RuleSpec(
    id="unbacked_document",
    subject="file",
    title_zh="重要文件未备份",
    title_en="Important documents without a verified backup",
    policy_ref="000 五(三)2; 001 六 存储规范2, 八.4; 002 三(四)2",
    config=UnbackedDocumentConfig,
    check=check,
    needs_backups=True,
    summaries={
        "unbacked": Summary(
            zh="重要文件《{file}》尚无备份，请及时备份",
            en="Important file {file} has no backup; back it up",
        ),
        "unverifiable": Summary(
            zh="重要文件《{file}》缺少哈希，无法核验备份，请及时备份",
            en="Important file {file} has no hash, so its backup cannot be verified; back it up",
        ),
    },
    table_evidence=("file_name", "important_because", "sha256", "backup_due_at"),
    mentions=mention_uploader,
    examples=(
        Example(
            "a contract uploaded two days ago whose hash the backup store does not hold",
            {"files": [{**_CONTRACT, "uploaded_at": "2026-11-18T10:00:00+08:00", "sha256": "a" * 64}]},
            expect=(Expected("f-contract", "unbacked", file_id="f-contract"),),
        ),
        Example(
            "the same contract with a copy of the same SHA-256 in the backup store",
            {"files": [{**_CONTRACT, "uploaded_at": "2026-11-18T10:00:00+08:00", "sha256": "a" * 64}]},
            backups=("a" * 64,),
        ),
        Example(
            "a contract uploaded this morning: its backup is due tomorrow",
            {"files": [{**_CONTRACT, "uploaded_at": "2026-11-20T09:00:00+08:00", "sha256": "a" * 64}]},
        ),
    ),
)

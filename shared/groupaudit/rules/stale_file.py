"""stale_file: group files that are expired, long unused or superseded by a newer version.

A file is superseded when a newer file of the group has the same title once version markers
(`v2`, `第2版`, `(1)`, `副本`, `最终版` …) and separators are removed; dates stay, so
`周报 2026-11-13` and `周报 2026-11-20` are two reports of a series. An important file (the
policy's `files` section) without a verified backup is never recommended for deletion: the
finding says "back up first".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field

from groupaudit.contracts import File, Finding
from groupaudit.rules.base import (
    MAX_DAYS,
    Example,
    Expected,
    NoticeScope,
    RuleConfig,
    RuleSpec,
    SeverityName,
    local_iso,
    make_finding,
    mention_uploader,
)
from groupaudit.rules.documents import backup_state, importance, normalised_title

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext

DAY = 86400.0


class StaleFileConfig(RuleConfig):
    severity: SeverityName = "info"
    # Its findings ask the uploader to clean up: in the notice although they are info.
    notify: NoticeScope = Field(
        "all", description="which of its findings go into the group notice (all: also info ones)"
    )
    stale_file_days: int = Field(
        90, ge=1, le=MAX_DAYS, description="days since the last upload, update or access"
    )


def _last_activity(file: File) -> float:
    return max(
        moment.timestamp() for moment in (file.uploaded_at, file.updated_at, file.last_accessed_at) if moment
    )


def check(ctx: AuditContext, config: StaleFileConfig) -> Iterator[Finding]:
    files = [f for f in ctx.snapshot.files or () if f.uploaded_at.timestamp() <= ctx.now_ts]
    files_config = ctx.policy.files
    superseded_by = _superseded(files, files_config.version_markers)
    for file in files:
        reasons: list[dict[str, Any]] = []
        if file.expires_at is not None and file.expires_at.timestamp() < ctx.now_ts:
            reasons.append({"reason": "expired", "expires_at": local_iso(ctx, file.expires_at)})
        newer = superseded_by.get(file.id)
        if newer is not None:
            reasons.append({"reason": "superseded", "by_file_id": newer.id, "by_file_name": newer.name})
        last_ts = _last_activity(file)
        idle_days = (ctx.now_ts - last_ts) / DAY
        if idle_days > config.stale_file_days:
            reasons.append(
                {
                    "reason": "inactive",
                    "last_activity_at": local_iso(ctx, last_ts),
                    "idle_days": int(idle_days),
                }
            )
        if not reasons:
            continue
        important = importance(file, files_config)
        state, _ = backup_state(ctx, file)
        back_up_first = bool(important) and state != "backed_up"
        yield make_finding(
            ctx,
            rule=RULE,
            config=config,
            key=(file.id,),
            kind=reasons[0]["reason"],
            subject_id=file.id,
            file_id=file.id,
            summary=_summary(ctx, file, reasons[0], back_up_first),
            evidence={
                "file_name": file.name,
                "reasons": reasons,
                "important": bool(important),
                "backup": state,
                "recommendation": "back_up_first" if back_up_first else "delete",
                "uploader_id": file.uploader_id,
            },
        )


def _superseded(files: list[File], markers: tuple[str, ...]) -> dict[str, File]:
    """file id -> the newest file with the same normalised title, for every older version."""
    series: dict[tuple[str, str], list[File]] = {}
    for file in files:
        title = normalised_title(file.name, markers)
        if title[0]:
            series.setdefault(title, []).append(file)
    out: dict[str, File] = {}
    for versions in series.values():
        if len(versions) < 2:
            continue
        newest = max(versions, key=lambda f: (max(f.uploaded_at, f.updated_at or f.uploaded_at), f.id))
        for file in versions:
            if file is not newest:
                out[file.id] = newest
    return out


def _summary(ctx: AuditContext, file: File, reason: dict[str, Any], back_up_first: bool) -> str:
    if ctx.lang == "en":
        why = {
            "expired": f"expired on {reason.get('expires_at', '')[:10]}",
            "superseded": f"superseded by {reason.get('by_file_name')}",
            "inactive": f"unused for {reason.get('idle_days')} days",
        }[reason["reason"]]
        action = "back it up first, then clean it up" if back_up_first else "please delete or update it"
        return f"File {file.name} is {why}; {action}"
    why = {
        "expired": f"已于 {reason.get('expires_at', '')[:10]} 过期",
        "superseded": f"已被《{reason.get('by_file_name')}》取代",
        "inactive": f"已 {reason.get('idle_days')} 天无人使用",
    }[reason["reason"]]
    action = "请先备份再清理" if back_up_first else "请删除或更新"
    return f"文件《{file.name}》{why}，{action}"


RULE = RuleSpec(
    id="stale_file",
    subject="file",
    title_zh="过期、过时或已被取代的群文件",
    title_en="Expired, outdated or superseded group files",
    policy_ref="000 五(三)1; 001 六 文件版本控制, 存储规范3; 001 四",
    config=StaleFileConfig,
    check=check,
    table_evidence=("file_name", "recommendation", "backup"),
    mentions=mention_uploader,
    # files are often only seen in the messages that share them
    lookback_days=lambda config: config.stale_file_days,
    examples=(
        Example(
            "a plan superseded by its v2, and a duty roster that expired",
            {
                "files": [
                    {
                        "id": "f-v1",
                        "name": "推广计划v1 陈晨.docx",
                        "uploaded_at": "2026-11-02T10:00:00+08:00",
                    },
                    {
                        "id": "f-v2",
                        "name": "推广计划v2 陈晨.docx",
                        "uploaded_at": "2026-11-09T10:00:00+08:00",
                    },
                    {
                        "id": "f-duty",
                        "name": "值班表 2026-10 孙八.xlsx",
                        "uploaded_at": "2026-10-01T09:00:00+08:00",
                        "expires_at": "2026-10-31T23:59:00+08:00",
                    },
                ]
            },
            expect=(
                Expected("f-duty", "expired", file_id="f-duty"),
                Expected("f-v1", "superseded", file_id="f-v1"),
            ),
        ),
        Example(
            "two weekly reports of a series (dates are not versions), both in use",
            {
                "files": [
                    {
                        "id": "f-w1",
                        "name": "周报 2026-11-13 郑一.docx",
                        "uploaded_at": "2026-11-13T17:00:00+08:00",
                    },
                    {
                        "id": "f-w2",
                        "name": "周报 2026-11-20 郑一.docx",
                        "uploaded_at": "2026-11-20T17:00:00+08:00",
                    },
                ]
            },
        ),
    ),
)

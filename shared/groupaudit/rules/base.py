"""What every rule is made of: an id, a config model, the policy clause and a pure check."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from groupaudit.contracts import Finding

if TYPE_CHECKING:
    from groupaudit.engine import AuditContext

SeverityName = Literal["info", "warning", "violation", "red_line"]


class RuleConfig(BaseModel):
    """Settings every rule has; each rule's model adds its thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    severity: SeverityName


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title_zh: str
    title_en: str
    policy_ref: str
    config: type[RuleConfig]
    check: Callable[[AuditContext, Any], Iterable[Finding]]
    needs_directory: bool = False  # wholly, or partly (see `partial_without_directory`)
    partial_without_directory: str | None = None
    needs_backups: bool = False


def finding_id(tenant: str, group: str, rule: str, *parts: str | None) -> str:
    """Stable id: the same fact audited twice gives the same id (storage, notices rely on it)."""
    key = "\x1f".join([tenant, group, rule, *(p or "" for p in parts)])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def make_finding(
    ctx: AuditContext,
    *,
    rule: RuleSpec,
    config: RuleConfig,
    key: tuple[str | None, ...],
    subject_id: str,
    summary: str,
    evidence: dict[str, Any],
    kind: str | None = None,
    severity: str | None = None,
    message_id: str | None = None,
    file_id: str | None = None,
    policy_ref: str | None = None,
) -> Finding:
    return Finding(
        id=finding_id(ctx.tenant_id, ctx.group_id, rule.id, *key),
        rule=rule.id,
        kind=kind,
        severity=severity or config.severity,  # type: ignore[arg-type]
        subject_id=subject_id,
        message_id=message_id,
        file_id=file_id,
        detected_at=ctx.now,
        policy_ref=policy_ref or rule.policy_ref,
        summary=summary,
        evidence=evidence,
    )


def local_iso(ctx: AuditContext, moment: datetime | float | None) -> str | None:
    """Evidence timestamps in the tenant's time zone, to the second."""
    if moment is None:
        return None
    if isinstance(moment, int | float):
        moment = datetime.fromtimestamp(moment, ctx.tz)
    return moment.astimezone(ctx.tz).isoformat(timespec="seconds")


def local_short(ctx: AuditContext, moment: datetime | float) -> str:
    """A short local time for one-line summaries: 11-20 10:00."""
    if isinstance(moment, int | float):
        moment = datetime.fromtimestamp(moment, ctx.tz)
    return moment.astimezone(ctx.tz).strftime("%m-%d %H:%M")

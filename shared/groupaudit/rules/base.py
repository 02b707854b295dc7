"""What every rule is made of. A rule is one module whose ``RULE`` spec carries everything
about it, so that adding a rule touches no other module:

- its id, titles, policy clause, config model (severity and thresholds, with defaults);
- the pure check: audit context + config -> findings;
- its summaries (zh and en templates per finding kind, or the module's own function);
- the evidence a table shows, whom a notice @-mentions, how many days of messages it needs;
- whether it needs a directory or a backup store, or all of a tenant's groups at once;
- examples: a snapshot fragment that fires (with the findings expected) and one that does not.

The engine, the renderers, the docs and the policy schema read these fields; see
``docs/ADDING_A_RULE.md``. What a rule reads of an audit (its ``ctx``) and the policy sections
several rules share are in ``rules/context.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import sha256
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from pydantic import BaseModel, ConfigDict, Field

from groupaudit.contracts import Finding

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext

SeverityName = Literal["info", "warning", "violation", "red_line"]
NoticeScope = Literal["all", "above_info", "none"]

# Upper bounds of the rules' periods and counts: a policy beyond them is refused when it is read,
# naming the key, instead of overflowing date arithmetic in an audit (a lookback of 10**20 days).
MAX_DAYS = 3660  # ten years
MAX_MINUTES = 366 * 24 * 60  # a year, on either clock
MAX_WINDOW_SECONDS = 7 * 24 * 3600  # a week
MAX_COUNT = 100_000


class RuleConfig(BaseModel):
    """Settings every rule has; each rule's model adds its thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    severity: SeverityName
    notify: NoticeScope = Field(
        "above_info",
        description="which of its findings go into the group notice: all; above_info (info findings "
        "stay in the report only); none (report only)",
    )

    def notifies(self, severity: str) -> bool:
        """Whether a finding of this severity belongs in the group notice."""
        if self.notify == "all":
            return True
        return self.notify == "above_info" and severity != "info"


@dataclass(frozen=True)
class Summary:
    """The one-line summary of a finding kind, as ``str.format`` templates over named fields."""

    zh: str
    en: str

    def template(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def render(self, lang: str, **fields: Any) -> str:
        return self.template(lang).format(**fields)


@dataclass(frozen=True)
class Mentions:
    """Whom a finding's notice @-mentions: members by id, and/or the group's administrators."""

    member_ids: tuple[str, ...] = ()
    admins: bool = False


def mention_subject(finding: Finding) -> Mentions:
    """The member the finding is about (member rules, the person who owes a reply)."""
    return Mentions((finding.subject_id,))


def mention_uploader(finding: Finding) -> Mentions:
    """The uploader of the file the finding is about (file rules)."""
    uploader = finding.evidence.get("uploader_id")
    return Mentions((uploader,) if uploader else ())


def mention_admins(finding: Finding) -> Mentions:
    """The group's administrators (a member who should not be there: they remove them)."""
    return Mentions(admins=True)


@dataclass(frozen=True)
class Expected:
    """A finding an example must produce (its rule is the example's rule)."""

    subject_id: str
    kind: str | None = None
    message_id: str | None = None
    file_id: str | None = None


@dataclass(frozen=True)
class Example:
    """A snapshot fragment and what the rule finds in it (docs and ``tests/rules/test_examples``).

    ``snapshot`` holds any of ``group`` (merged over a department group ``grp-example``),
    ``members``, ``messages``, ``files``, ``taken_at``, ``messages_since``; the audit runs as of
    ``taken_at`` (default 2026-11-20T18:00:00+08:00, a Friday) with the built-in defaults plus
    ``settings`` for this rule. ``directory`` is a directory without its ``schema_version``.
    ``expect`` empty: the example must not fire.
    """

    title: str
    snapshot: Mapping[str, Any]
    expect: tuple[Expected, ...] = ()
    directory: Mapping[str, Any] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    backups: tuple[str, ...] = ()  # content hashes the backup store holds

    @property
    def fires(self) -> bool:
        return bool(self.expect)


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title_zh: str
    title_en: str
    policy_ref: str
    config: type[RuleConfig]
    check: Callable[[AuditContext, Any], Iterable[Finding]]
    examples: tuple[Example, ...]
    # Summary templates per finding kind ("" when the rule has no kinds), used through
    # `summary()`; a rule whose sentences need more than templates writes them in its module
    # (the docs show every example's summaries either way).
    summaries: Mapping[str, Summary] = field(default_factory=dict)
    table_evidence: tuple[str, ...] = ()  # the evidence a table shows, in order
    mentions: Callable[[Finding], Mentions] = mention_subject
    # Days of messages the rule needs to judge (the worker's pull reads at least this much).
    lookback_days: Callable[[Any], int] | None = None
    needs_directory: bool = False  # wholly, or partly (see `partial_without_directory`)
    partial_without_directory: str | None = None
    needs_backups: bool = False
    # Runs over all of a tenant's groups at once (not over one snapshot).
    tenant_wide: bool = False
    # Built-in settings per group kind, under the tenant's policy ({"company": {"enabled": False}}).
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # What a finding's subject_id names (POLICY_RULES.md, "Finding subjects"): a person, or the
    # file itself; a report's member view counts only findings about a person.
    subject: Literal["person", "file"] = "person"

    @property
    def severity(self) -> str:
        """The default severity of its findings."""
        return self.defaults().severity

    def defaults(self) -> RuleConfig:
        """Its settings when the policy sets none (every field of a rule's model has a default)."""
        return self.config.model_validate({})

    def summary(self, ctx: AuditContext, kind: str | None, **fields: Any) -> str:
        return self.summaries[kind or ""].render(ctx.lang, **fields)


def finding_id(tenant: str, group: str, rule: str, *parts: str | None) -> str:
    """Stable id: the same fact audited twice gives the same id (storage, notices rely on it)."""
    # A missing part hashes as an empty one (most keys have none: no tuple is made for them).
    texts = tuple(p or "" for p in parts) if None in parts else cast("tuple[str, ...]", parts)
    return sha256("\x1f".join((tenant, group, rule, *texts)).encode()).hexdigest()[:32]


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


@overload
def local_iso(ctx: AuditContext, moment: datetime | float) -> str: ...
@overload
def local_iso(ctx: AuditContext, moment: None) -> None: ...
@overload
def local_iso(ctx: AuditContext, moment: datetime | float | None) -> str | None: ...
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
    return short_from_iso(moment.astimezone(ctx.tz).isoformat())


def short_from_iso(iso: str) -> str:
    """``11-20 10:00`` of ``2026-11-20T10:00:00+08:00`` (``strftime("%m-%d %H:%M")``, 3x faster)."""
    return f"{iso[5:10]} {iso[11:16]}"

"""The monthly assessment report's document: one per tenant and month.

The JSON is ``MonthlyReport.model_dump(mode="json")``; its shape is shared by the report's data
(``supervision/report.py``) and its renderers (``report_html``, ``report_xlsx``). Lists are
already sorted as they are shown. Minutes are business minutes (1 decimal), ``None`` when there
is nothing to measure; rates are 0..1 or ``None``. Texts in it (names, departments) are data;
the report never carries message texts nor red-line evidence, only counts and finding ids.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA: Final = "groupaudit.monthly_report/1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Period(_Model):
    start: str  # YYYY-MM-DD, the month's first day
    end: str  # YYYY-MM-DD, the month's last day
    workdays: int  # working days of the month on the tenant's business calendar
    audits: int  # group audits counted in the month


class Measures(_Model):
    """What a department, a group and the whole tenant are measured by."""

    members: int = 0
    violations: dict[str, int] = Field(default_factory=dict)  # findings by rule
    red_lines: int = 0
    findings: int = 0
    questions: int = 0
    answered_on_time: int = 0
    on_time_rate: float | None = None
    median_answer_minutes: float | None = None
    p90_answer_minutes: float | None = None
    active_members: int = 0
    inactive_members: int = 0
    stale_files: int = 0
    unbacked_files: int = 0
    badly_named_files: int = 0


class Totals(_Model):
    groups: int = 0
    members: int = 0
    findings: int = 0
    red_lines: int = 0
    questions: int = 0
    answered_on_time: int = 0
    on_time_rate: float | None = None
    median_answer_minutes: float | None = None
    p90_answer_minutes: float | None = None
    active_members: int = 0
    inactive_members: int = 0
    stale_files: int = 0
    unbacked_files: int = 0
    badly_named_files: int = 0
    clean_groups: int = 0


class Violation(_Model):
    rule: str
    severity: str  # red_line | violation | warning | info
    count: int


class Department(Measures):
    department: str
    groups: int = 0


class Group(Measures):
    group_id: str
    name: str
    department: str
    platform: str
    audits: int = 0
    clean: bool = False


class Member(_Model):
    member_id: str
    name: str
    department: str
    violations: dict[str, int] = Field(default_factory=dict)
    red_lines: int = 0
    findings: int = 0
    questions_owed: int = 0
    answered_on_time: int = 0
    on_time_rate: float | None = None
    median_answer_minutes: float | None = None
    p90_answer_minutes: float | None = None
    inactive: bool = False


class Trends(_Model):
    """Up to 6 months, oldest first, the report's month last."""

    months: list[str] = Field(default_factory=list)
    findings: list[int] = Field(default_factory=list)
    red_lines: list[int] = Field(default_factory=list)
    on_time_rate: list[float | None] = Field(default_factory=list)


class Change(_Model):
    group_id: str
    name: str
    previous: int  # findings in the previous month
    current: int  # findings in the report's month
    change: int  # current - previous


class CleanGroup(_Model):
    group_id: str
    name: str
    department: str


class LedgerEntry(_Model):
    entry_id: str
    member_id: str
    name: str
    rule: str
    sanction: str
    status: str
    finding_id: str
    decided_by: str | None = None
    decided_at: str | None = None


class Ledger(_Model):
    proposed: int = 0
    confirmed: int = 0
    waived: int = 0
    entries: list[LedgerEntry] = Field(default_factory=list)


class Appeal(_Model):
    appeal_id: str
    entry_id: str | None = None
    member_id: str
    status: str
    filed_at: str
    deadline: str
    answered_at: str | None = None
    late: bool = False


class Appeals(_Model):
    open: int = 0
    upheld: int = 0
    overturned: int = 0
    late: int = 0
    items: list[Appeal] = Field(default_factory=list)


class MonthlyReport(_Model):
    schema_: Literal["groupaudit.monthly_report/1"] = Field(default=SCHEMA, alias="schema")
    tenant_id: str
    tenant_name: str
    month: str  # YYYY-MM
    lang: Literal["zh", "en"] = "zh"
    generated_at: str  # ISO 8601 with the tenant's offset
    period: Period
    totals: Totals
    violations: list[Violation] = Field(default_factory=list)
    departments: list[Department] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    members: list[Member] = Field(default_factory=list)
    trends: Trends = Field(default_factory=Trends)
    improvements: list[Change] = Field(default_factory=list)
    regressions: list[Change] = Field(default_factory=list)
    clean_groups: list[CleanGroup] = Field(default_factory=list)
    ledger: Ledger = Field(default_factory=Ledger)
    appeals: Appeals = Field(default_factory=Appeals)

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    def to_json(self) -> dict[str, object]:
        """The document as stored and served (``schema`` named as in the shape)."""
        return self.model_dump(mode="json", by_alias=True)

"""The policy's ``sanctions`` section: the ladder of 003 第五章 2 as data, which findings it
applies to, the counting period and the appeal deadlines (002 六(三)).

Pure configuration (pydantic models, no I/O). The section is tenant-wide: it is read from the
policy file's ``defaults`` layer (a profile or group layer that sets it is refused, since one
person's history spans every group).
"""

from __future__ import annotations

from typing import Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SanctionKind = Literal["content_violation", "red_line", "manager_reply"]
SANCTION_KINDS: tuple[SanctionKind, ...] = get_args(SanctionKind)
Action = Literal[
    "public_criticism",  # 通报批评
    "pay_deduction",  # 扣除绩效 (yuan)
    "severe_warning",  # 严重警告 (with the month's performance pay withheld)
    "termination_proposed",  # 解除劳动合同 (proposed to management, never done by the program)
    "performance_points",  # 扣绩效分
    "warning",  # 警告 (002 六(二)1)
]
SeverityName = Literal["info", "warning", "violation", "red_line"]


class Step(BaseModel):
    """One rung of a ladder: what the n-th confirmed time in the period recommends."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Action
    yuan: int | None = Field(None, ge=0, description="pay_deduction: yuan of performance pay deducted")
    points: int | None = Field(None, ge=0, description="performance_points: points deducted")
    extra_points: tuple[int, int] | None = Field(
        None, description="performance_points: the further points management may add at its discretion"
    )
    month_pay_withheld: bool = Field(
        False, description="severe_warning: the month's performance pay withheld"
    )
    policy_ref: str = Field("003 第五章 2", description="the clause that sets this step")

    @model_validator(mode="after")
    def _amounts(self) -> Step:
        if self.action == "pay_deduction" and self.yuan is None:
            raise ValueError("pay_deduction needs yuan (e.g. yuan: 50)")
        if self.action == "performance_points" and self.points is None:
            raise ValueError("performance_points needs points (e.g. points: 3)")
        if self.extra_points is not None and not 0 <= self.extra_points[0] <= self.extra_points[1]:
            raise ValueError("extra_points is [low, high] with 0 <= low <= high")
        return self


class Match(BaseModel):
    """Which findings are of a sanctioned kind: by rule id and severity (and finding kinds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str = Field(description="a rule id")
    severities: tuple[SeverityName, ...] = Field(description="the finding severities that count")
    finding_kinds: tuple[str, ...] | None = Field(
        None, description="only findings of these kinds (the finding's `kind`); default: any kind"
    )
    managers_only: bool = Field(
        False,
        description="only when the finding's subject is a manager in the tenant directory (a department "
        "head or a company leader): 003 第五章 2.3 管理层(经理级)以上人员",
    )

    @field_validator("severities")
    @classmethod
    def _some(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one severity")
        return value


def _content_ladder() -> tuple[Step, ...]:
    return (
        Step(action="public_criticism", policy_ref="003 第五章 2.2.1"),
        Step(action="pay_deduction", yuan=50, policy_ref="003 第五章 2.2.1"),
    )


def _red_line_ladder() -> tuple[Step, ...]:
    return (
        Step(action="severe_warning", month_pay_withheld=True, policy_ref="003 第五章 2.1.1"),
        Step(action="termination_proposed", policy_ref="003 第五章 2.1.2"),
    )


def _manager_ladder() -> tuple[Step, ...]:
    return (Step(action="performance_points", points=3, extra_points=(2, 5), policy_ref="003 第五章 2.3.1"),)


def _ladders() -> dict[SanctionKind, tuple[Step, ...]]:
    return {
        "content_violation": _content_ladder(),
        "red_line": _red_line_ladder(),
        "manager_reply": _manager_ladder(),
    }


def _matches() -> dict[SanctionKind, tuple[Match, ...]]:
    return {
        # 003 第四章 2.5: the three red lines
        "red_line": (Match(rule="prohibited_content", severities=("red_line",)),),
        # 003 第四章 2.1-2.4 (群内容发布规定): advertising, links, keywords, personal data
        "content_violation": (
            Match(rule="prohibited_content", severities=("violation",)),
            Match(rule="pii_exposure", severities=("violation",)),
        ),
        # 003 第五章 1.1-1.3 deadlines missed by a manager (the mention kind is anyone's)
        "manager_reply": (
            Match(
                rule="overdue_reply",
                severities=("violation",),
                finding_kinds=("direct_question", "leader_request", "public_question"),
                managers_only=True,
            ),
        ),
    }


class Period(BaseModel):
    """Which confirmed entries count for "the n-th time"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["calendar_month", "rolling_days"] = Field(
        "calendar_month",
        description="calendar_month: the month (in the calendar's time zone) of the violation, as "
        "performance pay is monthly (003 第五章 2.1.1 当月的绩效); rolling_days: the `days` before it",
    )
    days: int = Field(30, ge=1, le=3660, description="rolling_days: how many days back")


class SanctionsConfig(BaseModel):
    """The discipline ledger and appeals (docs/SUPERVISION.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="make ledger entries for findings of sanctioned kinds")
    period: Period = Field(default_factory=Period)
    ladders: dict[SanctionKind, tuple[Step, ...]] = Field(
        default_factory=_ladders,
        description="per sanctioned kind, the step of the 1st, 2nd, ... confirmed time in the period; "
        "the last step repeats",
    )
    applies_to: dict[SanctionKind, tuple[Match, ...]] = Field(
        default_factory=_matches,
        description="per sanctioned kind, the findings it applies to; a finding takes the first kind "
        "that matches, in the order red_line, content_violation, manager_reply",
    )
    appeal_window_workdays: int = Field(
        3, ge=1, le=60, description="working days after the notice within which an appeal is accepted"
    )
    appeal_answer_workdays: int = Field(
        3, ge=1, le=60, description="working days after an appeal within which it is to be answered"
    )
    supervisor_ids: tuple[str, ...] = Field(
        (),
        description="directory ids of the supervision team (工作群监督小组, 000 六(二)1): only they confirm, "
        "waive and decide appeals; empty: any actor named by the signed caller",
    )
    supervision_contact: str | None = Field(
        None, description="who is told of appeals left unanswered past their deadline (a directory id)"
    )

    @field_validator("ladders")
    @classmethod
    def _steps(cls, value: dict[SanctionKind, tuple[Step, ...]]) -> dict[SanctionKind, tuple[Step, ...]]:
        for kind, steps in value.items():
            if not steps:
                raise ValueError(f"the {kind} ladder has no step")
        return value

    def ladder(self, kind: str) -> tuple[Step, ...]:
        known = cast("SanctionKind", kind)  # one of this config's kinds; KeyError otherwise
        return self.ladders.get(known) or _ladders()[known]

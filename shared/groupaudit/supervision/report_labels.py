"""The monthly report's labels (zh by default, en with ``lang == "en"``) shared by its renderers,
and the one way they take a report in (a ``MonthlyReport`` or its JSON).

Texts of the report (names, departments) are data and never looked up here; only the renderers'
own words (titles, column heads, rule and status names) are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from groupaudit.discipline.errors import SupervisionError
from groupaudit.supervision.report_model import MonthlyReport


class ReportInvalid(SupervisionError):
    """The document given to a renderer is not a monthly report; the message names the field."""


def as_report(report: MonthlyReport | Mapping[str, Any]) -> MonthlyReport:
    """The report as the model, validating a JSON document (``ReportInvalid`` naming the field)."""
    if isinstance(report, MonthlyReport):
        return _checked(report)
    if not isinstance(report, Mapping):
        raise ReportInvalid(
            f"a monthly report is a MonthlyReport or its JSON object, not {type(report).__name__}"
        )
    try:
        model = MonthlyReport.model_validate(report)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
        raise ReportInvalid(f"monthly report field {where}: {first['msg']}") from exc
    return _checked(model)


def _checked(model: MonthlyReport) -> MonthlyReport:
    """What the model alone does not say: the trend series run month by month."""
    months = len(model.trends.months)
    for series in ("findings", "red_lines", "on_time_rate"):
        length = len(getattr(model.trends, series))
        if length != months:
            raise ReportInvalid(f"monthly report field trends.{series}: {length} values for {months} months")
    return model


ZH: dict[str, str] = {
    "title": "群组管理月度考核报告",
    "tenant": "企业",
    "month": "月份",
    "period": "统计区间",
    "period_start": "统计区间起",
    "period_end": "统计区间止",
    "workdays": "工作日",
    "audits": "审计次数",
    "generated_at": "生成时间",
    "totals": "汇总",
    "violations": "违规（按规则与级别）",
    "departments": "部门",
    "groups": "群组",
    "members": "成员",
    "trends": "趋势",
    "changes": "改进与退步",
    "improvements": "改进",
    "regressions": "退步",
    "clean_groups": "零违规群组（激励）",
    "clean_mark": "零违规",
    "ledger": "处理台账",
    "appeals": "申诉",
    "rule": "规则",
    "rule_id": "规则 ID",
    "severity": "级别",
    "count": "次数",
    "department": "部门",
    "group": "群组",
    "group_id": "群组 ID",
    "platform": "平台",
    "member": "成员",
    "member_id": "成员 ID",
    "name": "名称",
    "findings": "问题数",
    "red_lines": "红线",
    "questions": "提问数",
    "questions_owed": "应答提问",
    "answered_on_time": "按时回复",
    "on_time_rate": "按时率",
    "median_answer_minutes": "回复中位数（分钟）",
    "p90_answer_minutes": "回复 P90（分钟）",
    "active_members": "活跃成员",
    "inactive_members": "不活跃成员",
    "inactive": "不活跃",
    "stale_files": "过期文件",
    "unbacked_files": "无备份文件",
    "badly_named_files": "命名不规范文件",
    "previous": "上月",
    "current": "本月",
    "change": "变化",
    "entry_id": "台账号",
    "sanction": "处理",
    "status": "状态",
    "finding_id": "问题 ID",
    "decided_by": "决定人",
    "decided_at": "决定时间",
    "appeal_id": "申诉号",
    "filed_at": "提交时间",
    "deadline": "截止时间",
    "answered_at": "答复时间",
    "late": "逾期",
    "proposed": "待确认",
    "confirmed": "已确认",
    "waived": "已免除",
    "open": "处理中",
    "upheld": "维持",
    "overturned": "撤销",
    "yes": "是",
    "no": "否",
    "none": "—",
    "empty": "本月无记录",
    "chart_violations": "违规次数（按规则）",
    "chart_departments": "各部门问题数",
    "chart_groups": "各群组问题数",
    "chart_trend": "近月趋势",
    "months": "月份",
    "sheet_totals": "汇总",
    "sheet_violations": "违规",
    "sheet_departments": "部门",
    "sheet_groups": "群组",
    "sheet_members": "成员",
    "sheet_trends": "趋势",
    "sheet_ledger": "台账",
    "sheet_appeals": "申诉",
    "figure": "指标",
    "value": "数值",
}

EN: dict[str, str] = {
    "title": "Monthly group-management assessment",
    "tenant": "Company",
    "month": "Month",
    "period": "Period",
    "period_start": "Period start",
    "period_end": "Period end",
    "workdays": "Workdays",
    "audits": "Audits",
    "generated_at": "Generated",
    "totals": "Totals",
    "violations": "Violations by rule and severity",
    "departments": "Departments",
    "groups": "Groups",
    "members": "Members",
    "trends": "Trends",
    "changes": "Improvements and regressions",
    "improvements": "Improvements",
    "regressions": "Regressions",
    "clean_groups": "Clean groups (commended)",
    "clean_mark": "clean",
    "ledger": "Ledger",
    "appeals": "Appeals",
    "rule": "Rule",
    "rule_id": "Rule id",
    "severity": "Severity",
    "count": "Count",
    "department": "Department",
    "group": "Group",
    "group_id": "Group id",
    "platform": "Platform",
    "member": "Member",
    "member_id": "Member id",
    "name": "Name",
    "findings": "Findings",
    "red_lines": "Red lines",
    "questions": "Questions",
    "questions_owed": "Questions owed",
    "answered_on_time": "Answered on time",
    "on_time_rate": "On-time rate",
    "median_answer_minutes": "Median answer (min)",
    "p90_answer_minutes": "P90 answer (min)",
    "active_members": "Active members",
    "inactive_members": "Inactive members",
    "inactive": "Inactive",
    "stale_files": "Stale files",
    "unbacked_files": "Unbacked files",
    "badly_named_files": "Badly named files",
    "previous": "Previous",
    "current": "Current",
    "change": "Change",
    "entry_id": "Entry",
    "sanction": "Sanction",
    "status": "Status",
    "finding_id": "Finding",
    "decided_by": "Decided by",
    "decided_at": "Decided at",
    "appeal_id": "Appeal",
    "filed_at": "Filed at",
    "deadline": "Deadline",
    "answered_at": "Answered at",
    "late": "Late",
    "proposed": "Proposed",
    "confirmed": "Confirmed",
    "waived": "Waived",
    "open": "Open",
    "upheld": "Upheld",
    "overturned": "Overturned",
    "yes": "yes",
    "no": "no",
    "none": "—",
    "empty": "Nothing this month",
    "chart_violations": "Violations by rule",
    "chart_departments": "Findings by department",
    "chart_groups": "Findings by group",
    "chart_trend": "Recent months",
    "months": "Month",
    "sheet_totals": "Totals",
    "sheet_violations": "Violations",
    "sheet_departments": "Departments",
    "sheet_groups": "Groups",
    "sheet_members": "Members",
    "sheet_trends": "Trends",
    "sheet_ledger": "Ledger",
    "sheet_appeals": "Appeals",
    "figure": "Figure",
    "value": "Value",
}

RULES_ZH: dict[str, str] = {
    "prohibited_content": "违禁内容",
    "pii_exposure": "个人信息泄露",
    "overdue_reply": "回复超时",
    "inactive_member": "不活跃成员",
    "stale_file": "过期文件",
    "unbacked_document": "文档无备份",
    "file_naming": "文件命名",
    "badly_named_file": "文件命名不规范",
    "name_format": "群昵称格式",
    "departed_member": "离职人员在群",
    "outsider_member": "外部人员在群",
    "onboarding_gap": "新人未入群",
    "off_hours_post": "非工作时间发言",
    "flooding": "刷屏",
    "group_governance": "群治理",
}

SEVERITY_ZH: dict[str, str] = {"red_line": "红线", "violation": "违规", "warning": "警告", "info": "提示"}
SEVERITY_EN: dict[str, str] = {
    "red_line": "red line",
    "violation": "violation",
    "warning": "warning",
    "info": "info",
}


def labels(lang: str) -> dict[str, str]:
    return EN if lang == "en" else ZH


def rule_label(rule: str, lang: str) -> str:
    """A rule's name in the report's language (the rule id itself in English or when unknown)."""
    return rule if lang == "en" else RULES_ZH.get(rule, rule)


def severity_label(severity: str, lang: str) -> str:
    table = SEVERITY_EN if lang == "en" else SEVERITY_ZH
    return table.get(severity, severity)


def status_label(status: str, lang: str) -> str:
    return (
        labels(lang).get(status, status)
        if status in {"proposed", "confirmed", "waived", "open", "upheld", "overturned"}
        else status
    )


# The measures of a department and a group, in the order the views show them.
MEASURES: tuple[str, ...] = (
    "members",
    "findings",
    "red_lines",
    "questions",
    "answered_on_time",
    "on_time_rate",
    "median_answer_minutes",
    "p90_answer_minutes",
    "active_members",
    "inactive_members",
    "stale_files",
    "unbacked_files",
    "badly_named_files",
)
MEMBER_MEASURES: tuple[str, ...] = (
    "findings",
    "red_lines",
    "questions_owed",
    "answered_on_time",
    "on_time_rate",
    "median_answer_minutes",
    "p90_answer_minutes",
)
TOTALS: tuple[str, ...] = ("groups", *MEASURES, "clean_groups")

"""Findings for people: the table view of a report, and the notice posted into a group."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import msgspec

from groupaudit.businesstime import calendar_note
from groupaudit.contracts import SEVERITIES, Finding, Group, Report, Snapshot
from groupaudit.rules import REGISTRY
from groupaudit.rules.base import Mentions, mention_subject

SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

_TEXT = {
    "zh": {
        "audit": "审计",
        "rules_run": "已运行规则",
        "skipped": "未运行",
        "note": "注意",
        "none": "未发现问题。",
        "total": "合计",
        "items": "项",
    },
    "en": {
        "audit": "audit",
        "rules_run": "rules run",
        "skipped": "skipped",
        "note": "note",
        "none": "No findings.",
        "total": "total",
        "items": "finding(s)",
    },
}


def _title(rule_id: str, lang: str) -> str:
    spec = REGISTRY.get(rule_id)
    if spec is None:
        return rule_id
    return spec.title_en if lang == "en" else spec.title_zh


def _short(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:12] + "…"
    return "—" if value is None else str(value)


def render_table(report: Report, group_name: str, lang: str = "zh") -> str:
    text = _TEXT["en" if lang == "en" else "zh"]
    lines = [
        f"== {group_name} ({report.group_id}) · {report.tenant_id} · "
        f"{report.audited_at.isoformat(timespec='minutes')} · {text['audit']} {report.audit_id[:12]}",
        f"   {text['rules_run']}: {', '.join(report.rules_run) or '—'}",
    ]
    for skipped in report.rules_skipped:
        lines.append(f"   {text['skipped']}: {skipped.rule} — {skipped.reason}")
    for note in report.notes or ():
        message = note.message
        if note.code == "calendar_unconfirmed" and note.years:
            message = calendar_note(note.years, lang).message  # in the table's language
        lines.append(f"   {text['note']}: {message}")
    if not report.findings:
        lines.append(f"   {text['none']}")
        return "\n".join(lines)
    by_rule: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    for rule_id, findings in by_rule.items():
        lines.append("")
        lines.append(f"-- {rule_id} · {_title(rule_id, lang)} · {len(findings)} {text['items']}")
        for finding in sorted(findings, key=lambda f: (-SEVERITY_RANK[f.severity], f.subject_id)):
            kind = f" {finding.kind}" if finding.kind else ""
            lines.append(f"   [{finding.severity}]{kind} {finding.summary}")
            shown = [
                f"{key}={_short(finding.evidence.get(key))}"
                for key in _table_evidence(rule_id)
                if key in finding.evidence
            ]
            ref = f"subject={finding.subject_id}"
            if finding.message_id:
                ref += f" message={finding.message_id}"
            lines.append(f"      {ref} · {' · '.join(shown)} · {finding.policy_ref}")
    counts: Counter[str] = Counter(f.severity for f in report.findings)
    per_severity = ", ".join(f"{name} {counts[name]}" for name in reversed(SEVERITIES) if counts[name])
    lines.append("")
    lines.append(f"   {text['total']}: {len(report.findings)} {text['items']} ({per_severity})")
    return "\n".join(lines)


def _table_evidence(rule_id: str) -> tuple[str, ...]:
    """The evidence worth a glance, in order (the JSON output has all of it)."""
    spec = REGISTRY.get(rule_id)
    return spec.table_evidence if spec is not None else ()


def render_json(report: Report) -> bytes:
    return msgspec.json.format(msgspec.json.encode(report), indent=2)


@dataclass(frozen=True)
class Notice:
    """One digest for one group: the text to post and the members it @-mentions."""

    group_id: str
    text: str
    mention_ids: tuple[str, ...]
    findings: tuple[tuple[str, str], ...] = ()  # (rule, finding id) listed in the text


def _mentions(finding: Finding) -> Mentions:
    """Whom a finding's notice @-mentions, as its rule says."""
    spec = REGISTRY.get(finding.rule)
    return (spec.mentions if spec is not None else mention_subject)(finding)


def in_notice(finding: Finding) -> bool:
    """Whether a finding goes into the group notice (its rule's ``notify`` setting)."""
    return finding.evidence.get("notice") != "report_only"


def render_notice(
    report: Report,
    snapshot: Snapshot,
    lang: str = "zh",
    top: int = 10,
    items: list[Finding] | None = None,
    see_more: str | None = None,
) -> Notice | None:
    """The digest posted into the group; None when there is nothing to say (stay quiet).

    ``items`` are the findings to tell about (default: all; the pipeline passes those not
    notified within ``renotify_days``), less those their rule keeps in the report only (by
    default info findings: ``notify``); the tally counts every finding of the report.
    ``see_more`` says where the rest can be read (default: the audit id).
    """
    candidates = [f for f in (report.findings if items is None else items) if in_notice(f)]
    if not candidates:
        return None
    members = {m.id: m.display_name for m in snapshot.members or ()}
    counts = Counter(f.rule for f in report.findings)
    ordered = sorted(candidates, key=lambda f: (-SEVERITY_RANK[f.severity], f.rule, f.subject_id))
    shown = ordered[:top]
    mention_ids: list[str] = []
    wanted = [_mentions(finding) for finding in shown]
    for person in (person for mentions in wanted for person in mentions.member_ids):
        if person in members and person not in mention_ids:
            mention_ids.append(person)
    admins = [a for a in snapshot.group.admin_ids or () if a in members]
    if any(mentions.admins for mentions in wanted):
        mention_ids += [a for a in admins if a not in mention_ids]
    when = report.audited_at.strftime("%Y-%m-%d %H:%M")
    hidden = len(report.findings) - len(shown)
    where = see_more or (
        f"audit id {report.audit_id[:12]}" if lang == "en" else f"审计编号 {report.audit_id[:12]}"
    )
    if lang == "en":
        head = f"[Group audit] {snapshot.group.name} · {when}"
        tally = f"Found {len(report.findings)}: " + " · ".join(
            f"{_title(rule, 'en')} {n}" for rule, n in counts.items()
        )
        rest = f"{hidden} more in the audit report ({where})."
        call = "Please follow up: "
    else:
        head = f"【群规审计】{snapshot.group.name} · {when}"
        tally = f"共发现 {len(report.findings)} 项：" + " · ".join(
            f"{_title(rule, 'zh')} {n}" for rule, n in counts.items()
        )
        rest = f"其余 {hidden} 项请查看审计报告（{where}）。"
        call = "请以下成员及时处理："
    lines = [head, tally]
    lines += [f"{index}. {finding.summary}" for index, finding in enumerate(shown, 1)]
    if hidden > 0:
        lines.append(rest)
    if mention_ids:
        lines.append(call + " ".join(f"@{members[m]}" for m in mention_ids))
    return Notice(
        group_id=report.group_id,
        text="\n".join(lines),
        mention_ids=tuple(mention_ids),
        findings=tuple((f.rule, f.id) for f in shown),
    )


def render_tenant_notice(
    group: Group,
    findings: list[Finding],
    member_ids: frozenset[str],
    *,
    names: dict[str, str] | None = None,
    lang: str = "zh",
    top: int = 10,
    standalone: bool = True,
    see_more: str | None = None,
) -> Notice | None:
    """What the tenant pass tells one group (``onboarding_gap``: the new hires it is missing),
    @-mentioning whom each finding's rule names (the group's owner, else its administrators)
    among the group's members; None when no finding belongs in a notice.

    ``standalone``: a digest of its own (the group's notice of the run went out already, or
    there was none); otherwise the lines appended to the group's digest of the run, so the
    group still gets one digest. The tenant pass knows a group's members by id only: ``names``
    (from the directory) gives the names shown, the id otherwise.
    """
    candidates = [f for f in findings if in_notice(f)]
    if not candidates:
        return None
    names = names or {}
    ordered = sorted(candidates, key=lambda f: (-SEVERITY_RANK[f.severity], f.rule, f.subject_id))
    shown = ordered[:top]
    mention_ids: list[str] = []
    wanted = [_mentions(finding) for finding in shown]
    for person in (person for mentions in wanted for person in mentions.member_ids):
        if person in member_ids and person not in mention_ids:
            mention_ids.append(person)
    if any(mentions.admins for mentions in wanted):
        mention_ids += [a for a in group.admin_ids or () if a in member_ids and a not in mention_ids]
    counts = Counter(f.rule for f in candidates)
    hidden = len(candidates) - len(shown)
    en = lang == "en"
    tally = " · ".join(f"{_title(rule, 'en' if en else 'zh')} {n}" for rule, n in counts.items())
    where = see_more or ("the audit report" if en else "审计报告")
    if en:
        head = [f"[Group audit] {group.name} · tenant-wide check", f"Found {len(candidates)}: {tally}"]
        extra = [f"The tenant-wide check also found {len(candidates)}: {tally}"]
        rest = f"{hidden} more in the audit report ({where})."
        call = "Please follow up: "
    else:
        head = [f"【群规审计】{group.name} · 全公司检查", f"共发现 {len(candidates)} 项：{tally}"]
        extra = [f"全公司检查另发现 {len(candidates)} 项：{tally}"]
        rest = f"其余 {hidden} 项请查看审计报告（{where}）。"
        call = "请以下成员及时处理："
    lines = head if standalone else extra
    lines += [f"{index}. {finding.summary}" for index, finding in enumerate(shown, 1)]
    if hidden > 0:
        lines.append(rest)
    if mention_ids:
        lines.append(call + " ".join(f"@{names.get(m, m)}" for m in mention_ids))
    return Notice(
        group_id=group.id,
        text="\n".join(lines),
        mention_ids=tuple(mention_ids),
        findings=tuple((f.rule, f.id) for f in shown),
    )


_SUPERVISION = {
    "zh": {
        "head": "【红线上报】{group}（{group_id}）· {when}",
        "count": "新发现 {n} 项触及高压红线的消息（原文不予转述）：",
        "item": "{index}. {person}（{person_id}）于 {at}，{clause}；摘录：{excerpt}",
    },
    "en": {
        "head": "[Red-line report] {group} ({group_id}) · {when}",
        "count": "{n} new message(s) crossing a red line (the text itself is not repeated):",
        "item": "{index}. {person} ({person_id}) at {at}, {clause}; excerpt: {excerpt}",
    },
}


def render_supervision(
    group_name: str,
    group_id: str,
    findings: list[Finding],
    names: dict[str, str],
    when: str,
    lang: str = "zh",
) -> str | None:
    """The message to the tenant's supervision contact about a group's new red-line findings:
    the group, each person and the clause, with the finding's masked excerpt only (the rule
    keeps the offending words out of its evidence; the message is never quoted). None when
    there is no red-line finding."""
    red = sorted(
        (f for f in findings if f.severity == "red_line"),
        key=lambda f: (f.evidence.get("sent_at") or "", f.id),
    )
    if not red:
        return None
    text = _SUPERVISION["en" if lang == "en" else "zh"]
    lines = [
        text["head"].format(group=group_name, group_id=group_id, when=when),
        text["count"].format(n=len(red)),
    ]
    for index, finding in enumerate(red, 1):
        at = str(finding.evidence.get("sent_at") or "—").replace("T", " ")[:16]
        lines.append(
            text["item"].format(
                index=index,
                person=names.get(finding.subject_id, finding.subject_id),
                person_id=finding.subject_id,
                at=at,
                clause=finding.policy_ref,
                excerpt=finding.evidence.get("excerpt") or "—",
            )
        )
    return "\n".join(lines)

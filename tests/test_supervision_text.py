"""The red-line report to the supervision contact: the group, the person, the clause and the
masked excerpt, in the contact's language; nothing without a red line."""

from __future__ import annotations

from datetime import UTC, datetime

from groupaudit.contracts import Finding
from groupaudit.render import render_supervision


def _finding(fid: str, severity: str, subject: str, sent_at: str, excerpt: str | None) -> Finding:
    evidence = {"sent_at": sent_at, **({"excerpt": excerpt} if excerpt else {})}
    return Finding(
        id=fid,
        rule="prohibited_content",
        kind="red_line" if severity == "red_line" else "advertising",
        severity=severity,  # type: ignore[arg-type]
        subject_id=subject,
        message_id=f"m-{fid}",
        file_id=None,
        detected_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
        policy_ref="003 第四章 2.5",
        summary="…",
        evidence=evidence,
    )


NAMES = {"u-li": "销售部+李四", "u-zhang": "销售部+张三"}


def test_the_report_lists_only_the_red_lines_in_time_order_in_english():
    # GIVEN two red lines (the later first) and an advert
    findings = [
        _finding("f2", "red_line", "u-zhang", "2026-11-20T15:00:00+08:00", "…就是个**"),
        _finding("f1", "red_line", "u-li", "2026-11-20T11:00:00+08:00", None),
        _finding("f3", "violation", "u-li", "2026-11-20T09:00:00+08:00", "兼职**日结"),
    ]
    # WHEN the report is written in English
    text = render_supervision("销售部工作群", "grp-sales", findings, NAMES, "2026-11-20 18:00", "en")
    # THEN the two red lines, earliest first, with an excerpt or a dash, and no advert
    assert text is not None
    assert text.splitlines() == [
        "[Red-line report] 销售部工作群 (grp-sales) · 2026-11-20 18:00",
        "2 new message(s) crossing a red line (the text itself is not repeated):",
        "1. 销售部+李四 (u-li) at 2026-11-20 11:00, 003 第四章 2.5; excerpt: —",
        "2. 销售部+张三 (u-zhang) at 2026-11-20 15:00, 003 第四章 2.5; excerpt: …就是个**",
    ]


def test_no_red_line_no_report():
    advert = _finding("f3", "violation", "u-li", "2026-11-20T09:00:00+08:00", "兼职**日结")
    assert render_supervision("销售部工作群", "grp-sales", [advert], NAMES, "2026-11-20 18:00") is None
    assert render_supervision("销售部工作群", "grp-sales", [], NAMES, "2026-11-20 18:00") is None

"""The monthly report page: self-contained, escaped, every figure traceable to the report's JSON."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from groupaudit.supervision.report_html import chart_library, render_html
from groupaudit.supervision.report_labels import ReportInvalid
from groupaudit.supervision.report_model import MonthlyReport
from supervision.report_fixture import at, report_json


class _Figures(HTMLParser):
    """Every element with data-figure, its data-value and its shown text; and every URL-bearing attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[tuple[str, str, str]] = []
        self.urls: list[str] = []
        self._open: list[list[str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        attributes = dict(attrs)
        for name in ("src", "href", "action", "poster", "srcset"):
            if name in attributes:
                self.urls.append(attributes[name] or "")
        if "data-figure" in attributes:
            figure, value = attributes["data-figure"], attributes.get("data-value")
            assert figure is not None and value is not None, f"<{tag}> names a figure and its value"
            self._open.append([figure, value, ""])
        elif self._open:
            self._open.append([])

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1]:
            self._open[-1][2] += data

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            item = self._open.pop()
            if item:
                self.figures.append((item[0], item[1], item[2]))


def _parse(page: str) -> _Figures:
    parser = _Figures()
    parser.feed(page)
    return parser


def test_every_figure_shown_is_the_reports_value() -> None:
    # GIVEN the fixture report
    document = report_json()
    # WHEN it is rendered
    figures = _parse(render_html(document)).figures
    # THEN every number carries its path and the JSON's value, and the text shows that value
    paths = {path for path, _, _ in figures}
    assert {"totals.findings", "totals.red_lines", "totals.on_time_rate", "violations.0.count"} <= paths
    assert "departments.3.median_answer_minutes" in paths
    assert {"members.5.p90_answer_minutes", "trends.on_time_rate.5", "regressions.0.change"} <= paths
    assert {"ledger.confirmed", "appeals.open", "period.audits"} <= paths
    for path, raw, shown in figures:
        assert json.loads(raw) == at(document, path), path
        value = at(document, path)
        if value is None:
            assert shown == "—", path
        elif path.endswith("on_time_rate") or ".on_time_rate." in path:
            assert shown == f"{value * 100:.1f}%", path
        else:
            assert float(shown) == value, path
    # every measure of every group is shown
    assert sum(p.startswith("groups.") for p in paths) == 7 * 13
    assert len(figures) == len(paths)


def test_figures_show_the_fixtures_numbers() -> None:
    figures = {p: s for p, _, s in _parse(render_html(report_json())).figures}
    assert figures["totals.findings"] == "15"
    assert figures["totals.on_time_rate"] == "91.7%"
    assert figures["totals.p90_answer_minutes"] == "95.5"
    assert figures["departments.3.on_time_rate"] == "—"  # 财务部 had no questions


def test_page_needs_no_external_url() -> None:
    # GIVEN the rendered page
    page = render_html(report_json())
    parser = _parse(page)
    # THEN no element loads anything (no src/href at all), there is no stylesheet import or url()
    assert parser.urls == []
    assert "link" not in parser.tags and "iframe" not in parser.tags and "img" not in parser.tags
    assert "@import" not in page and "url(" not in page
    # and apart from the vendored library's licence banners (/*! ... */) no URL appears anywhere
    without_banners = re.sub(r"/\*!.*?\*/", "", page, flags=re.DOTALL)
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", without_banners, flags=re.IGNORECASE) == []
    # and the chart library is inlined whole
    assert chart_library() in page
    assert chart_library().startswith("/*!\n * Chart.js v4.6.1")


def test_a_hostile_group_name_is_text_not_markup() -> None:
    # GIVEN a group and a member whose names are markup
    document = report_json()
    hostile = "</script><script>window.owned=1</script><img src=x onerror=alert(1)>"
    document["groups"][0]["name"] = hostile
    document["members"][0]["name"] = '"><b onmouseover=alert(1)>'
    document["departments"][0]["department"] = "<!--"
    # WHEN rendered
    page = render_html(document)
    # THEN the names appear escaped and never as markup, in the tables and in the chart data
    assert hostile not in page
    assert (
        "&lt;/script&gt;&lt;script&gt;window.owned=1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    )
    assert "&quot;&gt;&lt;b onmouseover=alert(1)&gt;" in page
    assert "<img" not in page and "<b " not in page and "<!--" not in page
    island = page.split('<script type="application/json" id="report-charts">', 1)[1].split("</script>", 1)[0]
    assert "<" not in island
    assert json.loads(island)["groups"]["labels"][0] == hostile
    # three scripts: the data island, the library and the page's own; no more
    assert _parse(page).tags.count("script") == 3


def test_red_lines_come_first_and_are_highlighted() -> None:
    page = render_html(report_json())
    rows = re.findall(
        r'<tr( class="red-line")?><td>([^<]*)</td><td>([^<]*)</td><td class="n" data-figure="violations', page
    )
    assert rows[0] == (' class="red-line"', "违禁内容", "红线")
    assert [r[0] for r in rows[1:]] == [""] * 4


def test_clean_groups_are_marked_and_commended() -> None:
    page = render_html(report_json())
    assert page.count("★ 零违规</span>") == 3
    assert '<li><span class="clean">★</span> 财务结算群 (财务部)</li>' in page


def test_chinese_by_default_and_english_with_lang_en() -> None:
    document = report_json()
    zh = render_html(document)
    document["lang"] = "en"
    en = render_html(document)
    assert '<html lang="zh-CN">' in zh and "群组管理月度考核报告" in zh and "按时率" in zh
    assert '<html lang="en">' in en and "Monthly group-management assessment" in en and "On-time rate" in en
    # the page's own words change; the data's texts (Chinese names) do not
    assert "按时率" not in en and "违禁内容" not in en and "prohibited_content" in en
    assert "艾克美科技有限公司" in en and "华东市场推广群" in en


def test_the_model_and_its_json_render_the_same() -> None:
    document = report_json()
    assert render_html(MonthlyReport.model_validate(document)) == render_html(document)


def test_empty_views_say_so() -> None:
    document = report_json()
    document["ledger"]["entries"] = []
    document["regressions"] = []
    page = render_html(document)
    assert page.count("本月无记录") == 2


def test_a_document_that_is_not_a_report_is_refused_naming_the_field() -> None:
    document = report_json()
    document["totals"]["findings"] = "many"
    with pytest.raises(ReportInvalid, match=r"totals\.findings"):
        render_html(document)
    with pytest.raises(ReportInvalid, match="not list"):
        render_html([])  # type: ignore[arg-type]


def test_a_month_with_nothing_in_it_renders_without_charts() -> None:
    # GIVEN a report with only its required fields (a tenant with no groups yet)
    document = {
        "tenant_id": "acme",
        "tenant_name": "艾克美",
        "month": "2026-11",
        "generated_at": "2026-12-01T09:00:00+08:00",
        "period": {"start": "2026-11-01", "end": "2026-11-30", "workdays": 21, "audits": 0},
        "totals": {},
    }
    page = render_html(document)
    # THEN no chart is drawn, every view says it is empty, and the totals are zeros
    assert "<canvas" not in page
    assert page.count("本月无记录") == 10  # 9 tables and the commended groups
    figures = {p: s for p, _, s in _parse(page).figures}
    assert figures["totals.findings"] == "0" and figures["totals.on_time_rate"] == "—"

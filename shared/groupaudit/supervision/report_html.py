"""The monthly report as one self-contained HTML page: it opens offline, with no external URL.

The chart library (Chart.js, vendored in ``assets/``, see its README) is inlined into the page;
the charts' data travel as a JSON island whose ``<`` are escaped, so a name such as
``</script>`` cannot end it. Every text of the report is HTML-escaped. Every number shown
carries ``data-figure`` (its path in the report's JSON, e.g. ``totals.findings``,
``groups.2.on_time_rate``) and ``data-value`` (the JSON value itself), so a test can check it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from groupaudit.supervision.report_labels import (
    MEASURES,
    MEMBER_MEASURES,
    TOTALS,
    as_report,
    labels,
    rule_label,
    severity_label,
    status_label,
)
from groupaudit.supervision.report_model import MonthlyReport

CHART_ASSET = "chart.umd.min.js"

_RATES = {"on_time_rate"}
_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
margin:0 auto;max-width:1200px;padding:16px;color:#1f2328}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left}td.n{text-align:right}
th{background:#f6f8fa}tr.red-line td{background:#ffebe9;color:#a40e26;font-weight:bold}
.clean{color:#1a7f37;font-weight:bold}.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:120px}
.card .v{font-size:20px;font-weight:bold}.card.red .v{color:#a40e26}
.chart{position:relative;height:280px;max-width:1000px}.meta{color:#57606a}
"""


@cache
def chart_library() -> str:
    """The vendored Chart.js build (minified UMD), as shipped in the package."""
    return (resources.files("groupaudit.supervision") / "assets" / CHART_ASSET).read_text(encoding="utf-8")


def _fmt(value: Any, key: str, none: str) -> str:
    if value is None:
        return none
    if key in _RATES:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _num(path: str, value: Any, key: str, none: str, tag: str = "td") -> str:
    shown = escape(_fmt(value, key, none))
    raw = escape(json.dumps(value))
    cls = ' class="n"' if tag == "td" else ""
    return f'<{tag}{cls} data-figure="{escape(path)}" data-value="{raw}">{shown}</{tag}>'


def _table(heads: Iterable[str], rows: Iterable[str], empty: str) -> str:
    body = "".join(rows)
    if not body:
        return f'<p class="meta">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _txt(value: Any, none: str) -> str:
    return f"<td>{escape(none if value is None else str(value))}</td>"


class _Page:
    def __init__(self, report: MonthlyReport) -> None:
        self.r = report
        self.doc: Mapping[str, Any] = report.to_json()
        self.lang = report.lang
        self.t = labels(report.lang)

    def num(self, path: str, key: str | None = None, tag: str = "td") -> str:
        value: Any = self.doc
        for part in path.split("."):
            value = value[int(part)] if isinstance(value, list) else value[part]
        return _num(path, value, key or path.rsplit(".", 1)[-1], self.t["none"], tag)

    def section(self, key: str, body: str) -> str:
        return f'<section id="{key}"><h2>{escape(self.t[key])}</h2>{body}</section>'

    def chart(self, chart_id: str, title: str) -> str:
        return (
            f'<h3>{escape(self.t[title])}</h3><div class="chart">'
            f'<canvas id="{chart_id}" role="img" aria-label="{escape(self.t[title])}"></canvas></div>'
        )

    def header(self) -> str:
        t, r = self.t, self.r
        return (
            f"<h1>{escape(r.tenant_name)} · {escape(t['title'])} · {escape(r.month)}</h1>"
            f'<p class="meta">{escape(t["period"])}: {escape(r.period.start)} – {escape(r.period.end)}; '
            f"{escape(t['workdays'])} "
            f"{self.num('period.workdays', tag='span')}; "
            f"{escape(t['audits'])} "
            f"{self.num('period.audits', tag='span')}; "
            f"{escape(t['generated_at'])}: {escape(r.generated_at)}</p>"
        )

    def totals(self) -> str:
        cards = []
        for key in TOTALS:
            red = " red" if key == "red_lines" and self.r.totals.red_lines else ""
            value = self.num(f"totals.{key}", tag="div").replace("<div ", '<div class="v" ', 1)
            cards.append(f'<div class="card{red}"><div>{escape(self.t[key])}</div>{value}</div>')
        return self.section("totals", f'<div class="cards">{"".join(cards)}</div>')

    def violations(self) -> str:
        rows = []
        for i, v in enumerate(self.r.violations):
            cls = ' class="red-line"' if v.severity == "red_line" else ""
            rows.append(
                f"<tr{cls}><td>{escape(rule_label(v.rule, self.lang))}</td>"
                f"<td>{escape(severity_label(v.severity, self.lang))}</td>"
                f"{self.num(f'violations.{i}.count')}</tr>"
            )
        t = self.t
        table = _table([t["rule"], t["severity"], t["count"]], rows, t["empty"])
        chart = self.chart("chart-violations", "chart_violations") if self.r.violations else ""
        return self.section("violations", table + chart)

    def _measured(self, view: str, items: list[Any], first: list[str], keys: tuple[str, ...]) -> str:
        t = self.t
        rows = []
        for i, item in enumerate(items):
            cells = []
            for key in first:
                text = escape(str(getattr(item, key)))
                if key == "name" and getattr(item, "clean", False):
                    text += f' <span class="clean">★ {escape(t["clean_mark"])}</span>'
                if key == "name" and getattr(item, "inactive", False):
                    text += f' <span class="meta">({escape(t["inactive"])})</span>'
                cells.append(f"<td>{text}</td>")
            cells.extend(self.num(f"{view}.{i}.{key}") for key in keys)
            rows.append(f"<tr>{''.join(cells)}</tr>")
        return _table([t[k] for k in first] + [t[k] for k in keys], rows, t["empty"])

    def departments(self) -> str:
        table = self._measured("departments", self.r.departments, ["department", "groups"], MEASURES)
        chart = self.chart("chart-departments", "chart_departments") if self.r.departments else ""
        return self.section("departments", table + chart)

    def groups(self) -> str:
        table = self._measured(
            "groups", self.r.groups, ["name", "department", "platform", "audits"], MEASURES
        )
        chart = self.chart("chart-groups", "chart_groups") if self.r.groups else ""
        clean = "".join(
            f'<li><span class="clean">★</span> {escape(c.name)} ({escape(c.department)})</li>'
            for c in self.r.clean_groups
        )
        commend = f"<h3>{escape(self.t['clean_groups'])}</h3><ul>{clean or escape(self.t['empty'])}</ul>"
        return self.section("groups", table + chart + commend)

    def members(self) -> str:
        return self.section(
            "members", self._measured("members", self.r.members, ["name", "department"], MEMBER_MEASURES)
        )

    def trends(self) -> str:
        t, tr = self.t, self.r.trends
        rows = [
            f"<tr><td>{escape(m)}</td>{self.num(f'trends.findings.{i}', 'findings')}"
            f"{self.num(f'trends.red_lines.{i}', 'red_lines')}"
            f"{self.num(f'trends.on_time_rate.{i}', 'on_time_rate')}</tr>"
            for i, m in enumerate(tr.months)
        ]
        table = _table([t["months"], t["findings"], t["red_lines"], t["on_time_rate"]], rows, t["empty"])
        chart = self.chart("chart-trend", "chart_trend") if tr.months else ""
        return self.section("trends", chart + table)

    def changes(self) -> str:
        t = self.t
        parts = []
        for view in ("improvements", "regressions"):
            rows = [
                f"<tr><td>{escape(c.name)}</td>{self.num(f'{view}.{i}.previous')}"
                f"{self.num(f'{view}.{i}.current')}{self.num(f'{view}.{i}.change')}</tr>"
                for i, c in enumerate(getattr(self.r, view))
            ]
            heads = [t["group"], t["previous"], t["current"], t["change"]]
            parts.append(f"<h3>{escape(t[view])}</h3>" + _table(heads, rows, t["empty"]))
        return self.section("changes", "".join(parts))

    def ledger(self) -> str:
        t, none = self.t, self.t["none"]
        counts = " ".join(
            f"{escape(t[k])} {self.num(f'ledger.{k}', tag='span')}"
            for k in ("proposed", "confirmed", "waived")
        )
        rows = [
            "<tr>"
            + "".join(
                [
                    _txt(e.entry_id, none),
                    _txt(e.name, none),
                    _txt(rule_label(e.rule, self.lang), none),
                    _txt(e.sanction, none),
                    _txt(status_label(e.status, self.lang), none),
                    _txt(e.finding_id, none),
                    _txt(e.decided_by, none),
                    _txt(e.decided_at, none),
                ]
            )
            + "</tr>"
            for e in self.r.ledger.entries
        ]
        keys = ["entry_id", "member", "rule", "sanction", "status", "finding_id", "decided_by", "decided_at"]
        return self.section("ledger", f"<p>{counts}</p>" + _table([t[k] for k in keys], rows, t["empty"]))

    def appeals(self) -> str:
        t, none = self.t, self.t["none"]
        counts = " ".join(
            f"{escape(t[k])} {self.num(f'appeals.{k}', tag='span')}"
            for k in ("open", "upheld", "overturned", "late")
        )
        rows = [
            "<tr>"
            + "".join(
                [
                    _txt(a.appeal_id, none),
                    _txt(a.entry_id, none),
                    _txt(a.member_id, none),
                    _txt(status_label(a.status, self.lang), none),
                    _txt(a.filed_at, none),
                    _txt(a.deadline, none),
                    _txt(a.answered_at, none),
                    _txt(t["yes"] if a.late else t["no"], none),
                ]
            )
            + "</tr>"
            for a in self.r.appeals.items
        ]
        keys = ["appeal_id", "entry_id", "member_id", "status", "filed_at", "deadline", "answered_at", "late"]
        return self.section("appeals", f"<p>{counts}</p>" + _table([t[k] for k in keys], rows, t["empty"]))

    def chart_data(self) -> dict[str, Any]:
        """What the page's script draws (labels already in the report's language)."""
        r, t, lang = self.r, self.t, self.lang
        return {
            "violations": {
                "labels": [rule_label(v.rule, lang) for v in r.violations],
                "values": [v.count for v in r.violations],
                "red": [v.severity == "red_line" for v in r.violations],
                "label": t["count"],
            },
            "departments": {
                "labels": [d.department for d in r.departments],
                "values": [d.findings for d in r.departments],
                "red": [d.red_lines for d in r.departments],
                "label": t["findings"],
                "redLabel": t["red_lines"],
            },
            "groups": {
                "labels": [g.name for g in r.groups],
                "values": [g.findings for g in r.groups],
                "clean": [g.clean for g in r.groups],
                "label": t["findings"],
            },
            "trend": {
                "labels": r.trends.months,
                "findings": r.trends.findings,
                "redLines": r.trends.red_lines,
                "onTime": [None if v is None else round(v * 100, 1) for v in r.trends.on_time_rate],
                "findingsLabel": t["findings"],
                "redLabel": t["red_lines"],
                "onTimeLabel": t["on_time_rate"] + " %",
            },
        }


_SCRIPT = """
(function(){
  var D = JSON.parse(document.getElementById('report-charts').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.font.family = '"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif';
  function el(id){ return document.getElementById(id); }
  if (el('chart-violations')) new Chart(el('chart-violations'), {type:'bar', data:{labels:D.violations.labels,
    datasets:[{label:D.violations.label, data:D.violations.values,
      backgroundColor:D.violations.red.map(function(r){ return r ? '#cf222e' : '#0969da'; })}]},
    options:{maintainAspectRatio:false, plugins:{legend:{display:false}}}});
  if (el('chart-departments')) new Chart(el('chart-departments'), {type:'bar',
    data:{labels:D.departments.labels,
    datasets:[{label:D.departments.label, data:D.departments.values, backgroundColor:'#0969da'},
              {label:D.departments.redLabel, data:D.departments.red, backgroundColor:'#cf222e'}]},
    options:{maintainAspectRatio:false}});
  if (el('chart-groups')) new Chart(el('chart-groups'), {type:'bar', data:{labels:D.groups.labels,
    datasets:[{label:D.groups.label, data:D.groups.values,
      backgroundColor:D.groups.clean.map(function(c){ return c ? '#1a7f37' : '#0969da'; })}]},
    options:{indexAxis:'y', maintainAspectRatio:false, plugins:{legend:{display:false}}}});
  if (el('chart-trend')) new Chart(el('chart-trend'), {type:'line', data:{labels:D.trend.labels, datasets:[
      {label:D.trend.findingsLabel, data:D.trend.findings, borderColor:'#0969da', yAxisID:'y'},
      {label:D.trend.redLabel, data:D.trend.redLines, borderColor:'#cf222e', yAxisID:'y'},
      {label:D.trend.onTimeLabel, data:D.trend.onTime, borderColor:'#1a7f37', yAxisID:'y1'}]},
    options:{maintainAspectRatio:false, scales:{y:{beginAtZero:true, position:'left'},
      y1:{min:0, max:100, position:'right', grid:{drawOnChartArea:false}}}}});
})();
"""


def _json_island(data: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' survive as themselves."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(report: MonthlyReport | Mapping[str, Any]) -> str:
    """The report as one HTML page (UTF-8 text) that needs nothing but itself to open."""
    page = _Page(as_report(report))
    t = page.t
    body = "".join(
        [
            page.header(),
            page.totals(),
            page.violations(),
            page.departments(),
            page.groups(),
            page.members(),
            page.trends(),
            page.changes(),
            page.ledger(),
            page.appeals(),
        ]
    )
    title = f"{page.r.tenant_name} · {t['title']} · {page.r.month}"
    lang = "en" if page.lang == "en" else "zh-CN"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>{body}"
        f'<script type="application/json" id="report-charts">{_json_island(page.chart_data())}</script>'
        f"<script>{chart_library()}</script><script>{_SCRIPT}</script></body></html>"
    )

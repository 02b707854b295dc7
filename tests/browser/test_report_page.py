"""The monthly report page in a real headless Chromium: it opens offline without a single error or
request, every chart draws, and every number shown equals the report's JSON.

Chromium comes from Debian (`chromium`, with `fonts-noto-cjk` for the Chinese); `make browser`
installs both when run as root. Without it the tests are skipped with the reason, except under CI
(``CI`` set), where a missing browser fails: CI must prove the page.

``REPORT_SCREENSHOT=path.png`` keeps a screenshot of the page, to look at.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from browser.cdp import Browser, find_chromium
from groupaudit.supervision.report_html import render_html
from supervision.report_fixture import at, report_json

pytestmark = pytest.mark.slow

CHARTS = ["chart-violations", "chart-departments", "chart-groups", "chart-trend"]

# Each canvas: is there a chart on it, its size, and how many of its pixels were painted.
_CANVASES = """
Array.from(document.querySelectorAll('canvas')).map(function (c) {
  var pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, painted = 0;
  for (var i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) { painted++; } }
  return {id: c.id, chart: !!Chart.getChart(c), width: c.width, height: c.height, painted: painted};
})
"""
_FIGURES = """
Array.from(document.querySelectorAll('[data-figure]')).map(function (e) {
  return [e.dataset.figure, e.dataset.value, e.textContent];
})
"""


@pytest.fixture(scope="module")
def browser():
    binary, why_not = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail(f"{why_not} (CI is set: the report page must be checked in a browser)")
        pytest.skip(why_not)
    chromium = Browser(binary)
    yield chromium
    chromium.close()


def _open(browser, tmp_path: Path, document: dict, name: str = "report.html"):
    page = tmp_path / name
    page.write_text(render_html(document), encoding="utf-8")
    return browser.open(page.as_uri())


def test_the_page_opens_offline_without_errors_and_every_chart_draws(browser, tmp_path):
    # GIVEN the fixture report's page, opened from a file
    tab = _open(browser, tmp_path, report_json())
    # THEN nothing went wrong and nothing was fetched from anywhere
    assert tab.problems() == []
    # AND the four charts drew: a Chart.js chart on each canvas, a good part of it painted
    canvases = tab.evaluate(_CANVASES)
    assert [c["id"] for c in canvases] == CHARTS
    for canvas in canvases:
        assert canvas["chart"], canvas["id"]
        assert canvas["width"] > 300 and canvas["height"] > 200, canvas
        assert canvas["painted"] > 0.02 * canvas["width"] * canvas["height"], canvas
    # AND the Chinese is drawn with a CJK font (fonts-noto-cjk), not with boxes
    fonts = tab.fonts("#totals h2")  # "汇总"
    assert any("CJK" in family and glyphs == 2 for family, glyphs in fonts.items()), fonts
    # AND the Chinese title is the page's
    assert tab.evaluate("document.title") == "艾克美科技有限公司 · 群组管理月度考核报告 · 2026-11"
    shot = tab.screenshot()
    assert shot.startswith(b"\x89PNG\r\n\x1a\n") and len(shot) > 50_000
    if os.environ.get("REPORT_SCREENSHOT"):
        Path(os.environ["REPORT_SCREENSHOT"]).write_bytes(shot)


def test_every_number_shown_equals_the_reports_json(browser, tmp_path):
    document = report_json()
    tab = _open(browser, tmp_path, document)
    figures = tab.evaluate(_FIGURES)
    assert len(figures) > 200
    for path, raw, shown in figures:
        value = at(document, path)
        assert json.loads(raw) == value, path
        if value is None:
            assert shown == "—", path
        elif path.rsplit(".", 1)[-1] == "on_time_rate" or ".on_time_rate." in path:
            assert shown == f"{value * 100:.1f}%", path
        else:
            assert float(shown) == value, path
    shown = {path: text for path, _, text in figures}
    assert shown["totals.findings"] == "15" and shown["totals.red_lines"] == "1"
    assert shown["totals.on_time_rate"] == "91.7%"


def test_a_group_named_like_a_script_does_not_run(browser, tmp_path):
    # GIVEN names that are markup and script
    document = report_json()
    document["groups"][0]["name"] = (
        "</script><script>window.owned = 1</script><img src=x onerror='window.owned=2'>"
    )
    document["departments"][0]["department"] = "<b id=bold>市场部</b>"
    tab = _open(browser, tmp_path, document, "hostile.html")
    # THEN none of it ran or became an element, the page is whole, and it shows the names as text
    assert tab.problems() == []
    assert tab.evaluate("typeof window.owned") == "undefined"
    assert tab.evaluate("document.querySelectorAll('img, #bold').length") == 0
    assert tab.evaluate("document.querySelectorAll('canvas').length") == 4
    cell = tab.evaluate("document.querySelector('#groups tbody tr td').textContent")
    assert cell == document["groups"][0]["name"]


def test_the_english_page_draws_too(browser, tmp_path):
    document = report_json()
    document["lang"] = "en"
    tab = _open(browser, tmp_path, document, "report-en.html")
    assert tab.problems() == []
    assert tab.evaluate("document.documentElement.lang") == "en"
    assert tab.evaluate("document.querySelector('#totals h2').textContent") == "Totals"
    assert all(c["chart"] and c["painted"] for c in tab.evaluate(_CANVASES))


def test_an_empty_month_opens_without_errors(browser, tmp_path):
    document = {
        "tenant_id": "acme",
        "tenant_name": "艾克美",
        "month": "2026-11",
        "generated_at": "2026-12-01T09:00:00+08:00",
        "period": {"start": "2026-11-01", "end": "2026-11-30", "workdays": 21, "audits": 0},
        "totals": {},
    }
    tab = _open(browser, tmp_path, document, "empty.html")
    assert tab.problems() == []
    assert tab.evaluate("document.querySelectorAll('canvas').length") == 0
    assert tab.evaluate("document.querySelector('[data-figure=\"totals.findings\"]').textContent") == "0"

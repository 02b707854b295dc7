"""The monthly report on demand: ``groupaudit report`` and ``GET /reports/{month}`` answer the
same document (docs/SUPERVISION.md "Monthly report")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groupaudit.adapters.storage import Storage
from groupaudit.cli import main
from supervision.test_report import SALES, _audit, _sales_messages
from supervision.test_supervision_api import (
    acme_ledger,  # noqa: F401  (a fixture, used by pytestmark)
    call,
)

# acme's and globex's API secrets, acme's directory and two proposed ledger entries
pytestmark = pytest.mark.usefixtures("acme_ledger")


def _without_time(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "generated_at"}


def test_the_cli_and_the_api_answer_the_same_report(
    store: Storage, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # GIVEN acme's two proposed ledger entries and a November audit of its sales group
    november = [{"id": "m0", "sender_id": "u2", "sent_at": "2026-11-18T09:00:00+08:00", "text": "早"}]
    _audit(
        store,
        "g-sales",
        "销售部",
        SALES,
        november + _sales_messages("11-19"),
        "2026-11-19T18:00:00+08:00",
        "c" * 32,
    )
    # WHEN the report is asked of the CLI (to stdout and to a folder) and of the API
    assert main(["report", "acme", "--month", "2026-11", "--lang", "en"]) == 0
    from_cli = json.loads(capsys.readouterr().out)
    assert main(["report", "acme", "--month", "2026-11", "--out", str(tmp_path)]) == 0
    written = json.loads((tmp_path / "acme-2026-11.json").read_text(encoding="utf-8"))
    status, from_api = call("GET", "/reports/2026-11?lang=en")
    # THEN the documents are the same but for when each was made, and hold the stored figures
    assert status == 200
    assert _without_time(from_api) == _without_time(from_cli)
    assert (from_api["schema"], from_api["tenant_id"], from_api["lang"], written["lang"]) == (
        "groupaudit.monthly_report/1",
        "acme",
        "en",
        "zh",
    )
    assert (from_api["totals"]["questions"], from_api["ledger"]["proposed"]) == (2, 2)
    assert from_api["period"]["audits"] == 1


def test_a_bad_month_is_not_found_and_another_tenant_sees_its_own(store: Storage) -> None:
    _audit(store, "g-sales", "销售部", SALES, _sales_messages("11-19"), "2026-11-19T18:00:00+08:00", "c" * 32)
    assert call("GET", "/reports/2026-13")[0] == 404
    status, globex = call("GET", "/reports/2026-11", tenant="globex")
    assert status == 200
    assert (globex["tenant_id"], globex["totals"]["groups"], globex["ledger"]["entries"]) == ("globex", 0, [])


def test_the_cli_writes_the_stored_month_as_a_page_and_a_workbook(
    store: Storage, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # GIVEN a November audit of acme's sales group, stored as the worker stores it
    _audit(store, "g-sales", "销售部", SALES, _sales_messages("11-19"), "2026-11-19T18:00:00+08:00", "c" * 32)
    assert main(["report", "acme", "--month", "2026-11"]) == 0
    document = json.loads(capsys.readouterr().out)
    # WHEN the same month is asked as HTML and as XLSX into a folder
    assert main(["report", "acme", "--month", "2026-11", "--format", "html", "--out", str(tmp_path)]) == 0
    assert main(["report", "acme", "--month", "2026-11", "--format", "xlsx", "--out", str(tmp_path)]) == 0
    # THEN the page shows the stored figures and the workbook holds them as numbers
    page = (tmp_path / "acme-2026-11.html").read_text(encoding="utf-8")
    questions = document["totals"]["questions"]
    assert f'data-figure="totals.questions" data-value="{questions}"' in page
    assert "销售部" in page and "<script src=" not in page
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "acme-2026-11.xlsx")
    assert book.sheetnames[0] == "汇总"
    cells = [cell for row in book.worksheets[0].iter_rows() for cell in row]
    assert questions in [cell.value for cell in cells if isinstance(cell.value, int)]

"""The monthly report on demand: ``groupaudit report`` and ``GET /reports/{month}`` answer the
same document (docs/SUPERVISION.md "Monthly report")."""

from __future__ import annotations

import json

import pytest
from test_report import SALES, _audit, _sales_messages
from test_supervision_api import (
    acme_ledger,  # noqa: F401  (a fixture, used by pytestmark)
    call,
)

from groupaudit.cli import main

# acme's and globex's API secrets, acme's directory and two proposed ledger entries
pytestmark = pytest.mark.usefixtures("acme_ledger")


def _without_time(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "generated_at"}


def test_the_cli_and_the_api_answer_the_same_report(store, capsys, tmp_path):
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


def test_a_bad_month_is_not_found_and_another_tenant_sees_its_own(store):
    _audit(store, "g-sales", "销售部", SALES, _sales_messages("11-19"), "2026-11-19T18:00:00+08:00", "c" * 32)
    assert call("GET", "/reports/2026-13")[0] == 404
    status, globex = call("GET", "/reports/2026-11", tenant="globex")
    assert status == 200
    assert (globex["tenant_id"], globex["totals"]["groups"], globex["ledger"]["entries"]) == ("globex", 0, [])

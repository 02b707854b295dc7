"""`groupaudit ledger` and `groupaudit appeal` against moto."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from groupaudit.adapters.ledger_store import LedgerStore
from groupaudit.adapters.storage import Storage
from groupaudit.cli import main
from groupaudit.contracts import Finding
from groupaudit.discipline import ledger
from groupaudit.pipeline import runtime
from groupaudit.policy import parse_policy
from groupaudit.settings import Settings
from groupaudit.supervision import service

CST = ZoneInfo("Asia/Shanghai")
GROUP = "grp-sales"
DIRECTORY = {
    "schema_version": 1,
    "people": [
        {"id": "u-zhang", "name": "张三", "department": "销售部"},
        {"id": "u-head", "name": "王五", "department": "销售部"},
    ],
    "departments": [{"name": "销售部", "head_id": "u-head"}],
}


@pytest.fixture
def entries(settings: Settings, store: Storage) -> list[str]:
    """acme's directory in the snapshot bucket and two proposed content violations of u-zhang."""
    runtime.client("s3").put_object(
        Bucket=settings.snapshot_bucket,
        Key="tenants/acme/directory.json",
        Body=json.dumps(DIRECTORY).encode(),
    )
    findings = [
        Finding(
            id=f"f{n}",
            rule="pii_exposure",
            kind=None,
            severity="violation",
            subject_id="u-zhang",
            message_id=f"m{n}",
            file_id=None,
            detected_at=datetime(2026, 11, 20, 18, tzinfo=CST),
            policy_ref="000 三(一)2",
            summary=f"phone number {n}",
            evidence={"sent_at": datetime(2026, 11, 10 + n, 9, tzinfo=CST).isoformat()},
        )
        for n in (1, 2)
    ]
    audited = datetime(2026, 11, 20, 18, tzinfo=CST)
    store.findings.sync_findings("acme", GROUP, "audit-1", audited, findings, {})
    service.record_findings(store, "acme", GROUP, findings, [], parse_policy({}, "t"), None, audited)
    return [ledger.entry_id("acme", GROUP, f.id) for f in findings]


def output(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_list_confirm_and_show_entries(entries: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    first, second = entries
    assert main(["ledger", "list", "acme", "--month", "2026-11"]) == 0
    lines = output(capsys).splitlines()
    assert [line.split("\t")[0] for line in lines[:2]] == [first, second]
    assert lines[-1] == "2 entries"
    assert main(["ledger", "confirm", "acme", first, "--actor", "u-super", "--reason", "a phone number"]) == 0
    confirmed = json.loads(output(capsys))
    assert (confirmed["status"], confirmed["decided_by"], confirmed["decision_reason"]) == (
        "confirmed",
        "u-super",
        "a phone number",
    )
    assert main(["ledger", "show", "acme", second]) == 0
    shown = json.loads(output(capsys))
    assert (shown["recommended"]["time"], shown["recommended"]["yuan"], shown["history"][0]["type"]) == (
        2,
        50,
        "proposed",
    )
    assert main(["ledger", "list", "acme", "--person", "u-zhang", "--format", "json"]) == 0
    assert [e["status"] for e in json.loads(output(capsys))] == ["confirmed", "proposed"]


def test_a_refused_decision_exits_2_with_the_reason(
    entries: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = entries
    main(["ledger", "waive", "acme", first, "--actor", "u-super", "--reason", "first time"])
    capsys.readouterr()
    assert main(["ledger", "confirm", "acme", first, "--actor", "u-super", "--reason", "again"]) == 2
    assert "waived: only a proposed entry is confirmed" in capsys.readouterr().err
    assert main(["ledger", "show", "acme", "0" * 32]) == 2
    assert "unknown ledger entry" in capsys.readouterr().err


def test_file_and_decide_an_appeal_with_its_history(
    entries: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = entries
    status = main(
        [
            "appeal",
            "file",
            "acme",
            "--group",
            GROUP,
            "--finding",
            "f1",
            "--appellant",
            "u-head",
            "--reason",
            "a fax",
        ]
    )
    filed = json.loads(output(capsys))
    assert (status, filed["appellant_role"], filed["entry_id"]) == (0, "head", first)
    status = main(
        [
            "appeal",
            "decide",
            "acme",
            filed["appeal_id"],
            "--outcome",
            "overturned",
            "--actor",
            "u-super",
            "--reason",
            "a fax number, not a phone",
        ]
    )
    assert status == 0 and json.loads(output(capsys))["status"] == "overturned"
    assert main(["appeal", "show", "acme", filed["appeal_id"]]) == 0
    assert [e["type"] for e in json.loads(output(capsys))["history"]] == ["filed", "overturned"]
    assert main(["ledger", "show", "acme", first]) == 0
    assert json.loads(output(capsys))["status"] == "overturned"
    assert (
        main(
            [
                "appeal",
                "file",
                "acme",
                "--entry",
                first,
                "--group",
                GROUP,
                "--appellant",
                "u-zhang",
                "--reason",
                "x",
            ]
        )
        == 2
    )
    assert "give --entry, or --group and --finding" in capsys.readouterr().err


def test_overdue_prints_the_message_to_the_supervision_contact_once(
    entries: list[str], store: Storage, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an appeal filed on Friday Sep 18, 2026, never answered (due Tuesday Sep 22, 18:00)
    service.file_appeal(
        LedgerStore.over(store),
        "acme",
        appellant="u-zhang",
        reason="x",
        now=datetime(2026, 9, 18, 16, tzinfo=CST),
        policies=parse_policy({}, "t"),
        directory=None,
        group_id=GROUP,
        finding_id="f2",
    )
    # WHEN `appeal overdue` runs (today is later than that), twice
    assert main(["appeal", "overdue", "acme"]) == 0
    first = capsys.readouterr()
    assert main(["appeal", "overdue", "acme"]) == 0
    second = capsys.readouterr()
    # THEN the message names the appeal and its deadline, once
    assert "有 1 条申诉已超过答复期限仍未答复" in first.out and "2026-09-22T18:00:00+08:00" in first.out
    assert "1 appeal(s) flagged" in first.err
    assert (second.out, "0 appeal(s) flagged" in second.err) == ("", True)

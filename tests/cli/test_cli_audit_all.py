"""`groupaudit audit-all`: one JSON document, JSON Lines, and --fail-on."""

from __future__ import annotations

import json

import pytest

from groupaudit.cli import EXIT_FINDINGS, EXIT_OK, main
from kit import TENANT

GROUPS = ["grp-company", "grp-mgmt", "grp-weekly", "grp-ops-vip", "grp-proj-xinghe", "grp-rd", "grp-sales"]


def test_json_is_one_document_an_array_of_the_groups_reports(capsys):
    # WHEN the sample tenant is audited with --format json
    assert main(["audit-all", str(TENANT), "--format", "json"]) == EXIT_OK
    out = capsys.readouterr().out
    # THEN the whole of stdout is one JSON document: the seven reports, in file-name order
    reports = json.loads(out)
    assert [report["group_id"] for report in reports] == GROUPS
    assert sum(len(report["findings"]) for report in reports) == 30
    # AND each report is what `audit --format json` prints: the contract's fields
    assert all(
        set(report) >= {"audit_id", "tenant_id", "group_id", "audited_at", "rules_run", "findings"}
        for report in reports
    )
    assert "onboarding_gap" in reports[0]["rules_run"]  # the tenant-wide rules ran


def test_ndjson_prints_one_report_per_line(capsys):
    # GIVEN the array --format json prints
    main(["audit-all", str(TENANT), "--format", "json"])
    array = json.loads(capsys.readouterr().out)
    # WHEN --ndjson is asked
    assert main(["audit-all", str(TENANT), "--ndjson"]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    # THEN each line is one JSON report, the same reports in the same order
    assert len(lines) == 7
    assert [json.loads(line) for line in lines] == array


@pytest.mark.parametrize(
    ("threshold", "status"),
    [("info", EXIT_FINDINGS), ("violation", EXIT_FINDINGS), ("red_line", EXIT_FINDINGS)],
)
def test_fail_on_exits_1_when_any_group_has_a_finding_at_or_above_it(threshold, status, capsys):
    # GIVEN the sample tenant: info, warning and violation findings, and one red_line in sales
    # WHEN audited with --fail-on
    # THEN the exit status says whether any finding reached the threshold, the output is whole
    assert main(["audit-all", str(TENANT), "--format", "json", "--fail-on", threshold]) == status
    assert len(json.loads(capsys.readouterr().out)) == 7


def test_fail_on_a_clean_tenant_exits_0(tmp_path, capsys):
    # GIVEN a tenant folder holding only the clean weekly group
    (tmp_path / "snapshots").mkdir()
    weekly = next(p for p in (TENANT / "snapshots").glob("*.json") if '"grp-weekly"' in p.read_text())
    (tmp_path / "snapshots" / weekly.name).write_bytes(weekly.read_bytes())
    # WHEN audited with the lowest threshold
    assert main(["audit-all", str(tmp_path), "--fail-on", "info"]) == EXIT_OK
    assert "1 group(s) audited, 0 finding(s)." in capsys.readouterr().out


def test_an_unknown_severity_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        main(["audit-all", str(TENANT), "--fail-on", "severe"])
    assert done.value.code == 2
    assert "invalid choice: 'severe'" in capsys.readouterr().err

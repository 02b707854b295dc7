"""The public CLI: `groupaudit audit` and `groupaudit audit-all` on the sample tenant."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from groupaudit.cli import main
from groupaudit.engine import TENANT_WIDE
from groupaudit.service import load_local_inputs
from groupaudit.tenant import audit_tenant_folder
from groupaudit.tenantwide import with_tenant_rules
from kit import TENANT

SALES = TENANT / "snapshots" / "sales.json"
ARGS = [
    "--directory",
    str(TENANT / "directory.json"),
    "--policy",
    str(TENANT / "policy.yaml"),
    "--backups",
    str(TENANT / "backups"),
]
CORE_RULES = {"inactive_member", "stale_file", "overdue_reply", "unbacked_document"}
MEMBER_AND_FILE_RULES = {
    "name_format",
    "departed_member",
    "outsider_member",
    "group_governance",
    "file_naming",
}
MESSAGE_RULES = {"flooding", "prohibited_content", "pii_exposure", "off_hours_post"}
TENANT_WIDE_RULES = {"onboarding_gap"}
ALL_RULES = CORE_RULES | MEMBER_AND_FILE_RULES | MESSAGE_RULES | TENANT_WIDE_RULES


def _json_audit(capsys, snapshot: Path, *extra: str) -> dict:
    assert main(["audit", str(snapshot), *ARGS, "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_output_is_exactly_the_findings_object(capsys):
    # GIVEN the sales group of the sample tenant
    # WHEN audited with --format json
    report = _json_audit(capsys, SALES)
    # THEN stdout is the findings object of SNAPSHOT_FORMAT.md, field for field
    assert list(report) == [
        "audit_id",
        "tenant_id",
        "group_id",
        "audited_at",
        "rules_run",
        "rules_skipped",
        "findings",
    ]
    assert (report["tenant_id"], report["group_id"]) == ("acme", "grp-sales")
    assert report["audited_at"] == "2026-11-20T18:00:00+08:00"  # taken_at, no --now given
    assert report["rules_run"] == [
        "inactive_member",
        "stale_file",
        "overdue_reply",
        "unbacked_document",
        "name_format",
        "departed_member",
        "outsider_member",
        "group_governance",
        "file_naming",
        "flooding",
        "prohibited_content",
        "pii_exposure",
        "off_hours_post",
    ]
    assert report["rules_skipped"] == [{"rule": "onboarding_gap", "reason": TENANT_WIDE}]
    finding = next(f for f in report["findings"] if f["rule"] == "overdue_reply")
    assert list(finding) == [
        "id",
        "rule",
        "kind",
        "severity",
        "subject_id",
        "message_id",
        "file_id",
        "detected_at",
        "policy_ref",
        "summary",
        "evidence",
    ]
    assert finding["evidence"]["overdue_minutes"] == 25
    assert finding["detected_at"] == "2026-11-20T18:00:00+08:00"


def test_same_audit_twice_gives_the_same_ids(capsys):
    # GIVEN one snapshot audited twice
    first, second = _json_audit(capsys, SALES), _json_audit(capsys, SALES)
    # THEN audit id and finding ids are stable
    assert first["audit_id"] == second["audit_id"]
    assert [f["id"] for f in first["findings"]] == [f["id"] for f in second["findings"]]


def test_now_moves_the_audit_time(capsys):
    # GIVEN the sales group audited at 10:30, before the head's late reply at 10:45
    report = _json_audit(capsys, SALES, "--now", "2026-11-20T10:30:00+08:00")
    # THEN the question is overdue by 10 minutes with no reply yet
    (finding,) = [f for f in report["findings"] if f["rule"] == "overdue_reply"]
    assert (finding["evidence"]["overdue_minutes"], finding["evidence"]["replied_at"]) == (10, None)
    assert report["audited_at"] == "2026-11-20T10:30:00+08:00"


@pytest.mark.parametrize(
    ("snapshot", "threshold", "status"),
    [
        ("sales.json", "info", 1),
        ("sales.json", "violation", 1),
        ("sales.json", "red_line", 1),
        ("project-xinghe.json", "violation", 1),
        ("project-xinghe.json", "red_line", 0),
    ],
)
def test_fail_on_sets_the_exit_status(capsys, snapshot, threshold, status):
    # GIVEN the sales group, whose worst finding is a red line, and the project group, whose worst
    # is a violation
    # WHEN audited with --fail-on
    # THEN the exit status is 1 when a finding reaches the threshold
    assert main(["audit", str(TENANT / "snapshots" / snapshot), *ARGS, "--fail-on", threshold]) == status


def test_table_groups_findings_by_rule_with_counts(capsys):
    # GIVEN the sales group
    # WHEN audited as a table in English
    assert main(["audit", str(SALES), *ARGS, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    # THEN each rule is a section with its count, and the total is given
    assert "-- overdue_reply · Work questions and requests not answered in time · 1 finding(s)" in out
    assert "-- unbacked_document · Important documents without a verified backup · 2 finding(s)" in out
    assert "total: 9 finding(s) (red_line 1, violation 2, warning 3, info 3)" in out
    assert "overdue_minutes=25" in out


def test_bad_now_is_a_usage_error(capsys):
    # GIVEN a --now without an offset
    # WHEN run
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", str(SALES), "--now", "2026-11-20T10:30:00"])
    # THEN argparse refuses it with status 2 and says why
    assert exit_info.value.code == 2
    assert "has no UTC offset" in capsys.readouterr().err


def test_missing_snapshot_file_is_a_clear_error(capsys, tmp_path):
    # GIVEN a path that does not exist
    # WHEN audited
    status = main(["audit", str(tmp_path / "nope.json")])
    # THEN status 2, the path and the reason
    assert status == 2
    assert "snapshot file not found" in capsys.readouterr().err


def _tenant_results():
    """Every group of the sample tenant audited, the tenant-wide rules included (audit-all)."""
    inputs = load_local_inputs(TENANT / "policy.yaml", TENANT / "directory.json")
    results = audit_tenant_folder(TENANT)
    return with_tenant_rules(results, policies=inputs.policies, directory=inputs.directory)


def test_sample_tenant_fires_every_rule_and_has_a_clean_group():
    # GIVEN the sample tenant in events/
    # WHEN every group is audited, the tenant-wide rules included
    results = _tenant_results()
    # THEN there are at least six groups of different kinds, every rule fires, one group is clean
    kinds = {snapshot.group.kind for snapshot, _ in results}
    fired = {f.rule for _, report in results for f in report.findings}
    clean = [snapshot.group.id for snapshot, report in results if not report.findings]
    assert len(results) >= 6 and len(kinds) >= 6
    assert fired == ALL_RULES
    assert {f.kind for _, r in results for f in r.findings if f.rule == "overdue_reply"} == {
        "direct_question",
        "leader_request",
        "public_question",
        "mention",
    }
    assert clean == ["grp-weekly"]


def test_demo_command_prints_findings_and_notices(capsys):
    # GIVEN the sample tenant
    # WHEN `groupaudit audit-all` runs (what `make demo` runs)
    assert main(["audit-all", str(TENANT)]) == 0
    out = capsys.readouterr().out
    # THEN it prints each group's findings and the notice that would be posted, and a total
    assert out.count("== ") == 7
    assert "[群通知 → grp-sales]" in out
    assert "请以下成员及时处理：@销售部+李四 @销售部+刘强" in out
    assert "7 group(s) audited, 30 finding(s)." in out
    # AND the tenant-wide rule ran in every group, and told the company group's owner of the new hire
    assert out.count("onboarding_gap · ") == 2
    assert "新员工 林小雨（销售部，2026-11-12 入职，今天第 9 天）尚未加入公司总群，请群主将其拉入" in out


def test_installed_command_runs_as_a_process():
    # GIVEN the console script installed in the venv
    script = Path(sys.executable).parent / "groupaudit"
    # WHEN run on a snapshot
    done = subprocess.run(
        [str(script), "audit", str(SALES), *ARGS, "--format", "json"], capture_output=True, check=False
    )
    # THEN it succeeds and prints UTF-8 JSON
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout.decode("utf-8"))["group_id"] == "grp-sales"


def test_sample_tenant_member_and_file_findings_are_exactly_these():
    # GIVEN the sample tenant, with a nickname in management, a departed salesman still in the sales
    # group, a vendor in the project group created without authorisation, two undated sales plans
    results = audit_tenant_folder(TENANT)
    # WHEN the member and file rules' findings are listed
    facts = sorted(
        (report.group_id, f.rule, f.kind or "", f.subject_id, f.file_id or "", f.severity)
        for _, report in results
        for f in report.findings
        if f.rule in MEMBER_AND_FILE_RULES
    )
    # THEN they are exactly these, with the severities of POLICY_RULES.md
    assert facts == [
        ("grp-mgmt", "name_format", "form", "u-head-fin", "", "warning"),
        ("grp-proj-xinghe", "group_governance", "unauthorised_creator", "u-head-rd", "", "violation"),
        ("grp-proj-xinghe", "outsider_member", "", "ext-vendor-zhao", "", "violation"),
        ("grp-sales", "departed_member", "departed", "u-guo", "", "violation"),
        ("grp-sales", "file_naming", "missing_date", "f-sales-plan-v1", "f-sales-plan-v1", "info"),
        ("grp-sales", "file_naming", "missing_date", "f-sales-plan-v2", "f-sales-plan-v2", "info"),
    ]


def test_a_single_snapshot_audit_names_every_rule_as_run_or_skipped(capsys):
    # GIVEN the project group audited without a directory
    report = _json_audit(capsys, TENANT / "snapshots" / "project-xinghe.json", "--directory", "")
    # THEN every rule of the registry is either run or skipped with its reason
    named = set(report["rules_run"]) | {s["rule"] for s in report["rules_skipped"]}
    assert named == ALL_RULES
    assert {s["rule"]: s["reason"] for s in report["rules_skipped"]} == {
        "overdue_reply": "no directory: department-head deadlines (direct_question, leader_request, "
        "public_question) not checked; mention deadlines checked",
        "name_format": "no directory: directory department and name not compared; the 部门+姓名 form checked",
        "departed_member": "no directory",
        "outsider_member": "no directory",
        "group_governance": "no directory",
        "onboarding_gap": TENANT_WIDE,
    }


def test_sample_tenant_message_and_tenant_wide_findings_are_exactly_these():
    # GIVEN the sample tenant, with a sign-up call posted three times in the company group, an
    # advert from a customer, a mobile number in the project group, a post at 21:30 and an urgent
    # one at 22:40 in R&D, an insult in the sales group, and a 销售部 hire of 11-12 in neither the
    # company nor the sales group
    results = _tenant_results()
    # WHEN the message rules' and the tenant-wide rule's findings are listed
    facts = sorted(
        (report.group_id, f.rule, f.kind or "", f.subject_id, f.message_id or "", f.severity)
        for _, report in results
        for f in report.findings
        if f.rule in MESSAGE_RULES | TENANT_WIDE_RULES
    )
    # THEN they are exactly these: the urgent post and the customer's evening question are exempt
    assert facts == [
        ("grp-company", "flooding", "repeated", "u-chen", "grp-company-m004", "warning"),
        ("grp-company", "onboarding_gap", "company_group", "u-lin", "", "warning"),
        ("grp-ops-vip", "prohibited_content", "advertising", "ext-cust-2", "grp-ops-vip-m006", "violation"),
        ("grp-proj-xinghe", "pii_exposure", "", "u-li", "grp-proj-xinghe-m008", "violation"),
        ("grp-rd", "off_hours_post", "outside_hours", "u-wu", "grp-rd-m009", "info"),
        ("grp-sales", "onboarding_gap", "department_group", "u-lin", "", "warning"),
        ("grp-sales", "prohibited_content", "red_line", "u-li", "grp-sales-m012", "red_line"),
    ]
    # AND the mobile number is kept masked only
    (pii,) = [f for _, r in results for f in r.findings if f.rule == "pii_exposure"]
    assert pii.evidence["masked"] == ["139****5678"] and "13912345678" not in json.dumps(pii.evidence)

"""The registry carries everything about a rule: the engine, the notice, the pull window and
the policy read it from there; what the file rules share is the policy's `files` section."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from factories import audit, file, member, message, of_rule, policy, snapshot
from groupaudit.cli import main
from groupaudit.engine import TENANT_WIDE, AuditContext, run_audit
from groupaudit.errors import InputError
from groupaudit.loading import decode_snapshot
from groupaudit.policy import load_policy
from groupaudit.render import render_notice
from groupaudit.rules import REGISTRY, messages_lookback_days

UPLOADED = "2026-11-01T10:00:00+08:00"


def _parsed(snap):
    return decode_snapshot(json.dumps(snap).encode())


def test_the_files_section_decides_importance_for_both_file_rules():
    # GIVEN a superseded file named 立项书 with no backup, and a policy whose important names list 立项书
    snap = snapshot(
        files=[
            file("f1", "立项书v1.docx", UPLOADED, sha256="a" * 64, uploader_id="u1"),
            file("f2", "立项书v2.docx", "2026-11-02T10:00:00+08:00", sha256="b" * 64, uploader_id="u1"),
        ]
    )
    policies = policy(defaults={"files": {"important_name_patterns": ["立项书"]}})
    # WHEN audited with an empty backup store
    report = audit(snap, policies=policies, backups=set())
    # THEN unbacked_document flags both versions and stale_file says back up v1 before deleting it
    assert [f.subject_id for f in of_rule(report, "unbacked_document")] == ["f1", "f2"]
    (stale,) = of_rule(report, "stale_file")
    assert (stale.subject_id, stale.evidence["recommendation"]) == ("f1", "back_up_first")
    # AND with the built-in names the same files are not important
    default = audit(snap, backups=set())
    assert of_rule(default, "unbacked_document") == []
    assert of_rule(default, "stale_file")[0].evidence["recommendation"] == "delete"


def test_an_old_importance_key_under_unbacked_document_is_read_from_files_with_a_deprecation():
    # GIVEN a profile that still sets the size limit under rules.unbacked_document
    policies = policy(profiles={"project": {"rules": {"unbacked_document": {"important_min_bytes": 1000}}}})
    # WHEN resolving the project policy
    effective = policies.for_group("project")
    # THEN the value is the files section's, the others keep their defaults, and a deprecation names both keys
    assert effective.files.important_min_bytes == 1000
    assert policies.for_group("department").files.important_min_bytes == 5 * 1024 * 1024
    assert [(d.path, d.message) for d in policies.deprecations] == [
        (
            "profiles.project.rules.unbacked_document.important_min_bytes",
            "deprecated: moved to profiles.project.files.important_min_bytes; read from there",
        )
    ]


def test_an_old_key_and_its_new_key_in_one_layer_is_an_error():
    # GIVEN both the old and the new key in the defaults
    layer = {
        "files": {"important_min_bytes": 10},
        "rules": {"unbacked_document": {"important_min_bytes": 20}},
    }
    # WHEN parsed
    with pytest.raises(InputError) as error:
        policy(defaults=layer)
    # THEN it says which one to keep
    (problem,) = error.value.problems
    assert problem.path == "defaults.rules.unbacked_document.important_min_bytes"
    new = "defaults.files.important_min_bytes"
    assert problem.message == f"given twice: here and as {new} (keep {new})"


def test_policy_validate_warns_about_an_old_key(tmp_path, capsys):
    # GIVEN a policy file with the old key in its defaults
    path = tmp_path / "policy.yaml"
    path.write_text(
        "version: 1\ndefaults:\n  rules:\n    unbacked_document:\n      important_name_patterns: [合同]\n"
    )
    # WHEN validated
    status = main(["policy", "validate", str(path)])
    # THEN it is valid, with a warning on stderr naming the new key
    out, err = capsys.readouterr()
    assert status == 0 and "valid" in out
    assert err == (
        f"warning: {path}: defaults.rules.unbacked_document.important_name_patterns: "
        "deprecated: moved to defaults.files.important_name_patterns; read from there\n"
    )
    assert load_policy(path).for_group().files.important_name_patterns == ("合同",)


def _stale_snapshot():
    members = [member("u1", "研发部+钱七")]
    files = [
        file("f1", "值班表 2026-10.xlsx", UPLOADED, expires_at="2026-11-10T00:00:00+08:00", uploader_id="u1")
    ]
    return snapshot(members, [message("m1", "u1", "2026-11-20T10:00:00+08:00", "好")], files)


@pytest.mark.parametrize(
    ("notify", "in_notice"), [(None, True), ("all", True), ("above_info", False), ("none", False)]
)
def test_the_notify_setting_decides_whether_an_info_finding_is_in_the_notice(notify, in_notice):
    # GIVEN an expired file (a stale_file finding, severity info) and the rule's notify setting
    settings = {"stale_file": {"notify": notify}} if notify else None
    report = audit(_stale_snapshot(), policies=policy(settings))
    # WHEN the group notice is rendered
    notice = render_notice(report, _parsed(_stale_snapshot()))
    # THEN the finding is in the report either way, and in the notice only when the rule says so
    (finding,) = of_rule(report, "stale_file")
    assert finding.severity == "info"
    assert (finding.evidence.get("notice") != "report_only") is in_notice
    assert (notice is not None and ("stale_file", finding.id) in notice.findings) is in_notice


def test_a_warning_finding_stays_out_of_the_notice_with_notify_none():
    # GIVEN an inactive member (warning) and inactive_member set to notify none
    snap = snapshot([member("u1", "销售部+王五", joined_at="2026-01-01T09:00:00+08:00")])
    report = audit(snap, policies=policy({"inactive_member": {"notify": "none"}}))
    # WHEN the notice is rendered
    notice = render_notice(report, _parsed(snap))
    # THEN the finding is reported and nothing is posted
    assert [f.subject_id for f in of_rule(report, "inactive_member")] == ["u1"]
    assert notice is None


def test_a_tenant_wide_rule_is_listed_as_skipped_by_a_single_group_audit():
    # GIVEN a rule that runs over all of a tenant's groups
    spec = replace(REGISTRY["inactive_member"], id="inactive_member", tenant_wide=True)
    snap = _parsed(snapshot([member("u1")]))
    ctx = AuditContext(snapshot=snap, policy=policy().for_group(), now=snap.taken_at)
    # WHEN one snapshot is audited
    report = run_audit(ctx, rules=[spec])
    # THEN it did not run there, and the report says why
    assert report.rules_run == []
    assert [(s.rule, s.reason) for s in report.rules_skipped] == [("inactive_member", TENANT_WIDE)]


@pytest.mark.parametrize(
    ("settings", "days"),
    [
        (None, 90),
        ({"inactive_member": {"inactive_days": 120}}, 120),
        ({"stale_file": {"stale_file_days": 20}}, 30),
    ],
)
def test_the_message_lookback_is_the_longest_any_rule_needs(settings, days):
    # GIVEN a policy with the rules' thresholds
    effective = policy(settings).for_group()
    # WHEN asking how many days of messages the rules need
    # THEN it is the longest of inactive_days and stale_file_days
    assert messages_lookback_days(effective) == days


def test_version_markers_under_stale_file_are_read_from_files_with_a_deprecation():
    # GIVEN a group layer that sets version markers the old way
    policies = policy(groups={"grp-test": {"rules": {"stale_file": {"version_markers": ["草稿"]}}}})
    # THEN the group's files section has them, and the deprecation names the group layer
    assert policies.for_group("department", "grp-test").files.version_markers == ("草稿",)
    assert [d.path for d in policies.deprecations] == ["groups.grp-test.rules.stale_file.version_markers"]


def test_a_version_marker_that_is_no_regular_expression_is_refused_where_written():
    # GIVEN an unbalanced bracket in a marker
    with pytest.raises(InputError) as error:
        policy(defaults={"files": {"version_markers": ["v(2"]}})
    # THEN the key and the reason are named
    (problem,) = error.value.problems
    assert problem.path == "defaults.files.version_markers"
    assert problem.message.startswith("'v(2' is not a regular expression")


def test_the_built_in_profiles_come_from_the_rules():
    # GIVEN no policy file
    policies = policy()
    # THEN inactive_member is off in company groups and outsider_member in operations groups only
    assert policies.for_group("company").rule("inactive_member").enabled is False
    assert policies.for_group("operations").rule("outsider_member").enabled is False
    assert policies.for_group("project").rule("outsider_member").enabled is True

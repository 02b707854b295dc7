"""The report's order of findings: rule, subject, message, file, id (a missing message or file
sorts first), however the fields are set across a rule's findings."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from groupaudit.contracts import Finding
from groupaudit.engine import sorted_findings

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _finding(rule: str, subject: str, message: str | None, file: str | None, ident: str) -> Finding:
    return Finding(
        id=ident,
        rule=rule,
        kind=None,
        severity="info",
        subject_id=subject,
        message_id=message,
        file_id=file,
        detected_at=NOW,
        policy_ref="-",
        summary="-",
        evidence={},
    )


def test_findings_sort_by_rule_subject_message_file_and_id_whatever_is_missing():
    # GIVEN findings of one rule that always names a message, one that never does (files), and
    # one that names a message on some findings only, in a random order
    rng = random.Random(5)
    findings = []
    for n in range(300):
        subject, ident = f"u-{rng.randrange(5)}", f"{rng.randrange(10**6):06d}"
        findings.append(_finding("b_messages", subject, f"m-{rng.randrange(20)}", None, ident))
        findings.append(_finding("a_files", subject, None, f"f-{rng.randrange(20)}", ident))
        mixed = f"m-{rng.randrange(3)}" if n % 3 else None
        findings.append(_finding("c_mixed", subject, mixed, None, ident))
    rng.shuffle(findings)
    # WHEN sorted for the report
    ordered = sorted_findings(findings)
    # THEN the order is exactly that of the full key, a missing message or file as ""
    expected = sorted(
        findings, key=lambda f: (f.rule, f.subject_id, f.message_id or "", f.file_id or "", f.id)
    )
    assert [id(f) for f in ordered] == [id(f) for f in expected]
    assert [f.message_id for f in ordered if f.rule == "c_mixed"][:1] == [None]

"""base: finding ids and the detection time, value by value.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing").
"""

from __future__ import annotations

from datetime import datetime

from factories import audit, member, of_rule, snapshot
from groupaudit.rules.base import finding_id


def test_a_finding_id_is_fixed_and_a_missing_part_hashes_as_an_empty_one():
    # GIVEN a finding key with a missing part
    # THEN its id is the 32 hex characters it always was, the same as with an empty part (an id
    # that changes between versions re-opens every stored finding as new: appeals, first warnings
    # and notices lost, the same fact found twice)
    assert finding_id("t1", "g1", "overdue_reply", "m1", None) == "4a26bca7181ce615f395c0a326d65fbe"
    assert finding_id("t1", "g1", "overdue_reply", "m1", "") == "4a26bca7181ce615f395c0a326d65fbe"


def test_a_finding_is_detected_at_the_audit_moment():
    # GIVEN a nickname out of the department+name form, audited at 2026-11-20 09:30 Beijing time
    report = audit(snapshot([member("u-zhang", "小张")]), now="2026-11-20T09:30:00+08:00")
    # THEN its finding is dated by the audit moment (the report and the first-warning dates read it)
    (finding,) = of_rule(report, "name_format")
    assert finding.detected_at == datetime.fromisoformat("2026-11-20T09:30:00+08:00")

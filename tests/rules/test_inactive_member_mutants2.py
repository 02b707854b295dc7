"""inactive_member: the days a silence just over the limit shows, rounded once to a tenth.

Written against the mutants of the fresh `make mutate` run (after `_days` showed one tenth over
the limit) that the tests before left alive: each test names the wrong figure a surviving mutant
would show.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from factories import audit, member, message, of_rule, snapshot

NOW = "2026-11-20T18:00:00+08:00"  # the snapshot's time, the audit moment
LONG_AGO = "2025-01-01T09:00:00+08:00"


def _ago(delta: timedelta) -> str:
    return (datetime.fromisoformat(NOW) - delta).isoformat()


def test_a_silence_under_a_day_over_the_limit_shows_its_days_rounded_to_the_nearest_tenth():
    # GIVEN 张三, silent for 30 days 17 h 55 min (30.747 days), and 李四, silent for 30 days
    # 8 h 20 min (30.347 days), against the 30-day limit
    members = [
        member("u1", "销售部+张三", joined_at=LONG_AGO),
        member("u2", "销售部+李四", joined_at=LONG_AGO),
    ]
    messages = [
        message("m1", "u1", _ago(timedelta(days=30, hours=17, minutes=55)), "好的"),
        message("m2", "u2", _ago(timedelta(days=30, hours=8, minutes=20)), "收到"),
    ]
    # WHEN audited
    found = of_rule(audit(snapshot(members, messages)), "inactive_member")
    # THEN each shows its silence to the nearest tenth, 30.7 and 30.3 days: rounded to hundredths
    # first (30.75, 30.35) and then to tenths, it would read 30.8 and 30.4, longer than it is
    assert [(f.subject_id, f.summary) for f in found] == [
        ("u1", "销售部+张三 已 30.7 天未发言，超过上限 30 天，请及时参与群内交流"),
        ("u2", "销售部+李四 已 30.3 天未发言，超过上限 30 天，请及时参与群内交流"),
    ]
    assert [f.evidence["inactive_days"] for f in found] == [30, 30]

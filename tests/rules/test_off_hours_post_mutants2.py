"""off_hours_post: the cases the fresh mutation run of its shortcuts showed untested (times made
from parts kept per UTC hour, summaries split around the time; docs/BENCHMARKS.md, "Mutation
testing"). Each test's comment names the wrong finding the mutants it kills would cause."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from factories import audit, member, message, of_rule, policy, snapshot
from groupaudit.rules import off_hours_post
from groupaudit.rules.base import Summary, short_from_iso

ST_JOHNS = policy(defaults={"calendar": {"timezone": "America/St_Johns"}})


def _evidence_and_summaries(messages: list[dict[str, Any]], **kwargs: Any) -> list[tuple[Any, ...]]:
    snap = snapshot([member("u1", "销售部+张三")], messages)
    found = of_rule(audit(snap, **kwargs), "off_hours_post")
    return [(f.message_id, f.evidence, f.summary) for f in found]


def _night(kind: str, sent_at: str) -> dict[str, str]:
    return {"sent_at": sent_at, "when": kind, "notice": "report_only"}


def _at(at: str, why: str) -> str:
    return f"销售部+张三 于 {at}（{why}）发布了非紧急信息，非工作时间发布信息应谨慎"


def test_each_post_keeps_the_sender_s_clock_across_the_night_the_clocks_go_back():
    # GIVEN a St. John's company (UTC-02:30 in summer, -03:30 in winter; the clocks go back
    # at 02:00 on Sunday 2026-11-01, so 01:00-02:00 is lived twice, within one UTC hour) and
    # an export sorted by the local clock: a post at 05:00 on the Wednesday before, the
    # second 01:10 of that Sunday listed before the first 01:40 (which was sent earlier),
    # and a post at 22:00 on the Monday after
    messages = [
        message("m-1", "u1", "2026-10-28T05:00:00-02:30", "报价单已更新"),
        message("m-2", "u1", "2026-11-01T01:10:00-03:30", "周一的资料"),
        message("m-3", "u1", "2026-11-01T01:40:00-02:30", "明天见"),
        message("m-4", "u1", "2026-11-02T22:00:00-03:30", "会议纪要已上传"),
    ]
    # WHEN audited
    found = _evidence_and_summaries(messages, policies=ST_JOHNS)
    # THEN each evidence time and summary shows the offset and time the post was sent at.
    # Keeping one offset for the UTC hour of the change (taken after the change from the
    # first post seen in it, or the offset of 1970 taken for the hour's start) showed the
    # first 01:40 as 00:40-03:30; looking the hour up under the wrong key gave the Monday
    # post the Wednesday's summer offset, 23:00-02:30: evidence of a time nobody posted at
    assert found == [
        ("m-1", _night("outside_hours", "2026-10-28T05:00:00-02:30"), _at("10-28 05:00", "工作时间外")),
        ("m-2", _night("non_working_day", "2026-11-01T01:10:00-03:30"), _at("11-01 01:10", "非工作日")),
        ("m-3", _night("non_working_day", "2026-11-01T01:40:00-02:30"), _at("11-01 01:40", "非工作日")),
        ("m-4", _night("outside_hours", "2026-11-02T22:00:00-03:30"), _at("11-02 22:00", "工作时间外")),
    ]


@pytest.mark.parametrize(
    ("zone", "change"),
    [
        ("America/St_Johns", "1968-10-27T04:30:00+00:00"),  # back from -02:30 to -03:30
        ("Asia/Kolkata", "1945-10-14T17:30:00+00:00"),  # war time ends: +06:30 to +05:30
    ],
    ids=["st_johns_1968", "kolkata_1945"],
)
def test_a_utc_hour_holding_a_change_of_offset_before_1970_is_formatted_second_by_second(zone, change):
    # GIVEN a change of offset in the middle of a UTC hour before 1970 (no group's chat goes
    # back so far, so the times are formatted directly), and every 50 seconds of that hour,
    # in order, with the last second before the change and the change itself
    tz = ZoneInfo(zone)
    at = int(datetime.fromisoformat(change).timestamp())
    hour = at - at % 3600
    stamps = [float(second) for second in range(hour, hour + 3600, 50)] + [at - 1.0, float(at)]
    local_time = off_hours_post._LocalTimes(tz)
    # WHEN the rule formats them
    got = [local_time(ts) for ts in stamps]
    # THEN each is datetime's: comparing the hour's start with a moment outside the hour
    # (before it, for a time before 1970) kept the offset of before the change for the
    # whole hour, and put every post after it an hour (or so) off
    isos = [datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds") for ts in stamps]
    assert got == [(iso, short_from_iso(iso)) for iso in isos]
    offsets = {"America/St_Johns": {"-02:30", "-03:30"}, "Asia/Kolkata": {"+06:30", "+05:30"}}
    assert {iso[19:] for iso in isos} == offsets[zone]  # the hour does hold both


@pytest.mark.parametrize(
    ("lang", "zh", "en", "name", "summary"),
    [
        # an English template showing the time twice, once cut to the month, beside a plain
        # Chinese one: the time cannot be cut out of the English one
        (
            "en",
            "{name} 于 {at}（工作时间外）发布了非紧急信息",
            "{name} posted at {at} (month {at:.2}), outside working hours",
            "张三",
            "张三 posted at 11-20 07:30 (month 11), outside working hours",
        ),
        # the time before the name, and a name holding the time's stand-in
        (
            "zh",
            "{at}，{name} 在工作时间外发布了非紧急信息",
            "{at}: {name} posted outside working hours",
            "a\x00at\x00b",
            "11-20 07:30，a\x00at\x00b 在工作时间外发布了非紧急信息",
        ),
    ],
    ids=["an_english_template_cut_to_the_month", "the_time_before_a_name_holding_its_stand_in"],
)
def test_a_summary_the_time_cannot_be_cut_out_of_is_rendered_in_full(
    monkeypatch, lang, zh, en, name, summary
):
    # GIVEN a summary template of one of those shapes and a message at 07:30 on a Friday
    monkeypatch.setitem(off_hours_post.RULE.summaries, "outside_hours", Summary(zh=zh, en=en))
    messages = [message("m-1", "u1", "2026-11-20T07:30:00+08:00", "报价已发")]
    # WHEN off_hours_post judges it in the audit's language
    found = of_rule(audit(snapshot([member("u1", name)], messages), lang=lang), "off_hours_post")
    # THEN the summary is the template rendered. Checking the Chinese template in an English
    # audit, or letting a second `{at` field pass, put the stand-in's first two characters
    # for the month ("(month \x00a)"); cutting at the last stand-in instead of the first put
    # the stand-in where the time belongs and the time inside the name
    assert [f.summary for f in found] == [summary]

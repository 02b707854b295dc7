"""off_hours_post: non-urgent posts before 09:00, after 18:00 or on days off (info)."""

from __future__ import annotations

import pytest

from factories import audit, directory, member, message, of_rule, policy, snapshot

MEMBERS = [member("u1", "销售部+张三"), member("bot", "机器人", is_bot=True)]


def _off_hours(messages: list[dict], **kwargs) -> list:
    snap = snapshot(MEMBERS, messages, **kwargs.pop("group", {}))
    return of_rule(audit(snap, **kwargs), "off_hours_post")


def _one(sent_at: str, text: str = "客户资料已更新", **fields) -> list:
    return _off_hours([message("m-1", "u1", sent_at, text, **fields)])


@pytest.mark.parametrize(
    ("clock", "off"),
    [
        ("08:59:59", True),
        ("09:00:00", False),  # the working day starts
        ("09:00:01", False),
        ("12:30:00", False),  # the lunch break is not off hours
        ("17:59:59", False),
        ("18:00:00", False),  # the working day's end is still in it
        ("18:00:01", True),
    ],
)
def test_the_working_day_runs_from_its_start_to_its_end(clock, off):
    # GIVEN a message on Thursday 2026-11-19 at `clock`
    found = _one(f"2026-11-19T{clock}+08:00")
    # THEN it is off hours only before 09:00 or after 18:00
    assert [(f.message_id, f.kind, f.severity) for f in found] == (
        [("m-1", "outside_hours", "info")] if off else []
    )


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        ("2026-11-15", "non_working_day"),  # a Sunday
        ("2026-10-01", "non_working_day"),  # National Day
        ("2026-10-10", None),  # a Saturday worked in exchange (调休)
        ("2026-09-20", None),  # a Sunday worked in exchange
    ],
)
def test_days_off_follow_the_business_calendar(day, kind):
    # GIVEN a message at 10:00 on `day`
    found = _one(f"{day}T10:00:00+08:00")
    # THEN a day off of the Chinese calendar is off hours, a make-up workday is not
    assert [f.kind for f in found] == ([kind] if kind else [])


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("紧急：服务器宕机", {}),
        ("这个需要加急处理", {}),
        ("URGENT: client is down", {}),
        ("客户明早来访", {"urgent": True}),
    ],
)
def test_urgent_messages_are_exempt(text, fields):
    # GIVEN an urgent message at 22:00
    # THEN no finding
    assert _one("2026-11-19T22:00:00+08:00", text, **fields) == []


def test_a_word_merely_containing_urgent_is_not_urgent():
    assert [f.kind for f in _one("2026-11-19T22:00:00+08:00", "insurgents in the film")] == ["outside_hours"]


def test_bots_system_events_customers_and_non_employees_are_not_flagged():
    # GIVEN night-time messages of a bot, a system event, an allowed external, and someone not in
    # the directory, and one of an employee
    messages = [
        message("m-1", "bot", "2026-11-19T22:00:00+08:00", "【日报】"),
        message("m-2", "u1", "2026-11-19T22:01:00+08:00", "张三 加入了群聊", type="system"),
        message("m-3", "ext-1", "2026-11-19T22:02:00+08:00", "请问发货了吗"),
        message("m-4", "u-temp", "2026-11-19T22:03:00+08:00", "收到"),
        message("m-5", "u1", "2026-11-19T22:04:00+08:00", "好的"),
    ]
    directory_doc = directory([("u1", "销售部")], {"销售部": "u1"})
    found = _off_hours(messages, group={"allowed_external_ids": ["ext-1"]}, directory_doc=directory_doc)
    # THEN only the employee's message
    assert [f.message_id for f in found] == ["m-5"]


def test_working_hours_come_from_the_policy_calendar():
    # GIVEN working hours 08:00-20:00
    policies = policy(defaults={"calendar": {"working_hours": ["08:00-12:00", "13:00-20:00"]}})
    messages = [
        message("m-1", "u1", "2026-11-19T08:30:00+08:00", "早"),
        message("m-2", "u1", "2026-11-19T20:00:01+08:00", "晚"),
    ]
    # THEN 08:30 is working time and 20:00:01 is not
    assert [f.message_id for f in _off_hours(messages, policies=policies)] == ["m-2"]


def test_an_info_finding_stays_out_of_the_notice_unless_the_policy_says_so():
    # GIVEN a message at 07:00
    messages = [message("m-1", "u1", "2026-11-19T07:00:00+08:00", "早上好")]
    (default,) = _off_hours(messages)
    (notified,) = _off_hours(messages, policies=policy({"off_hours_post": {"notify": "all"}}))
    # THEN by default it is for the report only; with notify: all it goes into the notice
    assert default.evidence["notice"] == "report_only"
    assert "notice" not in notified.evidence


def test_summaries_in_both_languages():
    messages = [message("m-1", "u1", "2026-11-15T15:00:00+08:00", "周一的资料")]
    (zh,) = _off_hours(messages)
    (en,) = _off_hours(messages, lang="en")
    assert zh.summary == "销售部+张三 于 11-15 15:00（非工作日）发布了非紧急信息，非工作时间发布信息应谨慎"
    assert en.summary == "销售部+张三 posted a non-urgent message at 11-15 15:00, on a day off"
    assert zh.policy_ref == "000 三(三)2"


def test_a_message_at_a_day_s_end_does_not_stop_the_check_of_later_ones():
    # GIVEN a message at 18:00 sharp and one at 19:00 the same working day
    messages = [
        message("m-1", "u1", "2026-11-19T18:00:00+08:00", "今天辛苦了"),
        message("m-2", "u1", "2026-11-19T19:00:00+08:00", "明天的资料已上传"),
    ]
    # WHEN audited
    found = _off_hours(messages)
    # THEN the later one is found, with its time and the kind of off hours as evidence
    assert [(f.message_id, f.evidence) for f in found] == [
        ("m-2", {"sent_at": "2026-11-19T19:00:00+08:00", "when": "outside_hours", "notice": "report_only"})
    ]


def test_the_working_day_is_the_tenant_s_day_when_it_opens_before_utc_midnight_turns():
    # GIVEN working hours from 07:00 Beijing time (23:00 UTC the day before) and one message at 07:30
    policies = policy(defaults={"calendar": {"working_hours": ["07:00-18:00"]}})
    messages = [message("m-1", "u1", "2026-11-19T07:30:00+08:00", "早会资料已上传")]
    # WHEN audited
    # THEN it is in working hours: the day of the message is the tenant's 11-19, not UTC's 11-18
    assert _off_hours(messages, policies=policies) == []


def test_the_working_day_is_the_tenant_s_day_in_a_zone_behind_utc():
    # GIVEN a New York calendar working until 21:00 (02:00 UTC the next day) and a message at 20:30
    policies = policy(
        defaults={"calendar": {"timezone": "America/New_York", "working_hours": ["09:00-21:00"]}}
    )
    messages = [message("m-1", "u1", "2026-11-19T20:30:00-05:00", "report uploaded")]
    # WHEN audited
    # THEN it is in working hours: its day is New York's Thursday 11-19, not UTC's Friday 11-20
    assert _off_hours(messages, policies=policies) == []

"""overdue_reply: the four kinds, their deadlines in business time, and reply matching."""

from __future__ import annotations

import pytest

from factories import audit, directory, member, message, of_rule, policy, snapshot

# 销售部: head h-sales, staff u1/u2; 研发部: head h-rd; 行政中心: head h-admin; leader ceo.
DIRECTORY = directory(
    [
        ("u1", "销售部"),
        ("u2", "销售部"),
        ("h-sales", "销售部"),
        ("h-rd", "研发部"),
        ("r1", "研发部"),
        ("h-admin", "行政中心"),
        ("ceo", "总经办"),
    ],
    {"销售部": "h-sales", "研发部": "h-rd", "行政中心": "h-admin", "总经办": "ceo"},
    leaders=("ceo",),
)
MEMBERS = [member(pid) for pid in ("u1", "u2", "h-sales", "h-rd", "r1", "h-admin", "ceo")]


def _overdue(messages, now="2026-11-20T18:00:00+08:00", members=MEMBERS, directory_doc=DIRECTORY, **kw):
    report = audit(snapshot(members, messages), directory_doc=directory_doc, now=now, **kw)
    return of_rule(report, "overdue_reply")


QUESTION = message("q", "u1", "2026-11-20T10:00:00+08:00", "请问报价单模板在哪里？")


@pytest.mark.parametrize(
    ("reply_at", "overdue"),
    [("10:19", None), ("10:20", None), ("10:21", 1), ("10:45", 25)],
)
def test_direct_question_deadline_is_twenty_minutes_for_the_department_head(reply_at, overdue):
    # GIVEN an employee's question at 10:00 and the head's reply at `reply_at`
    reply = message("r", "h-sales", f"2026-11-20T{reply_at}:00+08:00", "在群文件里")
    # WHEN audited
    findings = _overdue([QUESTION, reply])
    # THEN only a reply after 10:20 is late, by the minutes past it
    if overdue is None:
        assert findings == []
    else:
        (finding,) = findings
        assert (finding.kind, finding.subject_id, finding.message_id) == ("direct_question", "h-sales", "q")
        assert finding.severity == "violation"
        assert finding.policy_ref == "003 第五章 1.1"
        assert finding.evidence["overdue_minutes"] == overdue
        assert finding.evidence["due_at"] == "2026-11-20T10:20:00+08:00"
        assert finding.evidence["replied_at"] == f"2026-11-20T{reply_at}:00+08:00"
        assert finding.evidence["recommended_sanction"]["points"] == -3


@pytest.mark.parametrize(("now", "overdue"), [("10:19", None), ("10:20", None), ("10:21", 1)])
def test_unanswered_question_is_overdue_one_minute_after_the_deadline(now, overdue):
    # GIVEN an unanswered question at 10:00
    # WHEN audited at `now`
    findings = _overdue([QUESTION], now=f"2026-11-20T{now}:00+08:00")
    # THEN it is overdue only after 10:20
    assert [f.evidence["overdue_minutes"] for f in findings] == ([] if overdue is None else [overdue])
    if findings:
        assert findings[0].evidence["replied_at"] is None


def test_friday_evening_question_answered_monday_morning_is_on_time():
    # GIVEN a question on Friday 17:50 and the head's answer on Monday 09:05
    question = message("q", "u1", "2026-11-13T17:50:00+08:00", "服务器扩容方案是否今天上线？")
    answer = message("a", "h-sales", "2026-11-16T09:05:00+08:00", "今天上线")
    # WHEN audited on the business clock, and on the wall clock
    business = _overdue([question, answer])
    wall = _overdue([question, answer], policies=policy({"overdue_reply": {"sla_clock": "wall"}}))
    # THEN the business clock ran 10 min on Friday and 5 on Monday; the wall clock ran on
    assert business == []
    (late,) = wall
    assert late.evidence["due_at"] == "2026-11-13T18:10:00+08:00"
    assert late.evidence["overdue_minutes"] == 2 * 24 * 60 + 14 * 60 + 55  # Fri 18:10 -> Mon 09:05
    assert late.evidence["sla_clock"] == "wall"


def test_friday_evening_question_unanswered_is_due_monday_morning():
    # GIVEN the same question never answered
    question = message("q", "u1", "2026-11-13T17:50:00+08:00", "服务器扩容方案是否今天上线？")
    # WHEN audited on Monday 09:11
    (finding,) = _overdue([question], now="2026-11-16T09:11:00+08:00")
    # THEN it fell due Monday 09:10
    assert finding.evidence["due_at"] == "2026-11-16T09:10:00+08:00"
    assert finding.evidence["overdue_minutes"] == 1


def test_lunch_break_stops_the_clock():
    # GIVEN a question at 11:50 answered at 13:39
    question = message("q", "u1", "2026-11-20T11:50:00+08:00", "方案怎么改？")
    answer = message("a", "h-sales", "2026-11-20T13:39:00+08:00", "找行政")
    # WHEN audited
    # THEN 10 minutes before lunch and 9 after are within 20
    assert _overdue([question, answer]) == []
    assert (
        _overdue([question], now="2026-11-20T13:41:00+08:00")[0].evidence["due_at"]
        == "2026-11-20T13:40:00+08:00"
    )


def test_question_during_national_day_is_due_after_the_holiday():
    # GIVEN a question on 2026-10-03 (holiday), unanswered
    question = message("q", "u1", "2026-10-03T10:00:00+08:00", "请问国庆后第一天几点开会？")
    # WHEN audited on 2026-10-08 at 09:30 and 09:21
    # THEN the clock starts on 10-08 09:00 (10-08 is a workday; 10-10 is a make-up workday)
    assert _overdue([question], now="2026-10-08T09:20:00+08:00") == []
    (finding,) = _overdue([question], now="2026-10-08T09:21:00+08:00")
    assert finding.evidence["due_at"] == "2026-10-08T09:20:00+08:00"


def test_question_before_a_make_up_workday_is_due_on_the_saturday():
    # GIVEN a question Friday 2026-02-13 17:55; Saturday 02-14 is a 调休 workday
    question = message("q", "u1", "2026-02-13T17:55:00+08:00", "年会物料到了吗")
    # WHEN audited that Saturday at 10:00
    (finding,) = _overdue([question], now="2026-02-14T10:00:00+08:00")
    # THEN it fell due Saturday 09:15
    assert finding.evidence["due_at"] == "2026-02-14T09:15:00+08:00"
    assert finding.evidence["overdue_minutes"] == 45


def test_question_mentioning_a_colleague_is_owed_by_the_colleague_alone():
    # GIVEN a question that @-mentions a colleague from another department
    question = message("q", "u1", "2026-11-20T10:00:00+08:00", "@r1 接口文档更新了吗", mentions=["r1"])
    # WHEN audited with nobody answering
    findings = _overdue([question])
    # THEN the colleague owes it within 20 minutes (003 第五章 1.1), not the asker's head
    assert [(f.subject_id, f.kind) for f in findings] == [("r1", "direct_question")]
    (finding,) = findings
    assert finding.evidence["marker"] == "吗"
    assert finding.evidence["owed_because"] == "addressed_by_mention"


def test_leader_request_is_owed_by_each_mentioned_head_within_thirty_minutes():
    # GIVEN the CEO @-mentions two heads with a problem report; one answers in 20 minutes
    request = message(
        "q",
        "ceo",
        "2026-11-20T09:30:00+08:00",
        "@h-sales @h-rd 客户投诉的问题今天处理",
        mentions=["h-sales", "h-rd"],
    )
    answer = message("a", "h-sales", "2026-11-20T09:50:00+08:00", "收到")
    # WHEN audited at 18:00
    (finding,) = _overdue([request, answer])
    # THEN the silent head is overdue from 10:00, lunch excluded
    assert (finding.kind, finding.subject_id) == ("leader_request", "h-rd")
    assert finding.policy_ref == "003 第五章 1.2"
    assert finding.evidence["overdue_minutes"] == 120 + 270


def test_department_head_can_raise_a_leader_request_too():
    # GIVEN a head's request to another head
    request = message("q", "h-sales", "2026-11-20T10:00:00+08:00", "@h-rd 请尽快确认接口", mentions=["h-rd"])
    # WHEN audited at 10:31
    (finding,) = _overdue([request], now="2026-11-20T10:31:00+08:00")
    # THEN it is a leader request with its 30-minute deadline
    assert (finding.kind, finding.evidence["deadline_minutes"], finding.evidence["overdue_minutes"]) == (
        "leader_request",
        30,
        1,
    )


def test_logistics_question_goes_to_the_admin_centre_head():
    # GIVEN a question about the shuttle bus
    question = message("q", "u1", "2026-11-20T14:00:00+08:00", "请问下周的班车时间表在哪里看？")
    # WHEN audited at 18:00
    (finding,) = _overdue([question])
    # THEN the 行政中心 head owes it within 30 minutes
    assert (finding.kind, finding.subject_id) == ("public_question", "h-admin")
    assert (finding.evidence["topic"], finding.evidence["marker"]) == ("班车", "？")
    assert finding.evidence["owed_because"] == "admin_topic"
    assert finding.evidence["overdue_minutes"] == 210


def test_question_with_no_owner_goes_to_the_admin_centre_head():
    # GIVEN an employee whose department head is not in the group
    members = [m for m in MEMBERS if m["id"] != "h-sales"]
    question = message("q", "u1", "2026-11-20T10:00:00+08:00", "明天的培训在几楼？")
    # WHEN audited
    (finding,) = _overdue([question], members=members)
    # THEN nobody else owns it, so the 行政中心 head does
    assert (finding.kind, finding.subject_id) == ("public_question", "h-admin")


def test_request_mentioning_a_member_has_a_four_hour_deadline():
    # GIVEN a request (not a question) @-mentioning a colleague at 10:00, unanswered
    request = message("q", "u1", "2026-11-20T10:00:00+08:00", "@u2 麻烦把合同扫描件发我", mentions=["u2"])
    # WHEN audited at 15:30 and at 15:31 (10:00 + 240 business minutes = 15:30)
    # THEN it is a mention finding of severity warning after 15:30
    assert _overdue([request], now="2026-11-20T15:30:00+08:00") == []
    (finding,) = _overdue([request], now="2026-11-20T15:31:00+08:00")
    assert (finding.kind, finding.severity, finding.subject_id) == ("mention", "warning", "u2")
    assert "recommended_sanction" not in finding.evidence


def test_without_a_directory_only_mentions_are_checked_and_the_report_says_so():
    # GIVEN a question to nobody in particular and a question @-mentioning u2
    messages = [
        message("q1", "u1", "2026-11-20T10:00:00+08:00", "报价单在哪里？"),
        message("q2", "u1", "2026-11-20T10:00:00+08:00", "@u2 合同寄出了吗？", mentions=["u2"]),
    ]
    # WHEN audited without a directory
    report = audit(snapshot(MEMBERS, messages))
    # THEN only the mention is judged, and the skipped part is listed with the reason
    findings = of_rule(report, "overdue_reply")
    assert [(f.kind, f.subject_id, f.message_id) for f in findings] == [("mention", "u2", "q2")]
    assert "overdue_reply" in report.rules_run
    (skipped,) = [s for s in report.rules_skipped if s.rule == "overdue_reply"]
    assert skipped.reason.startswith("no directory")
    assert "direct_question" in skipped.reason


def test_strict_matching_needs_a_quote_thread_or_mention():
    # GIVEN a question to the asker's head, the head's next message at 10:05, then a quoted
    # answer at 10:40
    question = message(
        "q", "u1", "2026-11-20T10:00:00+08:00", "@h-sales 验收报告什么时候出？", mentions=["h-sales"]
    )
    unrelated = message("x", "h-sales", "2026-11-20T10:05:00+08:00", "下午开评审会")
    quoted = message("a", "h-sales", "2026-11-20T10:40:00+08:00", "周五前", reply_to_id="q")
    strict = policy({"overdue_reply": {"reply_match": "strict"}})
    # WHEN audited leniently and strictly
    lenient_findings = _overdue([question, unrelated, quoted])
    strict_findings = _overdue([question, unrelated, quoted], policies=strict)
    # THEN only strict matching ignores the unrelated message
    assert lenient_findings == []
    (finding,) = strict_findings
    assert finding.evidence["reply_message_id"] == "a"
    assert finding.evidence["overdue_minutes"] == 20
    assert finding.evidence["reply_match"] == "strict"


@pytest.mark.parametrize(
    "answer_fields",
    [{"thread_id": "q"}, {"mentions": ["u1"]}, {"reply_to_id": "q"}],
    ids=["thread", "mention-of-asker", "quote"],
)
def test_strict_matching_accepts_threads_mentions_and_quotes(answer_fields):
    # GIVEN a question answered at 10:10 by a thread reply, an @-mention of the asker or a quote
    question = message("q", "u1", "2026-11-20T10:00:00+08:00", "合同寄出了吗？")
    answer = message("a", "h-sales", "2026-11-20T10:10:00+08:00", "寄了", **answer_fields)
    # WHEN audited strictly
    findings = _overdue([question, answer], policies=policy({"overdue_reply": {"reply_match": "strict"}}))
    # THEN it counts as a timely reply
    assert findings == []


def test_no_finding_when_the_responsible_person_is_the_asker():
    # GIVEN a head asking a question that mentions only themself
    question = message(
        "q", "h-sales", "2026-11-20T10:00:00+08:00", "@h-sales 这个是否需要审批？", mentions=["h-sales"]
    )
    # WHEN audited
    # THEN nobody owes an answer
    assert _overdue([question]) == []


def test_a_question_counts_once_per_responsible_person():
    # GIVEN the CEO asks a head a question (leader_request, direct_question and mention all apply)
    question = message("q", "ceo", "2026-11-20T10:00:00+08:00", "@h-rd 上线了吗？", mentions=["h-rd", "h-rd"])
    # WHEN audited
    findings = _overdue([question])
    # THEN one finding, of the strictest kind that applies first
    assert [(f.subject_id, f.kind) for f in findings] == [("h-rd", "leader_request")]


def test_bot_messages_and_bot_mentions_are_not_questions():
    # GIVEN a bot asking, and a question that mentions a bot
    members = [*MEMBERS, member("bot", is_bot=True)]
    messages = [
        message("q1", "bot", "2026-11-20T10:00:00+08:00", "今天的日报提交了吗？", mentions=["u1"]),
        message("q2", "u1", "2026-11-20T10:00:00+08:00", "@bot 天气怎么样？", mentions=["bot"]),
        message("a", "h-sales", "2026-11-20T10:05:00+08:00", "好"),
    ]
    # WHEN audited
    # THEN no finding
    assert _overdue(messages, members=members) == []


def test_a_bots_unanswered_question_to_a_member_is_owed_by_nobody():
    # GIVEN a bot @-ing a member with a question nobody answers all day
    members = [*MEMBERS, member("bot", is_bot=True)]
    ask = message("q1", "bot", "2026-11-20T10:00:00+08:00", "@u1 今天的日报提交了吗？", mentions=["u1"])
    # ... and a colleague's question after it, also unanswered
    later = message("q2", "u2", "2026-11-20T11:00:00+08:00", "@u1 周报写完了吗？", mentions=["u1"])
    # WHEN audited at the end of the day
    findings = _overdue([ask, later], members=members)
    # THEN only the colleague's question is owed: a bot's question is nobody's to answer, and
    # passing it over does not stop the check of the messages after it
    assert [(f.message_id, f.subject_id) for f in findings] == [("q2", "u1")]
    # (the same question from a colleague is owed by the member it @s)
    human = message("q1", "u2", "2026-11-20T10:00:00+08:00", "@u1 今天的日报提交了吗？", mentions=["u1"])
    assert [(f.subject_id, f.kind) for f in _overdue([human])] == [("u1", "direct_question")]


def test_english_summary_on_request():
    # GIVEN an unanswered question
    # WHEN audited in English at 10:45
    (finding,) = _overdue([QUESTION], now="2026-11-20T10:45:00+08:00", lang="en")
    # THEN the summary is English
    assert (
        finding.summary == "h-sales did not answer u1's question of 11-20 10:00 within 20 min "
        "(25 min overdue, no reply yet; by policy the asker's department head answers)"
    )


@pytest.mark.parametrize(
    ("now", "lang", "minutes", "late"),
    [
        ("2026-11-20T10:59:00+08:00", "zh", 39, "已逾期 39 分钟未回复"),
        ("2026-11-20T12:00:00+08:00", "zh", 100, "已逾期 1.7 个工作小时（100 工作分钟）未回复"),
        ("2026-11-23T11:30:00+08:00", "zh", 520, "已逾期 1.2 个工作日（520 工作分钟）未回复"),
        ("2026-11-20T10:59:00+08:00", "en", 39, "(39 min overdue, no reply yet;"),
        ("2026-11-20T12:00:00+08:00", "en", 100, "(1.7 working hours (100 working min) overdue,"),
        ("2026-11-23T11:30:00+08:00", "en", 520, "(1.2 working days (520 working min) overdue,"),
    ],
)
def test_summary_says_how_late_in_minutes_then_working_hours_then_working_days(now, lang, minutes, late):
    # GIVEN an employee's question on Friday 10:00, due 10:20, never answered
    # WHEN audited on the business clock (working days of 7.5 h) at `now`
    (finding,) = _overdue([QUESTION], now=now, lang=lang)
    # THEN the summary gives minutes under an hour, then working hours, then working days (the
    # exact working minutes beside them), and the evidence keeps the minutes
    assert late in finding.summary
    assert finding.evidence["overdue_minutes"] == minutes


def test_summary_on_the_wall_clock_counts_plain_hours_and_days():
    # GIVEN the same question, the wall clock, audited 2 days 3 hours after its deadline
    wall = policy({"overdue_reply": {"sla_clock": "wall"}})
    (finding,) = _overdue([QUESTION], now="2026-11-22T13:20:00+08:00", policies=wall)
    (english,) = _overdue([QUESTION], now="2026-11-20T13:20:00+08:00", policies=wall, lang="en")
    # THEN the days and hours are plain ones, with the minutes beside them
    assert finding.evidence["overdue_minutes"] == 2 * 24 * 60 + 180
    assert "已逾期 2.1 天（3060 分钟）未回复" in finding.summary
    assert "(3.0 h (180 min) overdue, no reply yet;" in english.summary

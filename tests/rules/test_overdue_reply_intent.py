"""overdue_reply on the policy's intent: who really owed the answer, what counts as the answer,
and what is a question — each case one of the mechanisms that made false findings on real
group conversations."""

from __future__ import annotations

import pytest

from factories import audit, member, message, of_rule, policy, school_directory, snapshot
from groupaudit.rules import questions as q
from groupaudit.rules.overdue_reply import OverdueReplyConfig

# 教务处 (a department): head h-jw 周主任, staff s1 张伟, s2 李娜; 行政中心: head h-admin 余敏,
# staff a2 张强; leader ceo 王总.
DIRECTORY = school_directory([{"id": "a2", "name": "张强", "department": "行政中心", "status": "active"}])
MEMBERS = [
    member("s1", "教务处+张伟"),
    member("s2", "影子"),  # a nickname, as real groups have
    member("h-jw", "教务处+周杰"),
    member("h-admin", "行政中心+余敏"),
    member("a2", "行政中心+张强"),
    member("ceo", "总经办+王刚"),
    member("bot", "机器人", is_bot=True),
]
AT = "2026-11-20T{}:00+08:00"  # a Friday


def _overdue(messages, now="2026-11-20T18:00:00+08:00", **kw):
    report = audit(snapshot(MEMBERS, messages), directory_doc=DIRECTORY, now=now, **kw)
    return of_rule(report, "overdue_reply")


def _pairs(findings):
    return sorted((f.message_id, f.subject_id, f.kind) for f in findings)


# --- who owes the answer ------------------------------------------------------------------


def test_question_opening_with_a_surname_and_title_is_owed_by_that_person_alone():
    # GIVEN s1 asks "余老师，…" about an administrative topic, and nobody answers
    question = message("q", "s1", AT.format("10:00"), "余老师，住宿费怎么交？")
    # WHEN audited
    (finding,) = _overdue([question])
    # THEN 余敏 alone owes it (an employee's addressed question: 20 min), not s1's head
    assert (finding.subject_id, finding.kind) == ("h-admin", "direct_question")
    assert finding.evidence["owed_because"] == "addressed_by_name"
    assert finding.evidence["addressed_as"] == "余老师"
    assert finding.evidence["deadline_minutes"] == 20


def test_question_opening_with_a_nickname_is_owed_by_that_member():
    # GIVEN s1 addresses the member shown as "影子" by name
    question = message("q", "s1", AT.format("10:00"), "影子 你那份推荐表交了吗")
    # WHEN audited
    findings = _overdue([question])
    # THEN only 影子 owes it
    assert _pairs(findings) == [("q", "s2", "direct_question")]


def test_ambiguous_surname_charges_nobody():
    # GIVEN "张老师" and two members named 张 (张伟, 张强)
    question = message("q", "s2", AT.format("10:00"), "张老师，明天的课表发了吗？")
    # WHEN audited
    # THEN the question is addressed to someone we cannot name: nobody is charged
    assert _overdue([question]) == []


def test_a_heads_question_to_an_employee_is_a_mention():
    # GIVEN the head @-mentions an employee with a question
    question = message("q", "h-jw", AT.format("10:00"), "@s1 成绩录入完成了吗？", mentions=["s1"])
    # WHEN audited at 13:50 (200 business minutes later) and at 18:00
    # THEN it is a mention with its 240-minute deadline, never a 20-minute direct question
    assert _overdue([question], now=AT.format("13:50")) == []
    (finding,) = _overdue([question])
    assert (finding.subject_id, finding.kind, finding.severity) == ("s1", "mention", "warning")
    assert "recommended_sanction" not in finding.evidence


def test_an_addressed_question_is_not_also_charged_to_the_askers_head():
    # GIVEN s1 @-mentions a colleague, and the colleague never answers
    question = message("q", "s1", AT.format("10:00"), "@s2 考试安排表在哪里？", mentions=["s2"])
    # WHEN audited
    # THEN the colleague alone owes it
    assert _pairs(_overdue([question])) == [("q", "s2", "direct_question")]


def test_a_heads_unaddressed_question_to_the_group_is_owed_by_nobody():
    # GIVEN the head asks the whole group, and nobody answers
    question = message("q", "h-jw", AT.format("10:00"), "这周的教学总结大家写好了吗？")
    # WHEN audited
    # THEN no one person is charged for a team's silence
    assert _overdue([question]) == []


@pytest.mark.parametrize("topic", ["住宿费", "注册", "考生号", "推荐表", "证明"])
def test_administrative_topics_go_to_the_admin_centre_head(topic):
    # GIVEN an employee's unaddressed question about an administrative topic
    question = message("q", "s1", AT.format("10:00"), f"请问{topic}的事情找谁办？")
    # WHEN audited
    (finding,) = _overdue([question])
    # THEN the 行政中心 head owes it, and the topic is the evidence
    assert (finding.subject_id, finding.kind, finding.evidence["topic"]) == (
        "h-admin",
        "public_question",
        topic,
    )


def test_social_question_is_owed_by_nobody():
    # GIVEN a question about lunch
    question = message("q", "s1", AT.format("11:30"), "中午吃饭去哪里？")
    # WHEN audited
    # THEN it is not a work question
    assert _overdue([question]) == []


# --- what counts as the answer --------------------------------------------------------


def test_question_owed_by_policy_is_settled_by_a_colleagues_timely_answer():
    # GIVEN s1's unaddressed question and a colleague's answer 4 minutes later
    question = message("q", "s1", AT.format("10:00"), "教学楼几点关门？")
    answer = message("a", "s2", AT.format("10:04"), "晚上十点，周末九点")
    # WHEN audited
    # THEN nobody is overdue: the question got answered in time
    assert _overdue([question, answer]) == []


def test_echoes_and_acknowledgements_are_not_answers():
    # GIVEN s1's question, then 同问 and 收到 from colleagues, then silence
    question = message("q", "s1", AT.format("10:00"), "期末考试的监考安排出来了吗？")
    echo = message("e", "s2", AT.format("10:01"), "同问+1")
    ack = message("k", "a2", AT.format("10:02"), "收到")
    # WHEN audited
    (finding,) = _overdue([question, echo, ack])
    # THEN the head still owes it
    assert (finding.subject_id, finding.kind, finding.evidence["replied_at"]) == (
        "h-jw",
        "direct_question",
        None,
    )


def test_a_colleagues_late_answer_is_named_in_the_evidence():
    # GIVEN s1's question answered by a colleague 30 minutes later, past the head's 20 minutes
    question = message("q", "s1", AT.format("10:00"), "期末考试的监考安排出来了吗？")
    answer = message("a", "s2", AT.format("10:30"), "出来了，在教务系统里")
    # WHEN audited
    (finding,) = _overdue([question, answer])
    # THEN the head is 10 minutes late, and the evidence names who answered
    assert finding.subject_id == "h-jw"
    assert (finding.evidence["answered_by"], finding.evidence["overdue_minutes"]) == ("s2", 10)
    assert "影子 晚 10 分钟才答复" in finding.summary


def test_addressed_question_needs_the_addressees_own_answer():
    # GIVEN s1 asks the head by @, a colleague answers at once
    question = message("q", "s1", AT.format("10:00"), "@h-jw 下周的排课能否调整？", mentions=["h-jw"])
    colleague = message("c", "s2", AT.format("10:02"), "应该可以的")
    # WHEN audited
    (finding,) = _overdue([question, colleague])
    # THEN the head still owes it (only their own answer counts)
    assert (finding.subject_id, finding.kind) == ("h-jw", "direct_question")


def test_lenient_matching_skips_the_addressees_messages_directed_elsewhere():
    # GIVEN s1 asks the head at 10:00; at 10:05 the head quotes someone else's message and
    # @-mentions another colleague; the real answer comes at 14:30
    other = message("o", "a2", AT.format("09:50"), "会议室周五有人用吗")
    question = message("q", "s1", AT.format("10:00"), "@h-jw 下周的排课能否调整？", mentions=["h-jw"])
    elsewhere_quote = message("x1", "h-jw", AT.format("10:05"), "周五下午有会", reply_to_id="o")
    elsewhere_at = message("x2", "h-jw", AT.format("10:06"), "@s2 把材料发我", mentions=["s2"])
    answer = message("a", "h-jw", AT.format("14:30"), "可以，我来调")
    # WHEN audited
    (finding,) = _overdue([other, question, elsewhere_quote, elsewhere_at, answer])
    # THEN the reply is the 14:30 one: 10:20 -> 14:30 is 160 business minutes past due
    assert finding.evidence["reply_message_id"] == "a"
    assert finding.evidence["overdue_minutes"] == 100 + 60


def test_lenient_matching_skips_the_addressees_messages_in_another_thread():
    # GIVEN s1 asks the head at 10:00; at 10:05 the head replies in another thread; the real
    # answer comes at 14:30
    root = message("t", "a2", AT.format("09:50"), "周五的会议室安排")
    question = message("q", "s1", AT.format("10:00"), "@h-jw 下周的排课能否调整？", mentions=["h-jw"])
    other_thread = message("x", "h-jw", AT.format("10:05"), "周五下午有会", thread_id="t")
    answer = message("a", "h-jw", AT.format("14:30"), "可以，我来调")
    # WHEN audited
    (finding,) = _overdue([root, question, other_thread, answer])
    # THEN the reply is the 14:30 one, not the message in the other thread
    assert (finding.evidence["reply_message_id"], finding.evidence["overdue_minutes"]) == ("a", 160)


def test_a_question_inside_a_thread_is_answered_inside_it():
    # GIVEN s1 asks the head inside a thread at 10:00; at 10:05 the head posts outside the
    # thread; at 14:30 the head answers in the thread
    root = message("t", "a2", AT.format("09:50"), "下周排课讨论")
    asked = "@h-jw 周三能否调整？"
    question = message("q", "s1", AT.format("10:00"), asked, mentions=["h-jw"], thread_id="t")
    outside = message("x", "h-jw", AT.format("10:05"), "大家下午好")
    answer = message("a", "h-jw", AT.format("14:30"), "可以，我来调", thread_id="t")
    # WHEN audited
    (finding,) = _overdue([root, question, outside, answer])
    # THEN the reply is the one in the thread
    assert (finding.evidence["reply_message_id"], finding.evidence["overdue_minutes"]) == ("a", 160)


# --- what is a question --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "不知道怎么写",
        "怎么了",
        "这个不怎么好用",
        "在哪里就到哪里",
        "？",
        "我明天申请一下",
        "有什么问题随时找我",
        "邀请函已发",
        "文件什么的都在群里",
    ],
)
def test_statements_with_question_words_are_not_questions(text):
    # GIVEN an employee's statement that contains a question word, unanswered
    # WHEN audited
    # THEN no finding
    assert _overdue([message("q", "s1", AT.format("10:00"), text)]) == []


@pytest.mark.parametrize(
    ("text", "marker"),
    [("报告写好了么", "么"), ("这张表要填什么", "什么"), ("实验室搞得怎样了", "怎样"), ("周五开会吗", "吗")],
)
def test_questions_without_a_question_mark_are_recognised(text, marker):
    # GIVEN an unanswered question with no question mark
    (finding,) = _overdue([message("q", "s1", AT.format("10:00"), text)])
    # THEN the asker's head owes it, and the evidence says what matched
    assert (finding.subject_id, finding.evidence["marker"]) == ("h-jw", marker)
    assert finding.evidence["question"] == text


def test_question_in_the_second_sentence_is_found():
    # GIVEN a statement, then a question, in one message
    text = "材料我已经整理好了。请问下一步交给谁"
    # WHEN audited
    (finding,) = _overdue([message("q", "s1", AT.format("10:00"), text)])
    # THEN the question is recognised by its marker
    assert finding.evidence["marker"] == "请问"


def test_request_word_inside_another_word_is_no_request():
    # GIVEN an @-mention with 申请 (not a request of the mentioned person) and one with 请
    statement = message("q1", "s1", AT.format("10:00"), "@s2 我已经申请了", mentions=["s2"])
    request = message("q2", "s1", AT.format("10:00"), "@s2 请把课表发我", mentions=["s2"])
    # WHEN audited
    # THEN only the real request is owed
    assert _pairs(_overdue([statement, request])) == [("q2", "s2", "mention")]


def test_strict_matching_still_ignores_unrelated_messages_of_the_addressee():
    # GIVEN the addressed head's next message is a plain statement, and strict matching
    question = message("q", "s1", AT.format("10:00"), "@h-jw 排课能否调整？", mentions=["h-jw"])
    plain = message("x", "h-jw", AT.format("10:05"), "我在开会")
    strict = policy({"overdue_reply": {"reply_match": "strict"}})
    # WHEN audited
    (finding,) = _overdue([question, plain], policies=strict)
    # THEN no reply is recorded
    assert finding.evidence["replied_at"] is None


# --- lessons from the labelled real corpora (docs/EVALUATION.md) -------------------------


def test_a_link_with_a_query_string_is_no_question():
    # GIVEN a message that is only a link with "?" in it
    link = message("q", "s1", AT.format("10:00"), "http://m.example.com/recommend.html?rcode=316C41R&info=b5")
    # WHEN audited
    # THEN nothing is owed
    assert _overdue([link]) == []


def test_a_reported_dialogue_is_not_the_sender_asking():
    # GIVEN a pasted exchange of two speakers, one of whom asks
    text = "半壁江山：你的梦想是什么？\nTeacher summer：像你一样能收女学员。"
    # WHEN audited
    # THEN it is not a question of the sender's
    assert _overdue([message("q", "s1", AT.format("10:00"), text)]) == []


def test_a_question_closing_the_senders_own_advert_is_part_of_it():
    # GIVEN an advert of many lines, and right after it "还有人没上车么"
    advert = message("ad", "s1", AT.format("10:00"), "内推来啦！\n1.登录官网投递\n2.填写内推码\n3.等待通知")
    closing = message("q", "s1", "2026-11-20T10:00:05+08:00", "还有人没上车么")
    # WHEN audited
    # THEN nobody owes an answer to the closing line
    assert _overdue([advert, closing]) == []


def test_an_advert_closing_line_after_chatter_is_skipped_alone():
    # GIVEN a colleague's greeting, then s1's advert and its closing line "还有人没上车么", and an
    # hour later s2's question to the head that nobody answers
    greeting = message("g", "s2", AT.format("09:59"), "早上好")
    advert = message("ad", "s1", AT.format("10:00"), "内推来啦！\n1.登录官网投递\n2.填写内推码\n3.等待通知")
    closing = message("q", "s1", "2026-11-20T10:00:05+08:00", "还有人没上车么")
    later = message("q2", "s2", AT.format("11:00"), "@h-jw 明天的监考表发了吗？", mentions=["h-jw"])
    # WHEN audited
    findings = _overdue([greeting, advert, closing, later])
    # THEN the closing line is part of the advert (the greeting before it is another sender's),
    # and skipping it does not stop the check: the later question is still owed by the head
    assert _pairs(findings) == [("q2", "h-jw", "direct_question")]


def test_adverts_pictures_and_overnight_chatter_do_not_answer_a_question():
    # GIVEN an evening question, an advert 2 hours later, a picture, and a greeting next morning
    question = message("q", "s1", "2026-11-19T20:30:00+08:00", "有没有申请过实习项目的同学？")
    advert = message("ad", "s2", "2026-11-19T22:47:00+08:00", "内推开始了\n1.时间\n2.对象\n3.方式")
    picture = message("p", "a2", "2026-11-19T22:50:00+08:00", "[图片]", type="image")
    greeting = message("g", "a2", "2026-11-20T08:23:00+08:00", "14级软院")
    # WHEN audited
    (finding,) = _overdue([question, advert, picture, greeting])
    # THEN the head still owes it
    assert (finding.subject_id, finding.evidence["replied_at"]) == ("h-jw", None)


def test_an_evening_question_answered_within_the_hour_is_answered():
    # GIVEN an evening question answered by a colleague 40 minutes later, no quote
    question = message("q", "s1", "2026-11-19T19:00:00+08:00", "明天的监考表发了吗？")
    answer = message("a", "s2", "2026-11-19T19:40:00+08:00", "发了，在邮箱里")
    # WHEN audited
    # THEN it was answered before the clock even started
    assert _overdue([question, answer]) == []


def test_one_answer_settles_one_of_two_questions_in_a_burst():
    # GIVEN two questions of one asker 50 s apart, and one answer
    first = message("q1", "s1", AT.format("16:49"), "今年有人去思科实习吗？")
    second = message("q2", "s1", "2026-11-20T16:49:50+08:00", "对那个项目挺感兴趣的，有什么需要准备的吗？")
    answer = message("a", "s2", AT.format("16:55"), "肯定有啊")
    # WHEN audited
    findings = _overdue([first, second, answer])
    # THEN the answer settles the first; the second is still owed
    assert _pairs(findings) == [("q2", "h-jw", "direct_question")]


def test_a_late_unrelated_message_of_the_addressee_is_not_shown_as_the_reply():
    # GIVEN a question to the head on Friday, and the head's next message on the next Wednesday
    question = message("q", "s1", AT.format("10:00"), "@h-jw 排课能否调整？", mentions=["h-jw"])
    days_later = message("x", "h-jw", "2026-11-25T10:00:00+08:00", "招聘信息见群文件")
    # WHEN audited that Wednesday evening
    (finding,) = _overdue([question, days_later], now="2026-11-25T18:00:00+08:00")
    # THEN no reply is claimed (it came more than a working day past the deadline)
    assert finding.evidence["replied_at"] is None


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Search in maps. What do y'all think about <https://example.com/map>", True),
        ("Can someone check the budget sheet before Monday", True),
        ("There is $61k for citizen engagement software (say what?)", False),
        ("can this interface track where all the Pokemons are? Asking for a friend", False),
        ("Will do", False),
    ],
)
def test_english_questions_are_read_per_sentence(text, asks):
    # GIVEN an English message of an employee, unanswered
    findings = _overdue([message("q", "s1", AT.format("10:00"), text)])
    # THEN only a real question is owed (by the asker's head)
    assert [f.subject_id for f in findings] == (["h-jw"] if asks else [])


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("这个方案是不是周五交", "不是"),
        ("会议室有没有投影", "没有"),
        ("不管是不是周五都要交", None),
        ("无论有没有空都来", None),
        ("could you check the budget sheet", "?"),
        ("Could you check the budget sheet", "?"),
        ("WHAT do we send to the client first", "?"),
        ("Pecan you check the sheet", None),
    ],
)
def test_the_question_cue_finds_a_not_a_forms_and_english_openers_in_any_case(text, marker):
    # GIVEN the built-in word lists
    lexicon = OverdueReplyConfig().lexicon
    # WHEN a text is searched for a question cue, then read sentence by sentence
    cued = lexicon.patterns.cue.search(text) is not None
    # THEN A-not-A forms (not after 不管/无论) and English openers (not inside a word) are cues,
    # and only those texts are questions
    assert (cued, q.question_marker(text, lexicon)) == (marker is not None, marker)

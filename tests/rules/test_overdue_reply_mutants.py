"""overdue_reply: the cases its mutation run showed untested (docs/BENCHMARKS.md, "Mutation
testing"). Each test's comment names the false or lost finding the mutant it kills would cause."""

from __future__ import annotations

import json
from datetime import datetime, time

import pytest

from factories import SCHOOL_DIRECTORY, audit, member, message, of_rule, policy, snapshot
from groupaudit.contracts import Message
from groupaudit.engine import AuditContext
from groupaudit.loading import decode_directory, decode_snapshot
from groupaudit.rules.overdue_reply import QuestionWalk, _excerpt, _lateness, _same_turn, _working_day_minutes

DIRECTORY = SCHOOL_DIRECTORY
MEMBERS = [
    member("s1", "教务处+张伟"),
    member("s2", "影子"),
    member("h-jw", "教务处+周杰"),
    member("h-admin", "行政中心+余敏"),
    member("ceo", "总经办+王刚"),
    member("bot", "机器人", is_bot=True),
]
AT = "2026-11-20T{}+08:00"  # a Friday
# s1's work question owed by policy (by the asker's head, 周杰): due at 10:20.
QUESTION = message("q", "s1", AT.format("10:00:00"), "请问报价单模板在哪里？")
STRICT = policy({"overdue_reply": {"reply_match": "strict"}})


def _overdue(messages, now=None, **kw):
    now = now or AT.format("18:00:00")
    report = audit(snapshot(MEMBERS, messages), directory_doc=DIRECTORY, now=now, **kw)
    return of_rule(report, "overdue_reply")


def _of_question(findings, question_id="q"):
    of = [f for f in findings if f.message_id == question_id]
    return [(f.subject_id, f.kind, f.evidence["reply_message_id"]) for f in of]


# --- what can answer a question owed by policy (lenient matching) -------------------------


@pytest.mark.parametrize("kind", ["image", "video", "voice", "link"])
def test_a_picture_video_voice_note_or_link_right_after_the_question_is_no_answer(kind):
    # GIVEN s1's question owed by 周杰, and s2 posting a captioned {kind} five minutes later
    shown = message("m", "s2", AT.format("10:05:00"), "模板在群文件里", type=kind)
    # WHEN audited
    findings = _overdue([QUESTION, shown])
    # THEN the head still owes the answer: taking what the rule cannot read for the answer
    # (or ignoring the caption's type) would lose the finding
    assert _of_question(findings) == [("h-jw", "direct_question", None)]


def test_a_file_shared_right_after_the_question_answers_it():
    # GIVEN s2 sharing a file five minutes after s1's question owed by policy
    shared = message("m", "s2", AT.format("10:05:00"), None, type="file")
    # WHEN audited
    findings = _overdue([QUESTION, shared])
    # THEN it is answered in time: not taking a prompt file for the answer would make a false
    # finding against 周杰
    assert _of_question(findings) == []


def test_a_file_shared_after_the_answer_gap_does_not_answer_it():
    # GIVEN s2 sharing a file 15 minutes after the question (past the 10-minute answer gap)
    shared = message("m", "s2", AT.format("10:15:00"), None, type="file")
    # WHEN audited
    findings = _overdue([QUESTION, shared])
    # THEN the head still owes it: taking any file, however late, for the answer would lose
    # the finding
    assert _of_question(findings) == [("h-jw", "direct_question", None)]


def test_an_announcement_right_after_the_question_is_no_answer():
    # GIVEN s2 posting a short announcement five minutes after the question
    notice = message("m", "s2", AT.format("10:05:00"), "模板在群文件里", type="notice")
    # WHEN audited
    findings = _overdue([QUESTION, notice])
    # THEN the head still owes it: an announcement taken for the answer loses the finding
    assert _of_question(findings) == [("h-jw", "direct_question", None)]


@pytest.mark.parametrize(("length", "answered"), [(200, True), (201, False)])
def test_a_text_of_200_characters_may_answer_and_a_longer_one_is_a_broadcast(length, answered):
    # GIVEN s2's text of `length` characters five minutes after the question
    text = ("在群文件里" * 41)[:length]
    reply = message("m", "s2", AT.format("10:05:00"), text)
    # WHEN audited
    findings = _overdue([QUESTION, reply])
    # THEN 200 characters answer (a false finding otherwise); 201 are a pasted broadcast (a
    # lost finding otherwise)
    assert _of_question(findings) == ([] if answered else [("h-jw", "direct_question", None)])


@pytest.mark.parametrize("text", ["顶", "是不是在群文件里？"])
def test_a_one_character_echo_or_a_question_back_is_no_answer(text):
    # GIVEN s2 replying with a bare echo ("顶") or a question of their own
    reply = message("m", "s2", AT.format("10:05:00"), text)
    # WHEN audited
    findings = _overdue([QUESTION, reply])
    # THEN s1's question is still owed by 周杰: either taken for the answer loses the finding
    assert _of_question(findings) == [("h-jw", "direct_question", None)]


@pytest.mark.parametrize(("at", "answered"), [("10:10:00", True), ("10:10:05", False)])
def test_an_answer_sharing_no_term_counts_only_within_the_answer_gap(at, answered):
    # GIVEN s2's text sharing no term with the question, 10 min or 10 min 5 s after it
    reply = message("m", "s2", AT.format(at), "问一下教务")
    # WHEN audited
    findings = _overdue([QUESTION, reply])
    # THEN at 10 minutes it answers (a false finding otherwise); after, it does not (a lost
    # finding otherwise)
    assert _of_question(findings) == ([] if answered else [("h-jw", "direct_question", None)])


@pytest.mark.parametrize(("at", "answered"), [("19:30:00", True), ("19:30:01", False)])
def test_an_evening_question_is_answered_by_a_message_within_the_hour(at, answered):
    # GIVEN s1's question at 18:30 on a Friday (the clock starts on Monday) and s2's text
    # sharing no term with it one hour (or one hour and a second) later
    question = message("q", "s1", AT.format("18:30:00"), "请问报价单模板在哪里？")
    reply = message("m", "s2", AT.format(at), "问一下教务")
    # WHEN audited on Monday after the deadline
    findings = _overdue([question, reply], now="2026-11-23T10:00:00+08:00")
    # THEN within the hour (the clock not yet started) it answers — a false finding otherwise;
    # past the hour it does not — a lost finding otherwise
    assert _of_question(findings) == ([] if answered else [("h-jw", "direct_question", None)])


# --- anyone's quote, thread reply or @ (strict matching) ----------------------------------


def test_a_colleague_s_quote_answers_a_question_owed_by_policy():
    # GIVEN s2 quoting s1's question five minutes later (strict matching)
    quote = message("m", "s2", AT.format("10:05:00"), "在群文件里", reply_to_id="q")
    # WHEN audited
    findings = _overdue([QUESTION, quote], policies=STRICT)
    # THEN it is answered: a colleague's quote not counted makes a false finding against 周杰
    assert _of_question(findings) == []


def test_a_colleague_s_mention_of_the_asker_answers_a_question_owed_by_policy():
    # GIVEN s2 @-ing s1 five minutes after the question (strict matching)
    mention = message("m", "s2", AT.format("10:05:00"), "@张伟 在群文件里", mentions=["s1"])
    # WHEN audited
    findings = _overdue([QUESTION, mention], policies=STRICT)
    # THEN it is answered: a false finding against 周杰 otherwise
    assert _of_question(findings) == []


def test_a_bot_s_quote_does_not_answer_a_question_owed_by_policy():
    # GIVEN only a bot quoting s1's question (strict matching)
    quote = message("m", "bot", AT.format("10:05:00"), "已记录", reply_to_id="q")
    # WHEN audited
    findings = _overdue([QUESTION, quote], policies=STRICT)
    # THEN the head still owes it: a bot's quote taken for the answer loses the finding
    assert _of_question(findings) == [("h-jw", "direct_question", None)]


def test_a_thread_reply_before_the_question_does_not_answer_it():
    # GIVEN a thread where s2 replied at 09:30, then s1 asks in that thread at 10:00, and
    # nobody replies after (strict matching)
    root = message("root", "h-jw", AT.format("09:00:00"), "本周报价讨论", thread_id="root")
    earlier = message("m", "s2", AT.format("09:30:00"), "在群文件里", thread_id="root")
    question = message("q", "s1", AT.format("10:00:00"), "请问报价单模板在哪里？", thread_id="root")
    # WHEN audited
    findings = _overdue([root, earlier, question], policies=STRICT)
    # THEN the head owes it: the earlier reply taken for its answer loses the finding
    assert _of_question(findings) == [("h-jw", "direct_question", None)]


# --- a leader's problem report and addressed requests -------------------------------------


def test_a_leader_s_mention_of_a_head_reporting_a_problem_is_a_leader_request():
    # GIVEN 王总 @-ing 周杰 about a problem, with no question or request word, unanswered
    report = message("q", "ceo", AT.format("10:00:00"), "@周杰 教务系统又报错了", mentions=["h-jw"])
    # WHEN audited
    (finding,) = _overdue([report])
    # THEN 周杰 owes it in 30 min, the problem word is the marker: without the problem words
    # the finding is lost, without its marker the evidence says nothing matched
    assert (finding.subject_id, finding.kind) == ("h-jw", "leader_request")
    assert finding.evidence["marker"] == "报错"
    assert finding.evidence["owed_because"] == "addressed_by_mention"
    assert finding.evidence["deadline_minutes"] == 30


def test_a_leader_s_request_by_name_to_a_head_records_the_marker_and_the_name():
    # GIVEN 王总 opening with 周杰's surname and title, asking for a report, unanswered
    request = message("q", "ceo", AT.format("10:00:00"), "周主任，请把本周的课表发我")
    # WHEN audited
    (finding,) = _overdue([request])
    # THEN a leader request, recorded with its request word and the name it opened with
    assert (finding.subject_id, finding.kind) == ("h-jw", "leader_request")
    assert finding.evidence["marker"] == "请"
    assert finding.evidence["owed_because"] == "addressed_by_name"
    assert finding.evidence["addressed_as"] == "周主任"


def test_a_request_by_name_to_a_colleague_records_the_marker_and_the_name():
    # GIVEN 周杰 (a head) asking s2 by their nickname for a form, unanswered
    request = message("q", "h-jw", AT.format("10:00:00"), "影子 麻烦把报名表交一下")
    # WHEN audited at 18:00 (the 240-minute mention deadline passed at 15:30)
    (finding,) = _overdue([request])
    # THEN a mention, recorded with its request word and the name it opened with (the
    # evidence's "why" otherwise says nothing of how s2 was addressed)
    assert (finding.subject_id, finding.kind) == ("s2", "mention")
    assert finding.evidence["marker"] == "麻烦"
    assert finding.evidence["addressed_as"] == "影子"
    assert "以称呼「影子」开头" in finding.summary


# --- one sender's turn --------------------------------------------------------------------


def _entry(message_id: str, sender: str, seconds: int) -> tuple[float, str, Message]:
    sent = datetime.fromisoformat(AT.format("10:00:00")).timestamp() + seconds
    return (sent, message_id, Message(id=message_id, sender_id=sender, sent_at=datetime.fromtimestamp(sent)))


@pytest.mark.parametrize(
    ("timeline", "same"),
    [
        ([("a", 0), ("a", 120), ("a", 240)], True),  # each 2 minutes after the one before
        ([("a", 0), ("a", 100), ("a", 200)], True),
        ([("a", 0), ("a", 121)], False),  # more than 2 minutes
        ([("a", 0), ("b", 10)], False),  # another sender, however close
        ([("a", 0), ("b", 10), ("a", 20)], False),  # another sender between
    ],
)
def test_one_turn_is_one_sender_s_messages_each_close_to_the_one_before(timeline, same):
    # GIVEN a timeline of (sender, seconds after 10:00)
    ordered = [_entry(f"m{i}", sender, at) for i, (sender, at) in enumerate(timeline)]
    # WHEN asked whether the first to the last are one turn
    # THEN only one sender's messages, each within 2 minutes of the one before, are: a turn
    # too wide hides a real question after an advert (a lost finding) or lets one answer
    # settle two separate questions; a turn too narrow makes an advert's closing line a
    # false finding
    assert _same_turn(ordered, 0, len(ordered) - 1) is same


# --- the finding: evidence, summary, sanction ----------------------------------------------


def test_the_evidence_of_a_question_answered_late_by_a_colleague_is_complete():
    # GIVEN s1's question owed by 周杰 and s2's answer on the same topic 30 minutes later
    late = message("m", "s2", AT.format("10:30:00"), "报价单模板在群文件里")
    # WHEN audited, in Chinese and in English
    (zh,) = _overdue([QUESTION, late])
    (en,) = _overdue([QUESTION, late], lang="en")
    # THEN the evidence names who asked, who owed, why, when and who answered (the report's
    # table and the notice read these keys); the summary says a colleague answered late
    assert zh.evidence == {
        "asker_id": "s1",
        "responsible_id": "h-jw",
        "owed_because": "asker_head",
        "addressed_as": None,
        "topic": None,
        "asked_at": "2026-11-20T10:00:00+08:00",
        "due_at": "2026-11-20T10:20:00+08:00",
        "replied_at": "2026-11-20T10:30:00+08:00",
        "reply_message_id": "m",
        "answered_by": "s2",
        "overdue_minutes": 10,
        "deadline_minutes": 20,
        "sla_clock": "business",
        "reply_match": "lenient",
        "marker": zh.evidence["marker"],
        "question": "请问报价单模板在哪里？",
        "recommended_sanction": {
            "sanction": "performance_points",
            "points": -3,
            "policy_ref": "003 第五章 2.3",
        },
    }
    assert zh.evidence["marker"]
    assert zh.summary == (
        "教务处+周杰 未在 20 分钟内回复 教务处+张伟 11-20 10:00 的提问（影子 晚 10 分钟才答复；"
        "按制度由提问人的部门负责人答复）"
    )
    assert en.summary == (
        "教务处+周杰 did not answer 教务处+张伟's question of 11-20 10:00 within 20 min "
        "(first answered by 影子, 10 min late; by policy the asker's department head answers)"
    )


def test_a_head_s_mention_request_carries_no_sanction_and_names_the_address_in_english():
    # GIVEN s1's request (no question) @-ing 余敏, a head, unanswered: due 15:30 (240 working
    # minutes), audited at 18:00
    request = message("q", "s1", AT.format("10:00:00"), "@余敏 麻烦盖个章", mentions=["h-admin"])
    # WHEN audited in English
    (finding,) = _overdue([request], lang="en")
    # THEN a mention, without the managers' sanction (a head's sanction for a mention would be
    # a false finding of a sanctionable delay), and the summary says why
    assert (finding.subject_id, finding.kind, finding.severity) == ("h-admin", "mention", "warning")
    assert "recommended_sanction" not in finding.evidence
    assert finding.summary.endswith(
        "(2.5 working hours (150 working min) overdue, no reply yet; the question @-mentioned them)"
    )


def test_an_employee_owing_a_direct_question_carries_no_sanction():
    # GIVEN s1 asking s2 (an employee) by nickname, unanswered
    question = message("q", "s1", AT.format("10:00:00"), "影子，报名表在哪里？")
    # WHEN audited in English
    (finding,) = _overdue([question], lang="en")
    # THEN s2 owes it in 20 min, with no managers' sanction (a false sanction otherwise), and
    # the summary quotes the name it opened with
    assert (finding.subject_id, finding.kind) == ("s2", "direct_question")
    assert "recommended_sanction" not in finding.evidence
    assert "the question opened with '影子'" in finding.summary


@pytest.mark.parametrize(
    "text",
    [
        "影子 麻烦看下 https://example.com/form 的表",
        "影子 麻烦看下 www.example.com 的表",
        "影子 麻烦发到 a@example.com",
    ],
)
def test_a_request_by_name_holding_a_link_or_an_address_is_owed_by_that_member(text):
    # GIVEN 周杰's request to s2 by nickname, holding a link or a mail address, unanswered
    request = message("q", "h-jw", AT.format("10:00:00"), text)
    # WHEN audited
    findings = _overdue([request])
    # THEN s2 owes it (read from the opening name): a lost finding otherwise
    shown = [(f.subject_id, f.kind, f.evidence["addressed_as"]) for f in findings]
    assert shown == [("s2", "mention", "影子")]


def test_a_question_after_many_short_messages_is_found():
    # GIVEN 40 one-character messages of s2's, then s1's question, unanswered
    chatter = [message(f"c{i}", "s2", f"2026-11-20T09:{i:02d}:00+08:00", "嗯") for i in range(40)]
    # WHEN audited
    findings = _overdue([*chatter, QUESTION])
    # THEN the question is found where it is: a question mapped to the wrong message is lost
    assert _of_question(findings) == [("h-jw", "direct_question", None)]


def test_a_request_by_name_after_a_cued_message_is_still_read():
    # GIVEN s1's question, then 周杰's request to s2 by nickname, neither answered (strict
    # matching: 周杰's request is not taken for his answer to s1)
    request = message("r", "h-jw", AT.format("10:01:00"), "影子 麻烦把报名表交一下")
    # WHEN audited
    findings = _overdue([QUESTION, request], policies=STRICT)
    # THEN both are owed: the request after another candidate is not dropped (a lost finding)
    assert sorted((f.message_id, f.subject_id) for f in findings) == [("q", "h-jw"), ("r", "s2")]


# --- what the finding shows ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("  回电 13812345678 或 12345，分机 1234  ", "回电 13********* 或 12***，分机 1234"),
        ("问" * 60, "问" * 60),
        ("问" * 61, "问" * 59 + "…"),
        (None, None),
    ],
)
def test_the_question_s_excerpt_masks_long_numbers_and_stops_at_60_characters(text, excerpt):
    # GIVEN a question's text  WHEN excerpted for the evidence
    # THEN numbers of five digits or more keep their first two (a phone or ID number copied
    # into the store otherwise), and a text over 60 characters is cut to 59 and "…"
    assert _excerpt(text) == excerpt


@pytest.mark.parametrize(
    ("minutes", "day", "lang", "shown"),
    [
        (59, None, "zh", "59 分钟"),
        (60, None, "zh", "1.0 小时（60 分钟）"),
        (1439, None, "en", "24.0 h (1439 min)"),
        (1440, None, "en", "1.0 days (1440 min)"),
        (1440, None, "zh", "1.0 天（1440 分钟）"),
        (449, 450, "en", "7.5 working hours (449 working min)"),
        (450, 450, "zh", "1.0 个工作日（450 工作分钟）"),
    ],
)
def test_lateness_reads_in_minutes_then_hours_then_days(minutes, day, lang, shown):
    # GIVEN minutes late  WHEN shown  THEN under an hour in minutes, under a day in hours,
    # then days (a wrong unit misstates how late the person was)
    assert _lateness(minutes, day, lang) == shown


def test_a_working_day_is_its_periods_added_up():
    # GIVEN working periods 09:15-12:30 and 13:30-18:00  WHEN their minutes are added
    # THEN 195 + 270 (a wrong day length misstates lateness in working days)
    assert _working_day_minutes([(time(9, 15), time(12, 30)), (time(13, 30), time(18, 0))]) == 465


# --- the person's own answer and the deadline --------------------------------------------


@pytest.mark.parametrize(("at", "replied"), [("17:20:00", True), ("17:21:00", False)])
def test_an_addressees_next_message_is_a_late_reply_up_to_a_working_day_past_the_deadline(at, replied):
    # GIVEN s1's question to s2 on Friday at 17:00 (due 17:20) and s2's next message on Monday
    # at `at` (450 working minutes after the deadline is Monday 17:20)
    question = message("q", "s1", AT.format("17:00:00"), "@影子 报名表在哪里？", mentions=["s2"])
    later = message("m", "s2", f"2026-11-23T{at}+08:00", "在教务处")
    # WHEN audited on Monday evening
    (finding,) = _overdue([question, later], now="2026-11-23T18:00:00+08:00")
    # THEN up to the horizon the message is the (late) reply; after it, there is no reply
    # (a reply lost, or one past the horizon taken for it, misstates the finding)
    assert finding.evidence["reply_message_id"] == ("m" if replied else None)


def test_an_addressees_mention_of_the_asker_answers_in_strict_matching():
    # GIVEN s1's question to s2 and s2 @-ing s1 five minutes later (strict matching)
    question = message("q", "s1", AT.format("10:00:00"), "@影子 报名表在哪里？", mentions=["s2"])
    mention = message("m", "s2", AT.format("10:05:00"), "@张伟 在教务处", mentions=["s1"])
    # WHEN audited
    findings = _overdue([question, mention], policies=STRICT)
    # THEN answered: a false finding against s2 otherwise
    assert findings == []


def test_an_addressees_thread_reply_before_the_question_does_not_answer_it():
    # GIVEN s2's reply in a thread at 09:30, then s1's question to s2 in that thread at 10:00
    root = message("root", "h-jw", AT.format("09:00:00"), "本周报名", thread_id="root")
    earlier = message("m", "s2", AT.format("09:30:00"), "在教务处", thread_id="root")
    asked = AT.format("10:00:00")
    question = message("q", "s1", asked, "@影子 报名表在哪里？", mentions=["s2"], thread_id="root")
    # WHEN audited (strict matching)
    findings = _overdue([root, earlier, question], policies=STRICT)
    # THEN s2 still owes it: the earlier reply taken for the answer loses the finding
    assert _of_question(findings) == [("s2", "direct_question", None)]


def test_a_colleague_s_answer_at_the_deadline_in_working_time_is_on_time():
    # GIVEN s1's question at 11:50 (due 13:40: lunch is not working time) and s2's answer on
    # the topic at 13:40, 110 wall minutes later
    question = message("q", "s1", AT.format("11:50:00"), "请问报价单模板在哪里？")
    answer = message("m", "s2", AT.format("13:40:00"), "报价单模板在群文件里")
    # WHEN audited
    findings = _overdue([question, answer])
    # THEN in time: a false finding "0 minutes late" against 周杰 otherwise
    assert findings == []


def test_a_question_whose_asker_s_head_is_not_in_the_group_is_owed_by_the_admin_head():
    # GIVEN a group without 周杰, and s1's unanswered question
    members = [m for m in MEMBERS if m["id"] != "h-jw"]
    report = audit(snapshot(members, [QUESTION]), directory_doc=DIRECTORY, now=AT.format("18:00:00"))
    # WHEN audited
    (finding,) = of_rule(report, "overdue_reply")
    # THEN 余敏 owes it, the evidence says why and what made it a question
    assert (finding.subject_id, finding.kind) == ("h-admin", "public_question")
    assert finding.evidence["owed_because"] == "no_other_owner"
    assert finding.evidence["marker"] == "？"


def _walk(messages, policies=None):
    parsed = decode_snapshot(json.dumps(snapshot(MEMBERS, messages), ensure_ascii=False).encode())
    policies = policies or policy()
    ctx = AuditContext(
        snapshot=parsed,
        policy=policies.for_group(parsed.group.kind, parsed.group.id),
        now=datetime.fromisoformat(AT.format("18:00:00")),
        directory=decode_directory(json.dumps(DIRECTORY).encode()),
    )
    return QuestionWalk(ctx, ctx.policy.rule("overdue_reply"))


@pytest.mark.parametrize("strict", [False, True])
def test_each_answer_of_the_walk_holds_its_place_deadline_and_times(strict):
    # GIVEN a chat line, then s1's question answered by 周杰's quote in time, then s2's question
    # left unanswered (strict: only the quote answers; lenient: 周杰's next message)
    chat = message("c", "s2", AT.format("09:00:00"), "早")
    answer = message("a", "h-jw", AT.format("10:05:00"), "在群文件里", reply_to_id="q")
    unanswered = message("q2", "s2", AT.format("11:00:00"), "请问课表在哪里？")
    # WHEN walked as the rule and the monthly report walk it
    answers = list(_walk([chat, QUESTION, answer, unanswered], STRICT if strict else None).answers())
    # THEN each answer holds the question's place, the deadline and the clock positions the
    # report's figures count (wrong ones misstate every figure)
    first, second = answers
    assert (first.position, first.deadline, first.due - first.asked, first.reply[1], first.on_time) == (
        1,
        1200,
        1200,
        "a",
        True,
    )
    assert (second.position, second.deadline, second.due - second.asked, second.reply, second.on_time) == (
        3,
        1200,
        1200,
        None,
        False,
    )
    assert first.asked < first.due < second.asked


def test_members_listed_after_a_bot_can_be_addressed_by_name_and_by_their_directory_name():
    # GIVEN the bot listed first, and 周杰's request to s2 by their directory name 李娜 (their
    # display name is the nickname 影子)
    members = [MEMBERS[-1], *MEMBERS[:-1]]
    request = message("q", "h-jw", AT.format("10:00:00"), "李娜，麻烦把报名表交一下")
    report = audit(snapshot(members, [request]), directory_doc=DIRECTORY, now=AT.format("18:00:00"))
    # WHEN audited
    findings = of_rule(report, "overdue_reply")
    # THEN s2 owes it: names after a bot, or the directory's names, not indexed lose the finding
    assert [(f.subject_id, f.evidence["addressed_as"]) for f in findings] == [("s2", "李娜")]


@pytest.mark.parametrize(("echoes", "answered"), [(4, True), (5, False)])
def test_a_question_owed_by_policy_is_answered_only_within_the_next_five_messages(echoes, answered):
    # GIVEN `echoes` bare echoes by s2 right after s1's question, then 周杰's colleague's answer
    said = [message(f"e{i}", "s2", AT.format(f"10:0{i + 1}:00"), "顶") for i in range(echoes)]
    answer = message("m", "ceo", AT.format("10:08:00"), "报价单模板在群文件里")
    # WHEN audited (the answer window holds 5 messages of others)
    findings = _overdue([QUESTION, *said, answer])
    # THEN the fifth message may answer (a false finding otherwise); the sixth may not (a
    # finding lost to a message far down the conversation otherwise)
    assert _of_question(findings) == ([] if answered else [("h-jw", "direct_question", None)])


@pytest.mark.parametrize("sender", ["s1", "bot"])
def test_the_asker_s_own_or_a_bot_s_next_message_is_no_answer(sender):
    # GIVEN s1's question and, two minutes later, a text by the asker or by a bot
    follow = message("m", sender, AT.format("10:02:00"), "报价单模板急用")
    # WHEN audited
    findings = _overdue([QUESTION, follow])
    # THEN 周杰 still owes the answer: either taken for it loses the finding
    assert _of_question(findings) == [("h-jw", "direct_question", None)]


def test_a_bot_s_mention_of_the_asker_does_not_answer_a_question_owed_by_policy():
    # GIVEN only a bot @-ing s1 after the question (strict matching)
    mention = message("m", "bot", AT.format("10:05:00"), "@张伟 已收到", mentions=["s1"])
    # WHEN audited
    findings = _overdue([QUESTION, mention], policies=STRICT)
    # THEN 周杰 still owes it: a bot's @ taken for the answer loses the finding
    assert _of_question(findings) == [("h-jw", "direct_question", None)]


ASKED_S2 = message("q", "s1", AT.format("10:00:00"), "@影子 报名表在哪里？", mentions=["s2"])


def test_an_addressees_plain_next_message_answers_the_question():
    # GIVEN s1's question @-ing s2 and s2's plain message five minutes later
    reply = message("m", "s2", AT.format("10:05:00"), "在教务处")
    # WHEN audited
    findings = _overdue([ASKED_S2, reply])
    # THEN answered (lenient matching): a false finding against s2 otherwise
    assert findings == []


def test_an_addressees_plain_message_answers_a_question_that_opens_its_own_thread():
    # GIVEN s1's question heading its own thread (thread_id = its id) and s2's plain message
    question = message(
        "q", "s1", AT.format("10:00:00"), "@影子 报名表在哪里？", mentions=["s2"], thread_id="q"
    )
    reply = message("m", "s2", AT.format("10:05:00"), "在教务处")
    # WHEN audited
    findings = _overdue([question, reply])
    # THEN answered: the question is not inside another thread (a false finding otherwise)
    assert findings == []


def test_an_addressees_quote_of_the_asker_s_follow_up_answers_the_question():
    # GIVEN s1's question to s2, s1's follow-up a minute later, and s2 quoting the follow-up
    follow = message("f", "s1", AT.format("10:01:00"), "急用")
    reply = message("m", "s2", AT.format("10:05:00"), "在教务处", reply_to_id="f")
    # WHEN audited
    findings = _overdue([ASKED_S2, follow, reply])
    # THEN answered: a quote of the asker's own message is not "elsewhere" (a false finding
    # against s2 otherwise)
    assert _of_question(findings) == []


def test_the_summary_of_the_owers_own_late_reply_says_they_replied_late():
    # GIVEN 周杰 quoting s1's question 30 minutes after it (10 minutes late)
    late = message("m", "h-jw", AT.format("10:30:00"), "在群文件里", reply_to_id="q")
    # WHEN audited in English
    (finding,) = _overdue([QUESTION, late], lang="en")
    # THEN the summary says he replied late, not that somebody else answered first
    assert "(replied 10 min late; by policy the asker's department head answers)" in finding.summary
    assert finding.evidence["answered_by"] == "h-jw"


def test_a_request_by_name_after_a_text_opening_like_a_name_is_still_read():
    # GIVEN s2's "周末愉快" (it opens with 周杰's surname but asks nothing), then 周杰's request
    # to s2 by nickname, unanswered
    chat = message("c", "s2", AT.format("09:00:00"), "周末愉快")
    request = message("q", "h-jw", AT.format("10:00:00"), "影子 麻烦把报名表交一下")
    # WHEN audited
    findings = _overdue([chat, request])
    # THEN s2 owes the request: the scan stopping at the first text that asks nothing loses it
    assert [(f.message_id, f.subject_id) for f in findings] == [("q", "s2")]

"""overdue_reply: whether each question was answered in time (``_Judge``: the person's own answer,
anyone's answer to a question owed by policy, the deadline, the finding's words) — the cases the
re-run of its mutation test showed untested (docs/BENCHMARKS.md, "Mutation testing"). Each
test's comment names the false or lost finding the mutant it kills would cause. Two of them
showed real bugs of the rule, fixed with them: a burst's third question taking the first one's
answer again, and the addressee's later message recorded as their answer where their own quote
came first."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from factories import SCHOOL_DIRECTORY, audit, member, message, of_rule, policy, snapshot
from groupaudit.engine import AuditContext
from groupaudit.loading import decode_directory, decode_snapshot
from groupaudit.rules.overdue_reply import Answer, QuestionWalk

DIRECTORY = SCHOOL_DIRECTORY
MEMBERS = [
    member("s1", "教务处+张伟"),
    member("s2", "影子"),
    member("h-jw", "教务处+周杰"),
    member("h-admin", "行政中心+余敏"),
    member("ceo", "总经办+王刚"),
]
AT = "2026-11-20T{}+08:00"  # a Friday
EVENING = AT.format("18:00:00")
STRICT = policy({"overdue_reply": {"reply_match": "strict"}})
SANCTION = {"sanction": "performance_points", "points": -3, "policy_ref": "003 第五章 2.3"}


def _overdue(messages, **kw):
    report = audit(snapshot(MEMBERS, messages), directory_doc=DIRECTORY, now=EVENING, **kw)
    return sorted(of_rule(report, "overdue_reply"), key=lambda f: f.message_id)


def _answers(messages) -> list[Answer]:
    """The walk's answers (the monthly report's figures read each one), audited at 18:00."""
    parsed = decode_snapshot(json.dumps(snapshot(MEMBERS, messages), ensure_ascii=False).encode())
    ctx = AuditContext(
        snapshot=parsed,
        policy=policy().for_group(parsed.group.kind, parsed.group.id),
        now=datetime.fromisoformat(EVENING),
        directory=decode_directory(json.dumps(DIRECTORY).encode()),
    )
    return list(QuestionWalk(ctx, ctx.policy.rule("overdue_reply")).answers(not_due=True))


# --- the finding's words -------------------------------------------------------------------


def test_each_late_owner_s_finding_names_them_and_why_they_owed_it():
    # GIVEN s1's question owed by their head 周杰, then s2's question about 报销 (an
    # administrative topic) owed by 余敏, neither answered
    first = message("q1", "s1", AT.format("10:00:00"), "请问报价单模板在哪里？")
    second = message("q2", "s2", AT.format("10:30:00"), "报销单找谁签字？")
    # WHEN audited at 18:00
    findings = _overdue([first, second])
    # THEN each finding names its own owner and its own reason: with one cache slot for every
    # owner (or every reason), 余敏's finding would name 周杰 (or cite the asker's head)
    assert [(f.subject_id, f.kind, f.summary) for f in findings] == [
        (
            "h-jw",
            "direct_question",
            "教务处+周杰 未在 20 分钟内回复 教务处+张伟 11-20 10:00 的提问（已逾期 6.2 个工作小时"
            "（370 工作分钟）未回复；按制度由提问人的部门负责人答复）",
        ),
        (
            "h-admin",
            "public_question",
            "行政中心+余敏 未在 30 分钟内回复 影子 11-20 10:30 的提问（已逾期 5.5 个工作小时"
            "（330 工作分钟）未回复；行政事务（报销）按制度由行政中心负责人答复）",
        ),
    ]
    assert [(f.evidence["topic"], f.evidence["recommended_sanction"]) for f in findings] == [
        (None, SANCTION),
        ("报销", SANCTION),
    ]


# --- the deadline ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply_fields", "policies"),
    [
        ({}, None),  # lenient: the head's plain next message
        ({"reply_to_id": "q"}, STRICT),  # strict: only the head's quote answers
    ],
)
def test_the_owners_own_answer_at_the_deadline_after_lunch_is_on_time(reply_fields, policies):
    # GIVEN s1's question at 11:50, owed by 周杰 and due at 13:40 (lunch is not working time),
    # and 周杰's answer at 13:40: 110 wall minutes later, 20 working minutes
    question = message("q", "s1", AT.format("11:50:00"), "请问报价单模板在哪里？")
    answer = message("a", "h-jw", AT.format("13:40:00"), "在群文件里", **reply_fields)
    # WHEN audited
    findings = _overdue([question, answer], policies=policies)
    # THEN on time: the working clock's "by the due position" read as "before it" (or the two
    # in-time tests both required) makes a false finding "回复晚了 0 分钟" against 周杰
    assert findings == []


# --- anyone's answer to a question owed by policy ----------------------------------------------


def test_a_colleague_s_quote_after_five_other_messages_still_answers_a_question_owed_by_policy():
    # GIVEN s1's question owed by 周杰, five bare echoes by s2 (the whole answer window of
    # plain messages), then 王总 quoting the question at 10:08
    question = message("q", "s1", AT.format("10:00:00"), "请问报价单模板在哪里？")
    echoes = [message(f"e{i}", "s2", AT.format(f"10:0{i + 1}:00"), "顶") for i in range(5)]
    quote = message("m", "ceo", AT.format("10:08:00"), "在群文件里", reply_to_id="q")
    # WHEN audited
    findings = _overdue([question, *echoes, quote])
    # THEN answered in time: a quote answers however far down it comes; giving up with the
    # window (returning nothing) drops it and makes a false finding against 周杰
    assert findings == []


def test_two_answers_settle_only_two_of_three_questions_fired_off_in_one_burst():
    # GIVEN s1's three questions within a minute, owed by 周杰, and two answers from others
    burst = [
        message("q1", "s1", AT.format("10:00:00"), "有人去过教务处吗？"),
        message("q2", "s1", AT.format("10:00:30"), "要准备什么材料吗？"),
        message("q3", "s1", AT.format("10:01:00"), "要提前预约吗？"),
        message("a1", "s2", AT.format("10:03:00"), "去过，在三楼"),
        message("a2", "ceo", AT.format("10:04:00"), "带身份证就行"),
    ]
    # WHEN audited
    findings = _overdue(burst)
    # THEN one answer settles one of them (the module's docstring): the first answer settles
    # q1, the second q2, and q3 is still owed by 周杰 (the rule remembered only the previous
    # question's answer and let a1 settle q3 as well: a lost finding)
    assert [(f.message_id, f.subject_id, f.evidence["reply_message_id"]) for f in findings] == [
        ("q3", "h-jw", None)
    ]


# --- the addressee's own answer ------------------------------------------------------------------


def test_the_addressee_s_first_answer_is_their_quote_from_outside_the_question_s_thread():
    # GIVEN s1's question to s2 inside a thread, s2 quoting it from the main conversation at
    # 10:05, then writing in the thread at 10:15
    root = message("root", "h-jw", AT.format("09:00:00"), "本周报名", thread_id="root")
    question = message(
        "q", "s1", AT.format("10:00:00"), "@影子 报名表在哪里？", mentions=["s2"], thread_id="root"
    )
    quote = message("m1", "s2", AT.format("10:05:00"), "在教务处", reply_to_id="q")
    in_thread = message("m2", "s2", AT.format("10:15:00"), "已发你", thread_id="root")
    # WHEN walked as the rule and the monthly report walk it
    (answer,) = _answers([root, question, quote, in_thread])
    # THEN the answer is the quote, 5 minutes after the question (own_answer's "first later
    # message that quotes the question"): the report's minutes to the answer read it
    assert (answer.person, answer.reply[1] if answer.reply else None, answer.on_time) == ("s2", "m1", True)

"""overdue_reply: who owes an answer — the question candidates, the reader of each message and
the walk over them — in the cases the re-run of its mutation test showed untested
(docs/BENCHMARKS.md, "Mutation testing"). Each test's comment names the false or lost finding
the mutant it kills would cause."""

from __future__ import annotations

import pytest

from factories import audit, member, message, of_rule, policy, school_directory, snapshot

# 教务处: head h-jw 周杰, staff s1 张伟, s2 李娜 (nickname 影子); 招生办: head h-zs 孙丽, staff s3
# 赵敏; 行政中心: head h-admin 余敏; leader ceo 王刚.
DIRECTORY = school_directory(
    [
        {"id": "s3", "name": "赵敏", "department": "招生办", "status": "active"},
        {"id": "h-zs", "name": "孙丽", "department": "招生办", "status": "active"},
    ],
    [{"name": "招生办", "head_id": "h-zs"}],
)
MEMBERS = [
    member("s1", "教务处+张伟"),
    member("s2", "影子"),
    member("h-jw", "教务处+周杰"),
    member("s3", "招生办+赵敏"),
    member("h-zs", "招生办+孙丽"),
    member("h-admin", "行政中心+余敏"),
    member("ceo", "总经办+王刚"),
]
AT = "2026-11-20T{}+08:00"  # a Friday
STRICT = policy({"overdue_reply": {"reply_match": "strict"}})


def _overdue(messages, **kw):
    report = audit(snapshot(MEMBERS, messages), directory_doc=DIRECTORY, now=AT.format("18:00:00"), **kw)
    return of_rule(report, "overdue_reply")


def _owed(findings):
    return [(f.message_id, f.subject_id, f.kind, f.evidence["owed_because"]) for f in findings]


@pytest.mark.parametrize(
    "text",
    [
        "影子@张伟 麻烦把报名表交一下",  # an @ typed in the text: no mention the platform reports
        "影子https://example.com/form 麻烦填一下",
        "影子www.example.com/form 麻烦填一下",
    ],
)
def test_a_request_by_name_glued_to_an_inline_at_or_a_link_is_owed_by_that_member(text):
    # GIVEN 周杰's request to s2 by nickname, the name glued to an @ typed as text or to a
    # link (the opening words up to the first space are then no name), unanswered
    request = message("q", "h-jw", AT.format("10:00:00"), text)
    # WHEN audited at 18:00 (the 240-minute mention deadline passed at 15:30)
    findings = _overdue([request])
    # THEN s2 owes it, read from the opening name once the @ or the link is taken out: a
    # text holding an @ or a link read like a plain one loses the finding
    shown = [(f.subject_id, f.kind, f.evidence["addressed_as"], f.evidence["marker"]) for f in findings]
    assert shown == [("s2", "mention", "影子", "麻烦")]


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("影子, please send me the signup form", "please"),
        ("影子，帮忙把报名表发我", "帮忙"),
        ("影子，麻烦 please send me the signup form", "麻烦"),  # words of both lists
    ],
)
def test_a_request_by_name_in_english_is_owed_by_that_member_as_one_in_chinese(text, marker):
    # GIVEN 周杰's request to s2 by nickname, with no @ and no question word, in English or in
    # Chinese, unanswered
    request = message("q", "h-jw", AT.format("10:00:00"), text)
    # WHEN audited at 18:00
    findings = _overdue([request])
    # THEN s2 owes it either way: a request by name was looked for with the Chinese request
    # words only, so the English one was never read (a lost finding)
    shown = [(f.subject_id, f.kind, f.evidence["addressed_as"], f.evidence["marker"]) for f in findings]
    assert shown == [("s2", "mention", "影子", marker)]


def test_a_request_by_name_after_a_question_opening_with_a_name_is_still_read():
    # GIVEN s1's question to 周杰 by name (a message already found by its question mark, that
    # opens like a name), then 周杰's request to s2 by nickname, neither answered (strict
    # matching: 周杰's request is not taken for his answer to s1)
    question = message("q", "s1", AT.format("10:00:00"), "周主任，报价单模板在哪里？")
    request = message("r", "h-jw", AT.format("10:01:00"), "影子 麻烦把报名表交一下")
    # WHEN audited
    findings = _overdue([question, request], policies=STRICT)
    # THEN both are owed: the scan for requests by name stopping at the question (a text it
    # already holds) loses the request
    assert _owed(findings) == [
        ("q", "h-jw", "direct_question", "addressed_by_name"),
        ("r", "s2", "mention", "addressed_by_name"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "周主任，教务系统又报错了",
        "周主任，教务系统又报错了，不知道怎么回事",  # a question word, inside a statement
    ],
)
def test_a_leader_s_problem_report_by_name_without_a_question_is_owed_by_nobody(text):
    # GIVEN 王总 telling 周杰 by name of a problem, with no question, request or @, unanswered
    report = message("q", "ceo", AT.format("10:00:00"), text)
    # WHEN audited
    findings = _overdue([report])
    # THEN nobody owes it: only a leader's @ makes a problem report a leader request. Reading
    # the report on as if it @-ed somebody, because 怎么 gave it a question cue, makes a false
    # leader_request finding against 周杰 for the second text and none for the first
    assert findings == []


def test_each_unaddressed_question_is_owed_by_its_own_asker_s_head():
    # GIVEN s1 (教务处) and then s3 (招生办) each asking a work question of nobody in particular,
    # neither answered
    first = message("q1", "s1", AT.format("10:00:00"), "请问报价单模板在哪里？")
    second = message("q3", "s3", AT.format("10:30:00"), "请问招生简章定稿了吗？")
    # WHEN audited
    findings = _overdue([first, second])
    # THEN each is owed by the asker's own head: the first asker's head remembered for the
    # second asker makes a false finding against 周杰 and loses the one against 孙丽
    assert _owed(findings) == [
        ("q1", "h-jw", "direct_question", "asker_head"),
        ("q3", "h-zs", "direct_question", "asker_head"),
    ]


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("can @影子 you send me the signup form", ["s2"]),
        ("can@影子 you send me the signup form", ["s2"]),
        ("影子 麻烦了。can @张伟 you send me the signup form", None),
        ("影子 麻烦了。can@张伟 you send me the signup form", None),
    ],
)
def test_an_english_question_with_an_at_glued_to_its_opener_is_a_question_to_the_addressee(text, mentions):
    # GIVEN s1 asking s2 in English, by @-mention or by nickname, the @ typed right after
    # "can" (as a mention picker inserts it) or after a space, unanswered
    question = message("q", "s1", AT.format("10:00:00"), text, mentions=mentions)
    # WHEN audited
    findings = _overdue([question])
    # THEN s2 owes a direct question, due in 20 minutes, either way (the glued "can@" gave the
    # text no question cue: its question was not read, and a request of 240 minutes stood in
    # for it)
    shown = [(f.subject_id, f.kind, f.evidence["marker"], f.evidence["deadline_minutes"]) for f in findings]
    assert shown == [("s2", "direct_question", "?", 20)]

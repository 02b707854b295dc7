"""questions: the second mutation run's survivors (docs/BENCHMARKS.md, "Mutation testing").

Each test names the false or lost overdue_reply finding the mutant it kills would cause; two
showed real bugs, fixed with them (an English question with an @ glued to its opener had no
question cue; a bare compound title was split at a shorter title). Every audit uses its own
policy, so that the word lists are compiled under the mutant (a lexicon's patterns are compiled
once and kept).
"""

from __future__ import annotations

import warnings

from factories import audit, member, message, of_rule, policy, snapshot
from groupaudit.rules import questions as q

# 教务处: head h-jw 周杰, staff s1 张伟, s2 李娜 (shown as 影子); 行政中心: head h-admin 余敏.
DIRECTORY = {
    "schema_version": 1,
    "tenant_id": "acme",
    "people": [
        {"id": "s1", "name": "张伟", "department": "教务处", "status": "active"},
        {"id": "s2", "name": "李娜", "department": "教务处", "status": "active"},
        {"id": "h-jw", "name": "周杰", "department": "教务处", "status": "active"},
        {"id": "h-admin", "name": "余敏", "department": "行政中心", "status": "active"},
    ],
    "departments": [
        {"name": "教务处", "head_id": "h-jw"},
        {"name": "行政中心", "head_id": "h-admin"},
    ],
    "leader_ids": [],
    "admin_center_department": "行政中心",
}
MEMBERS = [
    member("s1", "教务处+张伟"),
    member("s2", "影子"),
    member("h-jw", "教务处+周杰"),
    member("h-admin", "行政中心+余敏"),
]
AT = "2026-11-20T{}:00+08:00"  # a Friday


def _overdue(messages, policies=None):
    report = audit(
        snapshot(MEMBERS, messages),
        directory_doc=DIRECTORY,
        policies=policies or policy(),
        now="2026-11-20T18:00:00+08:00",
    )
    return of_rule(report, "overdue_reply")


def _pairs(findings):
    return sorted((f.message_id, f.subject_id, f.kind) for f in findings)


def test_a_tenant_s_capitalised_request_phrase_is_named_whole_in_the_evidence():
    # GIVEN a tenant who adds "Please advise" (capitalised, as in an e-mail) to the English
    # request words, and s1 asking 影子 by @-mention to advise, unanswered
    tenant = policy({"overdue_reply": {"english_request_markers": ["please", "can you", "Please advise"]}})
    ask = message("q", "s1", AT.format("10:00"), "@影子 please advise on the budget", mentions=["s2"])
    # WHEN audited
    (finding,) = _overdue([ask], tenant)
    # THEN the finding names the tenant's whole phrase: with the words ordered alphabetically
    # instead of longest first, "please" (lower case sorts after "P") is tried first and the
    # evidence names the wrong request word
    assert (finding.message_id, finding.subject_id, finding.kind) == ("q", "s2", "mention")
    assert finding.evidence == {
        "asker_id": "s1",
        "responsible_id": "s2",
        "owed_because": "addressed_by_mention",
        "addressed_as": None,
        "topic": None,
        "asked_at": "2026-11-20T10:00:00+08:00",
        "due_at": "2026-11-20T15:30:00+08:00",
        "replied_at": None,
        "reply_message_id": None,
        "answered_by": None,
        "overdue_minutes": 150,
        "deadline_minutes": 240,
        "sla_clock": "business",
        "reply_match": "lenient",
        "marker": "please advise",
        "question": "@影子 please advise on the budget",
    }


def test_a_tenant_s_word_list_compiles_without_a_deprecation_warning():
    # GIVEN a tenant's own problem markers, compiled as overdue_reply compiles them (words no
    # other test compiles: Python's pattern cache would hide a second warning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # WHEN compiled with the default flags
        pattern = q.compile_words(("机房停电", "停电", "", "机房"))
    # THEN no warning and the longest word found: a default of flags=1 (re.TEMPLATE) warns on
    # Python 3.11 and 3.12 at every audit, and fails an audit run with warnings as errors
    # (every finding of the audit lost)
    assert pattern is not None
    assert [m.group(0) for m in pattern.finditer("三楼机房停电，二楼停电，机房正常")] == [
        "机房停电",
        "停电",
        "机房",
    ]


def test_a_question_back_glued_to_an_at_mention_is_no_answer():
    # GIVEN s1's question owed by policy (by the head 周杰), and five minutes later 影子's
    # question back, typed with "@张伟" glued to "can" (so the platform lists no mention)
    question = message("q", "s1", AT.format("10:00"), "请问报价单模板在哪里？")
    back = message("m", "s2", AT.format("10:05"), "can@张伟 you resend the list")
    # WHEN audited
    findings = _overdue([question, back])
    # THEN 周杰 still owes the answer to "q", as after "can you resend the list" (a question
    # back is no answer). With the cue missing "can@", the question back counted as the answer
    # and the finding was lost (and "m" itself was never read as a question).
    assert [pair for pair in _pairs(findings) if pair[0] == "q"] == [("q", "h-jw", "direct_question")]


def test_a_tenant_s_compound_title_alone_leaves_the_question_to_the_policy_like_any_bare_title():
    # GIVEN a tenant whose titles are 总, 经理 and 副总 (王副总: 王 + 副总), and s1 asking the bare
    # titles "经理，…" and "副总，…", unanswered
    tenant = policy({"overdue_reply": {"address_titles": ["总", "经理", "副总"]}})
    manager = message("q1", "s1", AT.format("10:00"), "经理，报价单模板在哪里？")
    deputy = message("q2", "s1", AT.format("10:30"), "副总，报价单模板在哪里？")
    # WHEN audited
    findings = _overdue([manager, deputy], tenant)
    # THEN both name nobody, so both are owed by policy (by s1's head 周杰). 副总 was split as
    # 副 + 总 (the longer title 副总 skipped because nothing stood before it): addressed to
    # somebody unnamed, owed by nobody — a lost finding
    assert _pairs(findings) == [("q1", "h-jw", "direct_question"), ("q2", "h-jw", "direct_question")]

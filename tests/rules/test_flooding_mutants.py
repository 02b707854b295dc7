"""flooding: bursts that meet both criteria, bursts that touch, and what stops the clustering.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing"):
each test names the false or lost finding a surviving mutant would cause.
"""

from __future__ import annotations

from factories import audit, member, message, of_rule, snapshot

MEMBERS = [member("u1", "销售部+张三")]


def _at(second: int) -> str:
    minutes, seconds = divmod(second, 60)
    return f"2026-11-20T10:{minutes:02d}:{seconds:02d}+08:00"


def _posts(timeline: list[tuple[int, str | None]], **fields) -> list[dict]:
    """u1's messages m-1, m-2, … at (second after 10:00, text)."""
    return [
        message(f"m-{i}", "u1", _at(second), text, **fields) for i, (second, text) in enumerate(timeline, 1)
    ]


def _flooding(messages: list[dict], lang: str = "zh") -> list:
    return of_rule(audit(snapshot(MEMBERS, messages), lang=lang), "flooding")


def test_a_rapid_run_holding_repeats_is_one_repeated_burst():
    # GIVEN a morning greeting, then ten messages in 45 s whose last three are the same text
    texts = ["一", "二", "三", "四", "五", "六", "七", "有人吗", "有人吗？", "有人吗!"]
    messages = _posts([(0, "早上好"), *((600 + 5 * i, text) for i, text in enumerate(texts))])
    # WHEN audited
    (finding,) = _flooding(messages)
    # THEN one finding on the run's first message: both criteria merge into one burst, named by
    # its repeats (3 of 10 messages), not two findings on the same messages
    assert (finding.kind, finding.message_id) == ("repeated", "m-2")
    assert finding.evidence == {
        "started_at": "2026-11-20T10:10:00+08:00",
        "ended_at": "2026-11-20T10:10:45+08:00",
        "messages": 10,
        "repeated": 3,
        "message_ids": [f"m-{i}" for i in range(2, 12)],
    }
    assert (
        finding.summary == "销售部+张三 自 11-20 10:10 起 45 秒内重复发送了 3 条相同或近似的消息，请避免刷屏"
    )


def test_a_rapid_run_and_repeats_sharing_one_message_are_one_burst():
    # GIVEN ten messages in 45 s, the last of which starts three repeats that run on for 100 s
    rapid = [(5 * i, f"进度{i}") for i in range(9)]
    messages = _posts([*rapid, (45, "有人吗"), (100, "有人吗"), (145, "有人吗")])
    # WHEN audited
    found = _flooding(messages)
    # THEN one burst from the first message to the last (they share m-10): a second finding on
    # m-10 would count that message against the sender twice
    assert [(f.kind, f.message_id, f.evidence["messages"], f.evidence["repeated"]) for f in found] == [
        ("repeated", "m-1", 12, 3)
    ]


def test_two_messages_alike_are_no_repeat_where_two_windows_share_one():
    # GIVEN the same text twice (at 0 s and 100 s) among other messages, where the windows of three
    # messages in 120 s are 0-100 s and 100-200 s, sharing the message at 100 s
    messages = _posts([(0, "有人吗"), (1, "在"), (100, "有人吗"), (122, "好的"), (200, "收到")])
    # WHEN audited
    # THEN no finding: the shared message must be clustered once, not counted as a third repeat
    assert _flooding(messages) == []


def test_a_picture_does_not_stop_the_search_for_repeats_after_it():
    # GIVEN a picture, then the same text three times within a minute
    messages = _posts([(0, None), (10, "有人吗"), (20, "有人吗"), (30, "有人吗")])
    # WHEN audited
    found = _flooding(messages)
    # THEN the three repeats are found (a picture has no text to repeat, but texts follow it)
    assert [(f.kind, f.message_id, f.evidence["repeated"]) for f in found] == [("repeated", "m-2", 3)]


def test_a_text_said_once_does_not_hide_a_text_repeated_after_it():
    # GIVEN one text, then another text three times within a minute
    messages = _posts([(0, "早上好"), (10, "有人吗"), (20, "有人吗"), (30, "有人吗")])
    # WHEN audited
    found = _flooding(messages)
    # THEN the repeated text is a burst (the single text's cluster is passed over, not the end)
    assert [(f.kind, f.message_id, f.evidence["repeated"]) for f in found] == [("repeated", "m-2", 3)]


def test_the_repeat_count_is_that_of_the_qualifying_repeats_only():
    # GIVEN 有人吗 at 0 s (beside two other messages), then at 100, 200, 210 and 220 s: the first
    # two are too far from the third to be three within 120 s
    messages = _posts(
        [
            (0, "有人吗"),
            (1, "早"),
            (2, "好"),
            (100, "有人吗"),
            (200, "有人吗"),
            (210, "有人吗"),
            (220, "有人吗"),
        ]
    )
    # WHEN audited
    (finding,) = _flooding(messages)
    # THEN the burst is the four from 100 s on, and says 4 (not the 0 s message's count)
    assert (finding.message_id, finding.evidence["messages"], finding.evidence["repeated"]) == ("m-4", 4, 4)
    assert finding.evidence["message_ids"] == ["m-4", "m-5", "m-6", "m-7"]


def test_the_evidence_lists_the_first_twenty_messages_of_a_long_burst():
    # GIVEN 25 different messages five seconds apart
    messages = _posts([(5 * i, f"进度{i}") for i in range(25)])
    # WHEN audited in English
    (finding,) = _flooding(messages, "en")
    # THEN the evidence counts all 25 and lists the first 20 ids (a bounded record)
    assert finding.kind == "rapid"
    assert finding.evidence["messages"] == 25
    assert finding.evidence["message_ids"] == [f"m-{i}" for i in range(1, 21)]
    assert finding.summary == (
        "销售部+张三 posted 25 messages within 120 s from 11-20 10:00; please do not flood the group"
    )


def test_the_evidence_lists_the_burst_s_messages_and_no_later_one():
    # GIVEN the same text three times within a minute, and the sender's next message 50 minutes later
    messages = _posts([(0, "有人吗"), (10, "有人吗"), (20, "有人吗"), (3000, "好的")])
    # WHEN audited
    (finding,) = _flooding(messages)
    # THEN the evidence lists the three, not the later message (a record naming a message that is
    # no part of the flooding)
    assert finding.evidence["message_ids"] == ["m-1", "m-2", "m-3"]

"""flooding: the same text three times within 120 s, or ten messages within 60 s, per sender."""

from __future__ import annotations

import pytest

from factories import audit, member, message, of_rule, snapshot

MEMBERS = [member("u1", "销售部+张三"), member("u2", "销售部+李四"), member("bot", "机器人", is_bot=True)]


def _at(second: int) -> str:
    hours, rest = divmod(second, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"2026-11-20T{10 + hours:02d}:{minutes:02d}:{seconds:02d}+08:00"


def _posts(
    sender: str, seconds: list[int], texts: list[str | None] | str, first: int = 1, **fields
) -> list[dict]:
    texts = [texts] * len(seconds) if isinstance(texts, str) else texts
    return [
        message(f"m-{sender}-{first + i}", sender, _at(second), text, **fields)
        for i, (second, text) in enumerate(zip(seconds, texts, strict=True))
    ]


def _flooding(messages: list[dict], lang: str = "zh") -> list:
    return of_rule(audit(snapshot(MEMBERS, messages), lang=lang), "flooding")


@pytest.mark.parametrize(("last", "fires"), [(119, True), (120, True), (121, False)])
def test_three_identical_messages_fire_within_120_seconds_and_not_beyond(last, fires):
    # GIVEN the same text three times, the third `last` seconds after the first
    messages = _posts("u1", [0, 60, last], "明天上午十点开会")
    # WHEN audited
    found = _flooding(messages)
    # THEN a burst at 120 s or less, none at 121 s
    assert [(f.subject_id, f.message_id, f.kind) for f in found] == (
        [("u1", "m-u1-1", "repeated")] if fires else []
    )


@pytest.mark.parametrize(("count", "findings"), [(2, 0), (3, 1), (4, 1)])
def test_the_repeat_count_is_three(count, findings):
    # GIVEN the same text `count` times within a minute
    messages = _posts("u1", [10 * i for i in range(count)], "请大家投票")
    # WHEN audited
    found = _flooding(messages)
    # THEN two are no burst; three or more are one
    assert len(found) == findings
    if findings:
        assert found[0].evidence["repeated"] == count


def test_whitespace_punctuation_and_case_do_not_make_texts_different():
    # GIVEN the same words written three ways
    messages = _posts("u1", [0, 30, 60], ["Sign up now!", "sign up now", "SIGN-UP NOW!!"])
    # WHEN audited
    (finding,) = _flooding(messages)
    # THEN they are one repeated burst
    assert (finding.kind, finding.evidence["repeated"], finding.evidence["messages"]) == ("repeated", 3, 3)


@pytest.mark.parametrize(
    ("variant", "fires"),
    [
        ("一二三四五六七八九百", True),  # 10 characters, one changed: similarity 0.90
        ("一二三四五六七八九百千", False),  # and one more: 1 - 3/21 = 0.857
    ],
)
def test_near_identical_means_a_similarity_of_at_least_0_9(variant, fires):
    # GIVEN a text, a variant of it, and the text again, within a minute
    messages = _posts("u1", [0, 20, 40], ["一二三四五六七八九十", variant, "一二三四五六七八九十"])
    # WHEN audited
    found = _flooding(messages)
    # THEN the variant counts as the same text only at 0.9 or more
    assert len(found) == (1 if fires else 0)


def test_a_similarity_just_below_0_9_is_a_different_text():
    # GIVEN 9-character texts differing in one character (1 - 2/18 = 0.889), three times
    messages = _posts("u1", [0, 20, 40], ["一二三四五六七八九", "一二三四五六七八十", "一二三四五六七八百"])
    # WHEN audited
    # THEN no burst
    assert _flooding(messages) == []


@pytest.mark.parametrize(
    ("span", "count", "fires"), [(59, 10, True), (60, 10, True), (61, 10, False), (60, 9, False)]
)
def test_ten_messages_within_60_seconds_are_a_rapid_burst(span, count, fires):
    # GIVEN `count` different messages, the last `span` seconds after the first
    seconds = [round(span * i / (count - 1)) for i in range(count)]
    messages = _posts("u1", seconds, [f"第{i}步完成" for i in range(count)])
    # WHEN audited
    found = _flooding(messages)
    # THEN ten within 60 s is a burst; ten over 61 s, or nine, is not
    assert [(f.message_id, f.kind) for f in found] == ([("m-u1-1", "rapid")] if fires else [])


def test_a_long_burst_is_one_finding_on_its_first_message():
    # GIVEN 25 messages five seconds apart (windows of ten overlap all along)
    messages = _posts("u1", [5 * i for i in range(25)], [f"进度{i}" for i in range(25)])
    # WHEN audited
    (finding,) = _flooding(messages)
    # THEN one finding for the whole run
    assert (finding.message_id, finding.evidence["messages"]) == ("m-u1-1", 25)
    assert finding.evidence["started_at"] == "2026-11-20T10:00:00+08:00"
    assert finding.evidence["ended_at"] == "2026-11-20T10:02:00+08:00"


def test_two_bursts_apart_are_two_findings():
    # GIVEN the same text three times, and again three times an hour later
    messages = _posts("u1", [0, 10, 20, 3600, 3610, 3620], "有人吗")
    # WHEN audited
    found = _flooding(messages)
    # THEN two findings, each on its burst's first message
    assert [f.message_id for f in found] == ["m-u1-1", "m-u1-4"]


def test_echoes_from_different_senders_bots_and_pictures_are_not_flooding():
    # GIVEN 收到 from two people, a bot posting the same reminder three times, and three pictures
    messages = [
        *_posts("u1", [0], "收到"),
        *_posts("u2", [5], "收到", first=2),
        *_posts("u1", [8], "收到！", first=3),
        *_posts("bot", [0, 10, 20], "【提醒】请填写日报"),
        *_posts("u2", [30, 35, 40], [None, None, None], first=10, type="image"),
    ]
    # WHEN audited
    # THEN nothing: u1's two 收到 are two, the bot is no human, pictures have no text to repeat
    assert _flooding(messages) == []


def test_the_thresholds_come_from_the_policy():
    # GIVEN two identical messages within 30 s and a policy asking for two within 30 s
    from factories import policy

    snap = snapshot(MEMBERS, _posts("u1", [0, 30], "加班报名"))
    rules = {"flooding": {"repeat_count": 2, "repeat_window_seconds": 30}}
    # WHEN audited
    found = of_rule(audit(snap, policies=policy(rules)), "flooding")
    # THEN they are a burst
    assert [f.message_id for f in found] == ["m-u1-1"]


def test_the_summary_says_who_how_often_and_within_how_long_in_both_languages():
    # GIVEN the same text three times in 90 s
    messages = _posts("u1", [0, 45, 90], "周五团建报名")
    # WHEN audited in Chinese and in English
    (zh,) = _flooding(messages, "zh")
    (en,) = _flooding(messages, "en")
    # THEN the summaries name the sender, the count and the seconds, not the text
    assert zh.summary == "销售部+张三 自 11-20 10:00 起 90 秒内重复发送了 3 条相同或近似的消息，请避免刷屏"
    assert en.summary == (
        "销售部+张三 posted the same message 3 times within 90 s from 11-20 10:00; "
        "please do not flood the group"
    )
    assert zh.severity == "warning" and zh.policy_ref.startswith("001 三.4")

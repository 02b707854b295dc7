"""flooding: the inclusive end of the repeat window when the open clusters are pruned, and case
folding of letters whose capital is not plain ASCII.

Written against the mutants of the fresh `make mutate` run (after flooding's speed-ups) that the
tests before left alive: each test names the lost finding a surviving mutant would cause.
"""

from __future__ import annotations

from factories import audit, member, message, of_rule, snapshot

MEMBERS = [member("u1", "销售部+张三")]


def _at(second: int) -> str:
    minutes, seconds = divmod(second, 60)
    return f"2026-11-20T10:{minutes:02d}:{seconds:02d}+08:00"


def _posts(timeline: list[tuple[int, str | None]]) -> list[dict]:
    """u1's messages m-1, m-2, … at (second after 10:00, text)."""
    return [message(f"m-{i}", "u1", _at(second), text) for i, (second, text) in enumerate(timeline, 1)]


def _flooding(messages: list[dict]) -> list:
    return of_rule(audit(snapshot(MEMBERS, messages)), "flooding")


def test_a_repeat_exactly_one_window_after_a_double_sent_advert_makes_three_in_the_window():
    # GIVEN a morning greeting, an advert sent twice in the same second (a double tap) 10 s
    # later, and the same advert again exactly 120 s after that: by then the greeting's cluster
    # has closed, so the open clusters are pruned, and the advert's last message is exactly one
    # window (120 s, inclusive) old
    advert = "新品上市，欢迎选购"
    messages = _posts([(0, "早上好"), (10, advert), (10, advert), (130, advert)])
    # WHEN audited
    found = _flooding(messages)
    # THEN the three adverts are one burst: pruning the advert's cluster at exactly 120 s (`<`
    # for `<=`) would start a new cluster at 130 s and lose the finding
    assert [(f.kind, f.message_id, f.subject_id) for f in found] == [("repeated", "m-2", "u1")]
    (finding,) = found
    assert finding.evidence == {
        "started_at": "2026-11-20T10:00:10+08:00",
        "ended_at": "2026-11-20T10:02:10+08:00",
        "messages": 3,
        "repeated": 3,
        "message_ids": ["m-2", "m-3", "m-4"],
    }
    assert finding.summary == (
        "销售部+张三 自 11-20 10:00 起 120 秒内重复发送了 3 条相同或近似的消息，请避免刷屏"
    )


def test_a_turkish_capital_dotted_i_folds_to_the_small_i_of_the_same_word():
    # GIVEN a colleague of the Istanbul office posting "İptal!" (cancelled, with the Turkish
    # capital İ) and then "iptal" twice, within a minute
    messages = _posts([(0, "İptal!"), (20, "iptal"), (40, "iptal")])
    # WHEN audited
    found = _flooding(messages)
    # THEN the three are the same word, one burst: lower-cased, İ is i plus a dot and the texts
    # are 0.91 alike; upper-cased (`upper` for `lower`), İPTAL and IPTAL are only 0.8 alike and
    # the finding is lost
    assert [(f.kind, f.message_id, f.evidence["messages"], f.evidence["repeated"]) for f in found] == [
        ("repeated", "m-1", 3, 3)
    ]
    assert found[0].evidence["message_ids"] == ["m-1", "m-2", "m-3"]

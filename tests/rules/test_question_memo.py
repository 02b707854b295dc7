"""The question reading's memo of judged sentences belongs to one audit, not to the lexicon.

A lexicon lives as long as its policy, which is cached for the life of a warm function: a memo
kept on it would hold every sentence of every group the function ever audited.
"""

from __future__ import annotations

import dataclasses

from groupaudit.rules import questions as q
from groupaudit.rules.overdue_reply import OverdueReplyConfig


def test_the_memo_is_the_callers_and_gives_the_same_markers():
    # GIVEN the default lexicon and a caller's empty memo
    lexicon = OverdueReplyConfig().lexicon
    memo: q.Judged = {}
    texts = ["请问报价单发了吗？", "这个方案不怎么样", "今天辛苦了。明天几点开会？", "请问报价单发了吗？"]
    # WHEN texts are read with and without the memo
    with_memo = [q.question_marker(text, lexicon, judged=memo) for text in texts]
    without = [q.question_marker(text, lexicon) for text in texts]
    # THEN the markers are the same, the memo holds each distinct sentence once ...
    assert with_memo == without == ["？", None, "？", "？"]
    assert memo == {
        ("请问报价单发了吗", True, False): "？",
        ("这个方案不怎么样", False, False): None,
        ("今天辛苦了", False, False): None,
        ("明天几点开会", True, False): "？",
    }
    # ... and the compiled lexicon keeps no state of its own that reading could grow
    patterns = lexicon.patterns
    assert [f.name for f in dataclasses.fields(patterns) if isinstance(getattr(patterns, f.name), dict)] == []

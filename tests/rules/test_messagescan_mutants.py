"""The message scan and its masking: the cases its mutation run showed untested
(docs/BENCHMARKS.md, "Mutation testing").

mask_digits on its own, at and around the length it masks whole: the rules call it only with
runs longer than what they keep (a mobile number's 11 digits with 3 + 4 kept, an excerpt's 5+
digits with 2 + 2), so its short branch and its defaults are reached by no rule today; a new
caller with a short run must still get nothing but stars, or a short identifier would be copied
into a finding's evidence unmasked. Then the bounds of a digit run, whole English words, the
lower-casing that keeps offsets, the kinds one pass looks for, and the excerpt, each through the
rule that reads it where a story reaches it; each test names the false or lost finding a
surviving mutant would cause.
"""

from __future__ import annotations

import pytest

from factories import audit, member, message, of_rule, policy, snapshot
from groupaudit.rules.messagescan import MessageScan, mask_digits, masked_excerpt

MEMBERS = [member("u1", "销售部+张三")]


def _content(texts: list[str], rules: dict | None = None) -> list:
    messages = [
        message(f"m-{i}", "u1", f"2026-11-20T10:{i:02d}:00+08:00", text) for i, text in enumerate(texts, 1)
    ]
    policies = policy({"prohibited_content": rules}) if rules else None
    return of_rule(audit(snapshot(MEMBERS, messages), policies=policies), "prohibited_content")


def test_a_run_no_longer_than_what_is_kept_is_all_stars():
    # GIVEN runs of 7 and 8 digits and the defaults (4 kept at each end)
    # WHEN masked THEN nothing of them shows: 8 = 4 + 4 is still all stars
    assert mask_digits("1234567") == "*******"
    assert mask_digits("12345678") == "********"


def test_a_longer_run_keeps_its_ends_and_its_length():
    # GIVEN 9 digits and the defaults WHEN masked THEN four at each end, one star between
    assert mask_digits("123456789") == "1234*6789"
    # GIVEN a mobile number with 3 + 4 kept WHEN masked THEN its middle four are stars
    assert mask_digits("13812345678", 3, 4) == "138****5678"
    # GIVEN 4 digits with 2 + 2 kept (at the limit) WHEN masked THEN all stars
    assert mask_digits("1234", 2, 2) == "****"


# --- the bounds of a digit run (``_bounded``), through pii_exposure ----------------------------
#
# Each text is the only message of its snapshot, so it is both the first and the last text the
# scan joins: the edges of the joined string are the edges of the text.


def _pii(texts: list[str], rules: dict | None = None) -> list:
    messages = [
        message(f"m-{i}", "u1", f"2026-11-20T10:{i:02d}:00+08:00", text) for i, text in enumerate(texts, 1)
    ]
    return of_rule(
        audit(snapshot(MEMBERS, messages), policies=policy(rules) if rules else None), "pii_exposure"
    )


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        # glued to a letter (a serial or order code), at a text's first characters or later
        ("SN13812345678", False),
        ("A13812345678", False),
        ("13812345678A", False),
        # the decimal part of an amount, at the text's start or after a word
        ("1.13812345678", False),
        ("共 1.13812345678 元", False),
        # the integer part of an amount, at the text's end or before a word
        ("转账 13812345678.5", False),
        ("13812345678.5元", False),
        # a full stop alone next to it is punctuation: the number is a number
        ("电话.13812345678", True),
        (".13812345678 转 8", True),
        ("电话 13812345678.", True),
        ("电话13812345678.请回电", True),
    ],
)
def test_a_digit_run_is_a_number_unless_glued_to_a_letter_or_part_of_an_amount(text, flagged):
    # GIVEN a mobile number's digits with a letter, an amount's point or a full stop beside them
    # WHEN audited
    found = _pii([text])
    # THEN flagged only when it stands alone: a serial code or an amount flagged is a false
    # finding; a number after or before a full stop missed is a lost one
    expected = [{"types": ["mobile"], "masked": ["138****5678"]}] if flagged else []
    assert [{k: f.evidence[k] for k in ("types", "masked")} for f in found] == expected


# --- keywords (``_keywords``, ``_whole_word``, ``_lowered``), through prohibited_content --------


def test_a_word_inside_a_longer_word_does_not_stop_the_search_of_later_texts():
    # GIVEN the tenant's red-line word "ass", first inside "class", then an advert in a later message
    found = _content(["class starts at nine", "兼职刷单日结"], {"extra_red_line_keywords": ["ass"]})
    # THEN the advert is found (stopping at the word inside "class" lost it) and "class" is no offence
    assert [(f.message_id, f.kind) for f in found] == [("m-2", "advertising")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("bass 音箱到了", []),  # the word one letter into the text, glued to it: no word
        ("you are an ass", [("m-1", "red_line")]),  # the word at the text's very end: a word
    ],
)
def test_an_english_word_is_whole_at_a_text_s_first_and_last_characters(text, found):
    # GIVEN the tenant's red-line word "ass" at the edges of a text WHEN audited
    # THEN whole words only: "bass" flagged is a false finding, the word at the end missed a lost one
    assert [(f.message_id, f.kind) for f in _content([text], {"extra_red_line_keywords": ["ass"]})] == found


def test_a_letter_whose_lower_case_is_longer_keeps_every_hit_in_its_place():
    # GIVEN a text with İ (two characters in lower case) before a red-line phrase in capitals
    (finding,) = _content(["İzmir 客户回了句 FUCK YOU 然后挂了"])
    # THEN the phrase is found whatever its case, and the excerpt stars it where it is: offsets
    # taken from the longer lower-case text would star the wrong characters
    assert (finding.kind, finding.evidence["matched"]) == ("red_line", ["f*******"])
    assert finding.evidence["excerpt"] == "…r 客户回了句 ******** 然后挂了"


# --- which kinds the one pass looks for (``_wanted``) ------------------------------------------


@pytest.mark.parametrize(
    "rules",
    [
        {"prohibited_content": {"enabled": False}},
        {"off_hours_post": {"enabled": False}},
    ],
)
def test_the_text_rules_scan_the_texts_once_whichever_of_them_are_enabled(rules, monkeypatch):
    # GIVEN a policy with one of the two keyword rules off, and pii_exposure on
    scans: list[set[str]] = []
    real = MessageScan._scan

    def counted(self: MessageScan, kinds: set[str]) -> dict:
        scans.append(set(kinds))
        return real(self, kinds)

    monkeypatch.setattr(MessageScan, "_scan", counted)
    # WHEN a group with a number in a message is audited
    found = _pii(["电话 13812345678"], rules)
    # THEN one pass found the keywords and the digit runs (issue 9: the text rules scan each
    # message once), and the number is found
    assert scans == [{"keywords", "digit_runs"}]
    assert [f.message_id for f in found] == ["m-1"]


# --- the masked excerpt ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end", "excerpt"),
    [
        # a run of 5+ digits near the hit keeps 2 digits at each end
        ("订单1234567刷单", 9, 11, "…单12***67**"),
        ("订单 12345 号刷单", 10, 12, "… 12*45 号**"),
        # the hit exactly `width` characters in: nothing cut before it, no ellipsis
        ("abcdefgh刷单", 8, 10, "abcdefgh**"),
        ("xabcdefgh刷单", 9, 11, "…abcdefgh**"),
        # the text ends exactly `width` characters after the hit: no ellipsis after
        ("刷单abcdefgh", 0, 2, "**abcdefgh"),
        ("刷单abcdefghi", 0, 2, "**abcdefgh…"),
        # a line break shows as a space
        ("好的\n刷单\n谢谢", 3, 5, "好的 ** 谢谢"),
    ],
)
def test_the_excerpt_masks_numbers_stars_the_hit_and_marks_what_it_cuts(text, start, end, excerpt):
    assert masked_excerpt(text, start, end) == excerpt

"""mask_digits on its own, at and around the length it masks whole (docs/BENCHMARKS.md, mutation).

The rules call it only with runs longer than what they keep (a mobile number's 11 digits with
3 + 4 kept, an excerpt's 5+ digits with 2 + 2), so its short branch and its defaults are
reached by no rule today; a new caller with a short run must still get nothing but stars,
or a short identifier would be copied into a finding's evidence unmasked.
"""

from __future__ import annotations

from groupaudit.rules.messagescan import mask_digits


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

"""pii_exposure: the edges of each kind of number, and the evidence and summary, value by value.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing"):
each test names the false or lost finding a surviving mutant would cause. The resident IDs are
made up, with their GB 11643 check character computed (python-stdnum), and the cards made up
with their Luhn digit.
"""

from __future__ import annotations

from datetime import date

import pytest

from factories import audit, member, message, of_rule, snapshot
from groupaudit.rules.pii_exposure import classify

MEMBERS = [member("u1", "销售部+张三")]
TODAY = date(2026, 11, 20)


def _pii(text: str, lang: str = "zh") -> list:
    snap = snapshot(MEMBERS, [message("m-1", "u1", "2026-11-20T10:00:00+08:00", text)])
    return of_rule(audit(snap, lang=lang), "pii_exposure")


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ("11010519000101001X", ("resident_id", "1101**********001X")),  # born 1900-01-01, the first day
        ("110105189912310015", None),  # born 1899-12-31: before 1900, no resident ID
        ("110105202611200019", ("resident_id", "1101**********0019")),  # born on the audit's day
        ("110105194912100014", ("resident_id", "1101**********0014")),  # born on the 10th
        ("110105194913100016", None),  # month 13 with its right check character: no birth date
    ],
)
def test_a_resident_id_is_born_from_1900_to_the_audit_s_day(run, expected):
    # GIVEN an 18-character run with a right check character, born on the date its digits give
    # WHEN it is classified on 2026-11-20
    # THEN it is a resident ID exactly when the birth date is a real day from 1900-01-01 to today
    # (a lost finding outside, a false one for a number that holds no birth date)
    assert classify(run, TODAY) == expected


def test_nineteen_digits_are_no_resident_id_even_when_the_check_works_out():
    # GIVEN a 19-digit run: a resident ID's 18 digits and the check digit of those 18
    run = "1101051949123100216"
    # WHEN it is classified
    # THEN it is nothing (no ID is 19 long, and 1101 is no card prefix): a longer number is an
    # order or account number, not a person's ID
    assert classify(run, TODAY) is None


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ("2720000000000013", ("bank_card", "2720********0013")),  # the last Mastercard 2-series prefix
        ("2721000000000012", None),  # just past it
        ("62000000000000000013", None),  # 20 digits, prefix 62 and Luhn-valid: too long for a card
    ],
)
def test_a_bank_card_has_a_network_prefix_and_at_most_19_digits(run, expected):
    # GIVEN a Luhn-valid run
    # WHEN it is classified
    # THEN it is a card only within 2221-2720 and 16-19 digits
    assert classify(run, TODAY) == expected


def test_only_a_13_digit_run_starting_86_is_a_mobile_with_its_country_code():
    # GIVEN a 13-digit batch number whose last 11 digits look like a mobile number
    # WHEN it is classified
    # THEN it is no mobile: only 86 in front is the country code (a false finding otherwise)
    assert classify("4413812345678", TODAY) is None


def test_the_evidence_and_the_english_summary_of_two_kinds():
    # GIVEN a message with a resident ID and a mobile number, sent at 10:00 Beijing time
    # WHEN audited in English
    (finding,) = _pii("身份证 11010519000101001X 电话 13812345678", lang="en")
    # THEN the evidence holds the time and the masked numbers only, the summary both kinds
    assert finding.evidence == {
        "sent_at": "2026-11-20T10:00:00+08:00",
        "types": ["resident_id", "mobile"],
        "masked": ["1101**********001X", "138****5678"],
    }
    assert finding.summary == (
        "销售部+张三's message of 11-20 10:00 contains a resident ID number, mobile number; "
        "please recall it and keep personal data out of the group"
    )

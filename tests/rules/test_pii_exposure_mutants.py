"""pii_exposure: the edges of each kind of number, and the evidence and summary, value by value.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing"):
each test names the false or lost finding a surviving mutant would cause. The resident IDs are
made up, with their GB 11643 check character computed (python-stdnum), and the cards made up
with their Luhn digit.
"""

from __future__ import annotations

import time
from datetime import date

import pytest

from factories import audit, member, message, of_rule, policy, snapshot
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


@pytest.fixture
def machine_in_utc(monkeypatch):
    """The machine's own zone set to UTC, as on Lambda, whatever this machine's is."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_audit_s_day_is_the_tenant_s_day(machine_in_utc):
    # GIVEN a resident ID of a child born on 11-20, audited at 07:00 Beijing time on 11-20
    # (still 11-19 in UTC)
    snap = snapshot(MEMBERS, [message("m-1", "u1", "2026-11-20T06:50:00+08:00", "新生儿 110105202611200019")])
    # WHEN audited at that moment
    found = of_rule(audit(snap, now="2026-11-20T07:00:00+08:00"), "pii_exposure")
    # THEN it is a resident ID (in the machine's day the birth would be "after the audit": lost)
    assert [f.evidence["types"] for f in found] == [["resident_id"]]


@pytest.mark.parametrize(
    "text",
    [
        "order 13812345678 shipped",  # an English label (lower case in the message)
        "Tracking: 13812345678",  # a label longer than 6 characters, in another case
        "invoice 13812345678",  # the same, of 7 characters
        "订单 13812345678 已发货",  # a label at the very start of the message
    ],
)
def test_a_labelled_number_is_that_kind_of_number(text):
    # GIVEN a number right after an order or tracking label
    # WHEN audited
    # THEN it is no personal data (a false finding on an order number otherwise)
    assert _pii(text) == []


def test_a_label_seven_characters_before_a_number_does_not_label_it():
    # GIVEN a customer's mobile number seven characters after the word 订单
    # WHEN audited
    found = _pii("订单，联系电话13812345678")
    # THEN it is a mobile number: a label counts within 6 characters only (lost finding otherwise)
    assert [f.evidence["masked"] for f in found] == [["138****5678"]]


def test_a_labelled_number_does_not_hide_the_numbers_after_it():
    # GIVEN an order number and then a mobile number in one message
    # WHEN audited
    found = _pii("单号 13812345678，电话 13912345678")
    # THEN the mobile number after the order number is found
    assert [f.evidence["masked"] for f in found] == [["139****5678"]]


@pytest.mark.parametrize(
    ("text", "labelled"), [("tracking: 13812345678", True), ("tracking - 13812345678", False)]
)
def test_a_long_label_counts_up_to_two_characters_before_the_number(text, labelled):
    # GIVEN a mobile-shaped number two, or three, characters after the 8-character label tracking
    # WHEN audited
    found = _pii(text)
    # THEN only the nearer one is a tracking number; the other is a mobile number
    assert [f.evidence["types"] for f in found] == ([] if labelled else [["mobile"]])


def test_a_tenant_without_labels_has_every_number_checked():
    # GIVEN a policy that lists no labels, and a mobile number after the word 订单
    snap = snapshot(MEMBERS, [message("m-1", "u1", "2026-11-20T10:00:00+08:00", "订单 13812345678")])
    policies = policy({"pii_exposure": {"non_pii_labels": []}})
    # WHEN audited
    found = of_rule(audit(snap, policies=policies), "pii_exposure")
    # THEN the number is personal data like any other (no label can make it an order number)
    assert [f.evidence["masked"] for f in found] == [["138****5678"]]

"""pii_exposure: resident IDs with a valid check digit, mobile numbers and Luhn-valid bank cards,
masked in every trace the auditor leaves."""

from __future__ import annotations

import json
from datetime import date

import msgspec
import pytest

from factories import audit, member, message, of_rule, policy, snapshot
from groupaudit.render import render_json, render_notice, render_table
from groupaudit.rules.pii_exposure import classify

MEMBERS = [member("u1", "销售部+张三")]
TODAY = date(2026, 11, 20)
RESIDENT_ID = "11010519491231002X"  # the example of GB 11643, check character X
CARD = "6222021234567890128"  # 19 digits, UnionPay prefix 62, Luhn-valid


def _pii(text: str, **kwargs) -> list:
    snap = snapshot(MEMBERS, [message("m-1", "u1", "2026-11-20T10:00:00+08:00", text)])
    return of_rule(audit(snap, **kwargs), "pii_exposure")


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (RESIDENT_ID, ("resident_id", "1101**********002X")),
        ("110105194912310021", None),  # the same with a wrong check digit
        ("11010519491331002X", None),  # month 13: no birth date (and a check digit it would need)
        ("13812345678", ("mobile", "138****5678")),
        ("8613812345678", ("mobile", "138****5678")),
        ("12812345678", None),  # 12x is no mobile prefix
        ("1381234567", None),  # 10 digits
        ("138123456789", None),  # 12 digits
        (CARD, ("bank_card", "6222***********0128")),
        ("6222021234567890127", None),  # Luhn fails
        ("4111111111111111", ("bank_card", "4111********1111")),
        ("9111111111111116", None),  # Luhn-valid, no card network starts with 9
        ("2221000000000009", ("bank_card", "2221********0009")),  # Mastercard's 2-series starts at 2221
        ("2220999999999993", None),  # just below it (Luhn-valid)
        ("411111111111111", None),  # 15 digits
    ],
)
def test_what_counts_as_personal_data(run, expected):
    # GIVEN a digit run WHEN classified THEN it is personal data exactly when its checks pass
    assert classify(run, TODAY) == expected


def test_a_resident_id_born_after_the_audit_is_no_resident_id():
    # GIVEN a number with a valid check digit and a birth date in 2030
    from stdnum.cn.ric import calc_check_digit

    body = "11010520300101001"
    number = body + calc_check_digit(body + "0")
    # WHEN classified as of 2026-11-20 THEN it is not a resident ID
    assert classify(number, TODAY) is None


@pytest.mark.parametrize(
    "text",
    [
        "订单号 13812345678 已发货",  # labelled as an order number
        "运单号：SF13812345678",  # glued to letters: a code
        "金额 13812345678.00 元",  # an amount
        "时间戳 1763604000000",  # 13 digits, no 86 in front
        "日期 20261120，合同 20261120001",  # dates and a contract number
        "138 1234 5678",  # digits in groups: no run of 11
    ],
)
def test_order_numbers_codes_timestamps_and_dates_are_not_personal_data(text):
    # GIVEN a message with a number that is not personal data
    found = _pii(text)
    # THEN no finding
    assert found == []


def test_one_finding_per_message_with_every_kind_masked():
    # GIVEN a message with a resident ID, a mobile number and a bank card
    (finding,) = _pii(f"身份证{RESIDENT_ID}，电话+86-13812345678，卡号{CARD}")
    # THEN one finding on the message, naming the sender, with the masked numbers only
    assert (finding.subject_id, finding.message_id, finding.severity) == ("u1", "m-1", "violation")
    assert finding.evidence["types"] == ["resident_id", "mobile", "bank_card"]
    assert finding.evidence["masked"] == ["1101**********002X", "138****5678", "6222***********0128"]
    assert finding.policy_ref == "000 三(一)2; 001 二.6"


def test_the_numbers_appear_in_no_report_table_notice_or_stored_finding(capsys):
    # GIVEN a message with a resident ID and a mobile number
    snap = snapshot(
        MEMBERS, [message("m-1", "u1", "2026-11-20T10:00:00+08:00", f"{RESIDENT_ID} 13812345678")]
    )
    report = audit(snap)
    parsed = msgspec.json.decode(
        json.dumps(snap).encode(), type=__import__("groupaudit.contracts").contracts.Snapshot
    )
    # WHEN rendered as JSON (what DynamoDB and S3 keep), as a table and as the group notice
    notice = render_notice(report, parsed)
    assert notice is not None
    outputs = [
        render_json(report).decode(),
        render_table(report, "测试群"),
        notice.text,
        msgspec.json.encode(of_rule(report, "pii_exposure")[0]).decode(),
    ]
    # THEN none of them holds the numbers, each holds their masked form or none
    for text in outputs:
        assert RESIDENT_ID not in text and "13812345678" not in text and "19491231" not in text
    assert "1101**********002X" in outputs[0]
    assert "含有身份证号、手机号" in outputs[2]


def test_the_summary_names_the_kind_and_not_the_number_in_both_languages():
    # GIVEN a message with a mobile number
    (zh,) = _pii("我的手机13812345678")
    (en,) = _pii("my phone 13812345678", lang="en")
    # THEN each language says what kind of data it is
    assert zh.summary == "销售部+张三 于 11-20 10:00 发送的消息含有手机号，请撤回并注意保护个人信息"
    assert en.summary == (
        "销售部+张三's message of 11-20 10:00 contains a mobile number; please recall it and keep "
        "personal data out of the group"
    )


def test_numbers_listed_with_commas_are_each_found():
    # GIVEN two mobile numbers separated by a comma
    (finding,) = _pii("值班电话：13812345678,13987654321")
    # THEN both are found, masked
    assert finding.evidence["masked"] == ["138****5678", "139****4321"]


def test_a_tenant_can_look_for_some_kinds_only():
    # GIVEN a policy that looks for resident IDs only
    policies = policy({"pii_exposure": {"detect": ["resident_id"]}})
    # WHEN a mobile number is posted THEN no finding
    assert _pii("电话 13812345678", policies=policies) == []
    assert len(_pii(f"身份证 {RESIDENT_ID}", policies=policies)) == 1

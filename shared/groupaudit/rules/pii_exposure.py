"""pii_exposure: personal data in a message — resident ID, mobile or bank card numbers.

One finding per message, on its digit runs (bounded by non-digits; an ASCII letter glued to a
run makes it a code such as ``SO13812345678``, not a number):
- a resident ID: 18 characters, 17 digits and a digit or X, whose GB 11643 check digit is right
  (python-stdnum) and whose birth date (characters 7-14) is a real date not after the audit;
- a mainland mobile number: 11 digits starting ``1[3-9]``, optionally with ``86`` in front;
- a bank card: 16-19 digits, Luhn-valid (python-stdnum), starting with a card-network prefix
  (62, 4, 51-55, 2221-2720, 34, 37, 35).
Numbers that fail these checks (order numbers, timestamps, amounts, dates) are not personal data,
nor are amounts (a run with a decimal point: ``13812345678.00``),
and neither is a number labelled as an order, tracking, invoice or ticket number just before it
(``non_pii_labels``). The evidence holds the masked numbers only (``3301**********1234``): the
auditor never copies personal data into its report, store, logs or notices, and the summary
does not repeat the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import Finding
from groupaudit.rules.base import (
    Example,
    Expected,
    RuleConfig,
    RuleSpec,
    SeverityName,
    Summary,
    local_iso,
    local_short,
    make_finding,
)
from groupaudit.rules.messagescan import mask_digits, message_scan

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext

KINDS = ("resident_id", "mobile", "bank_card")
_CARD_PREFIXES = ("62", "4", "51", "52", "53", "54", "55", "34", "37", "35")


class PiiExposureConfig(RuleConfig):
    severity: SeverityName = "violation"
    detect: tuple[str, ...] = Field(
        KINDS, description="which personal data to look for: resident_id, mobile, bank_card"
    )
    non_pii_labels: tuple[str, ...] = Field(
        ("订单", "单号", "编号", "流水号", "工单", "运单", "快递", "发票号", "合同号",
         "order", "tracking", "invoice", "ticket", "ref"),
        description="a number right after one of these words (within 6 characters) is that "
        "kind of number, not personal data",
    )  # fmt: skip


def _resident_id(run: str, today: date) -> bool:
    from stdnum.cn.ric import calc_check_digit

    if len(run) != 18 or not run[:17].isdigit():
        return False
    if calc_check_digit(run.upper()) != run[-1].upper():
        return False
    try:
        born = date(int(run[6:10]), int(run[10:12]), int(run[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= today


def _mobile(run: str) -> str | None:
    """The 11-digit number, when the run is one (``86`` in front allowed)."""
    number = run[2:] if len(run) == 13 and run.startswith("86") else run
    if len(number) == 11 and number.isdigit() and number[0] == "1" and number[1] in "3456789":
        return number
    return None


def _bank_card(run: str) -> bool:
    from stdnum.luhn import checksum

    if not (16 <= len(run) <= 19 and run.isdigit()):
        return False
    if not (run.startswith(_CARD_PREFIXES) or 2221 <= int(run[:4]) <= 2720):
        return False
    return checksum(run) == 0


def classify(run: str, today: date, detect: tuple[str, ...] = KINDS) -> tuple[str, str] | None:
    """(kind, masked number) of a digit run that is personal data; None when it is not."""
    if "resident_id" in detect and _resident_id(run, today):
        return "resident_id", mask_digits(run, 4, 4)
    if "mobile" in detect:
        number = _mobile(run)
        if number is not None:
            return "mobile", mask_digits(number, 3, 4)
    if "bank_card" in detect and _bank_card(run):
        return "bank_card", mask_digits(run, 4, 4)
    return None


def check(ctx: AuditContext, config: PiiExposureConfig) -> Iterator[Finding]:
    scan = message_scan(ctx)
    today = ctx.now.astimezone(ctx.tz).date()
    # A label counts within the 6 characters before a number, or ending at most 2 characters
    # before it when longer (a window of 6 alone would never hold "tracking" or "invoice").
    labels = tuple((label.lower(), max(6, len(label) + 2)) for label in config.non_pii_labels)
    reach = max((width for _, width in labels), default=0)
    digit_runs = scan.digit_runs
    for index in sorted(digit_runs):
        runs = digit_runs[index]
        text = scan.text(index)
        found: list[dict[str, str]] = []
        for start, end in runs:
            before = text[max(0, start - reach) : start].lower()
            if any(label in before[-width:] for label, width in labels):
                continue
            kind = classify(text[start:end], today, config.detect)
            if kind is not None:
                found.append({"type": kind[0], "masked": kind[1]})
        if found:
            yield _finding(ctx, config, scan.entries[index], found)


_NAMES = {
    "zh": {"resident_id": "身份证号", "mobile": "手机号", "bank_card": "银行卡号"},
    "en": {"resident_id": "resident ID number", "mobile": "mobile number", "bank_card": "bank card number"},
}


def _finding(ctx: AuditContext, config: PiiExposureConfig, entry, found: list[dict[str, str]]) -> Finding:
    ts, message_id, message = entry
    kinds = sorted({item["type"] for item in found}, key=KINDS.index)
    names = _NAMES["en" if ctx.lang == "en" else "zh"]
    return make_finding(
        ctx,
        rule=RULE,
        config=config,
        key=(message_id,),
        subject_id=message.sender_id,
        message_id=message_id,
        summary=RULE.summary(
            ctx,
            "",
            name=ctx.name(message.sender_id),
            at=local_short(ctx, ts),
            what=("、" if ctx.lang != "en" else ", ").join(names[kind] for kind in kinds),
        ),
        evidence={
            "sent_at": local_iso(ctx, ts),
            "types": kinds,
            "masked": [item["masked"] for item in found],
        },
    )


_MEMBERS = [{"id": "u-zhang", "display_name": "销售部+张三"}, {"id": "u-li", "display_name": "销售部+李四"}]

RULE = RuleSpec(
    id="pii_exposure",
    title_zh="群内泄露个人信息",
    title_en="Personal data posted in the group",
    policy_ref="000 三(一)2; 001 二.6",
    config=PiiExposureConfig,
    check=check,
    summaries={
        "": Summary(
            zh="{name} 于 {at} 发送的消息含有{what}，请撤回并注意保护个人信息",
            en="{name}'s message of {at} contains a {what}; please recall it and keep personal data out "
            "of the group",
        )
    },
    table_evidence=("sent_at", "types", "masked"),
    examples=(
        Example(
            "a resident ID with a valid check digit, and a mobile number after +86",
            {
                "members": _MEMBERS,
                "messages": [
                    {
                        "id": "m-1",
                        "sender_id": "u-zhang",
                        "sent_at": "2026-11-20T10:00:00+08:00",
                        "text": "客户身份证 11010519491231002X，帮忙登记一下",
                    },
                    {
                        "id": "m-2",
                        "sender_id": "u-li",
                        "sent_at": "2026-11-20T10:05:00+08:00",
                        "text": "有事打我电话+8613812345678",
                    },
                ],
            },
            expect=(Expected("u-li", message_id="m-2"), Expected("u-zhang", message_id="m-1")),
        ),
        Example(
            "an order number, a wrong check digit, a timestamp and an amount",
            {
                "members": _MEMBERS,
                "messages": [
                    {
                        "id": "m-1",
                        "sender_id": "u-zhang",
                        "sent_at": "2026-11-20T10:00:00+08:00",
                        "text": "订单号 13812345678 已发货，身份证 110105194912310021 核对有误",
                    },
                    {
                        "id": "m-2",
                        "sender_id": "u-li",
                        "sent_at": "2026-11-20T10:05:00+08:00",
                        "text": "时间戳 1763604000000，回款 12500000000 元",
                    },
                ],
            },
        ),
    ),
)

"""The message scan: one pass over the texts finds what every enabled message rule needs, and
what it finds does not depend on how many messages are joined for one scan."""

from __future__ import annotations

import pytest

from factories import audit, member, message, policy, snapshot
from groupaudit.rules import messagescan

MEMBERS = [member("u1", "销售部+张三"), member("u2", "销售部+李四"), member("bot", "机器人", is_bot=True)]
TEXTS = [
    "刷单",  # a keyword filling a whole text
    "联系 13812345678",  # a mobile number at the very end of a text
    "13912345678 是我的",  # ... and at the very start of the next
    "",
    "看 https://pan.example.net/s/abc",
    "紧急：服务器宕机",  # an urgent marker, at 22:00: no off-hours finding
    "class Assessment 兼职日结",
    None,
    "www.example.org 脑残",
]
MESSAGES = [
    message(f"m-{i}", "u1" if i % 2 else "u2", f"2026-11-19T22:{i:02d}:00+08:00", text)
    for i, text in enumerate(TEXTS)
] + [message("m-bot", "bot", "2026-11-19T22:30:00+08:00", "刷单 13812345678")]
RULES = {"prohibited_content": {"allowed_link_domains": ["dingtalk.com"]}}
MESSAGE_RULES = ("prohibited_content", "pii_exposure", "off_hours_post")


def _findings() -> list[tuple]:
    report = audit(snapshot(MEMBERS, MESSAGES), policies=policy(RULES))
    return [
        (f.rule, f.kind, f.message_id, tuple(sorted(map(str, f.evidence.items()))))
        for f in report.findings
        if f.rule in MESSAGE_RULES
    ]


@pytest.mark.parametrize("chunk", [1, 2, 3, 4])
def test_what_the_scan_finds_does_not_depend_on_how_many_texts_one_scan_joins(monkeypatch, chunk):
    # GIVEN hits at the very start and end of texts, empty and missing texts, and a bot's message
    whole = _findings()
    # WHEN the texts are scanned a few at a time
    monkeypatch.setattr(messagescan, "_CHUNK", chunk)
    # THEN the message rules find exactly what one scan of all the texts finds
    assert _findings() == whole
    by_rule = sorted((rule, kind, message_id) for rule, kind, message_id, _ in whole)
    assert by_rule == [("off_hours_post", "outside_hours", f"m-{i}") for i in (0, 1, 2, 3, 4, 6, 7, 8)] + [
        ("pii_exposure", None, "m-1"),
        ("pii_exposure", None, "m-2"),
        ("prohibited_content", "advertising", "m-0"),
        ("prohibited_content", "advertising", "m-6"),
        ("prohibited_content", "link", "m-4"),
        ("prohibited_content", "link", "m-8"),
        ("prohibited_content", "red_line", "m-8"),
    ]


def test_one_pass_over_the_texts_serves_every_enabled_message_rule(monkeypatch):
    # GIVEN all three message rules on, links checked
    passes: list[set[str]] = []
    scan = messagescan.MessageScan._scan

    def counted(self, kinds):
        passes.append(set(kinds))
        return scan(self, kinds)

    monkeypatch.setattr(messagescan.MessageScan, "_scan", counted)
    # WHEN the group is audited
    audit(snapshot(MEMBERS, MESSAGES), policies=policy(RULES))
    # THEN the texts were read once, for keywords, digit runs and links together
    assert passes == [{"keywords", "digit_runs", "links"}]


def test_a_kind_no_enabled_rule_needs_is_looked_for_only_when_asked(monkeypatch):
    # GIVEN pii_exposure off and no allowed link domains
    passes: list[set[str]] = []
    scan = messagescan.MessageScan._scan

    def counted(self, kinds):
        passes.append(set(kinds))
        return scan(self, kinds)

    monkeypatch.setattr(messagescan.MessageScan, "_scan", counted)
    # WHEN the group is audited
    audit(snapshot(MEMBERS, MESSAGES), policies=policy({"pii_exposure": {"enabled": False}}))
    # THEN one pass looked for the keywords only
    assert passes == [{"keywords"}]

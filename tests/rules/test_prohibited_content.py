"""prohibited_content: advertising, links outside the allowed domains, prohibited words and red
lines, one finding per message and category, never repeating the words in a notice."""

from __future__ import annotations

import json

import msgspec
import pytest

from factories import audit, member, message, of_rule, policy, snapshot
from groupaudit.contracts import Snapshot
from groupaudit.render import render_notice

MEMBERS = [member("u1", "销售部+张三"), member("u2", "销售部+李四"), member("bot", "机器人", is_bot=True)]


def _content(texts: list[str], rules: dict | None = None, lang: str = "zh", sender: str = "u1") -> list:
    messages = [
        message(f"m-{i}", sender, f"2026-11-20T10:{i:02d}:00+08:00", text) for i, text in enumerate(texts, 1)
    ]
    policies = policy({"prohibited_content": rules}) if rules else None
    return of_rule(audit(snapshot(MEMBERS, messages), policies=policies, lang=lang), "prohibited_content")


def _facts(found: list) -> list[tuple]:
    return sorted((f.message_id, f.kind, f.severity) for f in found)


def test_an_advert_is_advertising_and_an_insult_a_red_line():
    # GIVEN an advert and an insult
    found = _content(["加微信领取优惠券，限时特价", "你就是个傻逼"])
    # THEN one finding each: advertising a violation, the insult a red line of 003 第四章 2.5
    assert _facts(found) == [("m-1", "advertising", "violation"), ("m-2", "red_line", "red_line")]
    assert [f.policy_ref for f in sorted(found, key=lambda f: f.message_id)] == [
        "003 第四章 2.3; 000 三(一)2; 002 六(一)2",
        "003 第四章 2.5",
    ]


def test_one_finding_per_message_and_category():
    # GIVEN one message with two advertising words and a red-line word
    found = _content(["兼职刷单日结，加微信领红包，傻逼才不来"])
    # THEN two findings on it: advertising (both words) and red_line
    assert _facts(found) == [("m-1", "advertising", "violation"), ("m-1", "red_line", "red_line")]
    advert = next(f for f in found if f.kind == "advertising")
    assert advert.evidence["matched"] == ["刷*", "加***"]


@pytest.mark.parametrize(
    "text",
    [
        "今晚做接口暴力测试，大家别慌",  # no 暴力 in the built-in lists
        "压测报告显示登录接口的暴力破解防护生效",
        "客户说这个方案太脑洞了",  # not 脑残
        "the class Assessment passed",  # no whole word of the English list
        "请把报价单发到 https://pan.example.net/s/abc",  # no allowed domains listed: links unchecked
    ],
)
def test_ordinary_work_talk_is_not_prohibited(text):
    assert _content([text]) == []


def test_a_word_the_tenant_adds_does_not_fire_inside_an_allowed_phrase():
    # GIVEN a policy that adds 暴力 to the red lines
    rules = {"extra_red_line_keywords": ["暴力"]}
    # WHEN 暴力 is posted alone, and inside 暴力测试
    found = _content(["不许用暴力解决问题", "明天做暴力测试"], rules)
    # THEN only the first is a red line
    assert _facts(found) == [("m-1", "red_line", "red_line")]


def test_the_company_keyword_list_extends_the_built_in_one():
    # GIVEN the company's own words
    rules = {"keywords": ["内部价格"], "extra_advertising_keywords": ["团购群"]}
    # WHEN posted, with a built-in advertising word
    found = _content(["内部价格不要外传", "拉大家进团购群", "刷单的别来"], rules)
    # THEN the company's word is a keyword finding, its advertising word and the built-in one advertising
    assert _facts(found) == [
        ("m-1", "keyword", "violation"),
        ("m-2", "advertising", "violation"),
        ("m-3", "advertising", "violation"),
    ]


def test_english_words_match_whole_words_in_any_case():
    found = _content(["FUCK YOU all", "Make Money Fast with us"])
    assert _facts(found) == [("m-1", "red_line", "red_line"), ("m-2", "advertising", "violation")]


@pytest.mark.parametrize(
    ("link", "fires"),
    [
        ("https://alidocs.dingtalk.com/i/nodes/abc", False),  # a subdomain of an allowed domain
        ("https://dingtalk.com/x", False),
        ("https://notdingtalk.com/x", True),  # ends with the name but is another domain
        ("www.youhui-promo.cn/a/1", True),
        ("http://dingtalk.com.evil.cn/x", True),
    ],
)
def test_links_outside_the_allowed_domains_fire_when_domains_are_listed(link, fires):
    found = _content([f"资料见 {link}，请查收"], {"allowed_link_domains": ["dingtalk.com"]})
    assert _facts(found) == ([("m-1", "link", "violation")] if fires else [])
    if fires:
        assert found[0].evidence["domains"] == [link.split("//")[-1].split("/")[0]]


def test_bots_are_not_checked():
    assert _content(["刷单日结"], sender="bot") == []


def test_the_evidence_is_masked_and_the_red_line_notice_does_not_repeat_the_words():
    # GIVEN an insult with a phone number next to it
    texts = ["王五你这个傻逼，有种打我电话13812345678"]
    (finding,) = _content(texts)
    snap = snapshot(MEMBERS, [message("m-1", "u1", "2026-11-20T10:01:00+08:00", texts[0])])
    report = audit(snap)
    notice = render_notice(report, msgspec.json.decode(json.dumps(snap).encode(), type=Snapshot))
    assert notice is not None
    # THEN the evidence holds the word masked and a masked excerpt, and the notice names the clause only
    assert finding.evidence["matched"] == ["傻*"]
    assert finding.evidence["excerpt"] == "王五你这个**，有种打我电话1…"  # of 13*******78
    assert "傻逼" not in json.dumps(finding.evidence, ensure_ascii=False)
    assert "13812345678" not in json.dumps(finding.evidence, ensure_ascii=False)
    assert "傻逼" not in notice.text and "13812345678" not in notice.text
    assert (
        finding.summary
        == "销售部+张三 于 11-20 10:01 发送的消息触及群规高压红线（003 第四章 2.5），请群管理员核实处理"
    )


def test_summaries_in_english():
    (advert,) = _content(["刷单日结"], lang="en")
    (link,) = _content(["see www.promo.cn"], {"allowed_link_domains": ["example.com"]}, lang="en")
    assert advert.summary == "销售部+张三's message of 11-20 10:01 contains advertising; please recall it"
    assert link.summary == (
        "销售部+张三's message of 11-20 10:01 links outside the allowed domains (www.promo.cn); "
        "please recall it"
    )

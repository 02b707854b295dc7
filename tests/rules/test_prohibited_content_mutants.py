"""prohibited_content: the link finding's id, clause, evidence and summary, value by value.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing"):
each test names the false or lost finding, or the wrong record, a surviving mutant would cause.
"""

from __future__ import annotations

from factories import audit, member, message, of_rule, policy, snapshot
from groupaudit.rules.base import finding_id

MEMBERS = [member("u1", "销售部+张三")]


def _content(texts: list[str], rules: dict | None = None, lang: str = "zh") -> list:
    messages = [
        message(f"m-{i}", "u1", f"2026-11-20T10:{i:02d}:00+08:00", text) for i, text in enumerate(texts, 1)
    ]
    policies = policy({"prohibited_content": rules}) if rules else None
    return of_rule(audit(snapshot(MEMBERS, messages), policies=policies, lang=lang), "prohibited_content")


def test_a_link_outside_the_allowed_domains_has_its_clause_id_and_whole_evidence():
    # GIVEN a message linking to two outside hosts while only dingtalk.com is allowed
    text = "资料见 https://pan.example.net/s/abc 和 www.promo.cn"
    # WHEN audited
    (finding,) = _content([text], {"allowed_link_domains": ["dingtalk.com"]})
    # THEN the finding names the link clause, keeps the documented id of (message, "link"), and
    # its evidence lists the hosts and the allowed domains
    assert (finding.kind, finding.policy_ref) == ("link", "003 第四章 2.3")
    assert finding.id == finding_id("acme", "grp-test", "prohibited_content", "m-1", "link")
    assert finding.evidence == {
        "category": "link",
        "sent_at": "2026-11-20T10:01:00+08:00",
        "domains": ["pan.example.net", "www.promo.cn"],
        "allowed_domains": ["dingtalk.com"],
    }
    assert (
        finding.summary
        == "销售部+张三 于 11-20 10:01 发送了非允许域名的链接（pan.example.net, www.promo.cn），请撤回"
    )


def test_a_link_with_no_host_is_no_outside_link():
    # GIVEN links that name no host at all (a port alone, an empty authority)
    # WHEN audited with allowed domains listed
    # THEN no finding: there is no domain to be outside of (a false finding on a host "xxxx" otherwise)
    assert _content(["端口见 http://:8080/x 或 http:///a"], {"allowed_link_domains": ["dingtalk.com"]}) == []


def test_the_evidence_of_a_keyword_finding_is_complete():
    # GIVEN an advert
    # WHEN audited
    (finding,) = _content(["兼职刷单日结，有意私聊"])
    # THEN the evidence holds the category, the time, the masked word and a masked excerpt
    assert finding.id == finding_id("acme", "grp-test", "prohibited_content", "m-1", "advertising")
    assert finding.evidence == {
        "category": "advertising",
        "sent_at": "2026-11-20T10:01:00+08:00",
        "matched": ["刷*"],
        "excerpt": "兼职**日结，有意私聊",
    }


def test_allowed_domains_are_read_without_their_dots():
    # GIVEN an allowed domain written with leading and trailing dots
    # WHEN a link to one of its subdomains is audited
    # THEN it is allowed (a false finding on the company's own domain otherwise)
    assert _content(["见 https://www.dingtalk.com/doc"], {"allowed_link_domains": [".dingtalk.com."]}) == []


def test_an_allowed_phrase_or_an_urgent_marker_does_not_hide_the_words_after_it():
    # GIVEN 暴力 listed as a red line, and a message holding the allowed 暴力测试, then an advert;
    # and a message marked 紧急 (urgent) holding an advert
    rules = {"extra_red_line_keywords": ["暴力"]}
    # WHEN audited
    found = _content(["今晚暴力测试，完了扫码领取红包", "紧急：扫码领取红包"], rules)
    # THEN each advert is found and 暴力 inside 暴力测试 is not (lost findings otherwise)
    assert sorted((f.message_id, f.kind) for f in found) == [("m-1", "advertising"), ("m-2", "advertising")]


def test_a_word_ending_where_an_allowed_phrase_ends_is_part_of_it():
    # GIVEN 破解 as a company keyword and 暴力破解 (brute-force testing) an allowed phrase
    # WHEN a message about brute-force testing is audited
    # THEN nothing: 破解 is inside the allowed phrase (a false finding otherwise)
    assert _content(["周五做登录接口的暴力破解演练"], {"keywords": ["破解"]}) == []

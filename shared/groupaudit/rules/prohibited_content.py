"""prohibited_content: advertising, outside links, the company's prohibited words and the red lines.

One finding per message and category: ``advertising`` (promotion, spam), ``link`` (a link to a
domain the policy does not allow; only when the policy lists ``allowed_link_domains``),
``keyword`` (the company's own list) and ``red_line`` (insults, discrimination, pornography and
the like, 003 第四章 2.5: severity ``red_line``). The built-in lists are small and conservative
(no "暴力" that would match "暴力测试"); a tenant extends them with ``extra_*`` lists and its
``keywords``, and ``allowed_phrases`` neutralise a listed word inside a longer phrase. English
words match whole words only. All lists are found in one pass over all texts (the message scan).
The evidence holds the matched word masked (``傻*``) and a masked excerpt, never the message; the
summary does not repeat it either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

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
from groupaudit.rules.messagescan import Hit, mask_term, masked_excerpt, message_scan

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext, Entry

CATEGORIES = ("red_line", "advertising", "keyword", "link")

DEFAULT_ADVERTISING = (
    "刷单", "兼职日结", "日结工资", "加微信领", "扫码领取", "扫码进群", "免费领取", "限时特价",
    "代理加盟", "招代理", "躺赚", "日赚", "稳赚不赔", "低息贷款", "无抵押贷款", "代开发票", "网赚",
    "make money fast", "crypto giveaway", "buy followers",
)  # fmt: skip
DEFAULT_RED_LINE = (
    "傻逼", "煞笔", "傻叉", "脑残", "贱人", "狗东西", "去死吧", "操你妈", "草泥马",
    "色情网站", "黄色网站", "约炮", "裸聊", "fuck you", "motherfucker",
)  # fmt: skip
DEFAULT_KEYWORDS = ("网络赌博", "赌博网站", "赌球", "六合彩")
DEFAULT_ALLOWED_PHRASES = ("暴力测试", "暴力破解")


class ProhibitedContentConfig(RuleConfig):
    severity: SeverityName = "violation"
    red_line_severity: SeverityName = Field("red_line", description="severity of a red-line finding")
    advertising_keywords: tuple[str, ...] = Field(
        DEFAULT_ADVERTISING, description="words of advertising and spam (the built-in list)"
    )
    extra_advertising_keywords: tuple[str, ...] = Field(
        (), description="the company's words of advertising, on top of advertising_keywords"
    )
    keywords: tuple[str, ...] = Field(
        DEFAULT_KEYWORDS, description="the company's own prohibited words (category keyword)"
    )
    red_line_keywords: tuple[str, ...] = Field(
        DEFAULT_RED_LINE,
        description="words of the red lines of 003 第四章 2.5: insults, discrimination, pornography "
        "(the built-in list)",
    )
    extra_red_line_keywords: tuple[str, ...] = Field(
        (), description="the company's red-line words, on top of red_line_keywords"
    )
    allowed_phrases: tuple[str, ...] = Field(
        DEFAULT_ALLOWED_PHRASES,
        description="phrases in which a listed word is no offence (暴力 in 暴力测试, load testing)",
    )
    allowed_link_domains: tuple[str, ...] = Field(
        (),
        description="domains links may point to (their subdomains too); empty: links are not checked",
    )


def check(ctx: AuditContext, config: ProhibitedContentConfig) -> Iterator[Finding]:
    scan = message_scan(ctx)
    allowed_domains = tuple(d.lower().strip(".") for d in config.allowed_link_domains)
    keywords = scan.keywords
    links = scan.links if allowed_domains else {}
    for index in sorted(keywords.keys() | links.keys()):
        text = scan.text(index)
        entry = scan.entries[index]
        hits = keywords.get(index, ())
        allowed = [(h.start, h.end) for h in hits if h.category == "allowed"]
        by_category: dict[str, list[Hit]] = {}
        for hit in hits:
            if hit.category in ("allowed", "urgent"):
                continue
            if any(start <= hit.start and hit.end <= end for start, end in allowed):
                continue  # part of an allowed phrase
            by_category.setdefault(hit.category, []).append(hit)
        for category in CATEGORIES[:3]:
            if category in by_category:
                yield _keyword_finding(ctx, config, entry, text, category, by_category[category])
        if index in links:
            outside = []
            for start, end in links[index]:
                host = _host(text[start:end])
                if host and not _allowed(host, allowed_domains) and host not in outside:
                    outside.append(host)
            if outside:
                yield _link_finding(ctx, config, entry, outside)


def _host(link: str) -> str | None:
    url = link if "://" in link else "http://" + link
    try:
        return (urlsplit(url).hostname or "").lower() or None
    except ValueError:
        return None


def _allowed(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


_CATEGORY_NAMES = {
    "zh": {"red_line": "红线内容（不当言论或不良内容）", "advertising": "广告推销", "keyword": "禁用词"},
    "en": {"red_line": "red-line content", "advertising": "advertising", "keyword": "a prohibited word"},
}


def _keyword_finding(
    ctx: AuditContext,
    config: ProhibitedContentConfig,
    entry: Entry,
    text: str,
    category: str,
    hits: list[Hit],
) -> Finding:
    ts, message_id, message = entry
    first = min(hits, key=lambda h: h.start)
    terms = sorted({mask_term(hit.term) for hit in hits})
    name = ctx.name(message.sender_id)
    what = _CATEGORY_NAMES["en" if ctx.lang == "en" else "zh"][category]
    kind = "red_line" if category == "red_line" else "content"
    return make_finding(
        ctx,
        rule=RULE,
        config=config,
        key=(message_id, category),
        kind=category,
        severity=config.red_line_severity if category == "red_line" else None,
        subject_id=message.sender_id,
        message_id=message_id,
        policy_ref=_REFS[category],
        summary=RULE.summary(ctx, kind, name=name, at=local_short(ctx, ts), what=what),
        evidence={
            "category": category,
            "sent_at": local_iso(ctx, ts),
            "matched": terms,
            "excerpt": masked_excerpt(text, first.start, first.end),
        },
    )


def _link_finding(
    ctx: AuditContext, config: ProhibitedContentConfig, entry: Entry, hosts: list[str]
) -> Finding:
    ts, message_id, message = entry
    return make_finding(
        ctx,
        rule=RULE,
        config=config,
        key=(message_id, "link"),
        kind="link",
        subject_id=message.sender_id,
        message_id=message_id,
        policy_ref=_REFS["link"],
        summary=RULE.summary(
            ctx, "link", name=ctx.name(message.sender_id), at=local_short(ctx, ts), hosts=", ".join(hosts)
        ),
        evidence={
            "category": "link",
            "sent_at": local_iso(ctx, ts),
            "domains": hosts,
            "allowed_domains": list(config.allowed_link_domains),
        },
    )


_REFS = {
    "red_line": "003 第四章 2.5",
    "advertising": "003 第四章 2.3; 000 三(一)2; 002 六(一)2",
    "keyword": "000 三(一)2; 000 六(一)2",
    "link": "003 第四章 2.3",
}

_MEMBERS = [
    {"id": "u-zhang", "display_name": "销售部+张三"},
    {"id": "u-li", "display_name": "销售部+李四"},
    {"id": "u-wang", "display_name": "销售部+王五"},
]


def _message(message_id: str, sender: str, minute: int, text: str) -> dict[str, str]:
    return {
        "id": message_id,
        "sender_id": sender,
        "sent_at": f"2026-11-20T10:{minute:02d}:00+08:00",
        "text": text,
    }


RULE = RuleSpec(
    id="prohibited_content",
    title_zh="违规内容（广告、外链、禁用词、红线）",
    title_en="Prohibited content: advertising, outside links, prohibited words, red lines",
    policy_ref="000 三(一)2; 003 第四章 2.3-2.5; 002 六(一)2",
    config=ProhibitedContentConfig,
    check=check,
    summaries={
        "content": Summary(
            zh="{name} 于 {at} 发送的消息含有{what}，请撤回",
            en="{name}'s message of {at} contains {what}; please recall it",
        ),
        # a red line: the notice names the clause, never the words
        "red_line": Summary(
            zh="{name} 于 {at} 发送的消息触及群规高压红线（003 第四章 2.5），请群管理员核实处理",
            en="{name}'s message of {at} crosses a red line of the group rules (003 ch. 4 2.5); "
            "admins, please review it",
        ),
        "link": Summary(
            zh="{name} 于 {at} 发送了非允许域名的链接（{hosts}），请撤回",
            en="{name}'s message of {at} links outside the allowed domains ({hosts}); please recall it",
        ),
    },
    table_evidence=("category", "sent_at", "matched", "excerpt", "domains"),
    examples=(
        Example(
            "an advert, a red-line insult and a link outside the allowed domains",
            {
                "members": _MEMBERS,
                "messages": [
                    _message("m-1", "u-zhang", 0, "兼职刷单日结，有意私聊"),
                    _message("m-2", "u-li", 5, "你就是个脑残"),
                    _message("m-3", "u-wang", 10, "资料见 https://pan.example.net/s/abc"),
                ],
            },
            settings={"allowed_link_domains": ["dingtalk.com"]},
            expect=(
                Expected("u-li", "red_line", message_id="m-2"),
                Expected("u-wang", "link", message_id="m-3"),
                Expected("u-zhang", "advertising", message_id="m-1"),
            ),
        ),
        Example(
            "a load test (暴力测试 is allowed), a class name and a link while no domains are listed",
            {
                "members": _MEMBERS,
                "messages": [
                    _message("m-1", "u-zhang", 0, "今晚做接口暴力测试，别慌"),
                    _message("m-2", "u-li", 5, "the class Assessment is in https://pan.example.net/s/abc"),
                ],
            },
            settings={"extra_red_line_keywords": ["暴力", "ass"]},
        ),
    ),
)

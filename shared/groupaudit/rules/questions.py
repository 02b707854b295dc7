"""Reading a chat message the way a colleague would: is it a question, to whom, and is a later
message an answer, an echo or an acknowledgement?

Pure text analysis for ``overdue_reply``; every word list comes from the rule's config, so a
tenant can extend it. Questions are recognised per sentence, on where a word stands, not on
whether it occurs somewhere: "要填什么" asks, "不知道怎么写" and "有什么问题随时找我" do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

# Sentence ends; a sentence keeps its terminators (a "?" is the strongest sign there is).
_SENTENCE = re.compile(r"[^。！!？?；;\n]+[。！!？?；;\n]*")
# Inline @-mentions as the platforms render them: "@张三 ", "<@U123>", "@所有人".
_AT_TOKEN = re.compile(r"<@[^>]+>|@\S+?(?:\s|$)|@\S+$")
# Links: a "?" in a query string asks nothing.
_URL = re.compile(r"(?:https?://|www\.)[^\s\u4e00-\u9fff，。！？]+", re.IGNORECASE)
# Emoji, bracketed stickers ([微笑]), kaomoji punctuation and spaces at a sentence's end.
_TAIL = re.compile(
    r"(?:\[[^\[\]]{1,6}\]|[\s~～…。，,、.!！;；:：\"'“”‘’)）】」』\u2600-\u27bf\U0001f000-\U0001faff])+$"
)
_NOT_CONTENT = re.compile(r"[\s\W_]+", re.UNICODE)
_LATIN_WORD = re.compile(r"[A-Za-z']+")


@dataclass(frozen=True)
class Lexicon:
    """The word lists a question reader uses (all configurable in the policy)."""

    markers: tuple[str, ...]  # make a sentence a question wherever they stand (请问, 是否, 有没有)
    particles: tuple[str, ...]  # sentence-final question particles (吗, 么)
    words: tuple[str, ...]  # question words, questions only in question position (什么, 怎么)
    embedding: tuple[str, ...]  # before a question word, make it a statement (不知道, 看看)
    offers: tuple[str, ...]  # make "有什么问题…" an offer, not a question (随时, 如果)
    phatic: tuple[str, ...]  # whole questions that ask nothing (怎么了, 在吗, 是吗)
    social: tuple[str, ...]  # topics that are not work (吃饭, 奶茶)
    requests: tuple[str, ...]  # make an addressed message a request (请, 麻烦, 尽快)
    english_requests: tuple[str, ...]  # "can you", "please"

    @cached_property
    def patterns(self) -> Patterns:
        """Compiled once per lexicon (a rule config holds one for the whole audit)."""
        return _build(self)


@dataclass(frozen=True)
class Patterns:
    """A lexicon's word lists compiled: ``cue`` matches in every text that may ask something
    (a question mark, particle, marker, question word, A-not-A form or English opener); the
    others judge a sentence."""

    cue: re.Pattern[str]
    asking: re.Pattern[str]  # markers (group m), A-not-A forms (group ab), question words (group w)
    embedding: re.Pattern[str] | None
    offers: re.Pattern[str] | None
    social: re.Pattern[str] | None
    request: re.Pattern[str] | None
    english_request: re.Pattern[str] | None
    particles: tuple[str, ...]
    phatic: frozenset[str]


def _alternation(words: Iterable[str]) -> str:
    """An alternation of literal words, longest first, behind a lookahead on their first
    characters: Python's ``re`` tries every alternative at every position otherwise (4-5x
    slower on a million messages)."""
    unique = sorted({w for w in words if w}, key=len, reverse=True)
    if not unique:
        return ""
    firsts = "".join(sorted({re.escape(w[0]) for w in unique}))
    return f"(?=[{firsts}])(?:" + "|".join(re.escape(w) for w in unique) + ")"


def compile_words(words: Iterable[str], flags: int = 0) -> re.Pattern[str] | None:
    """A search for any of ``words``. Case-sensitive: the bare alternation, longest first, which
    ``re`` searches skipping, in C, the positions that hold none of the first characters (the
    lookahead makes it try each position: twice as slow over the bench texts); ignoring case,
    ``re`` has no such skip and the lookahead is the faster (3x)."""
    if not flags & re.IGNORECASE:
        body = "|".join(_literal_words(words))
        return re.compile(body, flags) if body else None
    body = _alternation(words)
    return re.compile(body, flags) if body else None


# A-not-A questions: 是不是, 能不能, 有没有, 可不可以, 需不需要 (not after 不管/无论/不论).
_A_NOT_A = r"(?=[不没])(?<!不管.)(?<!无论.)(?<!不论.)(?<=(?P<c>[\u4e00-\u9fff]))[不没](?P=c)"
_NEVER = r"(?!x)x"


def _led_by_literals(alternatives: Iterable[str]) -> str:
    """One alternation whose every alternative starts with a literal character: ``re`` then
    skips, at C speed, every position that holds none of those characters (with a lookahead
    in front it tries a match at every position: about twice as slow over a million texts)."""
    return "|".join(alternatives)


def _literal_words(words: Iterable[str]) -> list[str]:
    return [re.escape(w) for w in sorted({w for w in words if w}, key=len, reverse=True)]


# Words an English question may open with (a cue only; the sentence is judged by _EN_ASKS).
_EN_STARTERS = (
    "what",
    "how",
    "where",
    "when",
    "why",
    "who",
    "which",
    "can",
    "could",
    "would",
    "will",
    "should",
    "is",
    "are",
    "does",
    "do",
    "did",
    "has",
    "have",
    "any",
)
# The cue of an English opener, "(?i:(?<![A-Za-z'])(?:what|how|…)[\s@<])", with each alternative
# led by one literal first letter: "w(?i:(?<![A-Za-z'].)hat[\s@<])". An @-mention glued to the
# opener ("can@张伟 you…", "can<@U1> you…") cues too: the sentence is judged without it.
_EN_CUE_LED = tuple(
    f"{re.escape(first)}(?i:(?<![A-Za-z'].){re.escape(word[1:])}[\\s@<])"
    for word in _EN_STARTERS
    for first in (word[0], word[0].upper())
)
# A-not-A led by its 不 or 没 (the lookbehinds then include it).
_A_NOT_A_LED = tuple(
    f"{c}(?<!不管.{c})(?<!无论.{c})(?<!不论.{c})(?<=(?P<ab{i}>[\u4e00-\u9fff]){c})(?P=ab{i})"
    for i, c in enumerate("不没")
)


def _build(lexicon: Lexicon) -> Patterns:
    markers = _alternation(lexicon.markers) or _NEVER
    words = _alternation(lexicon.words) or _NEVER
    # Any match will do (the cue only says whether a text may ask): the same texts as
    # "[?？] | particle | marker | question word | A-not-A | English opener", led by literals.
    cue = _led_by_literals(
        [
            r"\?",
            "？",
            *_literal_words((*lexicon.particles, *lexicon.markers, *lexicon.words)),
            *_A_NOT_A_LED,
            *_EN_CUE_LED,
        ]
    )
    # 请 asks only as a verb of its own: not inside 申请, 邀请, 聘请, 宴请, 请假, 请客, 请柬; a
    # request word after 已/已经/没/不 reports or refuses ("已确认", "不用处理").
    requests = _alternation(lexicon.requests)
    return Patterns(
        cue=re.compile(cue),
        asking=re.compile(f"(?P<m>{markers})|(?P<ab>{_A_NOT_A})|(?P<w>{words})"),
        embedding=compile_words(lexicon.embedding),
        offers=compile_words(lexicon.offers),
        social=compile_words(lexicon.social, re.IGNORECASE),
        request=re.compile(f"(?<![申邀聘宴已经没不])(?:{requests})(?![假客柬])") if requests else None,
        english_request=compile_words(lexicon.english_requests, re.IGNORECASE),
        particles=tuple(p for p in lexicon.particles if p),
        phatic=frozenset(_content(p) for p in lexicon.phatic),
    )


def _content(text: str) -> str:
    return _NOT_CONTENT.sub("", text).lower()


def strip_mentions(text: str) -> str:
    """The text without inline @-mentions and links (what is left is what the sender says)."""
    if "@" in text:
        text = _AT_TOKEN.sub(" ", text)
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    return text


_EN_STOP = re.compile(r"(?<=[A-Za-z0-9)\]'\"”])\.\s+(?=[A-Z<])")  # "Search in maps. What do…"


def sentences(text: str) -> list[tuple[str, bool]]:
    """``(core, asks)`` per sentence: the sentence without its trailing punctuation, emoji and
    stickers, and whether it ended in a question mark."""
    out = []
    for match in _SENTENCE.finditer(text):
        whole = match.group(0)
        pieces = _EN_STOP.split(whole) if ". " in whole else [whole]
        for piece in pieces:
            asks = "?" in piece or "？" in piece  # only a terminator can be one
            core = piece.rstrip("。！!？?；;\n \t")
            if core and not core[-1].isalnum():
                core = _TAIL.sub("", core)
            core = core.strip()
            if asks and "(" in core and core.rfind("(") > core.rfind(")"):
                core = core[core.rfind("(") + 1 :].strip()  # "… (say what?)": the aside asks
            if core:
                out.append((core, asks))
    return out


# English questions with no question mark: "What do you think about…", "Can someone check…".
_EN_ASKS = re.compile(
    r"^(?:(?:what|how|where|when|why|who|which)\s+(?:\S+\s+){2,}|"
    r"(?:can|could|would|will|should|is|are|does|do|did|has|have)\s+"
    r"(?:you|anyone|anybody|someone|somebody|we|i|they|it|this|that|there)\b|"
    r"any\s+(?:idea|ideas|thoughts|update|news)\b)",
    re.IGNORECASE,
)


_CJK = re.compile(r"[\u4e00-\u9fff]")
_ECHO_LENGTH = 8  # longer sentences are never phatic


_SPEAKER = re.compile(r"^\s*[^：:，,。？?\n]{1,16}[：:]", re.MULTILINE)


# What each sentence was judged (see ``_judged``): (core, ends in ?, social text) -> marker.
Judged = dict[tuple[str, bool, bool], str | None]


def question_marker(
    text: str, lexicon: Lexicon, *, searched: bool = False, judged: Judged | None = None
) -> str | None:
    """The marker that makes ``text`` a work question, or None. Judged sentence by sentence.
    ``searched``: the caller already found a question cue in ``text``. ``judged``: the
    caller's memo of sentences already judged, kept for one audit (a lexicon lives as long as
    its cached policy, so a memo on it would keep every sentence of every audit)."""
    pats = lexicon.patterns
    if not searched and pats.cue.search(text) is None:
        return None
    if "\n" in text and len(_SPEAKER.findall(text)) >= 2:
        return None  # a reported dialogue ("甲：你的梦想是什么？\n乙：…"), not the sender asking
    body = strip_mentions(text)
    # Every sentence is a part of the body: a social word in none of them is in none of them.
    social = pats.social if pats.social is not None and pats.social.search(body) else None
    parts = sentences(body)
    for index, (core, asks) in enumerate(parts):
        marker = _judged(core, asks, pats, social, judged)
        if marker is not None:
            after = parts[index + 1][0] if index + 1 < len(parts) else ""
            if after and social is not None and social.search(after):
                return None  # "…where all the Pokemons are? Asking for a friend"
            return marker
    return None


def _judged(
    core: str, asks: bool, pats: Patterns, social: re.Pattern[str] | None, judged: Judged | None
) -> str | None:
    """``_sentence_marker``, once per distinct sentence of ``judged``'s audit: texts differ more
    than their sentences do (a group's texts join the same few greetings, reminders and
    questions in new ways)."""
    if judged is None:
        return _sentence_marker(core, asks, pats, social)
    key = (core, asks, social is not None)
    if key in judged:
        return judged[key]
    marker = judged[key] = _sentence_marker(core, asks, pats, social)
    return marker


def _sentence_marker(core: str, asks: bool, pats: Patterns, social: re.Pattern[str] | None) -> str | None:
    """``social``: the social topics' pattern, None where the text holds none of them."""
    if len(core) <= _ECHO_LENGTH:
        content = _content(core)
        if len(content) < 2 or content in pats.phatic:
            return None  # "？", "啊？", "怎么了", "在吗", "是吗"
    if social is not None and social.search(core):
        return None
    if _CJK.search(core) is None:  # English
        if len(_LATIN_WORD.findall(core)) < 3:
            return None  # "say what?", "really?"
        return "?" if asks else ("?" if _EN_ASKS.match(core) else None)
    if asks:
        return "？"
    for particle in pats.particles:
        if core.endswith(particle) and not core.endswith(("那么", "这么", "多么", "要么", "什么", "怎么")):
            return particle
    return _asking_word(core, pats)


def _asking_word(core: str, pats: Patterns) -> str | None:
    """The asking word of a Chinese sentence with no question mark or final particle, or None."""
    hits = list(pats.asking.finditer(core))
    if not hits or (pats.offers is not None and pats.offers.search(core)):
        return None  # no asking word; or an offer: "有什么问题随时找我", "如果哪里不清楚…"
    for group in ("m", "ab"):
        for hit in hits:
            if hit.group(group) and not _embedded(core, hit.start(), pats):
                return hit.group(0)
    words = [hit for hit in hits if hit.group("w")]
    if len({hit.group(0) for hit in words}) < len(words):
        return None  # "在哪里就到哪里": a correlative, not a question
    for hit in words:
        if _word_asks(core, hit, pats):
            return hit.group(0)
    return None


def _embedded(core: str, start: int, pats: Patterns) -> bool:
    """An indirect question inside a statement: "不知道怎么写", "我看看是否可以"."""
    return pats.embedding is not None and pats.embedding.search(core, 0, start) is not None


def _word_asks(core: str, hit: re.Match[str], pats: Patterns) -> bool:
    word, start, end = hit.group(0), hit.start(), hit.end()
    before, after = core[max(0, start - 1) : start], core[end : end + 1]
    if _embedded(core, start, pats):
        return False
    if before in ("不", "没", "或", "哪") and word in ("怎么", "怎么样", "什么", "多少", "怎样"):
        return False  # 不怎么, 不怎么样 (not great), 没什么, 没多少
    if after in ("都", "也") or core[end : end + 2] in ("的话",):
        return False  # 什么都行, 怎么也 (universal), 什么的话
    if word == "什么" and after == "的":
        return False  # 文件什么的 (et cetera)
    return len(core) - end <= 6  # the asked thing stands at or near the end: "在哪里交", "要填什么"


def request_marker(text: str, lexicon: Lexicon) -> str | None:
    """The word that makes an addressed message a request, or None."""
    pats = lexicon.patterns
    body = strip_mentions(text)
    if pats.request is not None:
        found = pats.request.search(body)
        if found is not None:
            return found.group(0)
    if pats.english_request is not None:
        found = pats.english_request.search(body)
        if found is not None:
            return found.group(0).lower()
    return None


def content_of(text: str) -> str:
    """What a text says, as echoes and acknowledgements are compared: without @-mentions,
    links, spaces and punctuation, lowercased."""
    return _content(strip_mentions(text))


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_TERM_STOP = frozenset(
    ("请问", "什么", "怎么", "哪里", "时候", "是否", "可以", "需要", "一下", "我们", "你们", "这个", "那个")
)


def _terms(text: str) -> set[str]:
    found = {w.lower() for w in _LATIN_WORD.findall(text) if len(w) >= 4}
    for run in _CJK_RUN.findall(text):
        found.update(run[i : i + 2] for i in range(len(run) - 1))
    return found - _TERM_STOP


def terms(text: str) -> frozenset[str]:
    """The words two messages share when they speak of the same thing: its two-character
    Chinese words and Latin words of four letters or more (no @-mentions, links, stop words)."""
    return frozenset(_terms(strip_mentions(text)))


def normalised(words: Iterable[str]) -> frozenset[str]:
    return frozenset(_content(w) for w in words if _content(w))


# --- addressing by name ------------------------------------------------------------------


@dataclass(frozen=True)
class NameIndex:
    """Names a message can start with to address a member: display names, their name part
    (销售部+张三 -> 张三), directory names, and surname + title (余老师, 张总)."""

    names: dict[str, frozenset[str]]  # lowercased name -> member ids
    surnames: dict[str, frozenset[str]]  # surname character -> member ids
    titles: tuple[str, ...]
    generic: frozenset[str]

    @cached_property
    def first_chars(self) -> frozenset[str]:
        """Every character an addressing opening can start with (any case)."""
        chars = {name[0] for name in self.names if name} | set(self.surnames)
        if self.surnames:
            chars |= {"小", "老"}
        return frozenset(chars | {c.upper() for c in chars})

    @cached_property
    def _resolved(self) -> dict[str, Address | None]:
        return {}

    def resolve(self, token: str) -> Address | None:
        """``resolve_address(token, self)``, remembered per distinct token (a group's openings
        repeat: 老师, 各位, the same few names)."""
        resolved = self._resolved
        if token in resolved:
            return resolved[token]
        address = resolved[token] = resolve_address(token, self)
        return address


_SEPARATORS = "+＋-—_·|｜/ "
_LEAD = re.compile(r"^\s*([^\s，,：:、！!。？?~～]{1,12}?)(?:[\s，,：:、！!~～]|(?=[你您]))")


def name_parts(display_name: str) -> list[str]:
    """The names a display name offers: itself, its name part (销售部+张三 -> 张三) and, for
    "Anna Smith", the first name."""
    full = display_name.strip()
    parts = [full]
    for sep in _SEPARATORS:
        if sep in full:
            head, _, tail = full.partition(sep)
            parts.append(tail.strip())
            if sep == " ":
                parts.append(head.strip())
            break
    return [p for p in parts if p]


def build_name_index(
    members: Iterable[tuple[str, Iterable[str], str | None]],
    titles: Iterable[str],
    generic: Iterable[str],
) -> NameIndex:
    """``members``: (id, names, real name) for every human member."""
    names: dict[str, set[str]] = {}
    surnames: dict[str, set[str]] = {}
    for member_id, member_names, real_name in members:
        for name in member_names:
            names.setdefault(name.lower(), set()).add(member_id)
        if real_name and 2 <= len(real_name) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in real_name):
            surnames.setdefault(real_name[0], set()).add(member_id)
    return NameIndex(
        names={k: frozenset(v) for k, v in names.items()},
        surnames={k: frozenset(v) for k, v in surnames.items()},
        titles=tuple(sorted(set(titles), key=len, reverse=True)),
        generic=frozenset(g.lower() for g in generic),
    )


@dataclass(frozen=True)
class Address:
    """Who a message's opening words address: ``members`` when they resolve to exactly one
    member, ``token`` whenever the words address somebody (resolved or not)."""

    token: str
    members: frozenset[str]


def leading_address(text: str, index: NameIndex) -> Address | None:
    """A vocative at the start of ``text`` ("余老师，…", "影子 你…", "Anna, can you…")."""
    match = _LEAD.match(strip_mentions(text).lstrip())
    return None if match is None else index.resolve(match.group(1))


def opening_token(text: str) -> str | None:
    """The words a text opens with, up to the first separator (or 你/您), if short enough to
    be a name or a title; for texts with no @ and no link (else see ``leading_address``)."""
    match = _LEAD.match(text)
    return None if match is None else match.group(1)


def resolve_address(token: str, index: NameIndex) -> Address | None:
    """Whom an opening token addresses: one member, somebody we cannot name (an ambiguous
    surname), or nobody in particular (大家, 老师们, or no name at all)."""
    key = token.lower()
    if key in index.generic:
        return None  # 老师们 / 大家 / 各位: the group, not a person
    found = index.names.get(key)
    if found:
        return Address(token, found if len(found) == 1 else frozenset())
    if token.endswith(index.titles):
        for title in index.titles:  # longest first: 副总 before 总
            if token.endswith(title):
                stem = token[: -len(title)]  # "" for a bare title: nobody named
                if len(stem) == 1 and "\u4e00" <= stem <= "\u9fff":
                    people = index.surnames.get(stem, frozenset())
                    return Address(token, people if len(people) == 1 else frozenset())
                return None
    if len(token) == 2 and token[0] in "小老" and token[1] in index.surnames:  # 小王, 老李
        people = index.surnames[token[1]]
        return Address(token, people if len(people) == 1 else frozenset())
    return None

"""What the message rules share: one scan of all the texts of an audit.

``prohibited_content``, ``pii_exposure`` and ``off_hours_post`` read the same texts. Instead of
each rule walking a million messages with its own patterns, the texts of the humans' messages
are scanned once, in C, 50,000 messages joined into one string at a time (so no copy of all the
texts is ever held): one Aho-Corasick automaton (pyahocorasick) finds every keyword of every
list (advertising, the tenant's keywords, red lines, allowed phrases, urgent markers), and one
regular expression each finds the digit runs and the links. Each hit is mapped back to its
message by its offset. The pass runs on the first rule that asks, looks for everything the
policy's enabled message rules need, and its hits stay on the audit context for the others.

Masking lives here too: personal data never leaves a message unmasked (``mask_digits``,
``masked_excerpt``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate, compress
from operator import add, attrgetter, itemgetter, not_
from typing import TYPE_CHECKING, Any

import ahocorasick

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext, Entry

SEPARATOR = "\x00"  # between two texts: no keyword, digit run or link spans it

# Digit runs and links, found by two simple patterns (alternatives and look-arounds in one
# pattern would test every character of every text several times); a run's bounds are checked
# on the few that match (``_bounded``).
_DIGITS = re.compile(r"[0-9]{11,}[Xx]?")
_LINK = re.compile(r"(?:https?://|www\.)[^\s\x00<>\"'，。；、）】」]+", re.IGNORECASE)
_ASCII_WORD = re.compile(r"[0-9A-Za-z]")


@dataclass(frozen=True)
class Hit:
    """A keyword found in a message's text: its list, the term, and where it lies."""

    category: str
    term: str
    start: int
    end: int


class MessageScan:
    """The humans' messages of the audit (not system, not bots, not after ``now``), and what one
    pass over all their texts finds, by position in ``entries``: keywords of every list, digit
    runs, links. The pass runs on the first rule that asks and finds every kind the enabled
    rules of the policy need (a kind no enabled rule needs is looked for only if asked)."""

    def __init__(self, ctx: AuditContext) -> None:
        self._ctx = ctx
        bots = ctx.bots
        timeline = ctx.timeline
        # without the bots' messages, picked in C (a million entries)
        self.entries: list[Entry] = (
            list(compress(timeline, map(not_, map(bots.__contains__, map(_SENDER, map(_MESSAGE, timeline))))))
            if bots
            else timeline
        )
        self._found: dict[str, dict[int, list]] = {}

    def text(self, index: int) -> str:
        return self.entries[index][2].text or ""

    @property
    def keywords(self) -> dict[int, list[Hit]]:
        """Every listed word (advertising, keyword, red_line, allowed, urgent) in every text."""
        return self._kind("keywords")

    @property
    def digit_runs(self) -> dict[int, list[tuple[int, int]]]:
        """Runs of 11 or more digits (and a resident ID's X) that stand alone: not glued to a
        letter or another digit, not the integer or decimal part of an amount."""
        return self._kind("digit_runs")

    @property
    def links(self) -> dict[int, list[tuple[int, int]]]:
        return self._kind("links")

    def _kind(self, kind: str) -> dict[int, list]:
        found = self._found.get(kind)
        if found is None:
            kinds = {kind} if self._found else {kind, *_wanted(self._ctx)}
            self._found.update(self._scan(kinds))
            found = self._found[kind]
        return found

    def _scan(self, kinds: set[str]) -> dict[str, dict[int, list]]:
        """One pass over the texts, ``_CHUNK`` messages joined at a time (never a copy of all
        texts at once): the kinds asked for, by message position."""
        automaton = _automaton(_terms(self._ctx)) if "keywords" in kinds else None
        keywords: dict[int, list[Hit]] = {}
        digit_runs: dict[int, list[tuple[int, int]]] = {}
        links: dict[int, list[tuple[int, int]]] = {}
        entries = self.entries
        for first in range(0, len(entries), _CHUNK):
            texts = [text or "" for text in map(_TEXT, map(_MESSAGE, entries[first : first + _CHUNK]))]
            big = SEPARATOR.join(texts)
            if not big:
                continue
            # where each text starts in ``big``: the lengths before it and a separator after each
            starts = list(map(add, accumulate(map(len, texts), initial=0), range(len(texts))))
            del texts
            if automaton is not None:
                _keywords(automaton, big, starts, first, keywords)
            if "digit_runs" in kinds:
                for start, end in _digit_spans(big):
                    if _bounded(big, start, end):
                        index, local = _locate(starts, start)
                        digit_runs.setdefault(first + index, []).append((local, local + end - start))
            if "links" in kinds:
                for match in _LINK.finditer(big):
                    index, local = _locate(starts, match.start())
                    links.setdefault(first + index, []).append((local, local + match.end() - match.start()))
        every: dict[str, dict[int, list[Any]]] = {
            "keywords": keywords,
            "digit_runs": digit_runs,
            "links": links,
        }
        return {kind: every[kind] for kind in kinds}


_CHUNK = 50_000  # messages joined for one scan: a few MB of text
_MESSAGE, _TEXT, _SENDER = itemgetter(2), attrgetter("text"), attrgetter("sender_id")


def _wanted(ctx: AuditContext) -> set[str]:
    """What the enabled message rules of this policy look for."""
    policy = ctx.policy
    content = policy.rule("prohibited_content")
    wanted = set()
    if content.enabled or policy.rule("off_hours_post").enabled:
        wanted.add("keywords")
    if content.enabled and content.allowed_link_domains:
        wanted.add("links")
    if policy.rule("pii_exposure").enabled:
        wanted.add("digit_runs")
    return wanted


def _locate(starts: list[int], offset: int) -> tuple[int, int]:
    """(text index, offset in its text) of an offset in a joined string."""
    index = bisect_right(starts, offset) - 1
    return index, offset - starts[index]


_ZEROS = b"0" * 11  # the shortest run _DIGITS finds, once its digits are all 0
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")


def _digit_spans(big: str) -> Iterator[tuple[int, int]]:
    """The spans of ``_DIGITS.finditer(big)``, found 4x faster.

    The regular expression tests every character of the texts; most texts have no run of 11
    digits. So the text is made ASCII bytes of the same length (each other character becomes
    one ``?``) with every digit a ``0``, and ``bytes.find`` (which skips ahead) finds where each
    run of 11 digits starts, the leftmost first as ``finditer`` would; the pattern then matches
    at that place in the text itself and the search goes on after the match."""
    # "replace" puts one byte for each character, so positions are the same in both
    zeros = big.encode("ascii", "replace").translate(_DIGITS_TO_ZERO)
    position = zeros.find(_ZEROS)
    while position >= 0:
        match = _DIGITS.match(big, position)
        assert match is not None  # 11 ASCII digits start there
        yield match.span()
        position = zeros.find(_ZEROS, match.end())


def _keywords(
    automaton: ahocorasick.Automaton, big: str, starts: list[int], first: int, found: dict[int, list[Hit]]
) -> None:
    lowered = _lowered(big)
    for last, (term, categories) in automaton.iter(lowered):
        start = last - len(term) + 1
        if term.isascii() and not _whole_word(lowered, start, last + 1):
            continue
        index, local = _locate(starts, start)
        found.setdefault(first + index, []).extend(Hit(c, term, local, local + len(term)) for c in categories)


def _bounded(big: str, start: int, end: int) -> bool:
    before = big[start - 1] if start > 0 else ""
    after = big[end] if end < len(big) else ""
    if (before and _ASCII_WORD.match(before)) or (after and _ASCII_WORD.match(after)):
        return False
    if before == "." and start > 1 and big[start - 2].isdigit():
        return False  # 1.13812345678
    return not (after == "." and end + 1 < len(big) and big[end + 1].isdigit())  # 13812345678.00


def _terms(ctx: AuditContext) -> dict[str, set[str]]:
    """term (lower case) -> the lists it is on, from the effective policy of this group."""
    terms: dict[str, set[str]] = {}

    def add(category: str, words: Iterable[str]) -> None:
        for word in words:
            term = word.strip().lower()
            if term:
                terms.setdefault(term, set()).add(category)

    content = ctx.policy.rule("prohibited_content")
    add("advertising", (*content.advertising_keywords, *content.extra_advertising_keywords))
    add("keyword", content.keywords)
    add("red_line", (*content.red_line_keywords, *content.extra_red_line_keywords))
    add("allowed", content.allowed_phrases)
    add("urgent", ctx.policy.rule("off_hours_post").urgent_markers)
    return terms


def _automaton(terms: dict[str, set[str]]) -> ahocorasick.Automaton | None:
    if not terms:
        return None
    automaton = ahocorasick.Automaton()
    for term, categories in terms.items():
        automaton.add_word(term, (term, tuple(sorted(categories))))
    automaton.make_automaton()
    return automaton


def _lowered(text: str) -> str:
    """Lower case with every offset kept (str.lower can change the length of a few letters)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def _whole_word(text: str, start: int, end: int) -> bool:
    """An ASCII term matches whole words only ("ass" is not in "class"); CJK has no words."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return not (before and _ASCII_WORD.match(before)) and not (after and _ASCII_WORD.match(after))


def message_scan(ctx: AuditContext) -> MessageScan:
    """The scan of this audit, made once (kept on the context for the other rules)."""
    cached = ctx.__dict__.get("_message_scan")
    if cached is None:
        cached = ctx.__dict__["_message_scan"] = MessageScan(ctx)
    return cached


# --- masking -------------------------------------------------------------------------------


def mask_digits(number: str, head: int = 4, tail: int = 4) -> str:
    """``3301**********1234``: the first ``head`` and last ``tail`` characters, stars between."""
    if len(number) <= head + tail:
        return "*" * len(number)
    return number[:head] + "*" * (len(number) - head - tail) + number[-tail:]


_LONG_DIGITS = re.compile(r"\d{5,}")


def mask_term(term: str) -> str:
    """A matched word shown by its first character only: ``傻*``."""
    return term[:1] + "*" * (len(term) - 1)


def masked_excerpt(text: str, start: int, end: int, width: int = 8) -> str:
    """The words around a hit, the hit itself starred and every run of 5+ digits masked: what
    a reviewer needs to find the message, and no more."""
    masked = _LONG_DIGITS.sub(lambda m: mask_digits(m.group(), 2, 2), text)  # lengths kept
    before = masked[max(0, start - width) : start]
    after = masked[end : end + width]
    excerpt = (before + "*" * (end - start) + after).replace("\n", " ")
    return ("…" if start > width else "") + excerpt + ("…" if end + width < len(text) else "")

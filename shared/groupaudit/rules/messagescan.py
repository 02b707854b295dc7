"""What the message rules share: one scan of all the texts of an audit.

``prohibited_content``, ``pii_exposure`` and ``off_hours_post`` read the same texts. Instead of
each rule walking a million messages with its own patterns, the texts of the humans' messages
are joined once into one string and scanned once in C: one Aho-Corasick automaton
(pyahocorasick) finds every keyword of every list (advertising, the tenant's keywords, red
lines, allowed phrases, urgent markers), and one regular expression finds every digit run and
every link. Each hit is mapped back to its message by its offset. The scan is built on the
first rule that asks for it and kept on the audit context for the others.

Masking lives here too: personal data never leaves a message unmasked (``mask_digits``,
``masked_excerpt``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from typing import TYPE_CHECKING

import ahocorasick

if TYPE_CHECKING:
    from groupaudit.engine import AuditContext, Entry

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
    runs, links. Each kind is looked for on the first rule that asks for it."""

    def __init__(self, ctx: AuditContext) -> None:
        self._ctx = ctx
        bots = ctx.bots
        self.entries: list[Entry] = [entry for entry in ctx.timeline if entry[2].sender_id not in bots]

    def text(self, index: int) -> str:
        return self.entries[index][2].text or ""

    @cached_property
    def _joined(self) -> tuple[str, list[int]]:
        """All texts in one string, and where each starts in it."""
        texts = [entry[2].text or "" for entry in self.entries]
        starts = [0, *accumulate(len(text) + 1 for text in texts)][: len(texts)]
        return SEPARATOR.join(texts), starts

    def _locate(self, offset: int) -> tuple[int, int]:
        """(message index, offset in its text) of an offset in the joined string."""
        starts = self._joined[1]
        index = bisect_right(starts, offset) - 1
        return index, offset - starts[index]

    @cached_property
    def keywords(self) -> dict[int, list[Hit]]:
        """Every listed word (advertising, keyword, red_line, allowed, urgent) in every text."""
        found: dict[int, list[Hit]] = {}
        automaton = _automaton(_terms(self._ctx))
        big = self._joined[0]
        if automaton is None or not big:
            return found
        lowered = _lowered(big)
        for last, (term, categories) in automaton.iter(lowered):
            first = last - len(term) + 1
            if term.isascii() and not _whole_word(lowered, first, last + 1):
                continue
            index, local = self._locate(first)
            found.setdefault(index, []).extend(Hit(c, term, local, local + len(term)) for c in categories)
        return found

    @cached_property
    def digit_runs(self) -> dict[int, list[tuple[int, int]]]:
        """Runs of 11 or more digits (and a resident ID's X) that stand alone: not glued to a
        letter or another digit, not the integer or decimal part of an amount."""
        found: dict[int, list[tuple[int, int]]] = {}
        big = self._joined[0]
        for match in _DIGITS.finditer(big):
            start, end = match.span()
            if _bounded(big, start, end):
                index, local = self._locate(start)
                found.setdefault(index, []).append((local, local + end - start))
        return found

    @cached_property
    def links(self) -> dict[int, list[tuple[int, int]]]:
        found: dict[int, list[tuple[int, int]]] = {}
        for match in _LINK.finditer(self._joined[0]):
            index, local = self._locate(match.start())
            found.setdefault(index, []).append((local, local + match.end() - match.start()))
        return found


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

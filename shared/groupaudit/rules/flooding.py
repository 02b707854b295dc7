"""flooding: one sender posting the same message again and again, or very many messages in a minute ("刷屏").

Per sender, humans only (no bots, no system events), in time order:
- ``repeated``: at least ``repeat_count`` (3) messages whose texts are identical once whitespace,
  punctuation and symbols are removed, or near-identical (similarity ``similarity`` 0.9 or more,
  rapidfuzz's normalised Indel ratio), within ``repeat_window_seconds`` (120 s). Messages with
  no text left (pictures, stickers) are never "the same text";
- ``rapid``: at least ``rate_count`` (10) messages of any kind within ``rate_window_seconds`` (60 s).
Windows that overlap chain into one burst (a maximal run); one finding per burst, on its first
message, whichever criteria it meets (``kind`` is ``repeated`` when its repeats qualify).
Different senders echoing "收到" are not flooding: each sender is judged alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, compress, repeat
from itertools import count as counter
from operator import add, itemgetter, sub
from typing import TYPE_CHECKING

from pydantic import Field

from groupaudit.contracts import Finding
from groupaudit.rules.base import (
    MAX_COUNT,
    MAX_WINDOW_SECONDS,
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

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext, Entry

_NOT_TEXT = re.compile(r"[\W_]+")


class FloodingConfig(RuleConfig):
    severity: SeverityName = "warning"
    repeat_count: int = Field(
        3, ge=2, le=MAX_COUNT, description="identical or near-identical messages that make a burst"
    )
    repeat_window_seconds: int = Field(
        120, ge=1, le=MAX_WINDOW_SECONDS, description="…within this many seconds"
    )
    similarity: float = Field(
        0.9, gt=0, le=1, description="texts this similar (0-1, normalised Indel ratio) count as the same"
    )
    rate_count: int = Field(10, ge=2, le=MAX_COUNT, description="messages of one sender that make a burst…")
    rate_window_seconds: int = Field(60, ge=1, le=MAX_WINDOW_SECONDS, description="…within this many seconds")


def normalised(text: str | None) -> str:
    """The text without whitespace, punctuation and symbols, lower case."""
    return _NOT_TEXT.sub("", text or "").lower()


@dataclass
class _Burst:
    first: int  # positions in the sender's messages
    last: int
    repeated: int = 0  # messages of the qualifying repeats (0: a rapid burst)


def _window_starts(stamps: list[float], count: int, seconds: float) -> list[int]:
    """Where each run of ``count`` consecutive stamps within ``seconds`` starts, found in C:
    the gap from each stamp to the one ``count - 1`` later, and where it is within ``seconds``."""
    k = count - 1
    return list(compress(counter(), map(float(seconds).__ge__, map(sub, stamps[k:], stamps))))


def _windows(stamps: list[float], count: int, seconds: float) -> list[tuple[int, int]]:
    """(i, i + count - 1) for every run of ``count`` consecutive stamps within ``seconds``."""
    return [(i, i + count - 1) for i in _window_starts(stamps, count, seconds)]


def _runs(stamps: list[float], count: int, seconds: float) -> list[tuple[int, int]]:
    """The ``_windows`` chained into maximal runs (first, last), where overlapping windows merge.

    In C but for the runs themselves (a million messages make more windows than runs, and a
    tuple per window cost more than the rest of the rule): the windows all span ``count - 1``
    positions, so a run ends where the next window starts more than ``count - 1`` after the
    start of the one before."""
    k = count - 1
    starts = _window_starts(stamps, count, seconds)
    if not starts:
        return []
    breaks = list(compress(counter(1), map(k.__lt__, map(sub, starts[1:], starts))))
    firsts = [starts[0], *map(starts.__getitem__, breaks)]
    lasts = [*map(starts.__getitem__, map(sub, breaks, repeat(1))), starts[-1]]
    return list(zip(firsts, map(add, lasts, repeat(k)), strict=True))


def _repeats(
    entries: list[Entry], stamps: list[float], config: FloodingConfig, texts: dict[str, str]
) -> list[_Burst]:
    """Runs of near-identical texts, among the messages that have enough neighbours in time."""
    from rapidfuzz.distance import Indel

    # The messages in some window, in order: the windows' runs laid end to end.
    runs = _runs(stamps, config.repeat_count, config.repeat_window_seconds)
    candidates = chain.from_iterable(range(first, last + 1) for first, last in runs)
    clusters: list[tuple[str, list[int]]] = []  # (the first text, positions)
    open_clusters: list[tuple[str, list[int]]] = []
    cutoff, window = config.similarity, config.repeat_window_seconds
    # No open cluster's last message is older than ``horizon``, so none can have closed while
    # ``ts`` is within the window of it: the list is rebuilt only when one may have.
    horizon = -math.inf
    for position in candidates:
        raw = entries[position][2].text or ""
        text = texts.get(raw)
        if text is None:
            text = texts[raw] = normalised(raw)
        if not text:
            continue
        ts = stamps[position]
        if ts - horizon > window:
            open_clusters = [c for c in open_clusters if ts - stamps[c[1][-1]] <= window]
            horizon = min((stamps[c[1][-1]] for c in open_clusters), default=ts)
        for first_text, members in open_clusters:
            if text == first_text or Indel.normalized_similarity(text, first_text, score_cutoff=cutoff):
                members.append(position)
                break
        else:
            cluster: tuple[str, list[int]] = (text, [position])
            clusters.append(cluster)
            open_clusters.append(cluster)
    bursts = []
    for _, members in clusters:
        if len(members) < config.repeat_count:
            continue
        times = [stamps[p] for p in members]
        for first, last in _runs(times, config.repeat_count, config.repeat_window_seconds):
            bursts.append(_Burst(members[first], members[last], repeated=last - first + 1))
    return bursts


def sender_bursts(
    entries: list[Entry], config: FloodingConfig, texts: dict[str, str] | None = None
) -> list[_Burst]:
    """The bursts of one sender's messages (in time order), overlapping criteria merged;
    ``texts`` keeps the normalised texts across senders ("收到" is normalised once)."""
    if len(entries) < min(config.repeat_count, config.rate_count):
        return []
    stamps = list(map(itemgetter(0), entries))
    rapid = _runs(stamps, config.rate_count, config.rate_window_seconds)
    found = [_Burst(first, last) for first, last in rapid]
    found += _repeats(entries, stamps, config, {} if texts is None else texts)
    found.sort(key=lambda b: (b.first, b.last))
    merged: list[_Burst] = []
    for burst in found:
        if merged and burst.first <= merged[-1].last:
            top = merged[-1]
            top.last = max(top.last, burst.last)
            top.repeated = max(top.repeated, burst.repeated)
        else:
            merged.append(burst)
    return merged


def check(ctx: AuditContext, config: FloodingConfig) -> Iterator[Finding]:
    bots = ctx.bots
    senders = sorted(sender for sender in ctx.senders if sender not in bots)
    texts: dict[str, str] = {}
    for sender in senders:
        entries = ctx.messages_of(sender)
        for burst in sender_bursts(entries, config, texts):
            yield _finding(ctx, config, sender, entries, burst)


def _finding(
    ctx: AuditContext, config: FloodingConfig, sender: str, entries: list[Entry], burst: _Burst
) -> Finding:
    first_ts, first_id, _ = entries[burst.first]
    last_ts = entries[burst.last][0]
    count = burst.last - burst.first + 1
    kind = "repeated" if burst.repeated else "rapid"
    return make_finding(
        ctx,
        rule=RULE,
        config=config,
        key=(first_id,),
        kind=kind,
        subject_id=sender,
        message_id=first_id,
        summary=RULE.summary(
            ctx,
            kind,
            name=ctx.name(sender),
            at=local_short(ctx, first_ts),
            count=burst.repeated or count,
            seconds=round(last_ts - first_ts),
        ),
        evidence={
            "started_at": local_iso(ctx, first_ts),
            "ended_at": local_iso(ctx, last_ts),
            "messages": count,
            "repeated": burst.repeated,
            "message_ids": [entry[1] for entry in entries[burst.first : burst.last + 1]][:20],
        },
    )


def _message(message_id: str, sender: str, second: int, text: str) -> dict[str, str]:
    minute, second = divmod(second, 60)
    return {
        "id": message_id,
        "sender_id": sender,
        "sent_at": f"2026-11-20T10:{minute:02d}:{second:02d}+08:00",
        "text": text,
    }


_MEMBERS = [
    {"id": "u-zhang", "display_name": "销售部+张三"},
    {"id": "u-li", "display_name": "销售部+李四"},
    {"id": "u-wang", "display_name": "销售部+王五"},
]

RULE = RuleSpec(
    id="flooding",
    title_zh="刷屏",
    title_en="Flooding the group",
    policy_ref="001 三.4, 五 注意事项 1; 002 六(一)3",
    config=FloodingConfig,
    check=check,
    summaries={
        "repeated": Summary(
            zh="{name} 自 {at} 起 {seconds} 秒内重复发送了 {count} 条相同或近似的消息，请避免刷屏",
            en="{name} posted the same message {count} times within {seconds} s from {at}; please do "
            "not flood the group",
        ),
        "rapid": Summary(
            zh="{name} 自 {at} 起 {seconds} 秒内连续发送了 {count} 条消息，请避免刷屏",
            en="{name} posted {count} messages within {seconds} s from {at}; please do not flood the group",
        ),
    },
    table_evidence=("started_at", "ended_at", "messages", "repeated"),
    examples=(
        Example(
            "the same advert three times in 100 s (punctuation aside), and ten messages in 45 s",
            {
                "members": _MEMBERS,
                "messages": [
                    _message("m-1", "u-zhang", 0, "新品上市，欢迎选购！"),
                    _message("m-2", "u-zhang", 50, "新品上市 欢迎选购"),
                    _message("m-3", "u-zhang", 100, "新品上市，欢迎选购!!"),
                    *(_message(f"m-{10 + i}", "u-li", 200 + 5 * i, f"第{i}条进度") for i in range(10)),
                ],
            },
            expect=(
                Expected("u-li", "rapid", message_id="m-10"),
                Expected("u-zhang", "repeated", message_id="m-1"),
            ),
        ),
        Example(
            "收到 from three different people, and one sender's three 收到 over three minutes",
            {
                "members": _MEMBERS,
                "messages": [
                    _message("m-1", "u-zhang", 0, "收到"),
                    _message("m-2", "u-li", 5, "收到"),
                    _message("m-3", "u-wang", 9, "收到！"),
                    _message("m-4", "u-zhang", 100, "收到"),
                    _message("m-5", "u-zhang", 200, "收到"),
                ],
            },
        ),
    ),
)

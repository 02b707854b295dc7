"""The monthly report's rollup records and measures of answer times, pure: the histogram of
business minutes to an answer with fixed bucket edges, the median and p90 read from it, and one
audit's figures as the rollup stores them (``adapters/report_store.py``). Below the adapters and
supervision, which both use them: the report store keeps them, the report reads them back.

Answer minutes go into a histogram with fixed bucket edges (``EDGES``); the median and p90 are
read from it by linear interpolation inside the bucket holding the rank, so each is exact to
the width of its bucket (1 minute up to 2, 3 to 5, 5 up to 20, 10 to 30, 15 up to 60, …).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from groupaudit.contracts import Finding

# Bucket i holds answer minutes in [EDGES[i], EDGES[i+1]); the last one is open (>= 2880).
EDGES: tuple[float, ...] = (
    0, 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 960, 1440, 2880,
)  # fmt: skip


def bucket(minutes: float) -> int:
    """The histogram bucket of an answer after ``minutes`` business minutes (negative: 0)."""
    return max(0, bisect.bisect_right(EDGES, minutes) - 1)


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The ``q`` quantile (0..1) of the answers in ``histogram`` (bucket -> count), linearly
    interpolated inside its bucket; the open last bucket gives its lower edge. None: empty."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = q * total  # the answer at this rank, counting from 0
    seen = 0
    for index in sorted(histogram):
        count = histogram[index]
        if count <= 0:
            continue
        if seen + count >= rank or index == max(histogram):
            low = EDGES[index]
            if index + 1 >= len(EDGES):
                return round(float(low), 1)
            high = EDGES[index + 1]
            inside = min(max((rank - seen) / count, 0.0), 1.0)
            return round(low + (high - low) * inside, 1)
        seen += count
    return None  # pragma: no cover - the loop returns at the last bucket


@dataclass
class Owed:
    """The questions one person owed on one day: how many, answered in time, and the
    histogram of the business minutes to each answer (bucket -> count)."""

    owed: int = 0
    on_time: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, other: Owed) -> None:
        self.owed += other.owed
        self.on_time += other.on_time
        for index, count in other.histogram.items():
            self.histogram[index] = self.histogram.get(index, 0) + count

    def add_flat(self, flat: list[int]) -> None:
        """Adds an encoded figure (:meth:`encode`) without making an :class:`Owed` of it; a
        ValueError names a figure that is not ``[owed, on_time, bucket, count, …]``."""
        if not isinstance(flat, list) or len(flat) < 2 or len(flat) % 2:
            raise ValueError(f"a question figure is [owed, on_time, bucket, count, …], not {flat!r}")
        self.owed += int(flat[0])
        self.on_time += int(flat[1])
        histogram = self.histogram
        for i in range(2, len(flat), 2):
            index = int(flat[i])
            histogram[index] = histogram.get(index, 0) + int(flat[i + 1])

    def encode(self) -> list[int]:
        """Compact: ``[owed, on_time, bucket, count, bucket, count, …]``."""
        flat = [self.owed, self.on_time]
        for index in sorted(self.histogram):
            flat += [index, self.histogram[index]]
        return flat

    @classmethod
    def decode(cls, flat: Iterable[int | float]) -> Owed:
        values = [int(v) for v in flat]
        if len(values) < 2 or len(values) % 2:
            raise ValueError(f"a question figure is [owed, on_time, bucket, count, …], not {values}")
        pairs = values[2:]
        return cls(values[0], values[1], {pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)})


@dataclass(frozen=True)
class AuditFigures:
    """One audit's figures: the day and month it counts for (tenant's time zone)."""

    audit_id: str
    day: date
    members: int  # the snapshot's members, bots left out
    inactive: tuple[str, ...]  # members with an inactive_member finding in this audit
    findings: tuple[Finding, ...]
    # settled questions by the local day they were asked, then by the person owing the answer;
    # only days the snapshot's messages cover whole (after its first message's day)
    questions: dict[date, dict[str, Owed]]
    names: dict[str, str]  # display names of the people the figures name

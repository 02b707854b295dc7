"""Typed domain errors. Callers map them in one place (the CLI, the handlers)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (field path, record id) and why."""

    path: str
    message: str
    record_id: str | None = None

    def __str__(self) -> str:
        where = self.path or "(document)"
        if self.record_id:
            where = f"{where} (id {self.record_id!r})"
        return f"{where}: {self.message}"


class GroupAuditError(Exception):
    """Base of every error this package raises on purpose."""


class InputError(GroupAuditError):
    """An input file (snapshot, directory, policy) is invalid; lists every problem found."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s); first: {problems[0] if problems else '-'}")

    def render(self) -> str:
        lines = [f"error: {self.source} is invalid ({len(self.problems)} problem(s)):"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


class CalendarError(GroupAuditError):
    """The business calendar cannot answer (for example, no working time at all)."""

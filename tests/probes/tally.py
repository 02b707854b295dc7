"""What the probes found, counted as they run; conftest.py prints the totals at the end."""

from __future__ import annotations

from collections import Counter

# (family, outcome) -> count; outcome "refused" (as it should be) or one of FAILURES
TALLY: Counter[tuple[str, str]] = Counter()

FAILURES = {
    "accepted": "accepted bad requests",
    "unclear": "bad inputs without a clear error",
    "findings_changed": "stored findings changed by a bad input",
    "leaked": "secrets or unmasked personal data in logs",
}


def record(family: str, outcome: str) -> None:
    TALLY[(family, outcome)] += 1


def totals() -> list[str]:
    lines = []
    for family in sorted({family for family, _ in TALLY}):
        cases = sum(n for (f, _), n in TALLY.items() if f == family)
        lines.append(f"  {family}: {cases} case(s), {TALLY[(family, 'refused')]} refused or clean")
    for outcome, words in FAILURES.items():
        lines.append(f"  {words}: {sum(n for (_, o), n in TALLY.items() if o == outcome)}")
    return lines

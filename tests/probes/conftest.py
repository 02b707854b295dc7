"""The probe battery: the pipeline's moto fixtures, and the tally its summary prints.

Each probe records its outcome in ``TALLY`` (``record``); at the end of a run that includes
probes, the totals docs/RELIABILITY.md quotes are printed (``make probes``).
"""

from __future__ import annotations

from collections import Counter

from pipeline.conftest import aws, deployed_network, s3, settings, sqs, store  # noqa: F401

# (family, outcome) -> count; outcomes: "refused" (as it should be) or the failure's name
TALLY: Counter[tuple[str, str]] = Counter()


def record(family: str, outcome: str) -> None:
    TALLY[(family, outcome)] += 1


FAILURES = {
    "accepted": "accepted bad requests",
    "unclear": "bad inputs without a clear error",
    "findings_changed": "stored findings changed by a bad input",
    "leaked": "secrets or personal data in logs",
}


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not TALLY:
        return
    write = terminalreporter.write_line
    write("")
    write("probe totals (docs/RELIABILITY.md, Probes):")
    for family in sorted({family for family, _ in TALLY}):
        cases = sum(n for (f, _), n in TALLY.items() if f == family)
        write(f"  {family}: {cases} case(s), {TALLY[(family, 'refused')]} refused or clean as they should be")
    for outcome, words in FAILURES.items():
        write(f"  {words}: {sum(n for (_, o), n in TALLY.items() if o == outcome)}")

"""The probe battery: the pipeline's moto fixtures, and the totals docs/RELIABILITY.md quotes,
printed at the end of a run that included probes (``make probes``)."""

from __future__ import annotations

from pipeline.conftest import aws, deployed_network, s3, settings, sqs, store  # noqa: F401
from probes.tally import TALLY, totals


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not TALLY:
        return
    terminalreporter.write_line("")
    terminalreporter.write_line("probe totals (docs/RELIABILITY.md, Probes):")
    for line in totals():
        terminalreporter.write_line(line)

"""``groupaudit report TENANT --month YYYY-MM``: the monthly assessment report
(docs/SUPERVISION.md "Monthly report") built from the DynamoDB table TABLE_NAME, written as
JSON (default), HTML or XLSX to standard output or to ``--out DIR``. It reads only: nothing is
stored in the report bucket and nobody is told (the scheduled function and the API do that)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from groupaudit.cli import _aws
from groupaudit.cli._common import EXIT_OK, write
from groupaudit.cli.ledger import add_inputs, inputs

NAME = "report"
HELP = "the monthly assessment report of a tenant (JSON, HTML or XLSX)"
EXAMPLE = "groupaudit report acme --month 2026-11 --lang en --format html --out reports/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tenant", metavar="TENANT", help="the tenant (e.g. acme)")
    parser.add_argument("--month", required=True, metavar="YYYY-MM", help="the month (e.g. --month 2026-11)")
    parser.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="the report's language (default zh) (e.g. --lang en)",
    )
    parser.add_argument(
        "--format",
        choices=("json", "html", "xlsx"),
        default="json",
        help="what to write (default json) (e.g. --format html)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write TENANT-YYYY-MM.<format> into this folder, not to standard output (e.g. --out reports/)",
    )
    add_inputs(parser)


def render(report: Any, fmt: str) -> bytes:
    """The report as ``fmt``: JSON here, HTML and XLSX from the renderer modules."""
    if fmt == "json":
        return report_json(report).encode()
    if fmt == "html":
        from groupaudit.supervision.report_html import render_html

        return render_html(report).encode()
    from groupaudit.supervision.report_xlsx import render_xlsx

    return render_xlsx(report)


def report_json(report: Any) -> str:
    """The document as stored and served: the same text from the CLI, the API and the bucket."""
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2)


def run(args: argparse.Namespace) -> int:
    from groupaudit.pipeline import runtime
    from groupaudit.supervision.report import build_report, sources

    with _aws.errors():
        directory, policies = inputs(args)
        report = build_report(
            args.tenant, args.month, args.lang, sources(_aws.store(args), directory, policies), runtime.now()
        )
    data = render(report, args.format)
    if args.out:
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{args.tenant}-{args.month}.{args.format}"
        path.write_bytes(data)
        write(str(path))
    else:
        write(data)
    return EXIT_OK

"""``groupaudit report TENANT --month YYYY-MM``: the monthly assessment report
(docs/SUPERVISION.md "Monthly report") built from the DynamoDB table TABLE_NAME, written as
JSON (default), HTML or XLSX to standard output or to ``--out DIR``. It reads only: nothing is
stored in the report bucket and nobody is told.

With ``--store`` it makes the month's report as the reporter function and ``POST /reports`` do
(``pipeline.report_run``): stored in REPORT_BUCKET as JSON, HTML and XLSX, recorded, announced
once to the supervision contact through NOTICE_QUEUE_URL, and prints the page's link, which
lasts 7 days (under ``--api-url``, default API_URL: the stack's ApiUrl output), signed with the
link key ``groupaudit/report-links`` read from Secrets Manager."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from groupaudit.cli import _aws
from groupaudit.cli._common import EXIT_OK, note, write
from groupaudit.cli.ledger import add_inputs, inputs
from groupaudit.settings import ConfigError

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
    parser.add_argument(
        "--store",
        action="store_true",
        help="make the month's report as the reporter does: store it in REPORT_BUCKET, record it, "
        "announce it once to the supervision contact, and print its 7-day link (not with --format "
        "or --out) (e.g. --store)",
    )
    parser.add_argument(
        "--api-url",
        metavar="URL",
        help="with --store: the API the link is under (default: API_URL, the stack's ApiUrl output) "
        "(e.g. --api-url https://abc.execute-api.ap-east-1.amazonaws.com/)",
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

    if args.store:
        return store(args)
    if args.api_url:
        raise ConfigError("--api-url is for --store (the link of a stored report)")
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


def store(args: argparse.Namespace) -> int:
    """``--store``: the month made, stored, recorded and announced; its link on standard output,
    where it went on standard error."""
    from groupaudit.pipeline import runtime
    from groupaudit.pipeline.report_run import ReportRunDeps, make_monthly_report
    from groupaudit.supervision.report import sources

    if args.out or args.format != "json":
        raise ConfigError(
            "--store stores JSON, HTML and XLSX in the report bucket: leave out --out and --format"
        )
    with _aws.errors():
        settings = _aws.settings()
        base = args.api_url or settings.api_url
        directory, policies = inputs(args)
        table = _aws.store(args)
        deps = ReportRunDeps.on_aws(
            table,
            _aws.client(args, "s3"),
            _aws.client(args, "sqs"),
            settings,
            lambda _: sources(table, directory, policies),
            runtime.now,
            link_key=link_key(args, settings),
            link_base=base,
        )
        made = make_monthly_report(args.tenant, args.month, args.lang, runtime.now(), deps)
    write(made.url)
    stored = ", ".join(f"s3://{deps.bucket}/{key}" for key in made.keys.values())
    told = (
        "announced to the supervision contact" if made.announced else "not announced (already, or no contact)"
    )
    note(f"stored {stored}; {told}")
    return EXIT_OK


def link_key(args: argparse.Namespace, settings: Any) -> bytes:
    """The report link key from Secrets Manager, through the flags' client."""
    from botocore.exceptions import ClientError

    from groupaudit.pipeline.report_link import missing_key, secret_name

    try:
        value = _aws.client(args, "secretsmanager").get_secret_value(SecretId=secret_name(settings))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        raise missing_key(settings) from None
    key = value.get("SecretString", "").encode() or value.get("SecretBinary", b"")
    if not key:
        raise missing_key(settings)
    return key

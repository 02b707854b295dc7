"""Making a tenant's monthly report (docs/SUPERVISION.md "Monthly report"): built from the
table, written to the report bucket as JSON, HTML and XLSX, recorded, and announced once to
the tenant's supervision contact with a link to the HTML page.

- The documents are ``reports/{tenant}/{YYYY-MM}/report.json``, ``.html`` and ``.xlsx``: making
  the month again replaces them (same keys) and the record of the report
  (``ReportStore.put_report``: where they are, the summary later trends read).
- The announcement is claimed once per month (``claim_announcement``); a send that fails, or a
  tenant without a contact, releases the claim, so the next making of the month announces.
  The notifier's own claim on the notice id (``report-{YYYY-MM}``) sends it once more at most.
- The link to the HTML page is ours and lasts 7 days (``pipeline/report_link.py``):
  ``{API_URL}/reports/link/{token}``, a token signed with the link key, which the public
  route ``GET /reports/link/{token}`` turns into a fresh presigned GET of a few minutes. (A
  presigned GET announced as such would die with the role's session credentials, in hours.)

What the scheduled reporter (``report_due``: the first working day of each tenant's month),
``POST /reports`` and the CLI call.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from groupaudit.adapters.report_store import ReportStore
from groupaudit.adapters.storage import Storage
from groupaudit.pipeline.report_link import function_key, link_url, make_token, report_key
from groupaudit.pipeline.supervision_contact import SupervisionDeps, get_contact, send_to_supervision
from groupaudit.settings import ConfigError
from groupaudit.supervision.report import (
    Sources,
    build_report,
    first_workday,
    parse_month,
    previous_month,
    report_summary,
)
from groupaudit.supervision.report_html import render_html
from groupaudit.supervision.report_model import MonthlyReport
from groupaudit.supervision.report_xlsx import render_xlsx

LINK_SECONDS = 7 * 24 * 3600  # the announced link to the HTML page: 7 days
FORMATS = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class ReportRunDeps:
    """What making a report needs: the table, an S3 client and the report bucket, the tenant's
    report sources, how the supervision contact is told, and how its link is made (the link
    key, the API's URL the link route is under)."""

    store: Storage
    s3: Any
    bucket: str
    sources: Callable[[str], Sources]  # the tenant's sources (directory and policy read once)
    supervision: SupervisionDeps
    link_key: bytes
    link_base: str  # the API's URL, e.g. https://abc.execute-api.ap-east-1.amazonaws.com/
    link_seconds: int = LINK_SECONDS

    @classmethod
    def on_aws(
        cls,
        store: Storage,
        s3: Any,
        sqs: Any,
        settings: Any,
        sources: Callable[[str], Sources],
        clock: Callable[[], datetime],
        link_key: bytes,
        link_base: str,
    ) -> ReportRunDeps:
        """The functions' wiring: ``settings``' report bucket and notice queue."""
        if not settings.report_bucket:
            raise ValueError("REPORT_BUCKET is not set: there is nowhere to store the report")
        if not link_base.startswith(("https://", "http://")):
            raise ConfigError(f"the report links' base must be the API's URL (API_URL), got {link_base!r}")
        supervision = SupervisionDeps.on_queue(store, sqs, settings.notice_queue_url, clock)
        bucket = settings.report_bucket
        return cls(
            store=store,
            s3=s3,
            bucket=bucket,
            sources=sources,
            supervision=supervision,
            link_key=link_key,
            link_base=link_base,
        )


@dataclass(frozen=True)
class ReportMade:
    tenant: str
    month: str
    keys: dict[str, str]
    url: str  # the HTML page's link, valid for ``link_seconds``
    announced: bool  # this making told the supervision contact
    report: MonthlyReport = field(repr=False)


def report_json(report: MonthlyReport) -> str:
    """The stored JSON document: the same text as ``groupaudit report`` and ``GET /reports``."""
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2)


def announcement(month: str, url: str, lang: str, link_seconds: int = LINK_SECONDS) -> str:
    """The short message that tells the supervision contact the report is ready."""
    days = link_seconds // 86400
    if lang == "en":
        return f"The monthly assessment report of {month} is ready: {url} (the link works for {days} days)"
    return f"{month} 月度工作群评估报告已生成：{url}（链接 {days} 天内有效）"


def make_monthly_report(tenant: str, month: str, lang: str, now: datetime, deps: ReportRunDeps) -> ReportMade:
    """Build, store, record and (once per month) announce the tenant's report of ``month``
    (``YYYY-MM``; InputError names a bad one)."""
    parse_month(month)
    if lang not in ("zh", "en"):
        raise ValueError(f"lang: expected zh or en, got {lang!r}")
    report = build_report(tenant, month, lang, deps.sources(tenant), now)
    bodies = {
        "json": report_json(report).encode(),
        "html": render_html(report).encode(),
        "xlsx": render_xlsx(report),
    }
    keys = {fmt: report_key(tenant, month, fmt) for fmt in FORMATS}
    for fmt, body in bodies.items():
        deps.s3.put_object(Bucket=deps.bucket, Key=keys[fmt], Body=body, ContentType=FORMATS[fmt])
    reports = ReportStore.over(deps.store)
    reports.put_report(tenant, month, generated_at=now.isoformat(), keys=keys, summary=report_summary(report))
    expires = int(now.timestamp()) + deps.link_seconds
    url = link_url(deps.link_base, make_token(deps.link_key, tenant, month, "html", expires))
    announced = False
    if reports.claim_announcement(tenant, month, now):
        try:
            contact = get_contact(deps.store, tenant)
            text = announcement(month, url, contact.lang if contact else lang, deps.link_seconds)
            announced = send_to_supervision(tenant, text, deps.supervision, key=f"report-{month}")
        finally:
            if not announced:
                reports.release_announcement(tenant, month)
    return ReportMade(tenant=tenant, month=month, keys=keys, url=url, announced=announced, report=report)


def report_due(today: date, is_workday: Callable[[date], bool]) -> str | None:
    """The month whose report is due ``today``: the previous month when today is the first
    working day of its month on the tenant's calendar, else None."""
    if first_workday(today.year, today.month, is_workday) != today:
        return None
    return previous_month(today)


def make_due_reports(
    tenants: Iterable[str],
    today: Callable[[str], date],
    is_workday: Callable[[str], Callable[[date], bool]],
    now: datetime,
    deps: ReportRunDeps,
    lang: str = "zh",
) -> list[ReportMade]:
    """Each tenant's previous month's report, made on its first working day of the month
    (``today(tenant)``: the date in the tenant's zone); the reports made."""
    made = []
    for tenant in tenants:
        month = report_due(today(tenant), is_workday(tenant))
        if month is not None:
            made.append(make_monthly_report(tenant, month, lang, now, deps))
    return made


def scheduled_reports(scheduled_time: str | None, tenant_id: str = "all") -> dict[str, Any]:
    """The reporter function's run (daily): each tenant ("all": every tenant, listed by key)
    whose first working day of the month it is, on its own calendar and in its zone, gets the
    previous month's report. A tenant whose policy or directory is invalid is logged and
    skipped; the others go on."""
    from zoneinfo import ZoneInfo

    from groupaudit.businesstime import chinese_workday_rule
    from groupaudit.errors import InputError
    from groupaudit.pipeline import runtime
    from groupaudit.pipeline.fanout import SCHEDULE_ZONE
    from groupaudit.pipeline.telemetry import logger
    from groupaudit.settings import load_settings
    from groupaudit.supervision.report import sources
    from groupaudit.supervision.service import tenant_inputs

    settings = load_settings()
    store = runtime.store(settings)
    s3 = runtime.client("s3")
    now = datetime.fromisoformat(scheduled_time) if scheduled_time else runtime.now()
    calendars = runtime.tenant_calendars()

    def calendar_of(tenant: str) -> tuple[Callable[[date], bool], Any]:
        calendar = calendars(tenant)
        if calendar is None:
            return chinese_workday_rule(), ZoneInfo(SCHEDULE_ZONE)
        return calendar.workday_rule(), calendar.zone

    def tenant_sources(tenant: str) -> Sources:
        directory, policies = tenant_inputs(s3, settings.snapshot_bucket, tenant)
        return sources(store, directory, policies)

    deps = ReportRunDeps.on_aws(
        store,
        s3,
        runtime.client("sqs"),
        settings,
        tenant_sources,
        lambda: now,
        link_key=function_key(settings),
        link_base=settings.api_url,
    )
    made, failed = [], []
    for tenant in store.groups.list_tenants() if tenant_id == "all" else [tenant_id]:
        rule, zone = calendar_of(tenant)
        month = report_due(now.astimezone(zone).date(), rule)
        if month is None:
            continue
        try:
            made.append(make_monthly_report(tenant, month, "zh", now, deps))
        except InputError as exc:
            logger.error("monthly report not made", tenant_id=tenant, error=str(exc))
            failed.append(tenant)
    for report in made:
        logger.info(
            "monthly report made", tenant_id=report.tenant, month=report.month, announced=report.announced
        )
    return {
        "reports": [{"tenant_id": r.tenant, "month": r.month, "announced": r.announced} for r in made],
        "failed": failed,
    }

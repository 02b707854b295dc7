"""The monthly assessment report over the API (docs/SUPERVISION.md "Monthly report"):
``GET /reports/{month}`` builds the verified tenant's report of the month from the table and
answers its JSON, the same document ``groupaudit report`` writes; ``POST /reports`` makes the
month's report (stored in the report bucket, recorded, announced once to the supervision contact:
``pipeline.report_run``) and answers where it is, with the link to its page that lasts 7 days
(``GET /reports/link/{token}``, ``routes_report_link``). Signed and tenant-bound like every
route: the report reads only the verified tenant's partitions."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, ConfigDict, Field

from groupaudit.api import auth
from groupaudit.api.errors import answer, documented
from groupaudit.api.routes_supervision import MONTH_PATTERN, _inputs
from groupaudit.pipeline import api
from groupaudit.supervision.report_model import MonthlyReport

router = Router()


class ReportRequest(BaseModel):
    """Body of ``POST /reports``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    month: str = Field(pattern=MONTH_PATTERN, description="the report's month, YYYY-MM")
    lang: Literal["zh", "en"] = Field("zh", description="the report's language")


class ReportMadeView(BaseModel):
    """Answer of ``POST /reports``: the stored documents and the link to the HTML page."""

    month: str
    keys: dict[str, str] = Field(description="the report bucket's keys by format (json, html, xlsx)")
    url: str = Field(description="the HTML page's link (GET /reports/link/{token}), valid for 7 days")
    announced: bool = Field(description="this request told the supervision contact")


@router.get(
    "/reports/<month>",
    summary="The tenant's monthly assessment report of a month, built now",
    responses=answer(HTTPStatus.OK, MonthlyReport, documented()),
)
def get_report(
    month: str,
    lang: Annotated[Literal["zh", "en"], Query(description="the report's language")] = "zh",
) -> Response[Any]:
    from groupaudit.pipeline import runtime
    from groupaudit.supervision.report import build_report, sources

    if not re.fullmatch(MONTH_PATTERN, month):
        raise api.NotFound(f"no report month {month} (expected YYYY-MM)")
    deps, tenant = auth.caller(router.context)
    directory, policies = _inputs(deps, tenant)
    report = build_report(tenant, month, lang, sources(deps.store, directory, policies), runtime.now())
    return Response(
        status_code=int(HTTPStatus.OK),
        content_type=content_types.APPLICATION_JSON,
        body=report.model_dump(mode="json"),
    )


@router.post(
    "/reports",
    summary="Make the tenant's monthly report now: stored, recorded and announced once",
    responses=answer(HTTPStatus.OK, ReportMadeView, documented()),
)
def make_report(request: Annotated[ReportRequest, Body()]) -> ReportMadeView:
    from groupaudit.pipeline import runtime
    from groupaudit.pipeline.report_link import function_key
    from groupaudit.pipeline.report_run import ReportRunDeps, make_monthly_report
    from groupaudit.supervision.report import sources

    deps, tenant = auth.caller(router.context)
    directory, policies = _inputs(deps, tenant)
    run = ReportRunDeps.on_aws(
        deps.store,
        runtime.client("s3"),
        runtime.client("sqs"),
        deps.settings,
        lambda _: sources(deps.store, directory, policies),
        deps.clock,
        link_key=function_key(deps.settings),
        link_base=deps.settings.api_url_setting or _this_api(),
    )
    made = make_monthly_report(tenant, request.month, request.lang, deps.clock(), run)
    return ReportMadeView(month=made.month, keys=made.keys, url=made.url, announced=made.announced)


def _this_api() -> str:
    """The URL of the API this request came through (the API function has no API_URL: the HTTP
    API's routes name the function, so the function cannot name the API in the template)."""
    context = auth.http_event(router.current_event).request_context
    stage = context.stage
    return f"https://{context.domain_name}/" + ("" if stage in ("$default", "", None) else f"{stage}/")

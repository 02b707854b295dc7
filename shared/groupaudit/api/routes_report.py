"""The monthly assessment report over the API (docs/SUPERVISION.md "Monthly report"):
``GET /reports/{month}`` builds the verified tenant's report of the month from the table and
answers its JSON, the same document ``groupaudit report`` writes. Signed and tenant-bound like
every route: the report reads only the verified tenant's partitions."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from groupaudit.api import auth
from groupaudit.api.errors import answer, documented
from groupaudit.api.routes_supervision import MONTH_PATTERN, _inputs
from groupaudit.pipeline import api
from groupaudit.supervision.report_model import MonthlyReport

router = Router()


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

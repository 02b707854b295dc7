"""The announced report link (``groupaudit.pipeline.report_link``, docs/SUPERVISION.md "Monthly
report"): ``GET /reports/link/{token}`` answers 302 to a presigned GET of a few minutes of the
one document the token names.

The one public route: whoever holds the link may read that document until the link expires (it
is what the supervision contact is sent), so it carries no request signature
(``auth.PUBLIC_ROUTES``). It reads no table and records nothing: a refusal costs the cached
link key and one HMAC. A token that is not ours, altered, of another tenant's document or
expired gets the same 404 and the same words (nothing tells which tenants or reports exist);
one that is no token at all gets 400. The API's throttling (template.yaml ``AuditApi``) holds
for it like for every route.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from groupaudit.pipeline import api, report_link
from groupaudit.pipeline.telemetry import logger

router = Router()

_REFUSED: dict[int, Any] = {
    int(code): {
        "description": code.phrase,
        "content": {content_types.APPLICATION_JSON: {"model": api.ErrorBody}},
    }
    for code in (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND)
}


@router.get(
    "/reports/link/<token>",
    summary="Follow an announced report link: a redirect to the document, while the link is valid",
    description="Public (no signature): the token is the credential. 404 for a link that is "
    "unknown, altered or expired, alike.",
    security=[{}],
    responses={
        int(HTTPStatus.FOUND): {"description": "Location: a presigned GET of the document, valid minutes"},
        **_REFUSED,
    },
)
def follow_report_link(token: str) -> Response[Any]:
    from groupaudit.pipeline import runtime
    from groupaudit.settings import load_settings

    settings = load_settings()
    now = int(runtime.now().timestamp())
    try:
        link = report_link.verify_token(report_link.function_key(settings), token, now)
    except report_link.MalformedLink as exc:
        raise api.BadRequest(str(exc)) from exc
    except report_link.UnknownLink as exc:
        raise api.NotFound(str(exc)) from exc
    location = runtime.client("s3").generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.report_bucket,
            "Key": report_link.report_key(link.tenant, link.month, link.fmt),
        },
        ExpiresIn=min(report_link.REDIRECT_SECONDS, link.expires - now),
    )
    logger.info("report link followed", tenant_id=link.tenant, month=link.month, format=link.fmt)
    return Response(
        status_code=int(HTTPStatus.FOUND),
        headers={"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )

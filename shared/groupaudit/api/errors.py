"""Typed errors become status codes here, and only here: ``STATUS``, with the body
``{"error": ..., "details": [...]}``.

A request whose signature fails gets 401 even when its body or query is also invalid: Powertools
validates (and the body deserializer checks size and nesting) before any middleware runs, so
those refusals check the signature first, without recording it. A body nested deeper than 64
levels is refused before any parser reads it, with 422 once the signature is checked, never a 500.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.metrics import MetricUnit

from groupaudit.api import auth
from groupaudit.pipeline import api
from groupaudit.pipeline.telemetry import logger, metrics

router = Router()

STATUS: dict[type[api.ApiError], HTTPStatus] = {
    api.Unauthorized: HTTPStatus.UNAUTHORIZED,
    api.NotFound: HTTPStatus.NOT_FOUND,
    api.InvalidRequest: HTTPStatus.UNPROCESSABLE_ENTITY,
    api.BadRequest: HTTPStatus.BAD_REQUEST,
    api.PayloadTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
}


def documented(*codes: HTTPStatus) -> dict[int, Any]:
    """The OpenAPI responses of a route's refusals: 401, 422 and ``codes``."""
    return {
        int(code): {
            "description": code.phrase,
            "content": {content_types.APPLICATION_JSON: {"model": api.ErrorBody}},
        }
        for code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.UNPROCESSABLE_ENTITY, *codes)
    }


def answer(code: HTTPStatus, model: Any, content: Any) -> dict[int, Any]:
    """``content`` (OpenAPI responses) and the route's answer ``code`` with a ``model`` body."""
    return {
        int(code): {
            "description": code.phrase,
            "content": {content_types.APPLICATION_JSON: {"model": model}},
        },
        **content,
    }


def error_response(code: HTTPStatus, message: str, details: list[api.ErrorDetail]) -> Response:
    body = api.ErrorBody(error=message, details=details).model_dump(mode="json")
    return Response(status_code=int(code), content_type=content_types.APPLICATION_JSON, body=body)


@router.exception_handler(list(STATUS))
def refused(exc: api.ApiError) -> Response:
    code = next(status for kind, status in STATUS.items() if isinstance(exc, kind))
    if code == HTTPStatus.UNAUTHORIZED:
        metrics.add_metric(name="ApiUnauthorized", unit=MetricUnit.Count, value=1)
    log = logger.warning if code == HTTPStatus.UNAUTHORIZED else logger.info
    log(
        "request refused",
        status=int(code),
        reason=exc.message,
        route=auth.http_event(router.current_event).route_key,
    )
    return error_response(code, exc.message, exc.details)


def signed_or_refused(invalid: api.ApiError) -> Response:
    # Powertools validates before any middleware runs: authenticate first all the same (without
    # recording the signature, as the request is not carried out), so an unsigned request is a 401.
    try:
        auth.check_only(router.current_event)
    except api.Unauthorized as unauthorized:
        return refused(unauthorized)
    return refused(invalid)


@router.exception_handler(RequestValidationError)
def invalid(exc: RequestValidationError) -> Response:
    details = api.validation_details(list(exc.errors()))
    return signed_or_refused(api.InvalidRequest("invalid request", details))


@router.exception_handler(api.BodyTooDeep)
def too_deep(exc: api.BodyTooDeep) -> Response:
    return signed_or_refused(exc)


@router.exception_handler(api.PayloadTooLarge)
def too_large(exc: api.PayloadTooLarge) -> Response:
    return signed_or_refused(exc)


@router.exception_handler(NotFoundError)
def no_route(_: NotFoundError) -> Response:
    return error_response(HTTPStatus.NOT_FOUND, "no such route", [])
